"""The example leaderboard in docs/leaderboard: submissions of the bundled reference models
(and, with --smollm2, a partial run of SmolLM2-135M-Instruct), one tampered copy, the
built page and its screenshot.

    .venv/bin/python benchmarks/leaderboard_example.py [--smollm2] [--screenshot]

Each reference model is scored by the real ``lm_eval`` CLI (``--model hf``, float32) on
the full test split of both word-problem groups the references were trained on, A5 (hard)
and Z60 (its control), with ``--log_samples``; ``statetrack submit`` makes the submission.
``tampered-<model>.json.gz`` is the first one with one score raised: the board must list
it as rejected. The board is then built exactly as anyone rebuilds it:
``statetrack leaderboard docs/leaderboard/submissions --out docs/leaderboard/site``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "leaderboard"
VARIANTS = ("a5", "z60")
KINDS = {"ids4": "ssm", "lstm": "rnn", "transformer": "transformer", "mamba": "ssm"}
SMOLLM2_TASKS = "statetrack-shuffle-s5,statetrack-shuffle-z5"
SMOLLM2_LIMIT = 10
BIN = Path(sys.executable).parent
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def lm_eval(model: str, pretrained: str, tasks: str, out: Path, cwd: Path, *extra: str) -> None:
    cmd = [str(BIN / "lm_eval"), "--model", model]
    cmd += ["--model_args", f"pretrained={pretrained},dtype=float32", "--tasks", tasks]
    cmd += ["--batch_size", "32", "--log_samples", "--output_path", str(out), *extra]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=cwd, env=ENV, check=True)


def submit(runs: Path, name: str, kind: str, submissions: Path) -> Path:
    path = submissions / f"{name}.json.gz"
    cmd = [str(BIN / "statetrack"), "submit", str(runs), "--out", str(path)]
    subprocess.run([*cmd, "--model-id", name, "--architecture", kind], check=True)
    return path


def tamper(source: Path, target: Path) -> None:
    """A copy of ``source`` claiming a higher score on its first A5 task than its samples
    give: what a hand-edited file looks like."""
    sub = json.loads(gzip.decompress(source.read_bytes()))
    task = next(t for t in sub["tasks"].values() if t["variant"] == "a5")
    task["value"] = min(1.0, task["value"] + 0.5)
    data = json.dumps(sub, separators=(",", ":")).encode()
    target.write_bytes(gzip.compress(data, mtime=0))


def references(work: Path, submissions: Path) -> list[Path]:
    from lm_eval_statetrack.training.references import reference_dirs

    made = []
    for name, folder in reference_dirs().items():
        tasks = ",".join(f"statetrack-wordproblem-{v}" for v in VARIANTS)
        lm_eval("hf", name, tasks, work / name, folder.parent)
        made.append(submit(work / name, name, KINDS[name.split("-")[0]], submissions))
    return made


def smollm2(work: Path, submissions: Path) -> None:
    """A partial run: a few docs of two shuffle variants (--limit), shown apart."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_real_lm import DEFAULT_MODEL_DIR
    from smollm2 import convert

    model_dir = convert(DEFAULT_MODEL_DIR)
    runs = work / "smollm2"
    lm_eval("statetrack", model_dir.name, SMOLLM2_TASKS, runs, model_dir.parent,
            "--limit", str(SMOLLM2_LIMIT))  # fmt: skip
    subprocess.run(
        [str(BIN / "statetrack"), "submit", str(runs), "--out",
         str(submissions / "smollm2-135m-instruct.json.gz"), "--model-id",
         "HuggingFaceTB/SmolLM2-135M-Instruct", "--architecture", "transformer"],
        check=True,
    )  # fmt: skip


def screenshot(page: Path, png: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        view = browser.new_page(viewport={"width": 1280, "height": 900})
        view.goto(page.resolve().as_uri())
        view.screenshot(path=str(png))
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smollm2", action="store_true", help="add SmolLM2's partial run")
    parser.add_argument("--screenshot", action="store_true", help="docs/leaderboard/*.png")
    parser.add_argument("--board-only", action="store_true", help="rebuild from submissions")
    args = parser.parse_args()
    submissions = OUT / "submissions"
    submissions.mkdir(parents=True, exist_ok=True)
    if not args.board_only:
        with tempfile.TemporaryDirectory(prefix="statetrack-leaderboard-") as tmp:
            made = references(Path(tmp), submissions)
            tamper(made[-1], submissions / f"tampered-{made[-1].name}")
            if args.smollm2:
                smollm2(Path(tmp), submissions)
    os.chdir(REPO)  # the page is built as README quotes it, from relative paths
    subprocess.run(
        [str(BIN / "statetrack"), "leaderboard", "docs/leaderboard/submissions",
         "--out", "docs/leaderboard/site"],
        check=True,
    )  # fmt: skip
    if args.screenshot:
        screenshot(OUT / "site" / "index.html", OUT / "screenshot.png")


if __name__ == "__main__":
    main()
