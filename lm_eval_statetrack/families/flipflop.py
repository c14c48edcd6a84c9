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

from lm_eval_statetrack.families import nl
from lm_eval_statetrack.families.base import Doc, Family, Variant
from lm_eval_statetrack.rng import StableRandom

RULES = (
    'A memory cell stores one bit. "write b" stores b, "ignore b" changes nothing, and '
    '"read b" shows that the cell holds b.'
)


def sample(variant: str, length: int, rng: StableRandom) -> Doc:
    bit = rng.below(2)
    words, trace = [f"write {bit}"], [str(bit)]
    for _ in range(length - 1):
        u = rng.below(20)  # 0-15 ignore (0.8), 16-17 write (0.1), 18-19 read (0.1)
        if u < 16:
            words.append(f"ignore {u % 2}")
        elif u < 18:
            bit = u % 2
            words.append(f"write {bit}")
        else:
            words.append(f"read {bit}")
        trace.append(str(bit))
    prompt = (
        f"{RULES}\nInstructions: {', '.join(words)}.\nQuestion: What does a read give now?\nAnswer:"
    )
    return {
        "prompt": prompt,
        "choices": ["0", "1"],
        "answer": bit,
        "length": length,
        "variant": variant,
        "chance": 0.5,
        "trace": trace,
    }


generate = nl.generator("flipflop", sample)

NOTES = f"""## Source and complexity

Liu et al. (2023), *Exposing Attention Glitches with Flip-Flop Language Modeling*
(NeurIPS): a sequence of write / ignore / read instructions, each with a bit; a read must
return the last written bit. The flip-flop monoid is aperiodic, so the task is in TC0 (even
AC0) at any length: a control that a model with a working long context should pass, however
long the sequence. Sparse writes (FFL(0.8)) make the last write lie far back. Length counts
the instructions before the question (the first is always a write). Chance is 1/2.

{nl.readme_example(generate, "ffl")}"""

FAMILY = Family(
    name="flipflop",
    version=1,
    rendering="nl",
    description="Flip-flop: the bit a memory cell holds after write / ignore / read instructions.",
    source="Liu et al., Exposing Attention Glitches with Flip-Flop Language Modeling "
    "(NeurIPS 2023)",
    variants={
        "ffl": Variant(
            "ffl",
            "FFL(0.8): ignore with p=0.8, write and read 0.1 each; the first is a write",
            "TC0 (aperiodic)",
            0.5,
        ),
    },
    generate=generate,
    num_fewshot=nl.NUM_FEWSHOT,
    readme_notes=NOTES,
)
