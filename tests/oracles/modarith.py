"""Adds and subtracts with Python integers, reducing once at the end."""

from __future__ import annotations

from oracles.common import match, only_index


def answer(prompt: str) -> int:
    m = match(
        r"Start with (\d+), then (.+)\.\nQuestion: What is the result modulo (\d+)\?\nAnswer:",
        prompt,
        "modarith prompt",
    )
    total = int(m.group(1))
    for step in m.group(2).split(", "):
        op, n = match(r"(add|subtract) (\d+)", step, "operation").groups()
        total += int(n) if op == "add" else -int(n)
    return total % int(m.group(3))


def solve(docs: list[dict]) -> list[int]:
    out = []
    for doc in docs:
        value = answer(doc["prompt"])
        out.append(only_index(doc["choices"], lambda c, value=value: int(c) == value))
    return out
