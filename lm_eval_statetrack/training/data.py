"""Training data drawn from the task generators, with per-position labels.

Every word comes from :func:`~lm_eval_statetrack.families.wordproblem.sample_words` with
``split="train"`` and is then checked against the test words of its length, so a model
never sees a word it is scored on, and (with held-out validation, the default) against the
validation words that early stopping and the curriculum read. A sequence is the prompt's
tokens (``g1 ... gL =``); its label at position t is the running product ``g1...gt`` and
at ``=`` the final product, so the causal LM's prediction after ``=`` is exactly what
lm-eval scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import torch

from lm_eval_statetrack.families.wordproblem import FAMILY, group_for, sample_words
from lm_eval_statetrack.rng import seed_from
from lm_eval_statetrack.training.symbols import ELEMENT_OFFSET, EQUALS_ID, SYMBOLS, VOCAB_SIZE

if TYPE_CHECKING:
    from lm_eval_statetrack.training.run_config import TrainConfig

CHUNK = 2048  # training words drawn per generator call


def tokenizer():
    """The word-level tokenizer saved with every checkpoint (token id = 4 + element index)."""
    from lm_eval_statetrack.training.vocab import word_tokenizer

    tok = word_tokenizer(SYMBOLS)
    assert tok.convert_tokens_to_ids("0") == ELEMENT_OFFSET and len(tok) == VOCAB_SIZE
    return tok


@cache
def test_words(variant: str, length: int) -> frozenset[tuple[int, ...]]:
    """The words scored at this length: the task's test split on the length ladder, the
    generator's test draw elsewhere (what the sweep scores at off-ladder lengths)."""
    if length in FAMILY.variant(variant).lengths:
        from lm_eval_statetrack.datasets import docs

        return frozenset(tuple(d["word"]) for d in docs("wordproblem", variant, length, "test"))
    group = group_for(variant)
    return frozenset(sample_words(group, length, "test", FAMILY.test_docs))


def train_words(
    variant: str, length: int, n: int, seed: int, exclude: frozenset = frozenset()
) -> list[tuple[int, ...]]:
    """Up to n distinct training words (fewer only when the space is that small), none of
    them a test word or in ``exclude``."""
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    banned = test_words(variant, length)
    words = sample_words(group_for(variant), length, "train", n, seed)
    return [w for w in words if w not in banned and w not in exclude]


def encode(variant: str, words: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids ``(n, L+1)`` of ``g1 ... gL =`` and the running-product labels."""
    group = group_for(variant)
    ids, labels = [], []
    for word in words:
        trace = group.prefix_products(word)
        ids.append([ELEMENT_OFFSET + g for g in word] + [EQUALS_ID])
        labels.append([ELEMENT_OFFSET + s for s in trace] + [ELEMENT_OFFSET + trace[-1]])
    return torch.tensor(ids), torch.tensor(labels)


@dataclass
class WordStream:
    """Endless training words of one length, drawn chunk by chunk with fresh seeds."""

    variant: str
    length: int
    seed: int
    exclude: frozenset = frozenset()  # words training must never see (the validation split)

    def __post_init__(self) -> None:
        self._buffer: list[tuple[int, ...]] = []
        self._chunk = 0

    def take(self, n: int) -> list[tuple[int, ...]]:
        while len(self._buffer) < n:
            seed = seed_from("statetrack-train", self.seed, self._chunk)
            fresh = train_words(self.variant, self.length, CHUNK, seed, self.exclude)
            if not fresh:
                raise ValueError(
                    f"no training words left for {self.variant} at length {self.length}: "
                    "the test split holds every word of that length; train on longer lengths"
                )
            self._buffer.extend(fresh)
            self._chunk += 1
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out


VALIDATION_SPLITS = ("held_out", "train")


@cache
def held_out_words(variant: str, length: int, n: int) -> tuple[tuple[int, ...], ...]:
    """The first n words of the generator's ``validation`` split that are not test words.
    Like the test split it does not depend on the training seed; the training stream
    leaves these words out, so early stopping reads words the model never trained on."""
    banned = test_words(variant, length)
    words = sample_words(group_for(variant), length, "validation", n + len(banned))
    return tuple(w for w in words if w not in banned)[:n]


def validation_words(
    variant: str, length: int, n: int, seed: int, split: str = "held_out"
) -> list[tuple[int, ...]]:
    """Words for early stopping and the curriculum, never test words. ``held_out``: the
    validation split (:func:`held_out_words`), which training never draws; ``train``:
    draws from the training side, which the training stream can also produce (what the
    bundled reference models were trained with, kept so that they retrain bit for bit)."""
    if split not in VALIDATION_SPLITS:
        raise ValueError(f"--val-split must be one of {VALIDATION_SPLITS}, got {split!r}")
    if split == "train":
        words = train_words(variant, length, n, seed_from("statetrack-validation", seed))
    else:
        words = list(held_out_words(variant, length, n))
    if not words:
        raise ValueError(
            f"no validation words left for {variant} at length {length}: the test split "
            "holds every word of that length; train on longer lengths"
        )
    return words


class BatchSampler:
    """Batches of one length each, about ``batch_tokens`` tokens (so every step costs about
    the same); the length is drawn (seeded) from the active lengths, which the trainer's
    curriculum widens as training goes."""

    def __init__(
        self,
        variant: str,
        lengths: Sequence[int],
        batch_tokens: int,
        seed: int,
        exclude: Mapping[int, frozenset] | None = None,
    ) -> None:
        """``exclude`` maps a length to words its stream must leave out."""
        from lm_eval_statetrack.rng import StableRandom

        self.variant = variant
        self.batch_tokens = batch_tokens
        self._rng = StableRandom(seed_from("statetrack-lengths", seed))
        exclude = exclude or {}
        self._streams = {
            L: WordStream(variant, L, seed_from(seed, L), exclude.get(L, frozenset()))
            for L in lengths
        }

    def batch_size(self, length: int) -> int:
        return max(1, self.batch_tokens // (length + 1))

    def next(self, active: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        length = self._rng.choice(list(active))
        return encode(self.variant, self._streams[length].take(self.batch_size(length)))


def training_data(config: TrainConfig) -> tuple[BatchSampler, dict[int, list[tuple[int, ...]]]]:
    """A run's batch sampler and its validation words per length; with ``held_out``
    validation the sampler never draws a validation word (with ``train`` it is the stream
    the bundled reference models were trained on, unchanged)."""
    lengths = sorted(config.lengths)
    val = {
        L: validation_words(config.variant, L, config.val_docs, config.seed, config.val_split)
        for L in lengths
    }
    held_out = {L: frozenset(words) for L, words in val.items()}
    sampler = BatchSampler(
        config.variant,
        lengths,
        config.batch_tokens,
        config.seed,
        exclude=held_out if config.val_split == "held_out" else None,
    )
    return sampler, val
