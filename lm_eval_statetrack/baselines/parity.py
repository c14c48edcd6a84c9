"""Shallow rules for parity: the last or first bit, more ones than zeros, the parity of the
last few bits only, and a prior keyed on the last two bits."""

from __future__ import annotations

import re
from functools import lru_cache

from lm_eval_statetrack.baselines.rules import PriorRule, Rule


@lru_cache(maxsize=4)
def bits(prompt: str) -> tuple[int, ...]:
    words = re.search(r"sequence of bits: ([a-z, ]+)\.", prompt)[1].split(", ")
    return tuple(int(w == "one") for w in words)


def last(m: int):
    """Parity of the last m bits; abstains on m bits or fewer (the whole answer)."""

    def predict(prompt: str, choices: list[str]) -> int | None:
        word = bits(prompt)
        return sum(word[-m:]) % 2 if len(word) > m else None

    return predict


def more_ones(prompt: str, choices: list[str]) -> int | None:
    ones, n = sum(bits(prompt)), len(bits(prompt))
    return None if 2 * ones == n else int(2 * ones > n)


RULES: list[Rule | PriorRule] = [
    Rule("last bit", last(1)),
    Rule("parity of the last 2 bits", last(2)),
    Rule("parity of the last 3 bits", last(3)),
    Rule("first bit", lambda prompt, choices: bits(prompt)[0] if len(bits(prompt)) > 1 else None),
    Rule("more ones than zeros", more_ones),
    PriorRule("prior given the last 2 bits", lambda prompt, choices: bits(prompt)[-2:]),
]
