"""Replays write / ignore / read instructions on one stored bit."""

from __future__ import annotations

from oracles.common import OracleError, match, only_index


def answer(prompt: str) -> str:
    m = match(
        r"A memory cell stores one bit\..*\nInstructions: (.+)\.\n"
        r"Question: What does a read give now\?\nAnswer:",
        prompt,
        "flipflop prompt",
    )
    stored = None
    for i, instruction in enumerate(m.group(1).split(", ")):
        op, bit = match(r"(write|ignore|read) ([01])", instruction, "instruction").groups()
        if op == "write":
            stored = bit
        elif op == "read" and bit != stored:
            raise OracleError(f"instruction {i}: read shows {bit}, the cell holds {stored}")
    if stored is None:
        raise OracleError("no write before the question")
    return stored


def solve(docs: list[dict]) -> list[int]:
    out = []
    for doc in docs:
        bit = answer(doc["prompt"])
        out.append(only_index(doc["choices"], lambda c, bit=bit: c == bit))
    return out
