"""Family spec -> docs -> ``datasets.DatasetDict``: what every task loads, and the pins."""

from __future__ import annotations

import hashlib
import json
from functools import cache

from lm_eval_statetrack.families import get_family
from lm_eval_statetrack.families.base import SPLITS, Doc


@cache
def _docs(family: str, variant: str, length: int, split: str) -> tuple[Doc, ...]:
    return tuple(get_family(family).docs(variant, length, split))


def docs(family: str, variant: str, length: int, split: str = "test") -> list[Doc]:
    """The docs of one task split (cached per process; a fresh copy each call)."""
    return [dict(d) for d in _docs(family, variant, int(length), split)]


def docs_sha256(family: str, variant: str, length: int, split: str = "test") -> str:
    """SHA-256 of the canonical JSON of a split's docs: what tests and submissions pin."""
    payload = json.dumps(docs(family, variant, length, split), sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def build_dataset(family: str, variant: str, length: int):
    """The ``test`` and ``train`` splits of one task (``dataset_kwargs`` of its YAML), from
    the on-disk cache when this package's sources made them before."""
    from lm_eval_statetrack.dataset_cache import cached_dataset

    return cached_dataset(family, variant, length, lambda: _new_dataset(family, variant, length))


def _new_dataset(family: str, variant: str, length: int):
    import datasets

    test = datasets.Dataset.from_list(docs(family, variant, length, "test"))
    split_sets = {"test": test}
    for split in SPLITS:
        if split != "test":
            rows = docs(family, variant, length, split)
            columns = {key: [row[key] for row in rows] for key in test.features}
            split_sets[split] = datasets.Dataset.from_dict(columns, features=test.features)
    return datasets.DatasetDict(split_sets)
