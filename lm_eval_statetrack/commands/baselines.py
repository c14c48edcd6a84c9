"""``statetrack baselines``: what shallow rules score on each task, next to chance.

A task is only as good as the shortcuts it rules out: this scores every rule of
:mod:`lm_eval_statetrack.baselines` on the test docs of each matching task.
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor

from lm_eval_statetrack.baselines import task_scores, tasks
from lm_eval_statetrack.baselines.scoring import TaskScores
from lm_eval_statetrack.baselines.tables import EXPLANATION, markdown, plain


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tasks",
        default="statetrack*",
        metavar="GLOB",
        help="leaf tasks to score, a glob over task names (default: every task, the opt-in "
        "catalog included; 'statetrack_*' is the default suite)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes scoring variants in parallel (default: one per CPU)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--markdown", action="store_true", help="a Markdown table")
    output.add_argument("--json", action="store_true", help="every rule's score, as JSON")
    output.add_argument("--rules", action="store_true", help="every rule's score under each task")


def _score_variant(specs: list[tuple[str, str, int]]) -> list[TaskScores]:
    return [task_scores(*spec) for spec in specs]


def score_all(specs: list[tuple[str, str, int]], jobs: int) -> list[TaskScores]:
    """Every task's scores, in order; one unit of work per variant, so that a worker
    reuses what the variant's tasks share (group tables, parsed games)."""
    units: dict[tuple[str, str], list] = {}
    for spec in specs:
        units.setdefault(spec[:2], []).append(spec)
    if jobs == 1 or len(units) == 1:
        return [s for unit in units.values() for s in _score_variant(unit)]
    with ProcessPoolExecutor(min(jobs, len(units))) as pool:
        return [s for scored in pool.map(_score_variant, units.values()) for s in scored]


def run(args: argparse.Namespace) -> int:
    chosen = list(tasks(args.tasks))
    if not chosen:
        raise SystemExit(
            f"--tasks {args.tasks!r} matches no task; try 'statetrack_*' or a name from "
            "`statetrack tasks --all` such as 'statetrack_shuffle_s5_len16'"
        )
    if args.jobs < 1:
        raise SystemExit(f"--jobs must be at least 1, got {args.jobs}")
    scores = score_all(chosen, args.jobs)
    if args.json:
        rows = [
            {**{k: getattr(s, k) for k in ("task", "family", "variant", "length", "docs")},
             "chance": s.chance, "majority": s.majority, "floor": s.floor, "rules": s.rules}
            for s in scores
        ]  # fmt: skip
        print(json.dumps(rows, indent=1))
    elif args.markdown:
        print(markdown(scores))
    else:
        print(plain(scores, every_rule=args.rules))
        print(f"\n{EXPLANATION}")
    return 0
