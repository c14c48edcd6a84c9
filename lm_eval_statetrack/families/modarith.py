"""A running sum modulo 5 or 60: an abelian (TC0) control.

::

    Start with 3, then add 4, subtract 2, add 1, subtract 3.
    Question: What is the result modulo 5?
    Answer:                                  choices: 0, 1, 2, 3, 4
"""

from __future__ import annotations

from lm_eval_statetrack.families import nl, papers
from lm_eval_statetrack.families.base import Doc
from lm_eval_statetrack.rng import StableRandom

MODULI = {"mod5": 5, "mod60": 60}


def sample(variant: str, length: int, rng: StableRandom) -> Doc:
    m = MODULI[variant]
    value = rng.below(m)
    start, steps, trace = value, [], []
    for _ in range(length):
        u = rng.below(2 * (m - 1))  # an operand 1..m-1, added or subtracted
        operand = 1 + u % (m - 1)
        if u < m - 1:
            value = (value + operand) % m
            steps.append(f"add {operand}")
        else:
            value = (value - operand) % m
            steps.append(f"subtract {operand}")
        trace.append(str(value))
    prompt = (
        f"Start with {start}, then {', '.join(steps)}.\n"
        f"Question: What is the result modulo {m}?\nAnswer:"
    )
    return {
        "prompt": prompt,
        "choices": [str(r) for r in range(m)],
        "answer": value,
        "trace": trace,
    }


generate = nl.generator("modarith", sample)

NOTES = f"""## Source and complexity

Adding and subtracting modulo m is the word problem of the cyclic group Zm: abelian, so in
TC0 at any length (a threshold circuit sums the operands). Z60 has the same order as A5,
the NC1-complete group of the `wordproblem` and `shuffle` families, so `mod60` against
`shuffle`'s `a5` separates "many states" from "non-commuting steps". Chance is 1/5 for
`mod5` and 1/60 for `mod60` (the choices are every residue).

{nl.readme_example(generate, "mod5")}"""

FAMILY = nl.family(
    name="modarith",
    version=2,
    description="Modular arithmetic: a running sum of additions and subtractions mod 5 or 60.",
    papers=(papers.MERRILL_2024,),
    source="the Z5 / Z60 word problems (abelian controls of Merrill, Petty & Sabharwal 2024)",
    variants={
        "mod5": nl.variant(
            "mod5",
            "operands 1-4, the result mod 5 (Z5)",
            "TC0 (abelian)",
            1 / 5,
        ),
        "mod60": nl.variant(
            "mod60",
            "operands 1-59, the result mod 60 (Z60)",
            "TC0 (abelian)",
            1 / 60,
        ),
    },
    generate=generate,
    readme_notes=NOTES,
)
