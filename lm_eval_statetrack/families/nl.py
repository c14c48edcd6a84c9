"""Shared pieces of the natural-language (``nl``) families for pretrained LMs.

Every nl family draws its few-shot demos from a ``train`` split generated at
:data:`DEMO_LENGTH` steps, whatever the test length: prompts stay short enough for common
context windows, and because 5 is not on the test ladder (:data:`LENGTHS`) a demo can never
equal a test doc.
lm-eval puts ``target_delimiter`` (a space) between a demo's prompt and its answer and
``fewshot_delimiter`` (a blank line) after it; :func:`fewshot_prompt` writes the same text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

from lm_eval_statetrack.families.base import POWERS_OF_TWO, Doc, Family, Variant, distinct
from lm_eval_statetrack.rng import StableRandom, seed_from

DEMO_LENGTH = 5
# 1 and 2 steps start the ladder where small pretrained models are still above chance
LENGTHS = (1, 2, *POWERS_OF_TWO)
LADDER_CHANGE = (
    "2026-11-30 (version 2): lengths 1 and 2 added, so that the ladder starts where small "
    "pretrained models are above chance; the docs of lengths 4-256 are unchanged."
)
NUM_FEWSHOT = 3
TARGET_DELIMITER = " "
FEWSHOT_DELIMITER = "\n\n"
PEOPLE = ("Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six")

# (variant, length, rng) -> one doc; called until there are enough distinct prompts
DocSampler = Callable[[str, int, StableRandom], Doc]


def variant(
    name: str, description: str, complexity: str, chance: float, hard: bool = False
) -> Variant:
    """A variant on the nl length ladder (:data:`LENGTHS`)."""
    return Variant(name, description, complexity, chance, lengths=LENGTHS, hard=hard)


def family(**spec) -> Family:
    """A Family with what the nl families share: the ``nl`` rendering, NUM_FEWSHOT demos of
    DEMO_LENGTH steps, and the ladder's changelog line (``spec`` may override each)."""
    shared = {
        "rendering": "nl",
        "num_fewshot": NUM_FEWSHOT,
        "demo_length": DEMO_LENGTH,
        "changelog": (LADDER_CHANGE,),
    }
    return Family(**{**shared, **spec})


def join_words(words: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: English lists without the serial comma."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def generator(family: str, sample: DocSampler) -> Callable[[str, int, str, int], list[Doc]]:
    """A ``Family.generate``: up to n docs with distinct prompts (fewer where the space of
    prompts is smaller). The family's ``demo_length`` makes train docs DEMO_LENGTH long."""

    @cache
    def split_docs(variant: str, length: int, split: str, n: int) -> tuple[Doc, ...]:
        rng = StableRandom(seed_from(family, variant, length, split))
        return tuple(distinct(lambda: sample(variant, length, rng), n, key=lambda d: d["prompt"]))

    def generate(variant: str, length: int, split: str, n: int) -> list[Doc]:
        return [dict(d) for d in split_docs(variant, length, split, n)]

    return generate


def fewshot_prompt(demos: Sequence[Doc], doc: Doc) -> str:
    """The context lm-eval builds from demos and a test doc (no description)."""
    shots = "".join(
        d["prompt"] + TARGET_DELIMITER + d["choices"][d["answer"]] + FEWSHOT_DELIMITER
        for d in demos
    )
    return shots + doc["prompt"]


def readme_example(generate: Callable[[str, int, str, int], list[Doc]], variant: str) -> str:
    """Markdown: the full context of a length-4 test doc with its demos, and its choices."""
    demos = generate(variant, DEMO_LENGTH, "train", NUM_FEWSHOT)
    doc = generate(variant, 4, "test", 1)[0]
    choices = ", ".join(f"`{TARGET_DELIMITER}{c}`" for c in doc["choices"])
    return (
        f"### Full prompt (`{variant}`, length 4, {NUM_FEWSHOT} demos of {DEMO_LENGTH} steps)\n\n"
        "What lm-eval sends as the context (demos from the `train` split, then the test "
        "doc); each choice is scored as a continuation:\n\n"
        f"```text\n{fewshot_prompt(demos, doc)}\n```\n\n"
        f"Choices: {choices}; correct: `{TARGET_DELIMITER}{doc['choices'][doc['answer']]}`.\n\n"
    )
