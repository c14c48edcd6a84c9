"""The leaderboard's headline score: how much of the suite's hard state tracking a model does.

    task score      s(t) = clip((acc(t) - b(t)) / (1 - b(t)), 0, 1)
                    b(t) = the task's floor: the highest of its chance level, its
                           majority-class rate and the best shallow rule of
                           ``statetrack baselines`` on its test docs
    variant score   S(v) = mean of s over the variant's whole length ladder; a length
                           without a score counts 0
    headline        H    = mean of S over every hard (NC1-complete) variant of the
                           installed default suite (``statetrack_*``); a hard variant
                           the model did not run counts 0

So a model at chance (or at a task's floor) scores 0 and a perfect one 1; a model that
answers by a shallow rule (the first step, the last swap, the initial holder: what short
natural-language tasks give away) scores 0 too; below the floor counts as the floor, so
guessing cannot be offset by luck elsewhere; and a model that ran
only some families never gains from what it did not run: missing data can only lower H.
``coverage`` says how many of the hard variants a model ran.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from lm_eval_statetrack.baselines import is_multiple_choice, task_scores
from lm_eval_statetrack.families import all_families, get_family
from lm_eval_statetrack.families.suite import installed_variant


@cache
def hard_variants() -> tuple[tuple[str, str], ...]:
    """(family, variant) of every hard variant of the default suite, in suite order."""
    return tuple(
        (family.name, variant.name)
        for family in all_families()
        if not family.opt_in
        for variant in family.variants.values()
        if variant.hard
    )


@cache
def floor(family: str, variant: str, length: int) -> float:
    """b(t): the installed task's chance level, majority-class rate or best shallow rule,
    whichever is highest (a generation task has no rules: its chance level)."""
    fam = get_family(family)
    spec = fam.variant(variant)
    if not is_multiple_choice(fam, spec):
        return spec.chance
    found = task_scores(family, variant, length)
    return max(spec.chance, found.majority, found.best_rule[1])


def task_score(value: float, floor_value: float) -> float:
    """s(t): the share of the way from the floor to a perfect score, clipped to [0, 1]."""
    if floor_value >= 1:
        return 0.0
    return min(1.0, max(0.0, (value - floor_value) / (1 - floor_value)))


def variant_score(family: str, variant: str, values: Mapping[int, float]) -> float:
    """S(v) from length -> accuracy; lengths of the installed ladder with no score count 0."""
    ladder = installed_variant(family, variant).lengths
    return sum(
        task_score(values[length], floor(family, variant, length))
        for length in ladder
        if length in values
    ) / len(ladder)


@dataclass(frozen=True)
class Scores:
    headline: float  # H
    coverage: tuple[int, int]  # (hard variants run, hard variants in the suite)
    variants: dict[tuple[str, str], float]  # S(v) of every hard variant the model ran


def scores(tasks: Mapping[str, Mapping]) -> Scores:
    """H, coverage and S(v) from a submission's ``tasks`` (each entry with ``family``,
    ``variant``, ``length`` and ``value``). Floors are computed for hard variants only:
    the rules of some (chess) take minutes over every length."""
    curves: dict[tuple[str, str], dict[int, float]] = {}
    for task in tasks.values():
        curves.setdefault((task["family"], task["variant"]), {})[task["length"]] = task["value"]
    hard = hard_variants()
    per_variant = {k: variant_score(*k, values) for k, values in curves.items() if k in hard}
    headline = sum(per_variant.get(key, 0.0) for key in hard) / len(hard)
    return Scores(headline, (sum(key in per_variant for key in hard), len(hard)), per_variant)
