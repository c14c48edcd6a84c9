"""Submission files -> the entries of a leaderboard: validated, reconciled, scored.

Every file is checked by ``submission.check``, the function ``statetrack validate`` runs,
with the same defaults (samples required); a partial run (``--limit``, lengths missing) is
kept apart instead of ranked, as ``validate --allow-partial`` would accept it. Anything
else that ``validate`` rejects is left out and listed with its reasons. Two accepted
submissions of one model on one suite version are reconciled: a complete run beats a
partial one, then the newest run wins, and the other is listed as superseded.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lm_eval_statetrack import __version__
from lm_eval_statetrack.families.suite import installed_floor, installed_variant
from lm_eval_statetrack.report.horizon import DEFAULT_FRAC
from lm_eval_statetrack.report.leaderboard import ARCHITECTURES
from lm_eval_statetrack.report.leaderboard.score import Scores, scores
from lm_eval_statetrack.report.load import Loaded, ModelInfo, Run, Score, is_number
from lm_eval_statetrack.report.submission import Verdict, check, read
from lm_eval_statetrack.report.summary import Summary, summarize

SUFFIXES = (".json.gz", ".json")
READ_ERRORS = (OSError, UnicodeDecodeError, gzip.BadGzipFile, EOFError, json.JSONDecodeError)


@dataclass(frozen=True)
class Entry:
    """One accepted submission and what the board shows of it."""

    name: str  # the file, relative to the folder it was found in
    path: Path
    submission: Mapping
    partial: list[str]  # why it is not ranked; empty when complete
    unchecked: list[str]  # what validate could not recompute
    scores: Scores
    summary: Summary  # curves, horizons and hard-vs-control gaps at the board's threshold

    @property
    def model(self) -> Mapping:
        return self.submission["model"]

    @property
    def date(self) -> str:
        return str(self.submission["run"].get("date") or "unknown")


@dataclass(frozen=True)
class Rejected:
    name: str
    reasons: list[str]


@dataclass
class Board:
    ranked: list[Entry] = field(default_factory=list)
    partial: list[Entry] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    superseded: list[Rejected] = field(default_factory=list)
    frac: float = DEFAULT_FRAC
    suite_version: str = __version__


def submission_files(args: Sequence[Path]) -> tuple[list[tuple[str, Path]], list[Rejected]]:
    """(shown name, path) of every submission named: a file as given, a folder as every
    ``*.json.gz`` and ``*.json`` below it (shown relative to the folder)."""
    found, missing = [], []
    for arg in args:
        if arg.is_dir():
            files = sorted(p for p in arg.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
            found += [(p.relative_to(arg).as_posix(), p) for p in files]
        elif arg.is_file():
            found.append((arg.name, arg))
        else:
            missing.append(Rejected(str(arg), ["no such file or folder"]))
    return found, missing


def verdict_of(path: Path) -> tuple[object, Verdict]:
    """The parsed file and ``validate``'s verdict on it (samples required)."""
    try:
        sub = read(path)
    except READ_ERRORS as e:
        return None, Verdict(errors=[f"cannot read it as a submission (gzip or plain JSON): {e}"])
    try:
        return sub, check(sub)
    except (KeyError, TypeError, ValueError, AttributeError) as e:  # malformed beyond check
        return sub, Verdict(errors=[f"malformed submission: {type(e).__name__}: {e}"])


def _display_problems(sub: Mapping) -> list[str]:
    """Fields the board shows that ``validate`` does not look at, each named."""
    model, run = sub["model"], sub["run"]  # both objects once ``check`` passed
    problems = []
    params = model.get("num_parameters")
    if params is not None and not (isinstance(params, int) and not isinstance(params, bool)):
        problems.append(f"model.num_parameters: {params!r} is not a whole number")
    arch = model.get("architecture")
    if arch is not None and arch not in ARCHITECTURES:
        problems.append(f"model.architecture: {arch!r} is not one of {', '.join(ARCHITECTURES)}")
    for where, key in ((model, "model.id"), (run, "run.date")):
        value = where.get(key.split(".")[1])
        if value is not None and not isinstance(value, str):
            problems.append(f"{key}: {value!r} is not a string")
    return problems


def run_of(sub: Mapping, name: str) -> Run:
    """A submission as the report's ``Run``, so horizons and gaps come from ``summarize``."""
    model = sub["model"]
    info = ModelInfo(
        model_id=model["id"],
        adapter=str(model.get("adapter") or "unknown"),
        backend=str(model.get("backend") or "unknown"),
        kernels=str(model.get("kernels") or "unknown"),
        dtype=str(model.get("dtype") or "unknown"),
        model_args=dict(model.get("model_args") or {}),
        num_parameters=model.get("num_parameters"),
        revision=model.get("revision"),
        sha=model.get("sha"),
    )
    tasks = {}
    for task, e in sub["tasks"].items():
        spec = installed_variant(e["family"], e["variant"])
        tasks[task] = Score(
            task=task,
            key=task,  # submissions hold leaf task names
            family=e["family"],
            variant=e["variant"],
            length=e["length"],
            metric=e["metric"],
            filter=str(e.get("filter") or "none"),
            value=e["value"],
            stderr=e.get("stderr") if is_number(e.get("stderr")) else None,
            n=e.get("n"),
            n_original=e.get("n_original"),
            version=e["version"],
            chance=spec.chance,
            complexity=spec.complexity,
            n_shot=e.get("n_shot"),
            source=name,
            floor=installed_floor(e["family"], e["variant"], e["length"]),
        )
    run = sub["run"]
    return Run(
        label=model["id"],
        model=info,
        paths=[name],
        scores=tasks,
        lm_eval_version=str(run.get("lm_eval_version")),
        date=str(run.get("date") or "unknown"),
    )


def _preference(entry: Entry) -> tuple:
    """Higher is kept: a complete run, then the newest, then the later file name."""
    return (not entry.partial, entry.date != "unknown", entry.date, entry.name)


def collect(args: Sequence[Path], frac: float = DEFAULT_FRAC) -> Board:
    """Validate, score and reconcile every submission under ``args``."""
    files, rejected = submission_files(args)
    board = Board(rejected=rejected, frac=frac)
    seen: dict[str, str] = {}
    accepted: dict[str, list[Entry]] = {}
    for name, path in files:
        if name in seen:
            board.rejected.append(
                Rejected(f"{path}", [f"same file name as {seen[name]}: rename one of them"])
            )
            continue
        seen[name] = str(path)
        sub, verdict = verdict_of(path)
        reasons = verdict.errors or _display_problems(sub)
        if reasons:
            board.rejected.append(Rejected(name, reasons))
            continue
        run = run_of(sub, name)
        entry = Entry(
            name=name,
            path=path,
            submission=sub,
            partial=verdict.partial,
            unchecked=verdict.unchecked,
            scores=scores(sub["tasks"]),
            summary=summarize(Loaded([run], []), frac),
        )
        key = json.dumps([sub["model"]["id"], sub["suite"]["version"]])
        accepted.setdefault(key, []).append(entry)
    for entries in accepted.values():
        kept, *others = sorted(entries, key=_preference, reverse=True)
        (board.partial if kept.partial else board.ranked).append(kept)
        for other in others:
            why = "a complete run" if other.partial and not kept.partial else "a newer run"
            board.superseded.append(
                Rejected(other.name, [f"same model and suite version as {kept.name}, {why}"])
            )
    board.ranked.sort(key=lambda e: (-e.scores.headline, -e.scores.coverage[0], e.model["id"]))
    board.partial.sort(key=lambda e: (-e.scores.headline, e.model["id"]))
    return board
