"""The group catalog: 94 named finite groups, every family of the permutation-group
benchmarks in the field, built offline by :mod:`lm_eval_statetrack.algebra`.

Symmetric S3-S9 and alternating A3-A9; cyclic Z2-Z30; dihedral D3-D20 (D<n> has order 2n);
V4; quaternion Q8, Q16, Q32; elementary abelian Z2^2-Z2^7, Z3^2-Z3^4, Z5^2-Z5^3; Frobenius
F20 and F21; PSL(2,q) for q = 2, 3, 4, 5, 7, 8, 9, 11, 13, 16; PSL(3,q) for q = 2-5; the
Mathieu groups M11 and M12. Each group's class (abelian, solvable, non-solvable) comes from
its derived series, computed, never listed.
"""

from __future__ import annotations

import re
from functools import cache

from lm_eval_statetrack.algebra import Group, parse_group

CATALOG: tuple[str, ...] = (
    *(f"S{n}" for n in range(3, 10)),
    *(f"A{n}" for n in range(3, 10)),
    *(f"Z{n}" for n in range(2, 31)),
    *(f"D{n}" for n in range(3, 21)),
    "V4",
    "Q8",
    "Q16",
    "Q32",
    *(f"Z2^{k}" for k in range(2, 8)),
    *(f"Z3^{k}" for k in range(2, 5)),
    *(f"Z5^{k}" for k in range(2, 4)),
    "F20",
    "F21",
    *(f"PSL(2,{q})" for q in (2, 3, 4, 5, 7, 8, 9, 11, 13, 16)),
    *(f"PSL(3,{q})" for q in (2, 3, 4, 5)),
    "M11",
    "M12",
)


def slug(name: str) -> str:
    """A task-name-safe form: ``PSL(2,7)`` -> ``psl-2-7``, ``Z2^3`` -> ``z2-3``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


SLUGS: dict[str, str] = {slug(name): name for name in CATALOG}


@cache
def catalog_group(name: str) -> Group:
    """A catalog group by name (any case) or slug; anything else lists the catalog."""
    key = slug(name)
    if key not in SLUGS:
        raise ValueError(
            f"{name!r} is not in the group catalog; catalog groups: {', '.join(CATALOG)} "
            "(any other group: lm_eval_statetrack.algebra.parse_group)"
        )
    return parse_group(SLUGS[key])
