"""Every word-problem document, re-derived with sympy: zero mismatches.

Token k names the k-th element of the group in lexicographic order of image lists (the
documented order, rebuilt here from sympy's own enumeration); sympy's ``p * q`` applies p
first, as our words do. For the ``wordproblem`` family the groups come from sympy's own
constructors and every prefix of every word is multiplied with sympy. For the catalog,
small groups use a table of sympy products (each product of two elements computed once by
sympy), large groups apply sympy's permutations to the tracked point step by step, and the
first docs of each task are also multiplied out in full.
"""

from __future__ import annotations

from functools import reduce
from operator import mul
from pathlib import Path

import pytest
from sympy.combinatorics import Permutation, PermutationGroup
from sympy.combinatorics.group_constructs import DirectProduct
from sympy.combinatorics.named_groups import AlternatingGroup, CyclicGroup, SymmetricGroup

from lm_eval_statetrack.datasets import docs
from lm_eval_statetrack.families import get_family
from lm_eval_statetrack.families.base import SPLITS
from lm_eval_statetrack.families.catalog import TRACKED_POINT, alphabet, task_mode
from lm_eval_statetrack.families.group_catalog import CATALOG, catalog_group, slug

WORDPROBLEM_SYMPY = {
    "s5": SymmetricGroup(5),
    "a5": AlternatingGroup(5),
    "a4xz5": DirectProduct(AlternatingGroup(4), CyclicGroup(5)),
    "z60": CyclicGroup(60),
    "s3": SymmetricGroup(3),
    "z2": CyclicGroup(2),
}
FULL_PRODUCT_DOCS = 10  # per large-group task split: multiplied out in full with sympy


def sorted_elements(reference: PermutationGroup) -> list[Permutation]:
    elements = sorted(reference.generate(), key=lambda p: p.array_form)
    assert elements[0].is_Identity and len(elements) == reference.order()
    return elements


def all_docs(family: str, variant: str):
    """(position within its task split, doc) for every doc of every length and split."""
    for length in get_family(family).variant(variant).lengths:
        for split in SPLITS:
            yield from enumerate(docs(family, variant, length, split))


def words_shown(doc: dict, prefix: str = "") -> list[int]:
    """The tokens the model reads, parsed back from the prompt."""
    assert doc["prompt"].startswith(prefix) and doc["prompt"].endswith(" =")
    return [int(t) for t in doc["prompt"][len(prefix) : -2].split()]


def test_oracle_covers_every_wordproblem_variant():
    assert set(WORDPROBLEM_SYMPY) == set(get_family("wordproblem").variants)


@pytest.mark.parametrize("variant", WORDPROBLEM_SYMPY)
def test_every_wordproblem_doc_rederived_with_sympy(variant):
    reference = WORDPROBLEM_SYMPY[variant]
    elements = sorted_elements(reference)
    index = {tuple(p.array_form): i for i, p in enumerate(elements)}
    names = [str(i) for i in range(len(elements))]
    mismatches, checked = [], 0
    for _, doc in all_docs("wordproblem", variant):
        state, trace = elements[0], []
        for token in doc["word"]:
            state = state * elements[token]
            trace.append(names[index[tuple(state.array_form)]])
        if not _agrees(doc, names, trace):
            mismatches.append(doc["prompt"])
        checked += 1
    assert checked > 1000 and not mismatches, mismatches[:3]


def _agrees(doc: dict, names: list[str], trace: list[str]) -> bool:
    """The doc shows its word, offers every element, and its trace and answer are sympy's."""
    return (
        words_shown(doc) == doc["word"]
        and doc["choices"] == names
        and doc["trace"] == trace
        and doc["choices"][doc["answer"]] == trace[-1]
    )


@pytest.mark.parametrize("name", CATALOG)
def test_every_catalog_doc_rederived_with_sympy(name):
    group = catalog_group(name)
    reference = PermutationGroup([Permutation(list(p)) for p in group.generators])
    if task_mode(group) == "element":
        mismatches = _check_element_docs(slug(name), reference)
    else:
        mismatches = _check_point_docs(slug(name), reference, alphabet(group))
    assert not mismatches, mismatches[:3]


def _check_element_docs(variant: str, reference: PermutationGroup) -> list[str]:
    elements = sorted_elements(reference)
    index = {tuple(p.array_form): i for i, p in enumerate(elements)}
    table = [[index[tuple((a * b).array_form)] for b in elements] for a in elements]
    names = [str(i) for i in range(len(elements))]
    mismatches = []
    for _, doc in all_docs("catalog", variant):
        state, trace = 0, []
        for token in doc["word"]:
            state = table[state][token]
            trace.append(names[state])
        if not _agrees(doc, names, trace):
            mismatches.append(doc["prompt"])
    return mismatches


def _check_point_docs(variant: str, reference: PermutationGroup, steps) -> list[str]:
    perms = [Permutation(list(p)) for p in steps]
    assert all(reference.contains(p) for p in perms)
    names = [str(i) for i in range(reference.degree)]
    mismatches = []
    for position, doc in all_docs("catalog", variant):
        point, trace = TRACKED_POINT, []
        for token in doc["word"]:
            point = perms[token](point)
            trace.append(names[point])
        answer = doc["choices"][doc["answer"]]
        if position < FULL_PRODUCT_DOCS:
            product = reduce(mul, (perms[t] for t in doc["word"]))
            if names[product(TRACKED_POINT)] != answer:
                mismatches.append(doc["prompt"])
        if (
            words_shown(doc, f"{TRACKED_POINT} : ") != doc["word"]
            or doc["choices"] != names
            or doc["trace"] != trace
            or answer != trace[-1]
        ):
            mismatches.append(doc["prompt"])
    return mismatches


def _readme(family: str) -> str:
    return (Path(__file__).resolve().parents[1] / "task_yamls" / family / "README.md").read_text()


def test_readme_worked_examples_hold_in_sympy():
    """The conventions the wordproblem README states, checked against sympy, and the
    README's own numbers checked against the real docs' answers."""
    s3 = sorted_elements(SymmetricGroup(3))
    listed = [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]
    assert [tuple(p.array_form) for p in s3] == listed
    assert s3[1] * s3[2] == s3[3] and s3[2] * s3[1] == s3[4]  # "1 2 =" -> 3, "2 1 =" -> 4

    a4, z5 = sorted_elements(AlternatingGroup(4)), sorted_elements(CyclicGroup(5))
    product = sorted_elements(DirectProduct(AlternatingGroup(4), CyclicGroup(5)))
    for a, g in enumerate(a4):  # token = 5 x (A4 token) + (Z5 shift)
        for z, h in enumerate(z5):
            images = tuple(g.array_form) + tuple(4 + x for x in h.array_form)
            assert tuple(product[5 * a + z].array_form) == images
    assert product[7] * product[8] == product[10]
    assert tuple(a4[1].array_form) == (0, 2, 3, 1) and tuple(a4[2].array_form) == (0, 3, 1, 2)

    text = _readme("wordproblem")
    for claim in ("`1 2 =`", "**token 3**", "`7 8 =`", "**token 10**", "5 x (A4 token)"):
        assert claim in text, claim


def test_catalog_readme_point_example_holds_in_sympy():
    group = catalog_group("PSL(2,7)")
    perms = [Permutation(list(p)) for p in alphabet(group)[:3]]
    answer = reduce(mul, perms)(TRACKED_POINT)  # sympy: the first factor acts first
    text = _readme("catalog")
    assert "prompt `0 : 0 1 2 =`" in text and f"the answer is **{answer}**" in text
    for token, perm in enumerate(perms):
        assert f"token {token}: {tuple(perm.array_form)}" in text
