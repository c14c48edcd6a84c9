"""Task families: each module is a state machine, a sampler and its renderer(s).

A family module exposes ``FAMILY``, a :class:`~lm_eval_statetrack.families.base.Family`.
The registry maps names to module paths so that listing families imports nothing heavy.
"""

from __future__ import annotations

import importlib

from lm_eval_statetrack.families.base import Family

FAMILY_MODULES = {
    "wordproblem": "lm_eval_statetrack.families.wordproblem",
    "chess": "lm_eval_statetrack.families.chess.family",
    "shuffle": "lm_eval_statetrack.families.shuffle",
    "boxes": "lm_eval_statetrack.families.boxes",
    "code": "lm_eval_statetrack.families.code",
    "flipflop": "lm_eval_statetrack.families.flipflop",
    "parity": "lm_eval_statetrack.families.parity",
    "modarith": "lm_eval_statetrack.families.modarith",
    "catalog": "lm_eval_statetrack.families.catalog",
}


def get_family(name: str) -> Family:
    """The family called ``name``; an unknown name lists the valid ones."""
    if name not in FAMILY_MODULES:
        raise ValueError(f"unknown family {name!r}; valid families: {', '.join(FAMILY_MODULES)}")
    return importlib.import_module(FAMILY_MODULES[name]).FAMILY


def all_families() -> list[Family]:
    return [get_family(name) for name in FAMILY_MODULES]
