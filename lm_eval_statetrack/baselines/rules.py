"""Shallow rules: what a model could score on a task without tracking any state.

A rule sees only what the model sees: a doc's rendered ``prompt`` and its ``choices``.
``Rule`` predicts directly; ``PriorRule`` maps each doc to a key (for example the asked
square) and predicts the answer most common among the *other* docs of the task with the
same key (leave-one-out), so a prior fitted on the task never scores the doc it was fitted on.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """``predict(prompt, choices)`` returns a choice index, or None to abstain (scored 1/k)."""

    name: str
    predict: Callable[[str, list[str]], int | None]


@dataclass(frozen=True)
class PriorRule:
    """``key(prompt, choices)`` returns a hashable key; the prediction is the leave-one-out
    most common gold *choice string* among docs sharing that key (abstains when none)."""

    name: str
    key: Callable[[str, list[str]], Hashable]
