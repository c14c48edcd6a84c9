"""Shallow rules for boxes and bags: the asked container's initial contents, the last item
put into it, the last object named, the initial bag of the last trade partner or of the last
person named, and a prior keyed on the asked container."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lm_eval_statetrack.baselines.rules import PriorRule, Rule

CONTAINER = r"Box \d+|\w+'s bag"


@dataclass(frozen=True)
class Story:
    asked: str  # "Box 3" or "Carol's bag"
    initial: dict[str, str]  # container -> its contents as the story renders them
    steps: tuple[str, ...]


@lru_cache(maxsize=4)
def parse(prompt: str) -> Story:
    head, steps, _, answer = prompt.split("\n")
    asked = re.fullmatch(rf"Answer: ({CONTAINER}) (?:contains|holds)", answer)[1]
    initial = dict(re.findall(rf"({CONTAINER}) (?:contains|holds) ([^.]+)\.", head))
    return Story(asked, initial, tuple(re.findall(r"[^.]+\.", steps)))


def items(choice: str) -> set[str]:
    return set(re.findall(r"the (\w+)", choice))


def index_of(contents: str, choices: list[str]) -> int | None:
    return choices.index(contents) if contents in choices else None


def initial_contents(prompt: str, choices: list[str]) -> int | None:
    story = parse(prompt)
    return index_of(story.initial[story.asked], choices)


def holding(obj: str, choices: list[str]) -> int | None:
    """The one choice with ``obj``, or the shortest of several; None if none has it."""
    having = [i for i, c in enumerate(choices) if obj in items(c)]
    if not having:
        return None
    return min(having, key=lambda i: (len(items(choices[i])), i))


def last_item_put_in(prompt: str, choices: list[str]) -> int | None:
    """The object of the last Put or Move into the asked box (``move`` only)."""
    story = parse(prompt)
    pattern = rf"(?:Put|Move) the (\w+) (?:into|from Box \d+ to) {story.asked}\."
    puts = [m[1] for s in story.steps if (m := re.fullmatch(pattern, s.strip()))]
    return holding(puts[-1], choices) if puts else None


def last_object_named(prompt: str, choices: list[str]) -> int | None:
    named = re.findall(r"the (\w+)", " ".join(parse(prompt).steps))
    return holding(named[-1], choices) if named else None


def _owner(container: str) -> str:
    return container.removesuffix("'s bag")


def last_partner(prompt: str, choices: list[str]) -> int | None:
    """The initial bag of the last person who traded with the asked bag's owner."""
    story = parse(prompt)
    owner = _owner(story.asked)
    partners = [
        a if b == owner else b
        for s in story.steps
        if (m := re.fullmatch(r"(\w+) and (\w+) trade bags\.", s.strip())) and owner in m.groups()
        for a, b in [m.groups()]
    ]
    if not partners or len(story.steps) < 2:
        return None
    return index_of(story.initial[f"{partners[-1]}'s bag"], choices)


def last_person_named(prompt: str, choices: list[str]) -> int | None:
    story = parse(prompt)
    names = re.findall(r"(\w+) and (\w+) trade bags", " ".join(story.steps))
    return index_of(story.initial[f"{names[-1][1]}'s bag"], choices) if names else None


RULES: list[Rule | PriorRule] = [
    Rule("initial contents", initial_contents),
    Rule("last item put in", last_item_put_in),
    Rule("last object named", last_object_named),
    Rule("last partner's initial bag", last_partner),
    Rule("last person named's initial bag", last_person_named),
    PriorRule("prior given the asked container", lambda prompt, choices: parse(prompt).asked),
]
