"""Shortcut baselines: what shallow rules score on each task without tracking the state.

Each family has a module here with ``RULES`` (a list of :class:`~.rules.Rule` and
:class:`~.rules.PriorRule`) and, where rules depend on the variant (the group of a word
problem), ``variant_rules(variant)``. The rules of :mod:`.common` (most common answer,
shortest and longest choice) are added to every family.
"""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Iterator
from functools import cache

from lm_eval_statetrack.baselines import common
from lm_eval_statetrack.baselines.rules import PriorRule, Rule
from lm_eval_statetrack.baselines.scoring import TaskScores, score_task
from lm_eval_statetrack.datasets import docs
from lm_eval_statetrack.families import FAMILY_MODULES, get_family
from lm_eval_statetrack.families.base import Family, Variant


def rules_for(family: str, variant: str) -> list[Rule | PriorRule]:
    """The family's own rules (none where it has no module here), then the common ones."""
    try:
        module = importlib.import_module(f"lm_eval_statetrack.baselines.{family}")
    except ModuleNotFoundError as err:
        if err.name != f"lm_eval_statetrack.baselines.{family}":
            raise
        own: list[Rule | PriorRule] = []
    else:
        own = list(getattr(module, "RULES", []))
        if hasattr(module, "variant_rules"):
            own += module.variant_rules(variant)
    names = {rule.name for rule in own}
    return own + [rule for rule in common.RULES if rule.name not in names]


@cache
def task_scores(family: str, variant: str, length: int) -> TaskScores:
    """Chance, majority-class rate and every rule's score on one task's test docs."""
    fam = get_family(family)
    spec = fam.check_spec(variant, length, "test")
    return score_task(
        fam.task_name(variant, length),
        family,
        variant,
        length,
        spec.chance,
        docs(family, variant, length),
        rules_for(family, variant),
    )


def is_multiple_choice(family: Family, variant: Variant) -> bool:
    """Rules pick a choice: generation tasks (lists of legal moves) have nothing to score."""
    return variant.extra_yaml.get("output_type", family.output_type) == "multiple_choice"


def tasks(pattern: str = "statetrack*") -> Iterator[tuple[str, str, int]]:
    """(family, variant, length) of every multiple-choice leaf task matching the glob."""
    for name in FAMILY_MODULES:
        family = get_family(name)
        for variant in family.variants.values():
            if not is_multiple_choice(family, variant):
                continue
            for length in variant.lengths:
                if fnmatch.fnmatchcase(family.task_name(variant.name, length), pattern):
                    yield name, variant.name, length


def floor(family: str, variant: str, length: int) -> float:
    """The horizon floor of a task: its chance, or its majority-class rate where higher."""
    return task_scores(family, variant, length).floor
