"""A board as data: ``leaderboard.json``, ``leaderboard.csv`` and ``leaderboard.md``."""

from __future__ import annotations

import json

from lm_eval_statetrack.families.suite import is_hard
from lm_eval_statetrack.report.horizon import Horizon
from lm_eval_statetrack.report.leaderboard import score
from lm_eval_statetrack.report.leaderboard.collect import Board, Entry
from lm_eval_statetrack.report.summary import HorizonRow, suite_order
from lm_eval_statetrack.report.tables import (
    _table,
    gap_record,
    horizon_definition,
    horizon_record,
    to_csv,
)

FORMAT = "lm-eval-statetrack-leaderboard"
EVIDENCE_DIR = "submissions"  # copies of the accepted files, beside the page

SCORE_DEFINITION = (
    "score = mean over the suite's {n} hard (NC1-complete) variants of the variant score "
    "S(v); S(v) = mean over the variant's whole length ladder of "
    "clip((accuracy - floor) / (1 - floor), 0, 1), floor = the highest of the task's "
    "chance level, its majority-class rate and the best shallow rule of `statetrack "
    "baselines`. A length or a hard variant a model did not run counts 0: a model at "
    "chance or answering by a shallow rule scores 0, a perfect one 1, and missing data "
    "never raises a score. Hard variants run: how many of the {n} the model ran."
)


def score_definition() -> str:
    return SCORE_DEFINITION.format(n=len(score.hard_variants()))


def horizon_key(h: Horizon | None) -> float:
    """Sort key of a horizon: unknown < none < L < >=L."""
    if h is None:
        return -1.0
    if h.length is None:
        return 0.0
    return h.length + (0.5 if h.censored else 0.0)


def family_horizon(entry: Entry, family: str) -> HorizonRow | None:
    """The family's weakest horizon among its hard variants the model ran (all its
    variants where it ran no hard one); None when it did not run the family."""
    rows = [r for r in entry.summary.horizons if r.curve.family == family]
    hard = [r for r in rows if is_hard(family, r.curve.variant)]
    return min(hard or rows, key=lambda r: horizon_key(r.horizon), default=None)


def families(board: Board) -> list[str]:
    """Every family some accepted entry ran, in suite order."""
    keys = {
        (r.curve.family, r.curve.variant)
        for e in board.ranked + board.partial
        for r in e.summary.horizons
    }
    return list(dict.fromkeys(f for f, _ in sorted(keys, key=suite_order)))


def evidence_link(entry: Entry) -> str:
    return f"{EVIDENCE_DIR}/{entry.name}"


def _horizon(row: HorizonRow, frac: float) -> dict:
    """A variant's horizon record with its curve, for the page's charts and sorting."""
    return {
        **horizon_record(row, frac),
        "horizon_key": horizon_key(row.horizon),
        "points": [
            {"length": s.length, "value": s.value, "stderr": s.stderr} for s in row.curve.scores
        ],
    }


def entry_record(entry: Entry, rank: int | None, family_names: list[str]) -> dict:
    sub, model = entry.submission, entry.model
    cells = {}
    for family in family_names:
        row = family_horizon(entry, family)
        if row is not None:
            cells[family] = {"variant": row.curve.variant, "horizon_text": str(row.horizon)}
    return {
        "rank": rank,
        "model": model["id"],
        "revision": model.get("revision"),
        "sha": model.get("sha"),
        "num_parameters": model.get("num_parameters"),
        "architecture": model.get("architecture") or "unknown",
        "dtype": model.get("dtype"),
        "adapter": model.get("adapter"),
        "backend": model.get("backend"),
        "lm_eval_version": sub["run"].get("lm_eval_version"),
        "suite_version": sub["suite"]["version"],
        "date": entry.date,
        "score": round(entry.scores.headline, 4),
        "coverage": list(entry.scores.coverage),
        "family_horizons": cells,
        "variant_scores": {
            f"{f}/{v}": round(s, 4)
            for (f, v), s in sorted(
                entry.scores.variants.items(), key=lambda kv: suite_order(kv[0])
            )
        },
        "horizons": [_horizon(r, entry.summary.frac) for r in entry.summary.horizons],
        "gaps": [gap_record(g) for g in entry.summary.gaps],
        "partial": entry.partial,
        "not_checked": entry.unchecked,
        "file": entry.name,
        "evidence": evidence_link(entry),
    }


def board_record(board: Board) -> dict:
    """Everything the page shows, as JSON-ready data (no build date: rebuilds are
    byte-identical)."""
    names = families(board)
    return {
        "format": FORMAT,
        "suite_version": board.suite_version,
        "score_definition": score_definition(),
        "hard_variants": [f"{f}/{v}" for f, v in score.hard_variants()],
        "threshold_frac": board.frac,
        "horizon_definition": horizon_definition(board.frac),
        "families": names,
        "ranked": [entry_record(e, i, names) for i, e in enumerate(board.ranked, 1)],
        "partial": [entry_record(e, None, names) for e in board.partial],
        "rejected": [{"file": r.name, "reasons": r.reasons} for r in board.rejected],
        "superseded": [{"file": r.name, "reasons": r.reasons} for r in board.superseded],
    }


def to_json(record: dict) -> str:
    return json.dumps(record, indent=1, ensure_ascii=False) + "\n"


def csv_text(record: dict) -> str:
    """One line per accepted model; ``status`` says ranked or partial (not ranked)."""
    rows = []
    for status in ("ranked", "partial"):
        for r in record[status]:
            horizons = r["family_horizons"]
            rows.append(
                {
                    "status": status,
                    "rank": r["rank"],
                    "model": r["model"],
                    "score": r["score"],
                    "hard_variants_run": r["coverage"][0],
                    **{
                        f"horizon_{f}": (
                            f"{horizons[f]['horizon_text']} ({horizons[f]['variant']})"
                            if f in horizons
                            else ""
                        )
                        for f in record["families"]
                    },
                    **{k: r[k] for k in ("num_parameters", "architecture", "dtype", "adapter")},
                    **{k: r[k] for k in ("lm_eval_version", "suite_version", "date", "file")},
                }
            )
    return to_csv(rows)


def _model_rows(rows: list[dict], family_names: list[str], ranked: bool) -> list[list[str]]:
    out = []
    for r in rows:
        horizons = r["family_horizons"]
        params = r["num_parameters"]
        out.append(
            [
                *([str(r["rank"])] if ranked else []),
                f"`{r['model']}`",
                f"{r['score']:.3f}",
                f"{r['coverage'][0]}/{r['coverage'][1]}",
                *(
                    f"{horizons[f]['horizon_text']} ({horizons[f]['variant']})"
                    if f in horizons
                    else "-"
                    for f in family_names
                ),
                f"{params:,}" if params else "unknown",
                r["architecture"],
                r["date"],
                f"[{r['file']}]({r['evidence']})",
            ]
        )
    return out


def markdown(record: dict) -> str:
    names = record["families"]
    header = ["model", "score", "hard variants run", *(f"{f} horizon" for f in names)]
    header += ["parameters", "architecture", "date", "evidence"]
    lines = [
        "# State-tracking leaderboard",
        "",
        f"lm-eval-statetrack {record['suite_version']}: every row was scored on this suite "
        "version and validated by `statetrack validate`.",
        "",
        f"**Score.** {record['score_definition']}",
        "",
        f"**Horizon** (per family: its weakest hard variant). {record['horizon_definition']}",
        "",
        *_table(["rank", *header], _model_rows(record["ranked"], names, True)),
        "",
    ]
    if record["partial"]:
        lines += [
            "## Partial runs (not ranked)",
            "",
            "Fewer docs than the tasks have (`lm_eval --limit`) or lengths missing: shown, "
            "never ranked with complete runs.",
            "",
            *_table(header, _model_rows(record["partial"], names, False)),
            "",
        ]
    gaps = [(r["model"], g) for s in ("ranked", "partial") for r in record[s] for g in r["gaps"]]
    if gaps:
        lines += ["## Hard vs control", "", "Gap in doublings of length.", ""]
        lines += _table(
            ["model", "family", "hard", "control", "hard horizon", "control horizon", "gap"],
            [
                [f"`{m}`", g["family"], f"`{g['hard']}`", f"`{g['control']}`"]
                + [g["hard_horizon"], g["control_horizon"], g["gap_text"]]
                for m, g in gaps
            ],
        )
        lines.append("")
    for key, title in (("rejected", "Rejected"), ("superseded", "Superseded")):
        if record[key]:
            lines += [f"## {title}", ""]
            lines += [f"- `{r['file']}`: {reason}" for r in record[key] for reason in r["reasons"]]
            lines.append("")
    return "\n".join(lines)
