"""Counts the ones in a bit string written as words."""

from __future__ import annotations

from oracles.common import match, only_index

WORDS = {"zero": 0, "one": 1}


def answer(prompt: str) -> str:
    m = match(
        r"Here is a sequence of bits: ((?:zero|one)(?:, (?:zero|one))*)\.\n"
        r"Question: Is the number of ones even or odd\?\nAnswer:",
        prompt,
        "parity prompt",
    )
    ones = sum(WORDS[w] for w in m.group(1).split(", "))
    return "odd" if ones % 2 else "even"


def solve(docs: list[dict]) -> list[int]:
    out = []
    for doc in docs:
        word = answer(doc["prompt"])
        out.append(only_index(doc["choices"], lambda c, word=word: c == word))
    return out
