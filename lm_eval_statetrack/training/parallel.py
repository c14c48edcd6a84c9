"""Run independent training jobs side by side, one CPU thread each.

Small models use one core poorly but two processes use two cores fully; ``jobs=1`` runs
in this process (no pickling, progress bars work).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def imap_unordered(fn: Callable[[T], R], items: Iterable[T], jobs: int = 1) -> Iterator[R]:
    """``fn`` over ``items``, results as they finish; ``fn`` must be a module-level function."""
    if jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {jobs}")
    items = list(items)
    if jobs == 1:
        yield from map(fn, items)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for future in as_completed([pool.submit(fn, item) for item in items]):
            yield future.result()
