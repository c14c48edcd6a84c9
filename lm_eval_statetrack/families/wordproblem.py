"""The word problem for a finite group: the paper's main experiment.

Example (A5, length 4; elements are named by their index in the group's fixed order,
identity = 0)::

    prompt:  "17 3 42 8 ="      choices: "0" ... "59"      answer: the index of 17*3*42*8

The ``sym`` rendering spends one token per element, as in Merrill et al. (2024), for
models trained on the task. S5 and A5 are NC1-complete; A4xZ5 (solvable), Z60, S3
(solvable) and Z2 (parity) are the TC0 controls.
"""

from __future__ import annotations

from functools import cache

from lm_eval_statetrack.algebra import Group, parse_group
from lm_eval_statetrack.families import papers
from lm_eval_statetrack.families.base import Doc, Family, Variant, distinct
from lm_eval_statetrack.rng import StableRandom, seed_from

GROUPS = {"s5": "S5", "a5": "A5", "a4xz5": "A4xZ5", "z60": "Z60", "s3": "S3", "z2": "Z2"}
SEPARATOR = " ="


@cache
def group_for(variant: str) -> Group:
    return parse_group(GROUPS[variant])


def render_word(word: tuple[int, ...]) -> str:
    return " ".join(map(str, word)) + SEPARATOR


def sample_words(group: Group, length: int, split: str, n: int, seed: int = 0) -> list[tuple]:
    """Distinct uniform words; train words never equal a test word of the same length."""
    exclude = sample_words(group, length, "test", n_test_docs(), seed) if split == "train" else ()
    rng = StableRandom(seed_from("wordproblem", group.name, length, split, seed))
    order = group.order
    return distinct(lambda: tuple(rng.below(order) for _ in range(length)), n, exclude=exclude)


def n_test_docs() -> int:
    return FAMILY.test_docs


def make_doc(group: Group, word: tuple[int, ...]) -> Doc:
    trace = group.prefix_products(word)
    return {
        "prompt": render_word(word),
        "choices": [str(i) for i in range(group.order)],
        "answer": trace[-1],
        "group": group.name,
        "word": list(word),
        "trace": [str(s) for s in trace],
    }


def generate(variant: str, length: int, split: str, n: int) -> list[Doc]:
    group = group_for(variant)
    return [make_doc(group, w) for w in sample_words(group, length, split, n)]


def _variant(key: str, description: str) -> Variant:
    group = parse_group(GROUPS[key])
    return Variant(
        name=key,
        description=f"{group.name} ({group.order} elements, {group.classification}): {description}",
        complexity=group.word_problem_class,
        chance=1 / group.order,
        hard=group.word_problem_class == "NC1-complete",
    )


NOTES = """\
## Conventions: element numbers and the order of composition

An element of a group on n points is the tuple of its images `(p[0], ..., p[n-1])`
(points are numbered from 0). **Token k is the k-th element in lexicographic order of these
tuples**, so token 0 is always the identity. **Products act left to right**: in `g1 g2 =`,
g1 acts first, then g2 (a point x goes to g2[g1[x]]), as in sympy, whose `p * q` also
applies p first; the answer to `g1 ... gk =` is the number of g1·…·gk.

S3 (on points 0, 1, 2), its six elements in order:

| token | 0 | 1 | 2 | 3 | 4 | 5 |
| --- | --- | --- | --- | --- | --- | --- |
| images | (0,1,2) | (0,2,1) | (1,0,2) | (1,2,0) | (2,0,1) | (2,1,0) |

Worked example: `1 2 =`. Token 1 swaps points 1 and 2, token 2 swaps 0 and 1. Applying 1
first, then 2: 0 -> 0 -> 1, 1 -> 2 -> 2, 2 -> 1 -> 0, images (1,2,0), **token 3**. (The
other order, `2 1 =`, gives (2,0,1), token 4.)

The groups act on: S5 and A5 on points 0-4; Z60 and Z2 as rotations of 60 and 2 points,
so token k is the shift x -> x+k and the answer is the sum of the tokens modulo the order;
A4xZ5 on 9 points, A4 on points 0-3 and Z5 on points 4-8. Because the A4 images come first
in the tuple, **A4xZ5 token = 5 x (A4 token) + (Z5 shift)**, where the A4 token is the
element's number in A4 alone (12 elements on points 0-3) and the Z5 shift is 0-4; the
product multiplies the A4 parts (left to right) and adds the shifts modulo 5. Example:
`7 8 =`: 7 = A4 token 1 (images (0,2,3,1)) with shift 2, 8 = A4 token 1 with shift 3;
(0,2,3,1) twice gives (0,3,1,2), A4 token 2, and 2 + 3 = 0 modulo 5: **token 10**.
Print any group's numbering (token k = `elements[k]`) with

```python
from lm_eval_statetrack.algebra import parse_group

print(parse_group("A4xZ5").elements)
```

"""

FAMILY = Family(
    name="wordproblem",
    version=1,
    rendering="sym",
    description="Product of a sequence of group elements, one token per element.",
    papers=(papers.MERRILL_2024,),
    source="Merrill, Petty & Sabharwal, The Illusion of State in State-Space Models (ICML 2024)",
    variants={
        v.name: v
        for v in (
            _variant("s5", "permutations of 5 objects; NC1-complete"),
            _variant("a5", "even permutations of 5 objects; the smallest non-solvable group"),
            _variant("a4xz5", "solvable control of the same order as A5"),
            _variant("z60", "abelian control of the same order as A5"),
            _variant("s3", "smallest non-abelian group; solvable"),
            _variant("z2", "parity"),
        )
    },
    generate=generate,
    readme_notes=NOTES,
    changelog=(
        "2026-11-30 (version 1, docs unchanged): the README states how tokens number the "
        "elements, which element acts first, and how A4xZ5 is numbered, with worked examples.",
    ),
)
