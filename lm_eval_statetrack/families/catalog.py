"""The word problem for every group of the catalog (opt-in; see ``group_catalog``).

Groups of order <= 128 are asked for the product itself, as in the ``wordproblem`` family:
tokens are element indices in the group's fixed order, every element is a choice::

    prompt:  "17 3 42 8 ="        choices: "0" ... "59"      answer: index of 17*3*42*8

Larger groups (S6-S9, A6-A9, PSL, Mathieu) cannot list every element as a choice. Their
steps come from a fixed alphabet of 64 distinct, uniformly drawn elements (token k = the k-th), and
the question is where point 0 goes under the product; the choices are the points::

    prompt:  "0 : 17 3 42 8 ="    choices: "0" ... "11"      answer: image of 0

All of these groups act transitively and faithfully, so for a non-solvable one the
question is still NC1-complete: Barrington's programs output either the identity or a
fixed element that moves some point. The trace holds the state after each step (element
index, or the tracked point's position).
"""

from __future__ import annotations

from functools import cache

from lm_eval_statetrack.algebra import Group, Perm
from lm_eval_statetrack.families import papers
from lm_eval_statetrack.families.base import Doc, Family, Variant, distinct
from lm_eval_statetrack.families.group_catalog import CATALOG, catalog_group, slug
from lm_eval_statetrack.families.wordproblem import SEPARATOR
from lm_eval_statetrack.rng import StableRandom, seed_from

ELEMENT_CHOICES_MAX = 128
ALPHABET_SIZE = 64
TRACKED_POINT = 0
LENGTHS = (16, 64, 256)
TEST_DOCS = 250
TRAIN_DOCS = 64


def task_mode(group: Group) -> str:
    """``element`` (the product is the answer) or ``point`` (the image of point 0 is)."""
    if group.order <= ELEMENT_CHOICES_MAX:
        return "element"
    if not group.is_transitive:
        raise ValueError(
            f"{group.name} has {group.order} elements (more than {ELEMENT_CHOICES_MAX} "
            "choices) and is not transitive, so one point's image would track only its orbit"
        )
    return "point"


@cache
def alphabet(group: Group) -> tuple[Perm, ...]:
    """The step tokens: every element in the fixed order, or 64 distinct elements drawn
    uniformly from the group's stabilizer chain (a pure function of the group's name)."""
    if task_mode(group) == "element":
        return group.elements
    rng = StableRandom(seed_from("catalog", "alphabet", group.name))
    steps: dict[Perm, None] = {}
    while len(steps) < ALPHABET_SIZE:
        steps[group.random_element(rng)] = None
    return tuple(steps)


@cache
def _names(n: int) -> tuple[str, ...]:
    """Shared strings for "0".."n-1", so traces of long words hold references, not copies."""
    return tuple(str(i) for i in range(n))


def _digits_per_draw(size: int) -> int:
    """How many base-``size`` digits one 64-bit draw holds."""
    k = 1
    while size ** (k + 1) <= 1 << 64:
        k += 1
    return k


@cache
def sample_words(variant: str, length: int, split: str, n: int) -> tuple[tuple[int, ...], ...]:
    """Distinct uniform words over the alphabet; train words never equal a test word.

    Each 64-bit draw is split into several uniform tokens (the digits of one uniform number
    below size^k), which keeps generating every catalog task fast.
    """
    group = catalog_group(variant)
    exclude = sample_words(variant, length, "test", TEST_DOCS) if split == "train" else ()
    rng = StableRandom(seed_from("catalog", group.name, length, split))
    size = len(alphabet(group))
    places = [size**i for i in range(_digits_per_draw(size))]  # least significant first
    top, draws = size ** len(places), -(-length // len(places))

    def draw() -> tuple[int, ...]:
        tokens: list[int] = []
        for _ in range(draws):
            x = rng.below(top)
            tokens += [x // place % size for place in places]
        return tuple(tokens[:length])

    return tuple(distinct(draw, n, exclude=exclude))


def make_doc(group: Group, word: tuple[int, ...]) -> Doc:
    tokens = _names(len(alphabet(group)))
    shown = " ".join([tokens[t] for t in word]) + SEPARATOR
    if task_mode(group) == "element":
        prompt, trace, n_choices = shown, group.prefix_products(word), group.order
    else:
        steps, point, trace = alphabet(group), TRACKED_POINT, []
        for token in word:
            point = steps[token][point]
            trace.append(point)
        prompt, n_choices = f"{TRACKED_POINT} : {shown}", group.degree
    names = _names(n_choices)
    return {
        "prompt": prompt,
        "choices": list(names),
        "answer": trace[-1],
        "group": group.name,
        "mode": task_mode(group),
        "word": list(word),
        "trace": [names[s] for s in trace],
    }


def generate(variant: str, length: int, split: str, n: int) -> list[Doc]:
    group = catalog_group(variant)
    return [make_doc(group, w) for w in sample_words(variant, length, split, n)]


def _variant(name: str) -> Variant:
    group = catalog_group(name)
    mode = task_mode(group)
    if mode == "element":
        question, chance = f"the product, one of {group.order} elements", 1 / group.order
    else:
        question = (
            f"where point {TRACKED_POINT} of {group.degree} goes; "
            f"steps from {ALPHABET_SIZE} fixed elements"
        )
        chance = 1 / group.degree
    series = " > ".join(map(str, group.derived_series))
    return Variant(
        name=slug(name),
        description=(
            f"{group.name}: order {group.order}, {group.classification}, derived series "
            f"{series}; asks {question}"
        ),
        complexity=group.word_problem_class,
        chance=chance,
        lengths=LENGTHS,
        hard=group.word_problem_class == "NC1-complete",
    )


NOTES = """\
## The catalog (opt-in)

Not part of `statetrack_*` or of the `statetrack` group: leaf tasks are named
`statetrack-catalog_<group>_len<L>` (run them all with `--tasks 'statetrack-catalog_*'`,
one group with `--tasks statetrack-catalog-psl-2-7`, everything with
`--tasks statetrack-catalog`). Group slugs: lower case, every other character a hyphen
(`PSL(2,7)` -> `psl-2-7`, `Z2^3` -> `z2-3`). D<n> is the dihedral group of order 2n.

Groups of order <= 128 ask for the product element (every element a choice); larger ones
ask where point 0 goes under a word over 64 fixed elements drawn uniformly from the group
(`lm_eval_statetrack.families.catalog.alphabet`). The complexity column is computed from
each group's derived series (Schreier-Sims and normal closures), not listed by hand.

Next to lm-eval's open `permutation_groups` proposal (94 groups downloaded from a hub),
the catalog has every family; its Z_p^1 are the cyclic Z_p here (`parse_group("Z5^1")`
gives Z5), and Z5^4 is left out: 625 elements are too many choices, and an abelian group
acts transitively only on as many points as it has elements, so one point's image would
track a single Z5 coordinate. `parse_group` still builds and classifies Z5^4.
"""


def _point_example(name: str = "PSL(2,7)", word: tuple[int, ...] = (0, 1, 2)) -> str:
    """A worked point-mode example, computed from the group's own alphabet."""
    group = catalog_group(name)
    steps, point, path = alphabet(group), TRACKED_POINT, [str(TRACKED_POINT)]
    for token in word:
        point = steps[token][point]
        path.append(str(point))
    shown = "\n".join(f"    token {t}: {steps[t]}" for t in sorted(set(word)))
    return (
        f"Worked example, {name} on {group.degree} points, prompt "
        f"`{TRACKED_POINT} : {' '.join(map(str, word))} =`; the first step tokens are\n\n"
        f"{shown}\n\npoint {TRACKED_POINT} goes {' -> '.join(path)}: the answer is "
        f"**{point}**."
    )


CONVENTIONS = f"""\
## Conventions: element numbers and the order of composition

As in the `wordproblem` family: an element is the tuple of its images of points 0..n-1,
**token k of an element task is the k-th element in lexicographic order of these tuples**
(token 0 is the identity), and **products act left to right** (in `g1 g2 =`, g1 acts
first). The numbering depends on the action `parse_group(name)` builds: S<n>, A<n> on
points 0..n-1; Z<n> as rotations (token k is x -> x+k); D<n> on the n vertices of an
n-gon; V4 and Q<2^k> regularly (Q: point i + m*j is a^i b^j); Z<p>^k on k blocks of p
points, the first block most significant; F<n> as maps x -> a*x + b on Z_p; PSL(n,q) on the
projective points; M11 and M12 on 11 and 12 points.

In a point task, **token k is the k-th of the 64 fixed elements**, in the order they were
drawn (from `StableRandom(seed_from("catalog", "alphabet", <group name>))`), and the answer
is where point {TRACKED_POINT} goes, the steps applied left to right. To print an element
task's numbering or a point task's 64 elements:

```python
from lm_eval_statetrack.families.group_catalog import catalog_group
from lm_eval_statetrack.families.catalog import alphabet

print(catalog_group("D4").elements)  # token k = elements[k]
print(alphabet(catalog_group("M11")))  # token k = alphabet(...)[k]
```

{_point_example()}

"""

FAMILY = Family(
    name="catalog",
    version=1,
    rendering="sym",
    description=(
        "The word problem for 94 named finite groups (symmetric, alternating, cyclic, "
        "dihedral, quaternion, elementary abelian, Frobenius, PSL(2,q), PSL(3,q), Mathieu), "
        "one token per step; opt-in."
    ),
    papers=(
        papers.MERRILL_2024,
        papers.BARRINGTON_1989,
    ),
    source=(
        "Merrill, Petty & Sabharwal, The Illusion of State in State-Space Models (ICML 2024); "
        "Barrington (1989) for the NC1-completeness of non-solvable groups"
    ),
    variants={v.name: v for v in map(_variant, CATALOG)},
    generate=generate,
    test_docs=TEST_DOCS,
    train_docs=TRAIN_DOCS,
    readme_notes=NOTES + "\n" + CONVENTIONS,
    opt_in=True,
    changelog=(
        "2026-11-30 (version 1, docs unchanged): the README states how tokens number the "
        "elements and the 64 fixed elements of point tasks, and which element acts first, "
        "with a worked example.",
    ),
)
