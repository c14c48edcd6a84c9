"""Baseline scores as a plain-text or Markdown table (the command's output, family READMEs)."""

from __future__ import annotations

from collections.abc import Sequence

from lm_eval_statetrack.baselines.scoring import TaskScores

COLUMNS = ("task", "docs", "chance", "majority", "floor", "best rule", "score")
EXPLANATION = (
    "Rules read only each doc's prompt and choices; an abstaining rule gets 1/k credit; "
    "priors (`prior given ...`, `most common answer`) are fitted on the task and scored "
    "leave-one-out. `majority` is the plain rate of the best constant answer; `floor` (the "
    "horizon's) is chance, or the majority rate where uniform answers would reach it with "
    "probability below 1e-4."
)


def _cells(s: TaskScores) -> list[str]:
    name, score = s.best_rule
    return [
        s.task,
        str(s.docs),
        f"{s.chance:.3f}",
        f"{s.majority:.3f}",
        f"{s.floor:.3f}",
        name,
        f"{score:.3f}",
    ]


def plain(scores: Sequence[TaskScores], every_rule: bool = False) -> str:
    rows = [list(COLUMNS)] + [_cells(s) for s in scores]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = []
    for row, s in zip(rows, [None, *scores]):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if every_rule and s is not None:
            lines += [f"    {score:.3f}  {name}" for name, score in s.rules.items()]
    return "\n".join(lines)


def markdown(scores: Sequence[TaskScores]) -> str:
    header = ["variant", "length", "docs", "chance", "majority", "floor", "best rule", "score"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for s in scores:
        cells = _cells(s)
        lines.append("| " + " | ".join([f"`{s.variant}`", str(s.length), *cells[1:]]) + " |")
    return "\n".join(lines)
