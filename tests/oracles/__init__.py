"""Independent oracles for the nl families: each reads only a doc's rendered ``prompt``
and ``choices`` (never the generator's internals or its ``answer``), replays the state
with its own code, and returns the index of the one choice that is correct.

``ORACLES[family](docs)`` -> list of indices; a prompt or choice that does not parse, or
a doc where no choice or several choices are correct, raises ``OracleError``.
"""

from __future__ import annotations

from oracles import boxes, code, flipflop, modarith, parity, shuffle
from oracles.common import OracleError

ORACLES = {
    "shuffle": shuffle.solve,
    "boxes": boxes.solve,
    "code": code.solve,
    "flipflop": flipflop.solve,
    "parity": parity.solve,
    "modarith": modarith.solve,
}

__all__ = ["ORACLES", "OracleError"]
