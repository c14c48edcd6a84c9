"""Results saved for lm-eval's ``--use_cache`` as each batch finishes, one transaction each.

lm-eval's ``CachingLM`` stores a call's results when the whole call returns, and its hook
(``CacheHook.add_partial``) commits one result at a time. The adapter saves each batch's
results as the batch finishes, in one SQLite transaction: a run killed at any moment
leaves whole batches in the cache, and the same command run again scores only the rest,
in the batches the uninterrupted run would have used (the remaining first batches are the
same, see ``PrefixScorer.first_batches``), so its results are the same to the last bit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lm_eval.api.model import hash_args


def save_batch(hook: Any, kind: str, items: Iterable[tuple[tuple, Any]]) -> None:
    """Store ``(request args, result)`` pairs under lm-eval's cache keys, atomically."""
    db = getattr(hook, "dbdict", None)  # None: no --use_cache
    rows = {hash_args(kind, args): value for args, value in items}
    if db is None or not rows:
        return
    db.conn.execute("BEGIN")  # the cache autocommits each row; one transaction instead
    db.update(rows)  # ends with a blocking COMMIT
