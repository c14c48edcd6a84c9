"""Finite groups as permutation groups: constructions, orders and classification.

A permutation of degree n is a tuple ``p`` with ``p[i]`` the image of point i. Products
act left to right, as sympy's do: ``compose(p, q)`` applies p first, then q, so the state
after a word g1..gk is ``g1 * ... * gk``. Elements are listed in lexicographic order of
their tuples, which puts the identity first and is the same on every machine.

Groups too large to list (S9 has 362,880 elements) are handled through a base and strong
generating set (Schreier-Sims): order, membership, uniform random elements and the derived
series (hence abelian / solvable / non-solvable) never enumerate the group.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import product

from lm_eval_statetrack.rng import StableRandom

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


def from_cycles(degree: int, *cycles: Sequence[int]) -> Perm:
    """The product of disjoint cycles, e.g. ``from_cycles(4, (0, 1), (2, 3))``."""
    image = list(range(degree))
    for c in cycles:
        for a, b in zip(c, tuple(c[1:]) + tuple(c[:1])):
            image[a] = b
    return tuple(image)


def commutator(a: Perm, b: Perm) -> Perm:
    return compose(compose(inverse(a), inverse(b)), compose(a, b))


def closure(generators: Iterable[Perm], degree: int) -> set[Perm]:
    """All products of the generators (breadth first)."""
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
        frontier = nxt
    return elements


class StabilizerChain:
    """A base and strong generating set, built by deterministic Schreier-Sims.

    Level i holds the base point ``base[i]``, the strong generators that fix
    ``base[:i]``, and a transversal: for each point of the orbit of ``base[i]`` one element
    ``u`` of that stabilizer with ``u[base[i]] == point``. The group order is the product
    of the orbit lengths. Construction follows Holt, Eick & O'Brien, *Handbook of
    Computational Group Theory* (2005), section 4.4.1, and skips Schreier generators that
    were already sifted (their transversal elements never change, the subgroups only grow).
    """

    def __init__(self, generators: Iterable[Perm], degree: int) -> None:
        self.degree = degree
        self.base: list[int] = []
        self.strong: list[list[Perm]] = []
        self.transversal: list[dict[int, Perm]] = []
        self._inverse: list[dict[int, Perm]] = []
        self._checked: list[set[tuple[int, int]]] = []
        for g in generators:
            self.add_generator(g)

    @property
    def order(self) -> int:
        return math.prod(len(t) for t in self.transversal)

    def sift(self, g: Perm, start: int = 0) -> tuple[Perm, int]:
        """Strip g through the levels from ``start``; (residue, level it stopped at)."""
        for level in range(start, len(self.base)):
            beta = g[self.base[level]]
            u_inv = self._inverse[level].get(beta)
            if u_inv is None:
                return g, level
            g = compose(g, u_inv)
        return g, len(self.base)

    def contains(self, g: Perm) -> bool:
        return len(g) == self.degree and self.sift(g)[0] == identity(self.degree)

    def add_generator(self, g: Perm) -> bool:
        """Extend the group by g; False (and nothing changes) when g is already a member."""
        residue, level = self.sift(g)
        if residue == identity(self.degree):
            return False
        self._add_strong(residue, 0, level)
        self._complete(level)
        return True

    def random_element(self, rng: StableRandom) -> Perm:
        """A uniform element: one uniform transversal element per level, multiplied
        deepest level first (every element factors uniquely that way)."""
        p = identity(self.degree)
        for level in reversed(range(len(self.base))):
            points = list(self.transversal[level])
            p = compose(p, self.transversal[level][points[rng.below(len(points))]])
        return p

    def _add_strong(self, g: Perm, first: int, last: int) -> None:
        """Add g (which fixes ``base[:last]``) to levels first..last, opening a level if
        g fixes every base point."""
        if last == len(self.base):
            point = next(i for i, image in enumerate(g) if image != i)
            self.base.append(point)
            self.strong.append([])
            self.transversal.append({point: identity(self.degree)})
            self._inverse.append({point: identity(self.degree)})
            self._checked.append(set())
        for level in range(first, last + 1):
            self.strong[level].append(g)
            self._grow_orbit(level)

    def _grow_orbit(self, level: int) -> None:
        trans, inv, gens = self.transversal[level], self._inverse[level], self.strong[level]
        queue = list(trans)
        for point in queue:
            for s in gens:
                image = s[point]
                if image not in trans:
                    trans[image] = compose(trans[point], s)
                    inv[image] = inverse(trans[image])
                    queue.append(image)

    def _complete(self, level: int) -> None:
        """Make every level up to ``level`` hold a strong generating set (levels above are)."""
        while level >= 0:
            restarted = False
            trans, checked = self.transversal[level], self._checked[level]
            for point, u in list(trans.items()):
                for k, s in enumerate(self.strong[level]):
                    if (point, k) in checked:
                        continue
                    checked.add((point, k))
                    h = compose(compose(u, s), self._inverse[level][s[point]])
                    residue, stop = self.sift(h, level + 1)
                    if residue != identity(self.degree):
                        self._add_strong(residue, level + 1, stop)
                        level, restarted = stop, True
                        break
                if restarted:
                    break
            if not restarted:
                level -= 1


def normal_closure(
    generators: Iterable[Perm], ambient: Sequence[Perm], degree: int
) -> tuple[list[Perm], StabilizerChain]:
    """Generators and chain of the smallest subgroup containing ``generators`` that is
    normalised by every element of ``ambient`` (conjugating by generators suffices)."""
    chain = StabilizerChain((), degree)
    gens: list[Perm] = []
    queue = list(generators)
    while queue:
        x = queue.pop(0)
        if chain.add_generator(x):
            gens.append(x)
            queue.extend(compose(compose(inverse(g), x), g) for g in ambient)
    return gens, chain


def derived_subgroup(generators: Sequence[Perm], degree: int) -> tuple[list[Perm], int]:
    """Generators and order of [G, G]: the normal closure of the generators' commutators."""
    pairs = [commutator(a, b) for i, a in enumerate(generators) for b in generators[i + 1 :]]
    gens, chain = normal_closure(pairs, generators, degree)
    return gens, chain.order


ENUMERATION_LIMIT = 50_000


@dataclass(frozen=True)
class Group:
    """A permutation group given by generators, with its elements in a fixed order."""

    name: str
    degree: int
    generators: tuple[Perm, ...]

    @cached_property
    def chain(self) -> StabilizerChain:
        return StabilizerChain(self.generators, self.degree)

    @cached_property
    def order(self) -> int:
        return self.chain.order

    def contains(self, p: Perm) -> bool:
        return self.chain.contains(tuple(p))

    @cached_property
    def elements(self) -> tuple[Perm, ...]:
        if self.order > ENUMERATION_LIMIT:
            raise ValueError(
                f"{self.name} has {self.order} elements, more than ENUMERATION_LIMIT "
                f"({ENUMERATION_LIMIT}); work with its stabilizer chain instead"
            )
        return tuple(sorted(closure(self.generators, self.degree)))

    @cached_property
    def index(self) -> dict[Perm, int]:
        return {p: i for i, p in enumerate(self.elements)}

    @cached_property
    def table(self) -> tuple[tuple[int, ...], ...]:
        """Multiplication table on element indices: ``table[i][j]`` = index of e_i * e_j."""
        idx, els = self.index, self.elements
        return tuple(tuple(idx[compose(a, b)] for b in els) for a in els)

    def prefix_products(self, word: Sequence[int]) -> list[int]:
        """The state trace: index of g1*...*gk for k = 1..len(word)."""
        state, table, trace = 0, self.table, []
        for g in word:
            state = table[state][g]
            trace.append(state)
        return trace

    def random_element(self, rng: StableRandom) -> Perm:
        return self.chain.random_element(rng)

    @cached_property
    def is_transitive(self) -> bool:
        orbit, queue = {0}, [0]
        for point in queue:
            for g in self.generators:
                if g[point] not in orbit:
                    orbit.add(g[point])
                    queue.append(g[point])
        return len(orbit) == self.degree

    @cached_property
    def is_abelian(self) -> bool:
        gens = self.generators
        return all(compose(a, b) == compose(b, a) for a in gens for b in gens)

    @cached_property
    def derived_series(self) -> tuple[int, ...]:
        """Orders of G >= G' >= G'' >= ... until the series stops shrinking."""
        orders, gens = [self.order], list(self.generators)
        while True:
            gens, order = derived_subgroup(gens, self.degree)
            if order == orders[-1]:
                return tuple(orders)
            orders.append(order)

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


# --- Constructions ----------------------------------------------------------------------


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


def direct_power(group: Group, k: int) -> Group:
    """G^k, e.g. the elementary abelian group Z2^3; G^1 is G itself."""
    if k == 1:
        return group
    return Group(f"{group.name}^{k}", group.degree * k, direct_product(*[group] * k).generators)


def dihedral(n: int) -> Group:
    """D<n>: the 2n symmetries of a regular n-gon, acting on its n vertices."""
    return Group(f"D{n}", n, (cycle(n, *range(n)), tuple((-i) % n for i in range(n))))


def klein_four() -> Group:
    """V4 in its regular action on 4 points."""
    return Group("V4", 4, (from_cycles(4, (0, 1), (2, 3)), from_cycles(4, (0, 2), (1, 3))))


def quaternion(order: int) -> Group:
    """Q<2^k> = <a, b | a^m = 1, b^2 = a^(m/2), b^-1 a b = a^-1> (m = order/2), acting on
    itself by right multiplication; point i + m*j is the element a^i b^j."""
    m = order // 2

    def times(i: int, j: int, i2: int, j2: int) -> tuple[int, int]:
        if j == 0:
            return (i + i2) % m, j2
        if j2 == 0:  # b a^i2 = a^-i2 b
            return (i - i2) % m, 1
        return (i - i2 + m // 2) % m, 0  # b b = a^(m/2)

    def right(i2: int, j2: int) -> Perm:
        image = [0] * order
        for j in (0, 1):
            for i in range(m):
                a, b = times(i, j, i2, j2)
                image[i + m * j] = a + m * b
        return tuple(image)

    return Group(f"Q{order}", order, (right(1, 0), right(0, 1)))


def frobenius(n: int) -> Group:
    """F<n>, n = p*d with d | p-1: the maps x -> a*x + b on Z_p whose multiplier a lies in
    the subgroup of order d of Z_p^* (F20 = AGL(1,5), F21 = Z7 : Z3), acting on p points."""
    p, d = _frobenius_split(n)
    root = next(r for r in range(2, p) if _multiplicative_order(r, p) == p - 1)
    a = pow(root, (p - 1) // d, p)
    return Group(f"F{n}", p, (cycle(p, *range(p)), tuple(a * x % p for x in range(p))))


def projective_special_linear(n: int, q: int) -> Group:
    """PSL(n, q) acting on the (q^n - 1)/(q - 1) points of projective (n-1)-space over
    GF(q), generated by the elementary transvections x_j += t * x_i (t over a basis of GF(q)
    over its prime field), which generate SL(n, q)."""
    field_ = GaloisField(q)
    points = sorted(v for v in product(range(q), repeat=n) if any(v) and v[_lead(v)] == 1)
    index = {v: i for i, v in enumerate(points)}

    def normalise(v: list[int]) -> tuple[int, ...]:
        scale = field_.inverse(v[_lead(v)])
        return tuple(field_.mul(x, scale) for x in v)

    gens = []
    for i, j in product(range(n), repeat=2):
        if i == j:
            continue
        for t in field_.additive_basis:
            image = []
            for v in points:
                w = list(v)
                w[j] = field_.add(w[j], field_.mul(t, w[i]))
                image.append(index[normalise(w)])
            gens.append(tuple(image))
    return Group(f"PSL({n},{q})", len(points), tuple(dict.fromkeys(gens)))


MATHIEU_GENERATORS = {
    # The classical generators on points 1..12, shifted to 0..11: x -> x+1 mod 11,
    # (3,7,11,8)(4,10,5,6) generate M11; adding (1,12)(2,11)(3,6)(4,8)(5,9)(7,10) gives M12.
    11: ((tuple(range(11)),), ((2, 6, 10, 7), (3, 9, 4, 5))),
    12: (
        (tuple(range(11)),),
        ((2, 6, 10, 7), (3, 9, 4, 5)),
        ((0, 11), (1, 10), (2, 5), (3, 7), (4, 8), (6, 9)),
    ),
}


def mathieu(n: int) -> Group:
    """M11 (order 7920) or M12 (order 95040) on n points."""
    return Group(f"M{n}", n, tuple(from_cycles(n, *c) for c in MATHIEU_GENERATORS[n]))


# --- Small number theory and GF(q) ------------------------------------------------------


def prime_power(q: int) -> tuple[int, int] | None:
    """(p, k) with q = p^k, or None."""
    for p in range(2, q + 1):
        if q % p == 0:
            k = 0
            while q % p == 0:
                q, k = q // p, k + 1
            return (p, k) if q == 1 else None
    return None


def _multiplicative_order(a: int, p: int) -> int:
    k, x = 1, a % p
    while x != 1:
        x, k = x * a % p, k + 1
    return k


def _frobenius_split(n: int) -> tuple[int, int]:
    """n = p*d with p prime and 2 <= d, d | p-1 (unique: p is n's only prime factor above
    sqrt(n)); a ValueError otherwise."""
    for p in range(n, 1, -1):
        if n % p == 0 and prime_power(p) == (p, 1):
            d = n // p
            if d >= 2 and (p - 1) % d == 0:
                return p, d
            break
    raise ValueError(f"F{n}: Frobenius groups F<p*d> need a prime p and 2 <= d dividing p-1")


def _lead(v: Sequence[int]) -> int:
    return next(i for i, x in enumerate(v) if x)


class GaloisField:
    """GF(q), q = p^k: elements 0..q-1 are polynomials over Z_p in base-p digits, reduced
    modulo the first monic irreducible polynomial of degree k (in base-p order)."""

    def __init__(self, q: int) -> None:
        pk = prime_power(q)
        if pk is None:
            raise ValueError(f"GF({q}): the field size must be a prime power")
        self.q, (self.p, self.k) = q, pk
        self._add = [[self._digits_add(a, b) for b in range(q)] for a in range(q)]
        for low in range(self.p**self.k):  # candidate modulus x^k + (low as digits)
            mul = [[self._mulmod(a, b, low) for b in range(q)] for a in range(q)]
            if all(mul[a][b] for a in range(1, q) for b in range(1, q)):
                self._mul = mul
                break
        self._inv = {a: next(b for b in range(1, q) if self._mul[a][b] == 1) for a in range(1, q)}
        self.additive_basis = tuple(self.p**i for i in range(self.k))

    def add(self, a: int, b: int) -> int:
        return self._add[a][b]

    def mul(self, a: int, b: int) -> int:
        return self._mul[a][b]

    def inverse(self, a: int) -> int:
        return self._inv[a]

    def _digits(self, a: int) -> list[int]:
        return [a // self.p**i % self.p for i in range(self.k)]

    def _number(self, digits: Sequence[int]) -> int:
        return sum(c * self.p**i for i, c in enumerate(digits))

    def _digits_add(self, a: int, b: int) -> int:
        return self._number([(x + y) % self.p for x, y in zip(self._digits(a), self._digits(b))])

    def _mulmod(self, a: int, b: int, low: int) -> int:
        p, k = self.p, self.k
        prod = [0] * (2 * k)
        for i, x in enumerate(self._digits(a)):
            for j, y in enumerate(self._digits(b)):
                prod[i + j] = (prod[i + j] + x * y) % p
        modulus = self._digits(low)  # x^k = -(modulus)
        for top in range(2 * k - 1, k - 1, -1):
            c, prod[top] = prod[top], 0
            for i, m in enumerate(modulus):
                prod[top - k + i] = (prod[top - k + i] - c * m) % p
        return self._number(prod[:k])


# --- Names ------------------------------------------------------------------------------

NAME_FORMS = (
    "S<n> and A<n> (n >= 1), Z<n> or C<n> (cyclic), Z<n>^<k> (direct power, e.g. Z2^3), "
    "D<n> (n >= 3; the 2n symmetries of an n-gon), Q<2^k> (quaternion, order >= 8), V4, "
    "F<p*d> (Frobenius, d | p-1, e.g. F20, F21), PSL(<n>,<q>) (n >= 2, q a prime power), "
    "M11, M12, or a direct product joined by 'x' such as A4xZ5"
)


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise ValueError(reason)


def _positive(build, kind: str):
    def checked(n: int) -> Group:
        _require(n >= 1, f"{kind}<n> needs n >= 1")
        return build(n)

    return checked


def _power(n: int, k: int) -> Group:
    _require(n >= 1 and k >= 1, "Z<n>^<k> needs n >= 1 and k >= 1")
    return direct_power(cyclic(n), k)


def _dihedral(n: int) -> Group:
    _require(n >= 3, "D<n> needs n >= 3 (D<n> is the symmetry group of an n-gon, order 2n)")
    return dihedral(n)


def _quaternion(order: int) -> Group:
    _require(order >= 8 and order & (order - 1) == 0, "Q<n> needs n a power of two, n >= 8")
    return quaternion(order)


def _psl(n: int, q: int) -> Group:
    _require(n >= 2 and prime_power(q) is not None, "PSL(n,q) needs n >= 2, q a prime power")
    return projective_special_linear(n, q)


_FACTORS = (
    (re.compile(r"S(\d+)"), _positive(symmetric, "S")),
    (re.compile(r"A(\d+)"), _positive(alternating, "A")),
    (re.compile(r"[ZC](\d+)"), _positive(cyclic, "Z")),
    (re.compile(r"[ZC](\d+)\^(\d+)"), _power),
    (re.compile(r"D(\d+)"), _dihedral),
    (re.compile(r"Q(\d+)"), _quaternion),
    (re.compile(r"V4"), klein_four),
    (re.compile(r"F(\d+)"), frobenius),
    (re.compile(r"PSL\((\d+),(\d+)\)"), _psl),
    (re.compile(r"M(11|12)"), mathieu),
)


def _parse_factor(text: str) -> Group:
    for pattern, build in _FACTORS:
        match = pattern.fullmatch(text.upper())
        if match:
            return build(*map(int, match.groups()))
    raise ValueError(f"{text!r} is not a group name")


def parse_group(name: str) -> Group:
    """A group by name (case-insensitive): ``S5``, ``Z60``, ``Z2^3``, ``D8``, ``Q16``,
    ``F20``, ``PSL(2,7)``, ``M11`` or a direct product such as ``A4xZ5``."""
    factors = []
    for part in re.split("[xX]", name.replace(" ", "")):
        try:
            factors.append(_parse_factor(part))
        except ValueError as err:
            raise ValueError(
                f"unknown group {name!r} ({err}): valid forms are {NAME_FORMS}"
            ) from None
    return factors[0] if len(factors) == 1 else direct_product(*factors)
