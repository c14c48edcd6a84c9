"""``statetrack demo``: evaluate the bundled reference models through the ``lm_eval``
command line and print accuracy against length, next to chance.

The expected picture (Merrill et al. 2024): the recurrent models (LSTM, IDS4) hold their
accuracy on A5 as words get longer, the 2-layer transformer and Mamba fall toward
chance; on the abelian control Z60 the picture is less one-sided.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--limit", type=int, default=100, help="docs per task and length (lm_eval --limit)"
    )
    parser.add_argument("--batch-size", default="32", help="lm_eval --batch_size")
    parser.add_argument("--only", help="comma-separated reference model names")
    parser.add_argument("--models-dir", type=Path, help="another folder of reference models")
    parser.add_argument(
        "--output",
        type=Path,
        help="keep lm_eval's results JSON here (default: a temporary folder, removed at the end)",
    )


def lm_eval_command(model_dir: Path, variant: str, limit: int, batch_size: str, out: Path):
    return [
        sys.executable,
        "-m",
        "lm_eval",
        "--model",
        "hf",
        "--model_args",
        f"pretrained={model_dir},dtype=float32",
        "--tasks",
        f"statetrack-wordproblem-{variant}",
        "--limit",
        str(limit),
        "--batch_size",
        batch_size,
        "--output_path",
        str(out),
    ]


def drop_machine_paths(results_dir: Path, models: dict[str, Path]) -> None:
    """Rewrite lm_eval's results JSON under ``results_dir`` so that no absolute path of this
    machine is left: paths in this installation become ``./lm_eval_statetrack/...`` (the
    bundled models, the task YAMLs) and a model from ``--models-dir`` becomes ``./<name>``.
    lm_eval files each run under a folder named after the model path; the JSON moves up to
    ``results_dir`` and that folder goes."""
    package_root = Path(__file__).resolve().parents[2]
    roots = [package_root, *sorted({p.resolve().parent for p in models.values()})]
    for path in list(results_dir.rglob("results_*.json")):
        text = path.read_text()
        for root in roots:
            text = text.replace(f"{root}/", "./")
        (results_dir / path.name).write_text(text)
        if path.parent != results_dir:
            path.unlink()
            if not any(path.parent.iterdir()):
                path.parent.rmdir()


def accuracies(results_dir: Path) -> dict[int, float]:
    """Length -> acc from the newest lm_eval results JSON under ``results_dir``."""
    path = sorted(results_dir.rglob("results_*.json"))[-1]
    results = json.loads(path.read_text())["results"]
    return {
        int(task.rsplit("_len", 1)[1]): r["acc,none"]
        for task, r in results.items()
        if "_len" in task
    }


def run(args: argparse.Namespace) -> int:
    from lm_eval_statetrack.training.references import reference_dirs

    models = reference_dirs(args.models_dir)
    if args.only:
        wanted = args.only.split(",")
        missing = sorted(set(wanted) - set(models))
        if missing:
            raise SystemExit(f"statetrack demo: no reference model {missing}; have {list(models)}")
        models = {k: v for k, v in models.items() if k in wanted}
    if not models:
        raise SystemExit(
            "statetrack demo: no reference models found; run statetrack train --references"
        )
    if args.output:
        return _evaluate_all(models, args, args.output)
    with tempfile.TemporaryDirectory(prefix="statetrack-demo-") as tmp:
        return _evaluate_all(models, args, Path(tmp))


def _evaluate_all(models: dict[str, Path], args: argparse.Namespace, out_root: Path) -> int:
    """Run lm_eval on each model, one progress line per model, then print the table."""
    from lm_eval_statetrack.families.wordproblem import FAMILY

    kept = f"kept in {out_root}" if args.output else "in a temporary folder, removed at the end"
    print(
        f"Scoring {len(models)} reference models with `lm_eval --model hf --tasks "
        f"statetrack-wordproblem-<group> --limit {args.limit}`; results JSON {kept}.",
        flush=True,
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    table, start = {}, time.monotonic()
    for i, (name, path) in enumerate(models.items(), 1):
        variant = json.loads((path / "training.json").read_text())["config"]["variant"]
        cmd = lm_eval_command(path, variant, args.limit, args.batch_size, out_root / name)
        began = time.monotonic()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-4000:])
            raise SystemExit(f"statetrack demo: lm_eval failed on {name}")
        drop_machine_paths(out_root / name, models)
        table[name] = (variant, accuracies(out_root / name))
        print(
            f"[{i}/{len(models)}] {name} ({variant.upper()}): {time.monotonic() - began:.0f} s "
            f"(total {time.monotonic() - start:.0f} s)",
            flush=True,
        )
    lengths = sorted({n for _, accs in table.values() for n in accs})
    print(f"\nAccuracy against length ({args.limit} test docs per cell; lm_eval --model hf):\n")
    header = f"| {'model':20s} | task | chance |" + "".join(f" {n:>4d} |" for n in lengths)
    print(header)
    print("|" + "---|" * (3 + len(lengths)))
    for name, (variant, accs) in table.items():
        chance = FAMILY.variant(variant).chance
        cells = "".join(f" {accs[n]:4.2f} |" if n in accs else "    - |" for n in lengths)
        print(f"| {name:20s} | {variant.upper():4s} | {chance:6.3f} |{cells}")
    if args.output:
        print(f"\nlm_eval results JSON: {out_root}")
    return 0
