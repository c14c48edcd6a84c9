"""Re-pin the SHA-256 of every task's docs: ``python tests/pin_hashes.py [FAMILY ...]``.

Only run this together with a bump of the family's ``version``: the pins exist so that a
changed document can never ship under an old version.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lm_eval_statetrack.datasets import docs_sha256
from lm_eval_statetrack.families import FAMILY_MODULES, get_family
from lm_eval_statetrack.families.base import SPLITS

PIN_DIR = Path(__file__).resolve().parent / "pins"


def family_pins(name: str, max_length: int | None = None) -> dict:
    """Version and per-split doc hashes of every task of ``name`` (up to ``max_length``)."""
    family = get_family(name)
    return {
        family.task_name(v.name, length): {
            "version": family.version,
            **{split: docs_sha256(name, v.name, length, split) for split in SPLITS},
        }
        for v in family.variants.values()
        for length in v.lengths
        if max_length is None or length <= max_length
    }


if __name__ == "__main__":
    for name in sys.argv[1:] or list(FAMILY_MODULES):
        path = PIN_DIR / f"{name}.json"
        path.write_text(json.dumps(family_pins(name), indent=1, sort_keys=True) + "\n")
        print(f"pinned {path}")
