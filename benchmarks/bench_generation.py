"""Cold document generation, interpreter start-up cost of the hook, and `lm_eval ls tasks`
with and without the plugin.

    .venv/bin/python benchmarks/bench_generation.py [--reps 3] [--skip-ls]

Each measurement runs in a fresh process, so nothing is cached between them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

GENERATE = """
import json, time
t0 = time.perf_counter()
from lm_eval_statetrack.datasets import docs
from lm_eval_statetrack.families import FAMILY_MODULES, get_family
from lm_eval_statetrack.families.base import SPLITS
out = {}
for name in FAMILY_MODULES:
    t = time.perf_counter()
    family = get_family(name)
    n = 0
    for v in family.variants.values():
        for length in v.lengths:
            for split in SPLITS:
                n += len(docs(name, v.name, length, split))
    out[name] = {"seconds": time.perf_counter() - t, "docs": n}
print(json.dumps(out))
"""


def run(cmd: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=True
    )


def hook_import_microseconds() -> int:
    """Cumulative import time of the hook (and our package __init__) at interpreter start."""
    err = run([sys.executable, "-X", "importtime", "-c", "pass"]).stderr
    for line in err.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s+lm_eval_statetrack\._hook$", line)
        if match:
            return int(match.group(1))
    raise RuntimeError("the hook was not imported at start-up; is the package installed?")


def wall(cmd: list[str], env: dict | None, reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        run(cmd, env)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--skip-ls", action="store_true")
    args = parser.parse_args()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    )
    gen = json.loads(run([sys.executable, "-c", GENERATE]).stdout)
    print("cold generation, every task, all splits (fresh process):")
    for name, row in gen.items():
        print(f"  {name:12s} {row['docs']:7d} docs  {row['seconds']:6.2f} s")
    print(
        f"  {'total':12s} {sum(r['docs'] for r in gen.values()):7d} docs  "
        f"{sum(r['seconds'] for r in gen.values()):6.2f} s"
    )

    hook_us = statistics.median(hook_import_microseconds() for _ in range(9))
    off = {"LM_EVAL_STATETRACK_DISABLE": "1"}
    start_on = wall([sys.executable, "-c", "pass"], None, 20)
    start_off = wall([sys.executable, "-S", "-c", "pass"], None, 20)
    print(f"hook import at interpreter start: {hook_us / 1000:.2f} ms (median of 9, -X importtime)")
    print(
        f"python -c pass: {start_on * 1000:.1f} ms; python -S -c pass (no site): "
        f"{start_off * 1000:.1f} ms (median of 20)"
    )

    if not args.skip_ls:
        ls = [sys.executable, "-m", "lm_eval", "ls", "tasks"]
        with_plugin = wall(ls, None, args.reps)
        without = wall(ls, off, args.reps)
        print(
            f"lm_eval ls tasks: {with_plugin:.2f} s with the plugin, {without:.2f} s without "
            f"(LM_EVAL_STATETRACK_DISABLE=1); ratio {with_plugin / without:.3f} "
            f"(median of {args.reps})"
        )


if __name__ == "__main__":
    main()
