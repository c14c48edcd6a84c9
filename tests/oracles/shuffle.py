"""Replays the ball-passing story: who holds which ball, sentence by sentence."""

from __future__ import annotations

from oracles.common import OracleError, english_list, match, only_index, sentences

NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4}


def answer(prompt: str) -> str:
    m = match(
        r"(.+?) each hold a ball: (.+?)\.(?: They stand in a circle in that order\..*?)? "
        r"Then, in order:\n(.+)\nQuestion: Who has the (\w+) ball now\?\nAnswer:",
        prompt,
        "shuffle prompt",
    )
    people = english_list(m.group(1))
    ball = {}  # person -> colour
    for clause in english_list(m.group(2)):
        person, colour = match(r"(\w+) has the (\w+) ball", clause, "holding").groups()
        ball[person] = colour
    if sorted(ball) != sorted(people):
        raise OracleError(f"holdings {ball} do not cover {people}")
    for sentence in sentences(m.group(3)):
        ball = _step(sentence, ball, people)
    owners = [p for p, c in ball.items() if c == m.group(4)]
    return owners[0]


def _step(sentence: str, ball: dict, people: list[str]) -> dict:
    new = dict(ball)
    if sentence.startswith("The balls move"):
        k = NUMBERS[match(r"The balls move (\w+) places?\.", sentence, "rotation").group(1)]
        for i, p in enumerate(people):
            new[people[(i + k) % len(people)]] = ball[p]
    elif sentence.endswith("swap balls."):
        a, b = match(r"(\w+) and (\w+) swap balls\.", sentence, "swap").groups()
        new[a], new[b] = ball[b], ball[a]
    else:
        a, b, b2, c, c2, a2 = match(
            r"(\w+)'s ball goes to (\w+), (\w+)'s to (\w+) and (\w+)'s to (\w+)\.",
            sentence,
            "3-cycle",
        ).groups()
        if (b, c, a) != (b2, c2, a2) or len({a, b, c}) != 3:
            raise OracleError(f"not a 3-cycle: {sentence!r}")
        new[b], new[c], new[a] = ball[a], ball[b], ball[c]
    return new


def solve(docs: list[dict]) -> list[int]:
    out = []
    for doc in docs:
        who = answer(doc["prompt"])
        out.append(only_index(doc["choices"], lambda c, who=who: c == who))
    return out
