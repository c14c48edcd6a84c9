"""Parity of a bit string told in words: the Z2 word problem for pretrained LMs.

::

    Here is a sequence of bits: one, zero, zero, one.
    Question: Is the number of ones even or odd?
    Answer:                                  choices: even, odd
"""

from __future__ import annotations

from lm_eval_statetrack.families import nl, papers
from lm_eval_statetrack.families.base import Doc
from lm_eval_statetrack.rng import StableRandom

CHOICES = ["even", "odd"]


def sample(variant: str, length: int, rng: StableRandom) -> Doc:
    bits = [rng.below(2) for _ in range(length)]
    trace, total = [], 0
    for b in bits:
        total ^= b
        trace.append(CHOICES[total])
    words = ", ".join(nl.NUMBER_WORDS[b] for b in bits)
    prompt = (
        f"Here is a sequence of bits: {words}.\n"
        "Question: Is the number of ones even or odd?\nAnswer:"
    )
    return {
        "prompt": prompt,
        "choices": list(CHOICES),
        "answer": total,
        "trace": trace,
    }


generate = nl.generator("parity", sample)

NOTES = f"""## Source and complexity

Parity is the word problem of Z2: in TC0 (a threshold circuit counts the ones), yet
linear recurrent models and SSMs whose transition matrices have only positive eigenvalues
cannot represent it at arbitrary length (Sarrof, Veitsman & Hahn 2024; Grazzi et al. 2025,
*Unlocking State-Tracking in Linear RNNs Through Negative Eigenvalues*), which is why Mamba
fails it. Chance is 1/2. At lengths 1, 2 and 4 there are only 2, 4 and 16 bit strings, so
those tasks have 2, 4 and 16 docs; demos have {nl.DEMO_LENGTH} bits, so they are never test docs.

{nl.readme_example(generate, "bits")}"""

FAMILY = nl.family(
    name="parity",
    version=2,
    description="Parity: is the number of ones in a bit string, told in words, even or odd?",
    papers=(
        papers.SARROF_2024,
        papers.GRAZZI_2025,
    ),
    source="the Z2 word problem; Sarrof, Veitsman & Hahn (2024), Grazzi et al. (ICLR 2025)",
    variants={
        "bits": nl.variant("bits", "bits written as the words zero and one", "TC0 (Z2)", 0.5),
    },
    generate=generate,
    readme_notes=NOTES,
)
