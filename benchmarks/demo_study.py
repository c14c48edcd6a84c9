"""Few-shot demos drawn per doc (lm-eval's default) against one demo set per task.

    .venv/bin/python benchmarks/demo_study.py [--length 4] [--limit 100] [--seeds 0,1,2,3,4]
        [--threads 1] [--model-dir DIR] [--json OUT]

For each few-shot seed, SmolLM2-135M-Instruct (``benchmarks/smollm2.py``) is scored by
``--model statetrack`` in one process on one variant of every natural-language family, the
same test docs each time, under two samplers: lm-eval's default (three demos drawn afresh
for every doc) and a fixed set (three demos drawn once with the seed and put before every
doc, so that every prompt of a task shares them as a prefix). It prints, per task and
sampler, the accuracy at each seed, the spread across seeds (max - min, standard
deviation), the wall time of the scoring and the tokens the adapter forwarded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_real_lm import DEFAULT_MODEL_DIR  # noqa: E402
from smollm2 import convert  # noqa: E402

TASKS = (
    "shuffle_s5",
    "boxes_move",
    "code_vars",
    "flipflop_ffl",
    "parity_bits",
    "modarith_mod60",
)


def fixed_demo_manager():
    """A TaskManager whose tasks put one seeded demo set before every doc."""
    from lm_eval.api.samplers import ContextSampler
    from lm_eval.tasks import TaskManager

    class FixedDemos(ContextSampler):
        def sample(self, n: int, eval_doc: Any = None, df: Any = None, **kwargs) -> list:
            if getattr(self, "_demos", None) is None or len(self._demos) != n:
                self._demos = self.rnd.sample(self.fewshot_docs(), n)
            return self._demos

        def set_rnd(self, rnd: int | None) -> FixedDemos:
            self._demos = None
            return super().set_rnd(rnd)

    class Manager(TaskManager):
        def load(self, *args: Any, **kwargs: Any) -> Any:
            loaded = super().load(*args, **kwargs)
            for task in loaded["tasks"].values():
                task.sampler = FixedDemos(list(task.fewshot_docs()), rnd=None)
            return loaded

    return Manager()


def score(lm: Any, tasks: list[str], limit: int, seed: int, fixed: bool) -> dict:
    import lm_eval
    from lm_eval.tasks import TaskManager

    before = lm.get_model_info()["statetrack_counters"]["tokens_forwarded"]
    start = time.perf_counter()
    out = lm_eval.simple_evaluate(
        model=lm,
        tasks=tasks,
        limit=limit,
        fewshot_random_seed=seed,
        bootstrap_iters=0,
        task_manager=fixed_demo_manager() if fixed else TaskManager(),
    )
    wall = time.perf_counter() - start
    after = lm.get_model_info()["statetrack_counters"]["tokens_forwarded"]
    acc = {t: out["results"][t]["acc,none"] for t in tasks}
    return {"acc": acc, "wall_s": wall, "tokens": after - before}


def summarize(runs: dict[str, list[dict]], tasks: list[str]) -> list[dict]:
    rows = []
    for sampler, by_seed in runs.items():
        for task in tasks:
            accs = [r["acc"][task] for r in by_seed]
            rows.append(
                {
                    "sampler": sampler,
                    "task": task,
                    "acc": [round(a, 3) for a in accs],
                    "mean": round(statistics.mean(accs), 3),
                    "range": round(max(accs) - min(accs), 3),
                    "std": round(statistics.stdev(accs), 3) if len(accs) > 1 else 0.0,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--length", type=int, default=4)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--batch-size", default="8")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import torch
    from lm_eval.api.registry import get_model

    import lm_eval_statetrack._hook  # noqa: F401  (registers the tasks and the adapter)

    if args.threads:
        torch.set_num_threads(args.threads)
    model_dir = convert(args.model_dir)
    tasks = [f"statetrack_{t}_len{args.length}" for t in TASKS]
    seeds = [int(s) for s in args.seeds.split(",")]
    lm = get_model("statetrack").create_from_arg_string(
        f"pretrained={model_dir},dtype=float32", {"batch_size": args.batch_size, "device": "cpu"}
    )
    runs: dict[str, list[dict]] = {"per-doc": [], "fixed": []}
    for seed in seeds:
        for sampler in runs:
            run = score(lm, tasks, args.limit, seed, fixed=sampler == "fixed")
            runs[sampler].append(run)
            print(json.dumps({"seed": seed, "sampler": sampler, **run}), flush=True)
    rows = summarize(runs, tasks)
    speed = {
        s: {
            "wall_s": round(statistics.median(r["wall_s"] for r in rs), 1),
            "tokens": statistics.median(r["tokens"] for r in rs),
        }
        for s, rs in runs.items()
    }
    header = (
        f"SmolLM2-135M-Instruct float32, --model statetrack, length {args.length}, "
        f"--limit {args.limit}, seeds {seeds}, {platform.machine()} CPU, "
        f"{os.cpu_count()} cores, torch threads {args.threads}, {date.today()}"
    )
    print(f"\n{header}\n| task | sampler | acc per seed | mean | range | std |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for r in sorted(rows, key=lambda r: (r["task"], r["sampler"])):
        accs = " ".join(f"{a:.2f}" for a in r["acc"])
        print(
            f"| {r['task']} | {r['sampler']} | {accs} | {r['mean']:.3f} | "
            f"{r['range']:.3f} | {r['std']:.3f} |"
        )
    for s, v in speed.items():
        print(f"{s}: median scoring {v['wall_s']} s, {v['tokens']:,} tokens forwarded")
    if args.json:
        args.json.write_text(json.dumps({"header": header, "rows": rows, "speed": speed}, indent=2))


if __name__ == "__main__":
    main()
