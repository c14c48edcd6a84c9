"""Shallow rules for flip-flop: the last read, the first write, the last bit named and the
most common bit. The last write is left out: it is the state itself (flip-flop is a
last-write-wins control), not a shortcut."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from lm_eval_statetrack.baselines.rules import PriorRule, Rule


@lru_cache(maxsize=4)
def instructions(prompt: str) -> tuple[tuple[str, int], ...]:
    return tuple((op, int(bit)) for op, bit in re.findall(r"(write|ignore|read) ([01])", prompt))


def last_of(op: str):
    def predict(prompt: str, choices: list[str]) -> int | None:
        bits = [bit for o, bit in instructions(prompt) if o == op]
        return bits[-1] if bits else None

    return predict


def most_common_bit(prompt: str, choices: list[str]) -> int | None:
    counts = Counter(bit for _, bit in instructions(prompt))
    return None if counts[0] == counts[1] else int(counts[1] > counts[0])


RULES: list[Rule | PriorRule] = [
    Rule("last read", last_of("read")),
    Rule("first write", lambda prompt, choices: instructions(prompt)[0][1]),
    Rule("last bit named", lambda prompt, choices: instructions(prompt)[-1][1]),
    Rule("most common bit", most_common_bit),
]
