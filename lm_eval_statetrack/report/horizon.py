"""Per-length accuracy, chance and the state-tracking horizon.

The horizon is the headline number of a state-tracking evaluation: how far a model tracks
state before it falls towards chance. Its definition, used everywhere in this package:

    threshold  t = floor + frac * (1 - floor)         (frac = 0.9 by default; floor =
                                                      chance, or the task's majority-class
                                                      rate at that length where its
                                                      answers are skewed and it is higher)
    horizon      = the longest measured length L such that the score is >= t at every
                   measured length <= L; none when the score is below t at the shortest
                   measured length.

When every measured length passes, the true horizon may lie beyond the ladder, so the
horizon is a lower bound (``Horizon.censored``; printed as ">=L"). lm-eval reports a standard
error per task; ``horizon_range`` recomputes the horizon at score -/+ z * stderr. That band
shows how much the horizon hangs on sampling noise; it is not a confidence interval.

Nothing here imports lm-eval, matplotlib or the suite.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_FRAC = 0.9
_EPS = 1e-9  # scores are ratios of counts; keep 0.95 >= 0.5 + 0.9 * 0.5 true in floats


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


def point_threshold(point: Point, chance: float, frac: float = DEFAULT_FRAC) -> float:
    """The threshold at one length: from its floor where that is above chance."""
    return threshold(chance if point.floor is None else max(chance, point.floor), frac)


@dataclass(frozen=True)
class Horizon:
    length: int | None  # None: below the threshold already at the shortest length
    censored: bool  # every measured length passed: the true horizon may be longer
    threshold: float  # from chance; ``raised`` lists the lengths whose floor is higher
    shortest: int  # the shortest measured length (what "none" is relative to)
    raised: tuple[tuple[int, float], ...] = ()  # (length, threshold) where a floor raises it

    def threshold_text(self) -> str:
        """The threshold(s) the horizon used, e.g. "0.908 (0.920 at 8)"."""
        extra = ", ".join(f"{t:.3f} at {length}" for length, t in self.raised)
        return f"{self.threshold:.3f}" + (f" ({extra})" if extra else "")

    def __str__(self) -> str:
        if self.length is None:
            return "none"
        return f">={self.length}" if self.censored else str(self.length)


def horizon(
    points: Iterable[Point], chance: float, frac: float = DEFAULT_FRAC, z: float = 0.0
) -> Horizon:
    """The state-tracking horizon (module docstring) of one curve; ``Horizon.threshold`` is
    the threshold from chance, ``Horizon.raised`` the lengths where a point's own
    ``floor`` raises it.

    ``z`` shifts every score by ``-z * stderr`` first (positive: stricter); a missing
    stderr counts as 0.
    """
    ordered = sorted(points, key=lambda p: p.length)
    if not ordered:
        raise ValueError("horizon needs at least one measured length")
    t = threshold(chance, frac)
    needed = {p.length: point_threshold(p, chance, frac) for p in ordered}
    raised = tuple((length, v) for length, v in needed.items() if v > t + _EPS)
    best = None
    for p in ordered:
        if p.value - z * (p.stderr or 0.0) < needed[p.length] - _EPS:
            return Horizon(best, False, t, ordered[0].length, raised)
        best = p.length
    return Horizon(best, True, t, ordered[0].length, raised)


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
