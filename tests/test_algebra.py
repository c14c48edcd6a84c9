"""Our groups against sympy's permutation groups: orders, classification, derived series,
membership, multiplication, and that each construction builds the group it is named after."""

from __future__ import annotations

import math

import pytest
from sympy.combinatorics import Permutation, PermutationGroup
from sympy.combinatorics.group_constructs import DirectProduct
from sympy.combinatorics.named_groups import (
    AbelianGroup,
    AlternatingGroup,
    CyclicGroup,
    DihedralGroup,
    SymmetricGroup,
)

from lm_eval_statetrack.algebra import (
    ENUMERATION_LIMIT,
    GaloisField,
    StabilizerChain,
    identity,
    parse_group,
)
from lm_eval_statetrack.families.catalog import ALPHABET_SIZE, alphabet, task_mode
from lm_eval_statetrack.families.group_catalog import CATALOG, SLUGS, catalog_group, slug
from lm_eval_statetrack.families.wordproblem import GROUPS
from lm_eval_statetrack.rng import StableRandom


def sympy_group(group) -> PermutationGroup:
    """The same generators as a sympy group (identity for a trivial group)."""
    gens = [Permutation(list(p)) for p in group.generators]
    return PermutationGroup(gens or [Permutation(list(identity(group.degree)))])


@pytest.mark.parametrize("name", list(dict.fromkeys([*CATALOG, *GROUPS.values()])))
def test_order_and_classification_match_sympy(name):
    group = parse_group(name)
    reference = sympy_group(group)
    assert group.order == reference.order()
    assert group.is_abelian == reference.is_abelian
    assert group.is_solvable == reference.is_solvable
    series = reference.derived_series()
    assert len(group.derived_series) == len(series)
    assert list(group.derived_series) == [g.order() for g in series]
    assert group.word_problem_class == ("TC0" if reference.is_solvable else "NC1-complete")


def test_catalog_covers_the_rival_families_with_94_distinct_names():
    assert len(CATALOG) == len(set(CATALOG)) == len(SLUGS) == 94
    classes = [catalog_group(n).classification for n in CATALOG]
    assert classes.count("non-solvable") == 24
    assert classes.count("abelian") + classes.count("solvable") == 70


SYMPY_NAMED = {
    "S7": SymmetricGroup(7),
    "S9": SymmetricGroup(9),
    "A8": AlternatingGroup(8),
    "A9": AlternatingGroup(9),
    "Z30": CyclicGroup(30),
    "D3": DihedralGroup(3),
    "D20": DihedralGroup(20),
    "V4": DihedralGroup(2),  # sympy's D2 is the Klein four-group on 4 points
    "Z2^7": AbelianGroup(*[2] * 7),
    "Z3^4": AbelianGroup(3, 3, 3, 3),
    "Z5^3": AbelianGroup(5, 5, 5),
    "A4xZ5": DirectProduct(AlternatingGroup(4), CyclicGroup(5)),
}


@pytest.mark.parametrize("name", SYMPY_NAMED)
def test_named_constructions_equal_sympys_groups(name):
    assert sympy_group(parse_group(name)).equals(SYMPY_NAMED[name])


@pytest.mark.parametrize("name", ["Q8", "Q16", "Q32"])
def test_quaternion_groups_are_non_abelian_two_groups_with_one_involution(name):
    # a 2-group with a single involution is cyclic or generalised quaternion
    reference = sympy_group(parse_group(name))
    order = int(name[1:])
    assert reference.order() == order and not reference.is_abelian
    assert sum(1 for p in reference.elements if p.order() == 2) == 1


@pytest.mark.parametrize("name, p, d", [("F20", 5, 4), ("F21", 7, 3)])
def test_frobenius_groups_are_transitive_and_no_element_fixes_two_points(name, p, d):
    reference = sympy_group(parse_group(name))
    assert reference.degree == p and reference.order() == p * d and reference.is_transitive()
    fixed = [sum(g.array_form[i] == i for i in range(g.size)) for g in reference.elements]
    assert sorted(set(fixed)) == [0, 1, p]  # 1 for complements' elements, p for the identity


def psl_order(n: int, q: int) -> int:
    sl = q ** (n * (n - 1) // 2) * math.prod(q**i - 1 for i in range(2, n + 1))
    return sl // math.gcd(n, q - 1)


@pytest.mark.parametrize("name", [n for n in CATALOG if n.startswith("PSL")])
def test_psl_has_the_textbook_order_and_is_perfect_beyond_the_two_small_cases(name):
    n, q = map(int, name[4:-1].split(","))
    reference = sympy_group(parse_group(name))
    assert reference.degree == (q**n - 1) // (q - 1)
    assert reference.order() == psl_order(n, q)
    assert reference.is_perfect == (name not in ("PSL(2,2)", "PSL(2,3)"))
    assert reference.transitivity_degree >= 2


@pytest.mark.parametrize("name, order, transitivity", [("M11", 7920, 4), ("M12", 95040, 5)])
def test_mathieu_groups(name, order, transitivity):
    reference = sympy_group(parse_group(name))
    assert reference.order() == order and reference.is_perfect
    assert reference.transitivity_degree == transitivity


@pytest.mark.parametrize("q", [4, 8, 9, 16, 25, 27])
def test_galois_field_axioms_and_cyclic_multiplicative_group(q):
    field = GaloisField(q)
    elements = range(q)
    add, mul = field.add, field.mul
    for a in elements:
        for b in elements:
            assert mul(a, b) == mul(b, a) and add(a, b) == add(b, a)
            for c in elements:
                assert mul(a, add(b, c)) == add(mul(a, b), mul(a, c))
                assert mul(a, mul(b, c)) == mul(mul(a, b), c)
                assert add(a, add(b, c)) == add(add(a, b), c)
        if a:
            assert field.mul(a, field.inverse(a)) == 1
    powers = {1}
    generator = next(g for g in range(2, q) if _mult_order(field, g) == q - 1)
    x = 1
    for _ in range(q - 2):
        x = field.mul(x, generator)
        powers.add(x)
    assert powers == set(range(1, q))


def _mult_order(field, g):
    x, k = g, 1
    while x != 1:
        x, k = field.mul(x, g), k + 1
    return k


@pytest.mark.parametrize("variant", GROUPS)
def test_wordproblem_groups_element_order_and_table_match_sympy(variant):
    group = parse_group(GROUPS[variant])
    reference = sympy_group(group)
    perms = [Permutation(list(p)) for p in group.elements]
    assert group.elements[0] == identity(group.degree)
    assert list(group.elements) == sorted(group.elements)
    assert len(perms) == reference.order() and all(reference.contains(p) for p in perms)
    index = {tuple(p.array_form): i for i, p in enumerate(perms)}
    for i, a in enumerate(perms):
        assert [index[tuple((a * b).array_form)] for b in perms] == list(group.table[i])


def test_membership_agrees_with_sympy_on_large_groups():
    rng = StableRandom(7)
    for name, other in (("A9", "S9"), ("M11", "S11"), ("PSL(3,5)", "S31"), ("M12", "A12")):
        group, ambient = parse_group(name), parse_group(other)
        reference = sympy_group(group)
        for _ in range(20):
            p = ambient.random_element(rng)
            assert group.contains(p) == reference.contains(Permutation(list(p)))
            q = group.random_element(rng)
            assert group.contains(q) and reference.contains(Permutation(list(q)))


def test_chain_of_a_generating_set_grown_one_generator_at_a_time():
    chain = StabilizerChain((), 12)
    assert chain.order == 1
    m12 = parse_group("M12")
    assert [chain.add_generator(g) for g in m12.generators] == [True, True, True]
    assert chain.order == 95040 and not chain.add_generator(m12.generators[0])


@pytest.mark.parametrize("name", [n for n in CATALOG if task_mode(catalog_group(n)) == "point"])
def test_point_task_alphabet_generates_the_whole_group(name):
    group = catalog_group(name)
    steps = alphabet(group)
    assert len(steps) == len(set(steps)) == ALPHABET_SIZE
    assert PermutationGroup([Permutation(list(p)) for p in steps]).order() == group.order


def test_large_groups_are_not_enumerated():
    with pytest.raises(ValueError, match="ENUMERATION_LIMIT"):
        _ = parse_group("S9").elements
    assert parse_group("S9").order > ENUMERATION_LIMIT


def test_intransitive_group_too_large_for_element_choices_is_refused():
    with pytest.raises(ValueError, match="not transitive"):
        task_mode(parse_group("Z5^4"))


@pytest.mark.parametrize("name", CATALOG)
def test_every_catalog_name_parses_in_any_case_and_by_slug(name):
    group = catalog_group(name)
    assert parse_group(name).name == name == group.name
    assert parse_group(name.lower()).name == name
    assert catalog_group(slug(name)).name == name


def test_aliases_and_products():
    assert parse_group("c7").name == "Z7"
    assert parse_group("Z2^1").name == "Z2"
    assert parse_group("D4xZ3").order == 24
    assert parse_group("psl(2, 7) x z2").order == 336


@pytest.mark.parametrize(
    "name, reason",
    [
        ("T5", "'T5' is not a group name"),
        ("D2", "D<n> needs n >= 3"),
        ("Q12", "power of two"),
        ("F22x", "'' is not a group name"),
        ("F24", "Frobenius"),
        ("PSL(2,6)", "prime power"),
        ("M13", "'M13' is not a group name"),
    ],
)
def test_bad_names_explain_and_list_the_valid_forms(name, reason):
    with pytest.raises(ValueError, match="valid forms are S<n>.*PSL") as err:
        parse_group(name)
    assert reason in str(err.value)


def test_unknown_catalog_name_lists_the_catalog():
    with pytest.raises(ValueError, match="catalog groups: S3, S4"):
        catalog_group("S10")
