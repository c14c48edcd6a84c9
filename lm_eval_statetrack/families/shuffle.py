"""Permutation tracking told as a story: five people pass balls around.

Generalises BIG-Bench Hard's ``tracking_shuffled_objects`` (3, 5 or 7 objects, a fixed
short length) to a length ladder. Each step is one group element acting on the people:

    Alice, Bob, Carol, Dave and Eve each hold a ball: Alice has the red ball, ...
    Alice and Dave swap balls. Bob and Eve swap balls. ...
    Question: Who has the red ball now?
    Answer:                                  choices: Alice, Bob, Carol, Dave, Eve

Variants: ``s5`` (swaps of two, which generate S5), ``a5`` (3-cycles: even permutations,
A5), ``z5`` (all balls move the same number of places round a circle: abelian Z5).
"""

from __future__ import annotations

from lm_eval_statetrack.families import nl, papers
from lm_eval_statetrack.families.base import Doc
from lm_eval_statetrack.rng import StableRandom

PEOPLE = nl.PEOPLE[:5]
COLOURS = ("red", "blue", "green", "yellow", "white")
N = len(PEOPLE)
CYCLE_RULE = (
    " When three people rotate balls, the first gives their ball to the second, the second "
    "to the third and the third to the first."
)
CIRCLE_RULE = (
    " They stand in a circle in that order. When the balls move n places, each ball goes n "
    "people along the circle: one place takes Alice's ball to Bob and Eve's to Alice."
)


def _swaps() -> list[tuple[str, dict[int, int]]]:
    return [
        (f"{PEOPLE[a]} and {PEOPLE[b]} swap balls.", {a: b, b: a})
        for a in range(N)
        for b in range(N)
        if a != b
    ]


def _three_cycles() -> list[tuple[str, dict[int, int]]]:
    p = PEOPLE
    return [
        (
            f"{p[a]}, {p[b]} and {p[c]} rotate balls.",
            {a: b, b: c, c: a},
        )
        for a in range(N)
        for b in range(N)
        for c in range(N)
        if len({a, b, c}) == 3
    ]


def _rotations() -> list[tuple[str, dict[int, int]]]:
    return [
        (
            f"The balls move {nl.NUMBER_WORDS[k]} place{'s' if k > 1 else ''}.",
            {i: (i + k) % N for i in range(N)},
        )
        for k in range(1, N)
    ]


def _table(steps: list[tuple[str, dict[int, int]]]) -> list[tuple[str, tuple[int, ...]]]:
    """(sentence, source) pairs: after the step, person i holds the ball of source[i]."""
    out = []
    for text, moves in steps:
        source = list(range(N))
        for giver, taker in moves.items():
            source[taker] = giver
        out.append((text, tuple(source)))
    return out


# variant -> every way a step can be told (ordered pairs / triples, so each element of the
# generating set is drawn uniformly), with the permutation it applies
STEPS = {"s5": _table(_swaps()), "a5": _table(_three_cycles()), "z5": _table(_rotations())}


def sample(variant: str, length: int, rng: StableRandom) -> Doc:
    colours = list(COLOURS)
    rng.shuffle(colours)
    holding = list(colours)  # holding[person] = colour of the ball they hold
    sentences, trace = [], []
    table = STEPS[variant]
    for _ in range(length):
        text, source = table[rng.below(len(table))]
        holding = [holding[j] for j in source]
        sentences.append(text)
        trace.append(",".join(holding))
    asked = colours[rng.below(N)]
    start = _holdings(colours)
    rule = {"a5": CYCLE_RULE, "z5": CIRCLE_RULE}.get(variant, "")
    prompt = (
        f"{nl.join_words(PEOPLE)} each hold a ball: {start}.{rule} Then, in order:\n"
        f"{' '.join(sentences)}\nQuestion: Who has the {asked} ball now?\nAnswer:"
    )
    return {
        "prompt": prompt,
        "choices": list(PEOPLE),
        "answer": holding.index(asked),
        "trace": trace,
    }


def _holdings(colours: list[str]) -> str:
    return nl.join_words([f"{p} has the {c} ball" for p, c in zip(PEOPLE, colours)])


generate = nl.generator("shuffle", sample)

NOTES = f"""## Source and complexity

Generalises BIG-Bench Hard's `tracking_shuffled_objects` (Suzgun et al. 2023; 3, 5 or 7
objects at one short length) to a ladder of 1 to 256 steps. The state is the permutation of
balls among five people; each step applies one group element. Knowing where one ball ends
up is enough to tell the identity from a 5-cycle, so Barrington's theorem makes the `s5` and
`a5` questions NC1-complete; `z5` moves every ball the same number of places round a circle,
an abelian (TC0) control. Chance is 1/5: the answer is one of five people.

`a5` and `z5` state their step convention once, before the steps ("When three people rotate
balls, the first gives their ball to the second, ..."), so that a step costs about as many
tokens as an `s5` swap and the three variants can be compared length for length.

{nl.readme_example(generate, "s5")}{nl.readme_example(generate, "a5")}"""

FAMILY = nl.family(
    name="shuffle",
    version=2,
    description=(
        "Permutation tracking as a story: five people swap, cycle or pass balls; which "
        "person holds a named ball at the end?"
    ),
    papers=(
        papers.SUZGUN_2023,
        papers.MERRILL_2024,
    ),
    source="BIG-Bench Hard tracking_shuffled_objects (Suzgun et al. 2023), extended in length",
    variants={
        "s5": nl.variant(
            "s5",
            "two people swap balls each step (transpositions generate S5)",
            "NC1-complete",
            1 / N,
            hard=True,
        ),
        "a5": nl.variant(
            "a5",
            "three people rotate balls each step (3-cycles generate A5)",
            "NC1-complete",
            1 / N,
            hard=True,
        ),
        "z5": nl.variant(
            "z5",
            "every ball moves the same number of places round a circle (Z5)",
            "TC0 (abelian)",
            1 / N,
        ),
    },
    generate=generate,
    readme_notes=NOTES,
)
