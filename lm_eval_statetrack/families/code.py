"""Code evaluation: swaps in a Python program, as in Figure 1 of Merrill et al. (2024).

``list``::

    x = [7, 2, 9, 4, 1]
    x[0], x[3] = x[3], x[0]
    x[2], x[4] = x[4], x[2]
    assert x[3] ==                          choices: 1, 2, 4, 7, 9

``vars``: five variables ``a``..``e``, swapped with a tuple assignment (``a, c = c, a``)
or through a temporary (``t = a`` / ``a = c`` / ``c = t``). The prompt is the whole
program; the correct choice completes the last line into an assertion that passes, so
the test oracle can simply run it.
"""

from __future__ import annotations

from lm_eval_statetrack.families import nl, papers
from lm_eval_statetrack.families.base import Doc
from lm_eval_statetrack.rng import StableRandom

N = 5
NAMES = ("a", "b", "c", "d", "e")
PAIRS = [(i, j) for i in range(N) for j in range(N) if i != j]


def _swap_lines(variant: str, i: int, j: int, rng: StableRandom) -> str:
    if variant == "list":
        return f"x[{i}], x[{j}] = x[{j}], x[{i}]"
    a, b = NAMES[i], NAMES[j]
    return f"{a}, {b} = {b}, {a}" if rng.below(2) else f"t = {a}\n{a} = {b}\n{b} = t"


def sample(variant: str, length: int, rng: StableRandom) -> Doc:
    values = rng.sample(range(1, 10), N)
    state = list(values)
    lines, trace = [], []
    if variant == "list":
        lines.append(f"x = [{', '.join(map(str, values))}]")
    else:
        lines += [f"{name} = {v}" for name, v in zip(NAMES, values)]
    for _ in range(length):
        i, j = PAIRS[rng.below(len(PAIRS))]
        state[i], state[j] = state[j], state[i]
        lines.append(_swap_lines(variant, i, j, rng))
        trace.append(",".join(map(str, state)))
    k = rng.below(N)
    target = f"x[{k}]" if variant == "list" else NAMES[k]
    lines.append(f"assert {target} ==")
    choices = sorted(values)
    return {
        "prompt": "\n".join(lines),
        "choices": [str(v) for v in choices],
        "answer": choices.index(state[k]),
        "trace": trace,
    }


generate = nl.generator("code", sample)

NOTES = f"""## Source and complexity

Figure 1 of Merrill, Petty & Sabharwal (2024) shows state tracking hidden in ordinary code:
a list whose elements are swapped in place. Each swap is a transposition, so knowing one
element's final value solves the S5 word problem: NC1-complete in both variants. `vars`
mixes the two idioms a programmer uses for a swap (tuple assignment and a temporary `t`).

The prompt is the program itself, ending in `assert <expr> ==`; the {N} choices are the five
distinct values of the program (digits 1-9), so chance is 1/{N}. Completed with the correct
choice, the program runs without an `AssertionError`: the tests check every doc by running
its program in a separate, isolated Python process.

{nl.readme_example(generate, "list")}{nl.readme_example(generate, "vars")}"""

FAMILY = nl.family(
    name="code",
    version=2,
    description=(
        "Code evaluation: the value of a list element or variable after a Python program "
        "swaps values many times."
    ),
    papers=(papers.MERRILL_2024,),
    source="Merrill, Petty & Sabharwal, The Illusion of State in State-Space Models "
    "(ICML 2024), Figure 1",
    variants={
        "list": nl.variant(
            "list",
            "`x[i], x[j] = x[j], x[i]` on a five-element list (transpositions of S5)",
            "NC1-complete",
            1 / N,
            hard=True,
        ),
        "vars": nl.variant(
            "vars",
            "five named variables swapped by tuple assignment or a temporary",
            "NC1-complete",
            1 / N,
            hard=True,
        ),
    },
    generate=generate,
    readme_notes=NOTES,
)
