"""Wall time of whole ``lm_eval`` processes: one process vs two ``torchrun`` ranks.

Both sides run ``--model statetrack`` with one thread per process (OMP_NUM_THREADS=1),
the same tasks and limit, alternating, ``--repeats`` times; each pair's samples are
checked equal bit for bit, and the results files too (lm-eval sums per-sample metrics in
rank order, so a standard error may differ in its last bits). Prints a Markdown table.

    python benchmarks/bench_data_parallel.py --repeats 3
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

from lm_eval_statetrack.training.references import REFERENCE_DIR

MODEL = REFERENCE_DIR / "transformer-2l-z60"
TASKS = "statetrack_wordproblem_z60_len32,statetrack_wordproblem_z60_len16"
ONE = [sys.executable, "-m", "lm_eval"]
TWO = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "lm_eval"]


def run(cmd: list[str], limit: int, batch_size: int, out: Path) -> tuple[float, dict, list]:
    args = [
        "--model", "statetrack", "--model_args", f"pretrained={MODEL},device=cpu",
        "--tasks", TASKS, "--limit", str(limit), "--batch_size", str(batch_size),
        "--log_samples", "--output_path", str(out),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    subprocess.run(cmd + args, check=True, env=env, capture_output=True)
    seconds = time.perf_counter() - start
    results = json.loads(next(out.rglob("results_*.json")).read_text())["results"]
    samples = sorted(
        (path.name.split("_20")[0], line)
        for path in out.rglob("samples_*.jsonl")
        for line in path.read_text().splitlines()
    )
    return seconds, results, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=8)
    opts = parser.parse_args()
    print(f"tasks {TASKS}, model {MODEL.name}, --limit {opts.limit}, batch {opts.batch_size}")
    print(
        "| repeat | 1 process (s) | 2 ranks (s) | speed-up | load before | samples equal "
        "| results equal |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(opts.repeats):
            load = os.getloadavg()[0]
            one = run(ONE, opts.limit, opts.batch_size, Path(tmp) / f"one{i}")
            two = run(TWO, opts.limit, opts.batch_size, Path(tmp) / f"two{i}")
            print(
                f"| {i + 1} | {one[0]:.1f} | {two[0]:.1f} | {one[0] / two[0]:.2f}x | "
                f"{load:.2f} | {one[2] == two[2]} | {one[1] == two[1]} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
