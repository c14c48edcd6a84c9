"""Shallow rules for swap programs: the asked name's initial value, the value its last (or
first) assignment names read as that name's initial value, the last name assigned, and a
prior keyed on the asked name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lm_eval_statetrack.baselines.rules import PriorRule, Rule


@dataclass(frozen=True)
class Program:
    initial: dict[str, str]  # name ("a" or "x[2]") -> its initial value
    assignments: tuple[tuple[str, str], ...]  # (target, source) in order, temporaries resolved
    asked: str


@lru_cache(maxsize=4)
def parse(prompt: str) -> Program:
    lines = prompt.split("\n")
    asked = re.fullmatch(r"assert (.+) ==", lines[-1])[1]
    initial, assignments, temp = {}, [], None
    for line in lines[:-1]:
        if m := re.fullmatch(r"x = \[(.*)\]", line):
            initial = {f"x[{i}]": v for i, v in enumerate(m[1].split(", "))}
        elif m := re.fullmatch(r"(\w) = (\d)", line):
            initial[m[1]] = m[2]
        elif m := re.fullmatch(r"(\S+), (\S+) = (\S+), (\S+)", line):
            assignments += [(m[1], m[3]), (m[2], m[4])]
        elif m := re.fullmatch(r"(\w) = (\w)", line):
            if m[1] == "t":
                temp = m[2]
            else:
                assignments.append((m[1], temp if m[2] == "t" else m[2]))
    return Program(initial, tuple(assignments), asked)


def value(name: str, choices: list[str], program: Program) -> int | None:
    v = program.initial[name]
    return choices.index(v) if v in choices else None


def assigned(last: bool):
    """The source of the asked name's last (first) assignment, read as its initial value."""

    def predict(prompt: str, choices: list[str]) -> int | None:
        program = parse(prompt)
        sources = [src for dst, src in program.assignments if dst == program.asked]
        if len(program.assignments) < 3 or not sources:
            return None
        return value(sources[-1 if last else 0], choices, program)

    return predict


def last_assigned_name(prompt: str, choices: list[str]) -> int | None:
    program = parse(prompt)
    return value(program.assignments[-1][0], choices, program) if program.assignments else None


RULES: list[Rule | PriorRule] = [
    Rule("initial value", lambda p, c: value(parse(p).asked, c, parse(p))),
    Rule("last assignment", assigned(last=True)),
    Rule("first assignment", assigned(last=False)),
    Rule("last assigned name's initial value", last_assigned_name),
    PriorRule("prior given the asked name", lambda prompt, choices: parse(prompt).asked),
]
