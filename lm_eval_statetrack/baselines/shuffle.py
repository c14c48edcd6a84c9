"""Shallow rules for the ball-passing story: the ball's first holder, the last person named,
the ball followed through one step only (the last, the first, or the last one that names
its first holder), and priors keyed on the asked colour or the first holder."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from lm_eval_statetrack.baselines.rules import PriorRule, Rule
from lm_eval_statetrack.families.shuffle import PEOPLE, STEPS

# sentence -> source: after the step, person i holds the ball person source[i] held
SOURCE = {text: source for table in STEPS.values() for text, source in table}
NAME = re.compile("|".join(PEOPLE))


@dataclass(frozen=True)
class Story:
    first_holder: int  # who held the asked ball at the start
    colour: str
    steps: tuple[str, ...]


@lru_cache(maxsize=4)
def parse(prompt: str) -> Story:
    head, steps, question, _ = prompt.split("\n")
    colour = re.search(r"Who has the (\w+) ball", question)[1]
    holder = re.search(rf"(\w+) has the {colour} ball", head)[1]
    return Story(PEOPLE.index(holder), colour, tuple(re.findall(r"[^.]+\.", steps)))


def moved(person: int, step: str) -> int:
    """Where the ball ``person`` holds goes in one step."""
    return SOURCE[step.strip()].index(person)


def last_step_only(prompt: str, choices: list[str]) -> int | None:
    story = parse(prompt)
    return moved(story.first_holder, story.steps[-1]) if len(story.steps) > 1 else None


def first_step_only(prompt: str, choices: list[str]) -> int | None:
    story = parse(prompt)
    return moved(story.first_holder, story.steps[0]) if len(story.steps) > 1 else None


def last_partner(prompt: str, choices: list[str]) -> int | None:
    """The ball moved only by the last step that names its first holder (z5 names nobody)."""
    story = parse(prompt)
    name = PEOPLE[story.first_holder]
    named = [s for s in story.steps if name in NAME.findall(s)]
    if len(story.steps) < 2 or not named:
        return None
    return moved(story.first_holder, named[-1])


def last_mentioned(prompt: str, choices: list[str]) -> int | None:
    names = NAME.findall(" ".join(parse(prompt).steps))
    return PEOPLE.index(names[-1]) if names else None


def most_mentioned(prompt: str, choices: list[str]) -> int | None:
    counts = Counter(NAME.findall(" ".join(parse(prompt).steps))).most_common(2)
    if not counts or (len(counts) == 2 and counts[0][1] == counts[1][1]):
        return None
    return PEOPLE.index(counts[0][0])


RULES: list[Rule | PriorRule] = [
    Rule("initial holder", lambda prompt, choices: parse(prompt).first_holder),
    Rule("last mentioned person", last_mentioned),
    Rule("most mentioned person", most_mentioned),
    Rule("last partner", last_partner),
    Rule("last step only", last_step_only),
    Rule("first step only", first_step_only),
    PriorRule("prior given the colour", lambda prompt, choices: parse(prompt).colour),
    PriorRule("prior given the first holder", lambda prompt, choices: parse(prompt).first_holder),
]
