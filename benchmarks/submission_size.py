"""Size of a whole-suite leaderboard submission, without running a model.

Builds a submission's ``tasks`` with every leaf task of ``lm_eval --tasks 'statetrack_*'``
(the opt-in catalog left out), its real doc count, and per doc the columns ``statetrack
submit`` keeps from ``--log_samples``: doc id, three SHA-256 hashes (random here, as
incompressible as real ones), the target hash drawn from one per answer, and a 0/1 metric.
Then gzip-compresses it as ``submit`` does.

    python benchmarks/submission_size.py
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random

from lm_eval_statetrack.datasets import docs
from lm_eval_statetrack.families import FAMILY_MODULES, get_family

OPT_IN = {"catalog"}


def sha(rng: random.Random) -> str:
    return hashlib.sha256(rng.randbytes(16)).hexdigest()


def main() -> None:
    rng = random.Random(0)
    tasks, total = {}, 0
    for name in FAMILY_MODULES:
        if name in OPT_IN:
            continue
        family = get_family(name)
        for variant, spec in family.variants.items():
            answers = [sha(rng) for _ in range(round(1 / spec.chance) if spec.chance else 64)]
            for length in spec.lengths:
                n = len(docs(name, variant, length))
                tasks[family.task_name(variant, length)] = {
                    "samples": {
                        "doc_id": list(range(n)),
                        "doc_hash": [sha(rng) for _ in range(n)],
                        "prompt_hash": [sha(rng) for _ in range(n)],
                        "target_hash": [rng.choice(answers) for _ in range(n)],
                        "acc": [float(rng.random() < 0.5) for _ in range(n)],
                    }
                }
                total += n
    data = gzip.compress(json.dumps({"tasks": tasks}, separators=(",", ":")).encode(), mtime=0)
    print(
        f"{len(tasks)} tasks, {total:,} docs: {len(data):,} bytes gzip-compressed "
        f"({len(data) / total:.0f} bytes per doc)"
    )


if __name__ == "__main__":
    main()
