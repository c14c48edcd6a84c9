"""What the plugin adds to lm-eval's start-up: ``lm_eval ls tasks`` with and without it,
and indexing our task folder alone, with and without the opt-in catalog's YAML files.

    .venv/bin/python benchmarks/bench_task_index.py [--reps 5]

Every measurement is a fresh process; the rows alternate within each repetition, so load
from other jobs falls on all of them alike, and the minimum over repetitions is reported:
CPU seconds (user + system of the child) and wall seconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

from bench_catalog import timed

from lm_eval_statetrack.tasks import task_dir

# Our folder alone (no lm-eval built-ins): what our YAML files cost to index.
INDEX = (
    "import sys; from lm_eval.tasks import TaskManager;"
    "print(len(TaskManager(include_defaults=False, include_path=sys.argv[1]).all_tasks))"
)
OFF = {"LM_EVAL_STATETRACK_DISABLE": "1"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    )
    ls = [sys.executable, "-m", "lm_eval", "ls", "tasks"]
    with tempfile.TemporaryDirectory() as tmp:
        without = Path(tmp) / "tasks_without_catalog"
        shutil.copytree(task_dir(), without, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.rmtree(without / "catalog")
        index = [sys.executable, "-c", INDEX]
        rows = {
            "lm_eval ls tasks, without the plugin": (ls, OFF),
            "lm_eval ls tasks, with the plugin": (ls, None),
            "our folder alone, with the catalog": (index + [str(task_dir())], OFF),
            "our folder alone, without the catalog": (index + [str(without)], OFF),
        }
        runs: dict[str, list[tuple[float, float, str]]] = {label: [] for label in rows}
        for _ in range(args.reps):
            for label, (cmd, env) in rows.items():
                runs[label].append(timed(cmd, env))
    best = {label: (min(r[1] for r in rs), min(r[0] for r in rs)) for label, rs in runs.items()}
    for label, (cpu, wall) in best.items():
        print(f"{label:40s} cpu {cpu:6.2f} s  wall {wall:6.2f} s  (min of {args.reps})")
    names = {label: runs[label][-1][2].strip() for label in list(rows)[2:]}
    print(f"statetrack names indexed: {names}")
    plugin = (
        best["lm_eval ls tasks, with the plugin"][0]
        - best["lm_eval ls tasks, without the plugin"][0]
    )
    catalog = (
        best["our folder alone, with the catalog"][0]
        - best["our folder alone, without the catalog"][0]
    )
    print(
        f"plugin cost on lm_eval ls tasks: {plugin:+.2f} s cpu; catalog YAMLs: {catalog:+.2f} s cpu"
    )


if __name__ == "__main__":
    main()
