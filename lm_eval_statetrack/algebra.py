"""Finite groups as permutation groups: S_n, A_n, Z_n and direct products.

A permutation of degree n is a tuple ``p`` with ``p[i]`` the image of point i. Products
act left to right, as sympy's do: ``compose(p, q)`` applies p first, then q, so the state
after a word g1..gk is ``g1 * ... * gk``. Elements are listed in lexicographic order of
their tuples, which puts the identity first and is the same on every machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

Perm = tuple[int, ...]


def identity(degree: int) -> Perm:
    return tuple(range(degree))


def compose(p: Perm, q: Perm) -> Perm:
    """p then q."""
    return tuple(q[i] for i in p)


def inverse(p: Perm) -> Perm:
    inv = [0] * len(p)
    for i, image in enumerate(p):
        inv[image] = i
    return tuple(inv)


def cycle(degree: int, *points: int) -> Perm:
    """The cycle (p0 p1 ... pk) on ``degree`` points."""
    image = list(range(degree))
    for a, b in zip(points, points[1:] + points[:1]):
        image[a] = b
    return tuple(image)


def commutator(a: Perm, b: Perm) -> Perm:
    return compose(compose(inverse(a), inverse(b)), compose(a, b))


def closure(generators: Iterable[Perm], degree: int, limit: int | None = None) -> set[Perm]:
    """All products of the generators (breadth first); ``limit`` guards against blow-up."""
    gens = [g for g in generators if g != identity(degree)]
    elements = {identity(degree)}
    frontier = [identity(degree)]
    while frontier:
        nxt = []
        for x in frontier:
            for g in gens:
                y = compose(x, g)
                if y not in elements:
                    elements.add(y)
                    nxt.append(y)
        if limit is not None and len(elements) > limit:
            raise ValueError(f"group has more than {limit} elements; too large to enumerate")
        frontier = nxt
    return elements


ENUMERATION_LIMIT = 50_000


@dataclass(frozen=True)
class Group:
    """A permutation group given by generators, with its elements in a fixed order."""

    name: str
    degree: int
    generators: tuple[Perm, ...]
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def elements(self) -> tuple[Perm, ...]:
        return tuple(sorted(closure(self.generators, self.degree, ENUMERATION_LIMIT)))

    @cached_property
    def index(self) -> dict[Perm, int]:
        return {p: i for i, p in enumerate(self.elements)}

    @property
    def order(self) -> int:
        return len(self.elements)

    @cached_property
    def table(self) -> tuple[tuple[int, ...], ...]:
        """Multiplication table on element indices: ``table[i][j]`` = index of e_i * e_j."""
        idx, els = self.index, self.elements
        return tuple(tuple(idx[compose(a, b)] for b in els) for a in els)

    def multiply(self, word: Sequence[int]) -> int:
        """Index of the product of a word of element indices (identity for the empty word)."""
        state, table = 0, self.table
        for g in word:
            state = table[state][g]
        return state

    def prefix_products(self, word: Sequence[int]) -> list[int]:
        """The state trace: index of g1*...*gk for k = 1..len(word)."""
        state, table, trace = 0, self.table, []
        for g in word:
            state = table[state][g]
            trace.append(state)
        return trace

    @cached_property
    def is_abelian(self) -> bool:
        gens = self.generators
        return all(compose(a, b) == compose(b, a) for a in gens for b in gens)

    @cached_property
    def derived_series(self) -> tuple[int, ...]:
        """Orders of G >= G' >= G'' >= ... until the series stops shrinking."""
        orders = []
        current = set(self.elements)
        while True:
            orders.append(len(current))
            gens = {commutator(a, b) for a in current for b in current}
            derived = closure(gens, self.degree)
            if len(derived) == len(current):
                return tuple(orders)
            current = derived

    @property
    def is_solvable(self) -> bool:
        return self.derived_series[-1] == 1

    @property
    def classification(self) -> str:
        if self.is_abelian:
            return "abelian"
        return "solvable" if self.is_solvable else "non-solvable"

    @property
    def word_problem_class(self) -> str:
        """Barrington (1989): NC1-complete iff the group is non-solvable; TC0 otherwise."""
        return "TC0" if self.is_solvable else "NC1-complete"


def symmetric(n: int) -> Group:
    gens = (cycle(n, 0, 1), cycle(n, *range(n))) if n > 1 else ()
    return Group(f"S{n}", n, gens)


def alternating(n: int) -> Group:
    gens = tuple(cycle(n, 0, 1, i) for i in range(2, n))
    return Group(f"A{n}", n, gens)


def cyclic(n: int) -> Group:
    return Group(f"Z{n}", n, (cycle(n, *range(n)),) if n > 1 else ())


def direct_product(*groups: Group) -> Group:
    """Factors act on disjoint blocks of points."""
    degree = sum(g.degree for g in groups)
    gens, offset = [], 0
    for g in groups:
        for p in g.generators:
            image = list(range(degree))
            for i, j in enumerate(p):
                image[offset + i] = offset + j
            gens.append(tuple(image))
        offset += g.degree
    return Group("x".join(g.name for g in groups), degree, tuple(gens))


_FACTOR = re.compile(r"^([SAZ])(\d+)$")
_BUILDERS = {"S": symmetric, "A": alternating, "Z": cyclic}


def parse_group(name: str) -> Group:
    """``S5``, ``A5``, ``Z60`` or a product such as ``A4xZ5`` (case-insensitive)."""
    factors = []
    for part in name.strip().upper().split("X"):
        match = _FACTOR.match(part)
        if not match or int(match.group(2)) < 1:
            raise ValueError(
                f"unknown group {name!r}: use S<n>, A<n> or Z<n> (n >= 1), "
                "or a direct product joined by 'x' such as A4xZ5"
            )
        factors.append(_BUILDERS[match.group(1)](int(match.group(2))))
    return factors[0] if len(factors) == 1 else direct_product(*factors)
