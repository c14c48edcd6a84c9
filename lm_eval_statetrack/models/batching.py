"""Batch size (fixed, or ``auto`` with out-of-memory back-off) and the token counters."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from lm_eval_statetrack.models.util import logger


@dataclass
class Counters:
    """What the adapter did; ``tokens_forwarded / unique_tokens`` is the reuse figure."""

    requests: int = 0
    unique_tokens: int = 0  # distinct prefixes of all context+continuation sequences
    tokens_forwarded: int = 0  # rows x chunk length over all forward calls, padding included
    forward_calls: int = 0
    generated_tokens: int = 0

    def ratio(self) -> float:
        return self.tokens_forwarded / self.unique_tokens if self.unique_tokens else 0.0

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "forwarded_per_unique": round(self.ratio(), 4)}


def is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc)


class BatchSizer:
    """Rows per forward call. ``auto`` starts at ``max_batch_size`` and halves on OOM."""

    def __init__(self, batch_size: int | str, max_batch_size: int) -> None:
        self.auto = str(batch_size).startswith("auto")
        self.size = max_batch_size if self.auto else int(batch_size)
        if self.size < 1:
            raise ValueError(f"batch_size must be a positive integer or auto, got {batch_size}")

    def back_off(self, exc: BaseException, rows: int) -> bool:
        """After a failed call of ``rows`` rows: True if a smaller retry makes sense."""
        if not (self.auto and is_oom(exc) and rows > 1):
            return False
        self.size = max(1, min(self.size, rows // 2))
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        logger.warning("statetrack: out of memory with %d rows; batch size now %d", rows, self.size)
        return True


def split_sorted(items: list, length, size: int, max_spread: int | None) -> list[list]:
    """Consecutive runs of ``items`` (sorted by ``length``) of at most ``size`` items and,
    if ``max_spread`` is set, at most that much difference in length within a run."""
    runs: list[list] = []
    for item in items:
        if (
            runs
            and len(runs[-1]) < size
            and (max_spread is None or length(item) - length(runs[-1][0]) <= max_spread)
        ):
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs
