"""Flip-flop language modelling (Liu et al. 2023), told as instructions to a memory cell.

::

    A memory cell stores one bit. "write b" stores b, "ignore b" changes nothing, and
    "read b" shows that the cell holds b.
    Instructions: write 1, ignore 0, ignore 1, read 1, write 0, ignore 0.
    Question: What does a read give now?
    Answer:                                  choices: 0, 1

The first instruction is a write; the rest follow FFL(0.8): ignore with probability 0.8,
write and read 0.1 each. Intermediate reads show their bit, as in the original task.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

from lm_eval_statetrack.families import nl, papers
from lm_eval_statetrack.families.base import Doc
from lm_eval_statetrack.rng import StableRandom, seed_from

RULES = (
    'A memory cell stores one bit. "write b" stores b, "ignore b" changes nothing, and '
    '"read b" shows that the cell holds b.'
)


# every instruction after the first: ignore 0/1, write 0/1, or a read of the stored bit
STEPS = ("ignore 0", "ignore 1", "write 0", "write 1", "read")
TEST_DOCS = 250


def sample(variant: str, length: int, rng: StableRandom) -> Doc:
    words = [f"write {rng.below(2)}"]
    for _ in range(length - 1):
        u = rng.below(20)  # 0-15 ignore (0.8), 16-17 write (0.1), 18-19 read (0.1)
        words.append(f"ignore {u % 2}" if u < 16 else f"write {u % 2}" if u < 18 else "read")
    return make_doc(words)


def make_doc(steps: Sequence[str]) -> Doc:
    """The doc of an instruction list; a bare "read" shows the bit the cell holds."""
    words, trace = [], []
    for step in steps:
        op, _, arg = step.partition(" ")
        if op == "write":
            bit = int(arg)
        words.append(f"read {bit}" if op == "read" else step)
        trace.append(str(bit))
    prompt = (
        f"{RULES}\nInstructions: {', '.join(words)}.\nQuestion: What does a read give now?\nAnswer:"
    )
    return {
        "prompt": prompt,
        "choices": ["0", "1"],
        "answer": bit,
        "trace": trace,
    }


def every_input(variant: str, length: int) -> list[Doc]:
    """All 2 * 5^(length-1) instruction lists, in a fixed shuffled order."""
    docs = [
        make_doc((f"write {first}", *rest))
        for first in range(2)
        for rest in product(STEPS, repeat=length - 1)
    ]
    StableRandom(seed_from("flipflop", variant, length, "test", "all")).shuffle(docs)
    return docs


_sampled = nl.generator("flipflop", sample)


def generate(variant: str, length: int, split: str, n: int) -> list[Doc]:
    """Sampled FFL(0.8) docs; a test split whose every input fits in ``TEST_DOCS`` docs holds
    each input once instead (lengths 1, 2 and 4: 2, 10 and 250 inputs)."""
    if split == "test" and 2 * len(STEPS) ** (length - 1) <= TEST_DOCS:
        return every_input(variant, length)[:n]
    return _sampled(variant, length, split, n)


NOTES = f"""## Source and complexity

Liu et al. (2023), *Exposing Attention Glitches with Flip-Flop Language Modeling*
(NeurIPS): a sequence of write / ignore / read instructions, each with a bit; a read must
return the last written bit. The flip-flop monoid is aperiodic, so the task is in TC0 (even
AC0) at any length: a control that a model with a working long context should pass, however
long the sequence. Sparse writes (FFL(0.8)) make the last write lie far back. Length counts
the instructions before the question (the first is always a write). Chance is 1/2. Where a
length has no more distinct instruction lists than a task has docs (1, 2 and 4 instructions:
2, 10 and 250 lists), the task holds every list once, in a fixed shuffled order, instead of
FFL(0.8) samples.

{nl.readme_example(generate, "ffl")}"""

FAMILY = nl.family(
    name="flipflop",
    version=2,
    description="Flip-flop: the bit a memory cell holds after write / ignore / read instructions.",
    papers=(papers.LIU_2023,),
    source="Liu et al., Exposing Attention Glitches with Flip-Flop Language Modeling "
    "(NeurIPS 2023)",
    variants={
        "ffl": nl.variant(
            "ffl",
            "FFL(0.8): ignore with p=0.8, write and read 0.1 each; the first is a write",
            "TC0 (aperiodic)",
            0.5,
        ),
    },
    generate=generate,
    test_docs=TEST_DOCS,
    readme_notes=NOTES,
    changelog=(
        "2026-11-30 (version 2): lengths 1 and 2 added, so that the ladder starts where small "
        "pretrained models are above chance; length 4 holds all 250 distinct instruction lists "
        "(was 212 FFL(0.8) samples); the docs of lengths 8-256 are unchanged.",
    ),
)
