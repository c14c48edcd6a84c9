"""``process_results`` for the chess tasks whose score is not plain accuracy.

lm-eval calls these with the doc and the model's results: for a multiple-choice task one
``(loglikelihood, is_greedy)`` pair per choice, for a generation task the generated text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

SQUARE = re.compile(r"\b[a-h][1-8]\b")


def squares_in(text: str) -> set[str]:
    """The board squares named in a generation (``"f3, h3."`` -> {"f3", "h3"})."""
    return set(SQUARE.findall(text))


def endsquare_results(doc: dict, results: Sequence[tuple[float, bool]]) -> dict[str, float]:
    """Toshniwal et al. (2022): the model's ending square (its most likely choice) is a
    legal match (LgM) if the piece on the starting square can legally move there, and an
    exact match (ExM) if it is where the game's next move went. LgM comes first: it is the
    primary metric (a perfect state tracker scores 1), ExM is not fixed by the prompt."""
    scores = [loglikelihood for loglikelihood, _ in results]
    predicted = max(range(len(scores)), key=scores.__getitem__)
    return {
        "lgm": float(doc["choices"][predicted] in doc["targets"]),
        "exm": float(predicted == doc["answer"]),
    }


def legal_results(doc: dict, results: Sequence[str]) -> dict[str, float]:
    """BIG-bench chess_state_tracking style: the squares named must be exactly the legal
    destinations (any order, any separators)."""
    return {"set_match": float(squares_in(results[0]) == set(doc["targets"]))}
