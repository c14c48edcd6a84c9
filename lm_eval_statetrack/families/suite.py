"""The installed suite by task name: which family, variant and length a task is, and what
the installed specs say about it (version, hard or control, horizon floor)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lm_eval_statetrack.families import FAMILY_MODULES, get_family
from lm_eval_statetrack.families.base import Variant

# statetrack_<family>_<variant>_len<L>; opt-in families use "statetrack-" so that the
# 'statetrack_*' glob leaves them out (statetrack-catalog_psl-2-7_len16)
TASK_RE = re.compile(r"^statetrack[_-](?P<spec>[A-Za-z0-9]+_[\w-]+?)_len(?P<length>\d+)$")


@dataclass(frozen=True)
class TaskId:
    family: str
    variant: str
    length: int


def parse_task_name(name: str) -> TaskId | None:
    """``statetrack_<family>_<variant>_len<L>`` (or ``statetrack-...``) -> TaskId; None for
    any other name.

    A family name that contains "_" is split off correctly when the family is installed;
    otherwise the first "_" separates family from variant.
    """
    match = TASK_RE.match(name)
    if match is None:
        return None
    spec = match["spec"]
    family = next(
        (f for f in sorted(FAMILY_MODULES, key=len, reverse=True) if spec.startswith(f + "_")),
        spec.split("_", 1)[0],
    )
    return TaskId(family, spec[len(family) + 1 :], int(match["length"]))


def installed_variant(family: str, variant: str) -> Variant | None:
    """The installed suite's spec of a variant, or None if this suite does not have it."""
    try:
        return get_family(family).variant(variant)
    except (ValueError, ImportError):
        return None


def installed_version(family: str) -> int | None:
    try:
        return get_family(family).version
    except (ValueError, ImportError):
        return None


FLOOR_LINE = re.compile(r"^  floor: ([0-9.]+)$", re.M)


def installed_floor(family: str, variant: str, length: int) -> float | None:
    """The installed task's horizon floor (``metadata.floor`` of its YAML), if it has one.

    Read from the generated YAML, where the generator wrote it, rather than recomputed
    from the shallow rules over every doc."""
    from lm_eval_statetrack.tasks import task_dir

    spec = get_family(family)
    path = task_dir() / family / variant / f"{spec.task_name(variant, length)}.yaml"
    found = FLOOR_LINE.search(path.read_text()) if path.is_file() else None
    return float(found.group(1)) if found else None


def is_hard(family: str, variant: str, complexity: str | None = None) -> bool | None:
    """Whether a variant is the hard (NC1-complete) side of a hard-vs-control pair: the
    installed suite says so; for a variant it lacks, the recorded complexity class does.
    None when neither is known."""
    spec = installed_variant(family, variant)
    if spec is not None:
        return spec.hard
    return None if not complexity else "NC1" in complexity
