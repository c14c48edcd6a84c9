"""What the opt-in group catalog costs: cold generation of its documents next to the
``wordproblem`` family's, and ``lm_eval ls tasks`` with and without its YAML folder.

    .venv/bin/python benchmarks/bench_catalog.py [--reps 3]

Each measurement runs in a fresh process. CPU seconds (user + system of the child) are
reported next to wall seconds because they do not move when other work shares the cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lm_eval_statetrack.tasks import task_dir

GENERATE = """
import sys
from lm_eval_statetrack.datasets import docs
from lm_eval_statetrack.families import get_family
from lm_eval_statetrack.families.base import SPLITS
family = get_family(sys.argv[1])
n = sum(
    len(docs(family.name, v.name, length, split))
    for v in family.variants.values() for length in v.lengths for split in SPLITS
)
print(n)
"""


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(wall s, child CPU s, stdout) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def median_of(cmd: list[str], reps: int, env: dict | None = None) -> tuple[float, float, str]:
    runs = [timed(cmd, env) for _ in range(reps)]
    return (
        statistics.median(r[0] for r in runs),
        statistics.median(r[1] for r in runs),
        runs[-1][2],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    )

    print("cold generation, every task and split (fresh process, median):")
    for family in ("wordproblem", "catalog"):
        wall, cpu, out = median_of([sys.executable, "-c", GENERATE, family], args.reps)
        print(f"  {family:12s} {int(out):6d} docs  wall {wall:5.2f} s  cpu {cpu:5.2f} s")

    off = {"LM_EVAL_STATETRACK_DISABLE": "1"}  # index only the folder passed below
    with tempfile.TemporaryDirectory() as tmp:
        without = Path(tmp) / "without_catalog"
        shutil.copytree(task_dir(), without, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.rmtree(without / "catalog")
        ls = [sys.executable, "-m", "lm_eval", "ls", "tasks", "--include_path"]
        rows = {
            "with catalog": median_of(ls + [str(task_dir())], args.reps, off),
            "without catalog": median_of(ls + [str(without)], args.reps, off),
        }
    for label, (wall, cpu, _) in rows.items():
        print(f"lm_eval ls tasks, {label:16s} wall {wall:5.2f} s  cpu {cpu:5.2f} s")
    ratio = rows["with catalog"][1] / rows["without catalog"][1]
    print(f"catalog overhead on lm_eval ls tasks (cpu): {ratio:.3f}x (median of {args.reps})")


if __name__ == "__main__":
    main()
