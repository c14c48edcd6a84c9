"""Runs -> accuracy-vs-length curves, their horizons, and hard-vs-control gaps.

A hard variant (NC1-complete) is compared with the controls of its family whose chance
level is closest to its own (same answer space when possible: A5 with A4xZ5 and Z60, all
60 elements), so the gap measures the group's structure, not the number of choices.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from lm_eval_statetrack.families import FAMILY_MODULES, get_family
from lm_eval_statetrack.families.suite import installed_variant, installed_version, is_hard
from lm_eval_statetrack.report.horizon import (
    DEFAULT_FRAC,
    Gap,
    Horizon,
    Point,
    gap,
    horizon,
    horizon_range,
    threshold,
)
from lm_eval_statetrack.report.load import Loaded, Run, Score


@dataclass(frozen=True)
class Curve:
    """One model on one variant: its scores, shortest length first."""

    label: str
    family: str
    variant: str
    metric: str
    chance: float | None
    complexity: str | None
    scores: tuple[Score, ...]

    @property
    def points(self) -> list[Point]:
        return [Point(s.length, s.value, s.stderr, s.floor) for s in self.scores]

    @property
    def partial(self) -> bool:
        return any(s.partial for s in self.scores)

    @property
    def docs(self) -> str:
        """Docs scored per task, e.g. "250" or "3 of 250" after ``--limit``."""
        n = [s.n for s in self.scores if s.n is not None]
        total = [s.n_original for s in self.scores if s.n_original is not None]
        if not n:
            return "unknown"
        if self.partial:
            return f"{min(n)} of {max(total)}"
        return str(min(n)) if min(n) == max(n) else f"{min(n)}-{max(n)}"


@dataclass(frozen=True)
class HorizonRow:
    curve: Curve
    horizon: Horizon | None  # None when the chance level is unknown
    low: Horizon | None  # scores - 1.96 stderr
    high: Horizon | None  # scores + 1.96 stderr
    missing: tuple[int, ...]  # lengths of the installed ladder with no score

    @property
    def threshold(self) -> float | None:
        return self.horizon.threshold if self.horizon else None


@dataclass(frozen=True)
class GapRow:
    label: str
    hard: HorizonRow
    control: HorizonRow
    gap: Gap


@dataclass
class Summary:
    runs: list[Run]
    frac: float
    curves: list[Curve] = field(default_factory=list)
    horizons: list[HorizonRow] = field(default_factory=list)
    gaps: list[GapRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def families(self) -> list[str]:
        keys = sorted({(c.family, c.variant) for c in self.curves}, key=suite_order)
        return list(dict.fromkeys(family for family, _ in keys))

    def variants(self, family: str) -> list[str]:
        keys = sorted(
            {(c.family, c.variant) for c in self.curves if c.family == family}, key=suite_order
        )
        return [variant for _, variant in keys]

    def rows(self, family: str, variant: str) -> list[HorizonRow]:
        """The horizon rows of one variant, in model order."""
        return [r for r in self.horizons if (r.curve.family, r.curve.variant) == (family, variant)]


def _rank(items: list[str], item: str) -> int:
    return items.index(item) if item in items else len(items)


def suite_order(key: tuple[str, str]) -> tuple:
    """Installed families and variants in suite order, anything else after, by name."""
    family, variant = key
    try:
        variants = list(get_family(family).variants)
    except (ValueError, ImportError):
        variants = []
    return (_rank(list(FAMILY_MODULES), family), family, _rank(variants, variant), variant)


def curves_of(run: Run, notes: list[str]) -> list[Curve]:
    grouped: dict[tuple[str, str], list[Score]] = {}
    for score in run.scores.values():
        grouped.setdefault((score.family, score.variant), []).append(score)
    out = []
    for key in sorted(grouped, key=suite_order):
        scores = sorted(grouped[key], key=lambda s: s.length)
        metric = Counter(s.metric for s in scores).most_common(1)[0][0]
        odd = [s.task for s in scores if s.metric != metric]
        if odd:
            notes.append(
                f"{run.label}: {', '.join(odd)} scored with another metric than {metric}; left out"
            )
            scores = [s for s in scores if s.metric == metric]
        chances = {round(s.chance, 6) for s in scores if s.chance is not None}
        if len(chances) > 1:
            notes.append(f"{run.label}: {key[0]}/{key[1]} tasks disagree on chance {chances}")
        complexity = next((s.complexity for s in scores if s.complexity), None)
        chance = next((s.chance for s in scores if s.chance is not None), None)
        out.append(Curve(run.label, *key, metric, chance, complexity, tuple(scores)))
    return out


def horizon_row(curve: Curve, frac: float) -> HorizonRow:
    spec = installed_variant(curve.family, curve.variant)
    measured = {s.length for s in curve.scores}
    missing = tuple(sorted(set(spec.lengths) - measured)) if spec else ()
    if curve.chance is None:
        return HorizonRow(curve, None, None, None, missing)
    points = curve.points
    low, high = horizon_range(points, curve.chance, frac)
    return HorizonRow(curve, horizon(points, curve.chance, frac), low, high, missing)


def _closest_controls(hard: HorizonRow, controls: list[HorizonRow]) -> list[HorizonRow]:
    """The controls whose chance is nearest the hard variant's (on a log scale; a chance of
    0, as in open-ended generation, counts as 1e-12)."""

    def distance(row: HorizonRow) -> float:
        return abs(math.log(max(row.curve.chance, 1e-12) / max(hard.curve.chance, 1e-12)))

    if not controls:
        return []
    best = min(map(distance, controls))
    return [c for c in controls if distance(c) <= best + 1e-9]


def gap_rows(rows: list[HorizonRow]) -> list[GapRow]:
    out = []
    for label in dict.fromkeys(r.curve.label for r in rows):
        for family in dict.fromkeys(r.curve.family for r in rows):
            mine = [r for r in rows if r.curve.label == label and r.curve.family == family]
            side = {
                id(r): is_hard(r.curve.family, r.curve.variant, r.curve.complexity) for r in mine
            }
            hard = [r for r in mine if side[id(r)] and r.horizon]
            controls = [r for r in mine if side[id(r)] is False and r.horizon]
            for h in hard:
                for c in _closest_controls(h, controls):
                    out.append(GapRow(label, h, c, gap(h.horizon, c.horizon)))
    return out


def _version_notes(run: Run) -> list[str]:
    notes = []
    for family in dict.fromkeys(s.family for s in run.scores.values()):
        installed = installed_version(family)
        used = {
            "unrecorded" if s.version is None else str(s.version)
            for s in run.scores.values()
            if s.family == family
        }
        if installed is None:
            notes.append(f"{run.label}: family {family!r} is not in the installed suite")
        elif used != {str(installed)}:
            notes.append(
                f"{run.label}: {family} results are version {', '.join(sorted(used))}, the "
                f"installed suite is version {installed}: the docs may differ"
            )
    return notes


def summarize(loaded: Loaded, frac: float = DEFAULT_FRAC) -> Summary:
    threshold(0.0, frac)  # reject a bad fraction before doing any work
    summary = Summary(runs=loaded.runs, frac=frac, notes=list(loaded.notes))
    for run in loaded.runs:
        summary.notes.extend(_version_notes(run))
        summary.curves.extend(curves_of(run, summary.notes))
    for curve in summary.curves:
        row = horizon_row(curve, frac)
        if row.horizon is None:
            summary.notes.append(
                f"{curve.label}: chance of {curve.family}/{curve.variant} is unknown (not in "
                "the results' task metadata nor the installed suite); no horizon"
            )
        if row.missing:
            summary.notes.append(
                f"{curve.label}: {curve.family}/{curve.variant} has no score at length(s) "
                f"{', '.join(map(str, row.missing))}; the horizon covers measured lengths only"
            )
        summary.horizons.append(row)
    summary.gaps = gap_rows(summary.horizons)
    return summary
