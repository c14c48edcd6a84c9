"""Replays the ball-passing story: who holds which ball, sentence by sentence."""

from __future__ import annotations

from oracles.common import OracleError, english_list, match, only_index, sentences

NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4}
# the conventions the prompt must state before the steps that rely on them
CYCLE_RULE = (
    "When three people rotate balls, the first gives their ball to the second, the second "
    "to the third and the third to the first."
)
CIRCLE_RULE = (
    "When the balls move n places, each ball goes n people along the circle: one place "
    "takes Alice's ball to Bob and Eve's to Alice."
)


def answer(prompt: str) -> str:
    m = match(
        r"(.+?) each hold a ball: (.+?)\.((?: [^.\n]+\.)*) Then, in order:\n(.+)\n"
        r"Question: Who has the (\w+) ball now\?\nAnswer:",
        prompt,
        "shuffle prompt",
    )
    rules = m.group(3)
    people = english_list(m.group(1))
    ball = {}  # person -> colour
    for clause in english_list(m.group(2)):
        person, colour = match(r"(\w+) has the (\w+) ball", clause, "holding").groups()
        ball[person] = colour
    if sorted(ball) != sorted(people):
        raise OracleError(f"holdings {ball} do not cover {people}")
    for sentence in sentences(m.group(4)):
        ball = _step(sentence, ball, people, rules)
    owners = [p for p, c in ball.items() if c == m.group(5)]
    return owners[0]


def _step(sentence: str, ball: dict, people: list[str], rules: str) -> dict:
    """Apply one sentence; rotations and 3-cycles only under the rule the prompt states."""
    new = dict(ball)
    if sentence.startswith("The balls move"):
        if CIRCLE_RULE not in rules:
            raise OracleError(f"{sentence!r} without the circle rule")
        k = NUMBERS[match(r"The balls move (\w+) places?\.", sentence, "rotation").group(1)]
        for i, p in enumerate(people):
            new[people[(i + k) % len(people)]] = ball[p]
    elif sentence.endswith("swap balls."):
        a, b = match(r"(\w+) and (\w+) swap balls\.", sentence, "swap").groups()
        new[a], new[b] = ball[b], ball[a]
    else:
        if CYCLE_RULE not in rules:
            raise OracleError(f"{sentence!r} without the rotation rule")
        a, b, c = match(r"(\w+), (\w+) and (\w+) rotate balls\.", sentence, "3-cycle").groups()
        if len({a, b, c}) != 3:
            raise OracleError(f"not a 3-cycle: {sentence!r}")
        new[b], new[c], new[a] = ball[a], ball[b], ball[c]
    return new


def solve(docs: list[dict]) -> list[int]:
    out = []
    for doc in docs:
        who = answer(doc["prompt"])
        out.append(only_index(doc["choices"], lambda c, who=who: c == who))
    return out
