"""A summary as records (for CSV and JSON) and as Markdown tables."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from lm_eval_statetrack.report.horizon import Horizon
from lm_eval_statetrack.report.load import ModelInfo
from lm_eval_statetrack.report.summary import GapRow, HorizonRow, Summary, suite_order


def horizon_definition(frac: float) -> str:
    return (
        f"threshold = floor + {frac:g} x (1 - floor), floor = chance, or the task's "
        "majority-class rate (its `metadata.floor`) where the answers at a length are skewed "
        "above chance; such lengths' own thresholds are in brackets. horizon = the longest "
        "measured length L "
        "such that the score is >= the threshold at every measured length <= L. `>=L`: every "
        "measured length passed, the true horizon may be longer; `none`: below the threshold "
        "at the shortest length. [low, high]: the horizon with every score moved down / up by "
        "1.96 standard errors (sensitivity to sampling noise, not a confidence interval). "
        "`*`: partial run, fewer docs than the task has (e.g. `lm_eval --limit`)."
    )


def _h(horizon: Horizon | None) -> str:
    return str(horizon) if horizon else "unknown"


def model_record(model: ModelInfo) -> dict:
    return {
        "id": model.name,
        "revision": model.revision,
        "sha": model.sha,
        "adapter": model.adapter,
        "backend": model.backend,
        "kernels": model.kernels,
        "dtype": model.dtype,
        "num_parameters": model.num_parameters,
    }


def run_records(summary: Summary) -> list[dict]:
    """One record per run; a label that merges several models lists each with its own
    figures under ``models``."""
    return [
        {
            "model": run.label,
            "model_id": " / ".join(m.name for m in run.models),
            "adapter": run.model.adapter,
            "backend": run.model.backend,
            "kernels": run.model.kernels,
            "dtype": run.model.dtype,
            "num_parameters": run.model.num_parameters,
            "models": [model_record(m) for m in run.models],
            "lm_eval_version": run.lm_eval_version,
            "date": run.date,
            "files": run.paths,
        }
        for run in summary.runs
    ]


def score_records(summary: Summary) -> list[dict]:
    return [
        {
            "model": c.label,
            "family": c.family,
            "variant": c.variant,
            "length": s.length,
            "task": s.task,
            **s.measured(),
            "partial": s.partial,
            "chance": s.chance,
            "complexity": s.complexity,
            "version": s.version,
        }
        for c in summary.curves
        for s in c.scores
    ]


def horizon_record(row: HorizonRow, frac: float) -> dict:
    c, h = row.curve, row.horizon
    return {
        "model": c.label,
        "family": c.family,
        "variant": c.variant,
        "complexity": c.complexity,
        "metric": c.metric,
        "chance": c.chance,
        "threshold_frac": frac,
        "threshold": row.threshold,
        "thresholds_raised": {str(length): t for length, t in h.raised} if h else {},
        "horizon": h.length if h else None,
        "horizon_text": _h(h),
        "censored": h.censored if h else None,
        "horizon_low": _h(row.low),
        "horizon_high": _h(row.high),
        "lengths": [s.length for s in c.scores],
        "missing_lengths": list(row.missing),
        "docs": c.docs,
        "partial": c.partial,
    }


def gap_record(row: GapRow) -> dict:
    return {
        "model": row.label,
        "family": row.hard.curve.family,
        "hard": row.hard.curve.variant,
        "control": row.control.curve.variant,
        "hard_horizon": _h(row.hard.horizon),
        "control_horizon": _h(row.control.horizon),
        "gap_doublings": row.gap.doublings,
        "gap_relation": row.gap.relation,
        "gap_text": str(row.gap),
    }


def records(summary: Summary) -> dict:
    """Everything the report shows, as JSON-ready data."""
    return {
        "threshold_frac": summary.frac,
        "horizon_definition": horizon_definition(summary.frac),
        "runs": run_records(summary),
        "scores": score_records(summary),
        "horizons": [horizon_record(r, summary.frac) for r in summary.horizons],
        "gaps": [gap_record(r) for r in summary.gaps],
        "notes": summary.notes,
    }


def to_csv(rows: list[dict]) -> str:
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: " ".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
        )
    return out.getvalue()


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(" --- " for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _cell(row: HorizonRow | None) -> str:
    if row is None:
        return "-"
    text = _h(row.horizon)
    band = (_h(row.low), _h(row.high))
    if row.horizon and band != (text, text):
        text += f" [{band[0]}, {band[1]}]"
    return text + (" *" if row.curve.partial else "")


def _each(models: list[dict], key: str, show=str) -> str:
    """One figure per model, in order ("a / b"); a single value when all agree."""
    values = [show(m[key]) if m[key] is not None else "unknown" for m in models]
    return values[0] if len(set(values)) == 1 else " / ".join(values)


def _backend(model: dict) -> str:
    kernels = model["kernels"]
    return model["backend"] if kernels == "unknown" else f"{model['backend']}: {kernels}"


def runs_table(summary: Summary) -> list[str]:
    """The models, each merged row giving every model's own id, backend, dtype and size."""
    rows = []
    for r in run_records(summary):
        models = r["models"]
        backends = [_backend(m) for m in models]
        rows.append(
            [
                f"`{r['model']}`",
                " / ".join(f"`{m['id']}`" for m in models),
                _each(models, "adapter"),
                backends[0] if len(set(backends)) == 1 else " / ".join(backends),
                _each(models, "dtype"),
                " / ".join(
                    f"{m['num_parameters']:,}" if m["num_parameters"] else "unknown" for m in models
                ),
                r["lm_eval_version"],
                r["date"],
            ]
        )
    header = ["model", "id", "adapter", "backend", "dtype", "parameters", "lm-eval", "date"]
    return _table(header, rows)


def horizon_table(summary: Summary, family: str) -> list[str]:
    labels = [run.label for run in summary.runs]
    by_key = {(r.curve.label, r.curve.family, r.curve.variant): r for r in summary.horizons}
    mine = [r for r in summary.horizons if r.curve.family == family]
    rows = []
    for variant in summary.variants(family):
        first = next(r for r in mine if r.curve.variant == variant)
        chance = first.curve.chance
        rows.append(
            [
                f"`{variant}`",
                first.curve.complexity or "unknown",
                first.curve.metric,
                f"{chance:.3f}" if chance is not None else "unknown",
                first.horizon.threshold_text() if first.horizon else "unknown",
                *(_cell(by_key.get((label, family, variant))) for label in labels),
            ]
        )
    header = ["variant", "complexity", "metric", "chance", "threshold", *labels]
    return _table(header, rows)


def gap_table(summary: Summary) -> list[str]:
    labels = [run.label for run in summary.runs]
    pairs = sorted(
        {
            (g.hard.curve.family, g.hard.curve.variant, g.control.curve.variant)
            for g in summary.gaps
        },
        key=lambda p: (suite_order(p[:2]), suite_order((p[0], p[2]))),
    )
    by_key = {
        (g.label, g.hard.curve.family, g.hard.curve.variant, g.control.curve.variant): g
        for g in summary.gaps
    }
    rows = []
    for family, hard, control in pairs:
        cells = []
        for label in labels:
            g = by_key.get((label, family, hard, control))
            cells.append(f"{_h(g.hard.horizon)} / {_h(g.control.horizon)} ({g.gap})" if g else "-")
        rows.append([family, f"`{hard}`", f"`{control}`", *cells])
    return _table(["family", "hard", "control", *labels], rows)


def markdown(
    summary: Summary,
    figures: dict[str, Path],
    base: Path,
    level: int = 1,
    command: str | None = None,
) -> str:
    """The report as Markdown, its title at heading ``level`` (sections one below; no title
    above level 1, to go under an existing heading). Figure links are relative to the folder
    ``base``; ``command``, if given, is quoted as how to regenerate the text."""
    h = "#" * level
    lines = [f"{h} State-tracking report", ""] if level == 1 else []
    if command:
        lines += ["Generated by:", "", "```bash", command, "```", ""]
    lines += [*runs_table(summary), ""]
    lines += [f"{h}# Horizons", "", horizon_definition(summary.frac), ""]
    for family in summary.families():
        lines += [f"{h}## {family}", ""]
        if family in figures:
            link = Path(os.path.relpath(figures[family], base)).as_posix()
            lines += [f"![{family}: score vs length]({link})", ""]
        lines += [*horizon_table(summary, family), ""]
    if summary.gaps:
        lines += [
            f"{h}# Hard vs control",
            "",
            "Each NC1-complete variant against the controls of its family with the closest "
            "chance level. Cells: hard horizon / control horizon (gap in doublings of length, "
            "log2 of control over hard horizon; `>=`, `>`, `<=`, `<` where a horizon is only a "
            "bound, `?` where the data cannot tell).",
            "",
            *gap_table(summary),
            "",
        ]
    if summary.notes:
        lines += [f"{h}# Notes", "", *(f"- {note}" for note in summary.notes), ""]
    return "\n".join(lines)


def write_data(summary: Summary, out: Path) -> list[Path]:
    """scores.csv, horizons.csv, gaps.csv and report.json in ``out``."""
    data = records(summary)
    for run in data["runs"]:  # where the results files are from the report, not the machine
        run["files"] = [
            Path(os.path.relpath(Path(f).resolve(), out.resolve())).as_posix() for f in run["files"]
        ]
    written = []
    for name in ("scores", "horizons", "gaps"):
        path = out / f"{name}.csv"
        path.write_text(to_csv(data[name]), encoding="utf-8")
        written.append(path)
    path = out / "report.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return [*written, path]
