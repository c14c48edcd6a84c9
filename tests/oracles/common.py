"""Helpers shared by the oracles: strict parsing and picking the one correct choice."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence


class OracleError(ValueError):
    """A prompt the oracle cannot read, or a doc without exactly one correct choice."""


def match(pattern: str, text: str, what: str) -> re.Match:
    """``re.fullmatch`` (DOTALL) or an OracleError naming what was being parsed."""
    m = re.fullmatch(pattern, text, re.DOTALL)
    if m is None:
        raise OracleError(f"cannot parse {what}: {text[:200]!r}")
    return m


def sentences(block: str) -> list[str]:
    """``"A. B."`` -> ``["A.", "B."]``; nothing may be left over."""
    parts = re.findall(r"[^.]+\.", block)
    if " ".join(p.strip() for p in parts) != block:
        raise OracleError(f"step block is not a list of sentences: {block[:200]!r}")
    return [p.strip() for p in parts]


def english_list(text: str) -> list[str]:
    """``"a, b and c"`` -> ``["a", "b", "c"]``."""
    head, sep, last = text.rpartition(" and ")
    return [*head.split(", "), last] if sep else [text]


def only_index(choices: Sequence, is_correct: Callable[[object], bool]) -> int:
    hits = [i for i, c in enumerate(choices) if is_correct(c)]
    if len(hits) != 1:
        raise OracleError(f"{len(hits)} correct choices among {list(choices)}")
    return hits[0]
