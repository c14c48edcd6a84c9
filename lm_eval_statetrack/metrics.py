"""Per-length accuracy, chance and the state-tracking horizon.

The horizon is the headline number of a state-tracking evaluation: how far a model tracks
state before it falls towards chance. Its definition, used everywhere in this package:

    threshold  t = floor + frac * (1 - floor)         (frac = 0.9 by default; floor =
                                                      chance, or a task's majority-class
                                                      rate where its answers are skewed)
    horizon      = the longest measured length L such that the score is >= t at every
                   measured length <= L; none when the score is below t at the shortest
                   measured length.

When every measured length passes, the true horizon may lie beyond the ladder, so the
horizon is a lower bound (``Horizon.censored``; printed as ">=L"). lm-eval reports a standard
error per task; ``horizon_range`` recomputes the horizon at score -/+ z * stderr. That band
shows how much the horizon hangs on sampling noise; it is not a confidence interval.

Nothing here imports lm-eval or matplotlib.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from lm_eval_statetrack.families import FAMILY_MODULES, get_family
from lm_eval_statetrack.families.base import Variant

# statetrack_<family>_<variant>_len<L>; opt-in families use "statetrack-" so that the
# 'statetrack_*' glob leaves them out (statetrack-catalog_psl-2-7_len16)
TASK_RE = re.compile(r"^statetrack[_-](?P<spec>[A-Za-z0-9]+_[\w-]+?)_len(?P<length>\d+)$")
DEFAULT_FRAC = 0.9
_EPS = 1e-9  # scores are ratios of counts; keep 0.95 >= 0.5 + 0.9 * 0.5 true in floats


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


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def primary_metric(
    entry: Mapping[str, object], preferred: Sequence[str] = ()
) -> tuple[str, str] | None:
    """The (metric, filter) to report from one task's lm-eval results entry.

    lm-eval keys scores as ``"<metric>,<filter>"``: take the first of ``preferred`` (the
    variant's metrics, in the order the suite declares them) that is present, else ``acc``,
    else the first numeric metric.
    """
    found = []
    for key, value in entry.items():
        metric, sep, filt = key.partition(",")
        if sep and is_number(value) and not metric.endswith("_stderr"):
            found.append((metric, filt))
    for name in (*preferred, "acc"):
        match = next((m for m in found if m[0] == name), None)
        if match:
            return match
    return found[0] if found else None


def is_hard(family: str, variant: str, complexity: str | None = None) -> bool | None:
    """Whether a variant is the hard (NC1-complete) side of a hard-vs-control pair: the
    installed suite says so; for a variant it lacks, the recorded complexity class does.
    None when neither is known."""
    spec = installed_variant(family, variant)
    if spec is not None:
        return spec.hard
    return None if not complexity else "NC1" in complexity


@dataclass(frozen=True)
class Point:
    """One task's score: the length and the primary metric with lm-eval's stderr.

    ``floor``: the task's majority-class rate where its answers are skewed (the task
    metadata's ``floor``; :func:`lm_eval_statetrack.baselines.floor`); the horizon then
    measures from it instead of from chance.
    """

    length: int
    value: float
    stderr: float | None = None
    floor: float | None = None


def threshold(chance: float, frac: float = DEFAULT_FRAC) -> float:
    """The score a model must reach at a length: ``frac`` of the way from chance to 1."""
    if not 0 < frac <= 1:
        raise ValueError(f"threshold fraction must be in (0, 1], got {frac!r}")
    return chance + frac * (1 - chance)


@dataclass(frozen=True)
class Horizon:
    length: int | None  # None: below the threshold already at the shortest length
    censored: bool  # every measured length passed: the true horizon may be longer
    threshold: float
    shortest: int  # the shortest measured length (what "none" is relative to)

    def __str__(self) -> str:
        if self.length is None:
            return "none"
        return f">={self.length}" if self.censored else str(self.length)


def horizon(
    points: Iterable[Point], chance: float, frac: float = DEFAULT_FRAC, z: float = 0.0
) -> Horizon:
    """The state-tracking horizon (module docstring) of one curve; ``Horizon.threshold`` is
    the threshold from chance (a point's own ``floor`` can only raise it).

    ``z`` shifts every score by ``-z * stderr`` first (positive: stricter); a missing
    stderr counts as 0.
    """
    ordered = sorted(points, key=lambda p: p.length)
    if not ordered:
        raise ValueError("horizon needs at least one measured length")
    t = threshold(chance, frac)
    best = None
    for p in ordered:
        needed = t if p.floor is None else threshold(max(chance, p.floor), frac)
        if p.value - z * (p.stderr or 0.0) < needed - _EPS:
            return Horizon(best, False, t, ordered[0].length)
        best = p.length
    return Horizon(best, True, t, ordered[0].length)


def horizon_range(
    points: Iterable[Point], chance: float, frac: float = DEFAULT_FRAC, z: float = 1.96
) -> tuple[Horizon, Horizon]:
    """The horizon with every score moved down, then up, by ``z`` standard errors."""
    points = list(points)
    return horizon(points, chance, frac, z), horizon(points, chance, frac, -z)


@dataclass(frozen=True)
class Gap:
    """log2(control horizon / hard horizon): how many doublings of length the hard variant
    loses against its control. ``relation`` is "=" between two exact horizons; ">=", "<=",
    ">" or "<" when one is censored or none (then ``doublings`` is the bound); "?" (and no
    ``doublings``) when the data cannot say."""

    doublings: float | None
    relation: str

    def __str__(self) -> str:
        if self.doublings is None:
            return "?"
        value = f"{round(self.doublings, 1):+g}"
        return value if self.relation == "=" else f"{self.relation}{value}"


def gap(hard: Horizon, control: Horizon) -> Gap:
    """The hard-vs-control gap between two horizons, with the direction of any bound."""
    if hard.length is None and control.length is None:
        return Gap(None, "?")
    if hard.length is None:  # hard < its shortest length
        return Gap(math.log2(control.length / hard.shortest), ">")
    if control.length is None:  # control < its shortest length
        return Gap(math.log2(control.shortest / hard.length), "<")
    doublings = math.log2(control.length / hard.length)
    if hard.censored and control.censored:
        return Gap(None, "?")
    if control.censored:
        return Gap(doublings, ">=")
    if hard.censored:
        return Gap(doublings, "<=")
    return Gap(doublings, "=")
