"""Rules that apply to every family: they read the choices only."""

from __future__ import annotations

from lm_eval_statetrack.baselines.rules import PriorRule, Rule


def _unique_extreme(choices: list[str], pick) -> int | None:
    """The index of the one choice whose length is ``pick`` (min or max); None on a tie."""
    lengths = [len(c) for c in choices]
    target = pick(lengths)
    return lengths.index(target) if lengths.count(target) == 1 else None


RULES: list[Rule | PriorRule] = [
    PriorRule("most common answer", lambda prompt, choices: None),
    Rule("shortest choice", lambda prompt, choices: _unique_extreme(choices, min)),
    Rule("longest choice", lambda prompt, choices: _unique_extreme(choices, max)),
]
