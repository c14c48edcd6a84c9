"""Shallow rules for modular sums: the start value, the start with only the last (or first)
operation, the last operand, every operation read as an addition, and priors keyed on the
start value or the last operation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lm_eval_statetrack.baselines.rules import PriorRule, Rule


@dataclass(frozen=True)
class Sum:
    start: int
    operands: tuple[int, ...]  # signed: subtractions negative
    modulus: int


@lru_cache(maxsize=4)
def parse(prompt: str) -> Sum:
    start = int(re.match(r"Start with (\d+)", prompt)[1])
    ops = tuple(
        int(n) if op == "add" else -int(n) for op, n in re.findall(r"(add|subtract) (\d+)", prompt)
    )
    return Sum(start, ops, int(re.search(r"modulo (\d+)\?", prompt)[1]))


def start_with(pick):
    """The start plus the operations ``pick`` keeps; abstains where it keeps them all."""

    def predict(prompt: str, choices: list[str]) -> int | None:
        s = parse(prompt)
        kept = pick(s.operands)
        return None if len(kept) == len(s.operands) else (s.start + sum(kept)) % s.modulus

    return predict


def all_added(prompt: str, choices: list[str]) -> int:
    s = parse(prompt)
    return (s.start + sum(map(abs, s.operands))) % s.modulus


RULES: list[Rule | PriorRule] = [
    Rule("start value", lambda prompt, choices: parse(prompt).start),
    Rule("start and the last operation", start_with(lambda ops: ops[-1:])),
    Rule("start and the first operation", start_with(lambda ops: ops[:1])),
    Rule("last operand", lambda p, c: abs(parse(p).operands[-1]) % parse(p).modulus),
    Rule("every operation added", all_added),
    PriorRule("prior given the start", lambda prompt, choices: parse(prompt).start),
    PriorRule("prior given the last operation", lambda prompt, choices: parse(prompt).operands[-1]),
]
