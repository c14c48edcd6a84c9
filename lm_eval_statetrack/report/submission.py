"""Leaderboard submissions: built from a model's results, checked against the installed suite.

What makes a submission checkable: every task carries the suite version it ran, the
SHA-256 of its test docs as the installed suite generates them (``datasets.docs_sha256``),
the doc counts lm-eval recorded and, from ``lm_eval --log_samples``, its per-sample
evidence (``evidence``: doc, prompt and target hash and the metric of every doc scored).
``validate`` recomputes the hashes, versions, doc counts, scores, standard errors and
horizons from the installed suite and rejects any mismatch, one line per task and field.
A submission is gzip-compressed JSON.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import version as installed_package_version
from pathlib import Path

from lm_eval_statetrack import __version__
from lm_eval_statetrack.datasets import docs, docs_sha256
from lm_eval_statetrack.families.suite import (
    installed_floor,
    installed_variant,
    installed_version,
    parse_task_name,
)
from lm_eval_statetrack.report import evidence
from lm_eval_statetrack.report.horizon import DEFAULT_FRAC, Point, horizon, horizon_range
from lm_eval_statetrack.report.load import Loaded, Run, display_id, is_number
from lm_eval_statetrack.report.summary import summarize

FORMAT = "lm-eval-statetrack-submission"
FORMAT_VERSION = 2
HORIZON_KEYS = ("horizon_text", "horizon_low", "horizon_high")


class SubmissionError(ValueError):
    """The results cannot become a submission; the message says why and what to do."""


def _suite_problem(family: str, variant: str, length: int, version) -> str | None:
    """Why the installed suite cannot vouch for a task's docs, or None."""
    spec = installed_variant(family, variant)
    if spec is None or length not in spec.lengths:
        return f"not in the installed suite (lm-eval-statetrack {__version__})"
    installed = installed_version(family)
    if str(version) != str(installed):
        used = "records no task version" if version is None else f"ran version {version}"
        return (
            f"{used}, the installed suite has version {installed}: install the suite version "
            "the results were made with, or re-run"
        )
    return None


def build(
    run: Run, frac: float = DEFAULT_FRAC, model_id: str | None = None, samples: bool = True
) -> dict:
    """The submission of one model's run; raises SubmissionError for tasks whose docs the
    installed suite cannot vouch for (other version, unknown task) and, unless ``samples``
    is False, for tasks whose ``--log_samples`` records are not beside their results."""
    problems: dict[str, list[str]] = {}
    for s in run.scores.values():
        if reason := _suite_problem(s.family, s.variant, s.length, s.version):
            problems.setdefault(reason, []).append(s.task)
        elif samples and evidence.samples_file(Path(s.source), s.key) is None:
            problems.setdefault(_NO_SAMPLES, []).append(s.task)
    if problems:
        raise SubmissionError(
            "; ".join(
                f"{tasks[0]}{f' and {len(tasks) - 1} more' if len(tasks) > 1 else ''}: {reason}"
                for reason, tasks in problems.items()
            )
        )
    summary = summarize(Loaded([run], []), frac)
    tasks = {}
    for curve in summary.curves:
        for s in curve.scores:
            tasks[s.task] = {
                "family": s.family,
                "variant": s.variant,
                "length": s.length,
                "version": s.version,
                "docs_sha256": docs_sha256(s.family, s.variant, s.length),
                "n_shot": s.n_shot,
                **s.measured(),
            }
            if s.key in run.task_hashes:
                tasks[s.task]["lm_eval_task_hash"] = run.task_hashes[s.key]
            if samples:
                path = evidence.samples_file(Path(s.source), s.key)
                tasks[s.task]["samples"] = evidence.bundle(path, s.metric, s.filter)
    horizons = [
        horizon_entry(c.family, c.variant, c.metric, c.points, frac) for c in summary.curves
    ]
    args = dict(run.model.model_args)
    if isinstance(args.get("pretrained"), str):
        args["pretrained"] = display_id(args["pretrained"])
    submission = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "suite": {"name": "lm-eval-statetrack", "version": __version__},
        "model": {
            "id": model_id or run.model.name,
            "revision": run.model.revision,
            "sha": run.model.sha,
            "adapter": run.model.adapter,
            "backend": run.model.backend,
            "kernels": run.model.kernels,
            "dtype": run.model.dtype,
            "num_parameters": run.model.num_parameters,
            "model_args": args,
            "adapter_info": run.model.adapter_info,
        },
        "run": {"lm_eval_version": run.lm_eval_version, "date": run.date, **run.settings},
        "samples": "included" if samples else "omitted (statetrack submit --no-samples)",
        "threshold_frac": frac,
        "tasks": tasks,
        "horizons": horizons,
    }
    submission["partial_reasons"] = check(submission, no_samples=True, recompute=False).partial
    return submission


_NO_SAMPLES = (
    "no samples_<task>_<date>.jsonl beside its results file: run lm_eval with --log_samples "
    "(or pass --no-samples to submit without the evidence)"
)


def write(submission: dict, path: Path) -> int:
    """Write ``submission`` as gzip-compressed JSON; returns the size in bytes."""
    data = gzip.compress(json.dumps(submission, separators=(",", ":")).encode(), mtime=0)
    path.write_bytes(data)
    return len(data)


def read(path: Path) -> object:
    """A submission file: gzip-compressed JSON (what ``submit`` writes) or plain JSON."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return json.loads(data.decode("utf-8"))


def horizon_entry(family: str, variant: str, metric: str, points: list[Point], frac: float) -> dict:
    """A variant's horizon as the submission states it, from the installed chance level."""
    chance = installed_variant(family, variant).chance
    mid = horizon(points, chance, frac)
    low, high = horizon_range(points, chance, frac)
    return {
        "family": family,
        "variant": variant,
        "metric": metric,
        "chance": chance,
        "threshold": mid.threshold,
        "horizon": mid.length,
        "censored": mid.censored,
        "horizon_text": str(mid),
        "horizon_low": str(low),
        "horizon_high": str(high),
        "lengths": sorted(p.length for p in points),
    }


@dataclass
class Verdict:
    errors: list[str] = field(default_factory=list)  # mismatches: always rejected
    partial: list[str] = field(default_factory=list)  # incomplete: rejected unless allowed
    unchecked: list[str] = field(default_factory=list)  # what could not be recomputed
    # (family, variant) -> (length, docs scored, docs in the task) where fewer were scored
    limited: dict[tuple[str, str], list[tuple[int, int, int]]] = field(default_factory=dict)

    def accepted(self, allow_partial: bool = False) -> bool:
        return not self.errors and (allow_partial or not self.partial)


def _check_task(name: str, task: Mapping, verdict: Verdict) -> Point | None:
    """Check one task entry against the installed suite; its point if it is usable."""
    tid = parse_task_name(name)
    keys = ("family", "variant", "length", "version", "docs_sha256", "metric", "value")
    if tid is None or not all(k in task for k in keys):
        verdict.errors.append(f"{name}: not a statetrack task entry with fields {', '.join(keys)}")
        return None
    if (tid.family, tid.variant, tid.length) != (task["family"], task["variant"], task["length"]):
        verdict.errors.append(f"{name}: family/variant/length fields disagree with the name")
        return None
    problem = _suite_problem(tid.family, tid.variant, tid.length, task["version"])
    if problem:
        verdict.errors.append(f"{name}: {problem}")
        return None
    spec = installed_variant(tid.family, tid.variant)
    if task["metric"] not in spec.metrics:
        verdict.errors.append(
            f"{name}: scored with {task['metric']!r}; the variant reports {', '.join(spec.metrics)}"
        )
    if task["docs_sha256"] != docs_sha256(tid.family, tid.variant, tid.length):
        verdict.errors.append(
            f"{name}: docs_sha256 differs from the installed suite's docs (modified or "
            "foreign dataset)"
        )
    total = len(docs(tid.family, tid.variant, tid.length))
    n, n_original = task.get("n"), task.get("n_original")
    if n_original != total or not isinstance(n, int):
        verdict.errors.append(
            f"{name}: doc counts n={n!r}, n_original={n_original!r}; the task has {total} docs"
        )
    elif n != total:
        verdict.limited.setdefault((tid.family, tid.variant), []).append((tid.length, n, total))
    value, stderr = task["value"], task.get("stderr")
    if not is_number(value) or not 0 <= value <= 1:
        verdict.errors.append(f"{name}: value {value!r} is not a score in [0, 1]")
        return None
    if stderr is not None and not (is_number(stderr) and stderr >= 0):
        verdict.errors.append(f"{name}: stderr {stderr!r} is not a non-negative number")
        return None
    return Point(tid.length, value, stderr, installed_floor(tid.family, tid.variant, tid.length))


def _check_horizons(sub: Mapping, curves: dict, verdict: Verdict) -> None:
    frac = sub.get("threshold_frac")
    if not (is_number(frac) and 0 < frac <= 1):
        verdict.errors.append(f"threshold_frac {frac!r} is not a number in (0, 1]")
        return
    claimed = {
        (h.get("family"), h.get("variant")): h
        for h in sub.get("horizons") or []
        if isinstance(h, Mapping)
    }
    for (family, variant), points in curves.items():
        spec = installed_variant(family, variant)
        missing = sorted(set(spec.lengths) - {p.length for p in points})
        if missing:
            verdict.partial.append(
                f"{family}/{variant}: no score at length(s) {', '.join(map(str, missing))}"
            )
        expected = horizon_entry(family, variant, "", points, frac)
        got = claimed.get((family, variant))
        if got is None:
            verdict.errors.append(f"{family}/{variant}: no horizon given")
            continue
        if any(got.get(k) != expected[k] for k in HORIZON_KEYS) or not (
            is_number(got.get("threshold"))
            and math.isclose(got["threshold"], expected["threshold"], rel_tol=1e-9)
        ):
            verdict.errors.append(
                f"{family}/{variant}: horizon {got.get('horizon_text')!r} does not follow from "
                f"the scores and the installed chance level (expected {expected['horizon_text']}, "
                f"threshold {expected['threshold']:.4f})"
            )
    for family, variant in claimed.keys() - curves.keys():
        verdict.errors.append(f"{family}/{variant}: horizon given without task scores")


def _check_versions(sub: Mapping, verdict: Verdict) -> None:
    """The submission's suite and lm-eval versions must be the installed ones: prompts and
    docs are recomputed with them."""
    suite = sub.get("suite") if isinstance(sub.get("suite"), Mapping) else {}
    if suite.get("version") != __version__:
        verdict.errors.append(
            f"suite.version: {suite.get('version')!r}, this validator is lm-eval-statetrack "
            f"{__version__}: validate with the suite version the submission was made with"
        )
    run = sub.get("run") if isinstance(sub.get("run"), Mapping) else {}
    lm_eval = installed_package_version("lm_eval")
    if run.get("lm_eval_version") != lm_eval:
        verdict.errors.append(
            f"run.lm_eval_version: {run.get('lm_eval_version')!r}, the installed lm-eval is "
            f"{lm_eval}: validate with the lm-eval version the run used"
        )


_NOTHING = evidence.Expected([], {})


def _check_evidence(sub: Mapping, usable: list[str], verdict: Verdict) -> None:
    """Recompute every task's samples from the installed suite (see ``evidence``)."""
    tasks, run = sub["tasks"], sub.get("run") if isinstance(sub.get("run"), Mapping) else {}
    if run.get("chat_template"):
        verdict.unchecked.append(
            "prompt hashes: the run used a chat template, which only the model's tokenizer "
            "can render"
        )
    counts = {}
    for name in usable:
        samples = tasks[name]["samples"]
        doc_ids = samples.get("doc_id") if isinstance(samples, Mapping) else None
        counts[name] = len(doc_ids) if isinstance(doc_ids, list) else 0
    n_shot = {n: tasks[n].get("n_shot") or 0 for n in usable}
    rebuilt = [n for n in usable if counts[n]]  # no doc ids: check_samples says what is wrong
    expected = evidence.expected_samples(rebuilt, counts, n_shot, run)
    for name in usable:
        found = evidence.check_samples(name, tasks[name], expected.get(name, _NOTHING))
        if run.get("chat_template"):
            found = [e for e in found if "samples.prompt_hash" not in e]
        verdict.errors.extend(found)


def check(sub: object, no_samples: bool = False, recompute: bool = True) -> Verdict:
    """Every reason to reject ``sub`` (a parsed submission) against the installed suite.

    Tasks without samples are errors unless ``no_samples``, then listed as unchecked;
    ``recompute=False`` skips rebuilding the samples (what ``build`` uses for its
    partial-run warnings)."""
    verdict = Verdict()
    if not isinstance(sub, Mapping) or sub.get("format") != FORMAT:
        verdict.errors.append(f'not a submission: expected "format": "{FORMAT}"')
        return verdict
    if sub.get("format_version") != FORMAT_VERSION:
        verdict.errors.append(
            f"format_version {sub.get('format_version')!r}; this validator reads {FORMAT_VERSION}"
        )
        return verdict
    model = sub.get("model") if isinstance(sub.get("model"), Mapping) else {}
    if not model.get("id") or model.get("id") == "unknown":
        verdict.errors.append("model.id is missing: pass --model-id to statetrack submit")
    _check_versions(sub, verdict)
    tasks = sub.get("tasks")
    if not isinstance(tasks, Mapping) or not tasks:
        verdict.errors.append("no tasks")
        return verdict
    curves: dict[tuple[str, str], list[Point]] = {}
    with_samples, without = [], []
    for name, task in tasks.items():
        if not isinstance(task, Mapping):
            verdict.errors.append(f"{name}: task entry is not an object")
            continue
        point = _check_task(name, task, verdict)
        if point is not None:
            curves.setdefault((task["family"], task["variant"]), []).append(point)
            (with_samples if "samples" in task else without).append(name)
    if without and no_samples:
        verdict.unchecked.append(
            f"{len(without)} task(s) carry no samples: their doc, prompt and target hashes, "
            "the count of docs scored, the score and its stderr are taken on trust "
            f"(e.g. {without[0]})"
        )
    elif without:
        verdict.errors.extend(
            f"{name}: samples: none bundled (statetrack submit without --no-samples; "
            "validate --no-samples checks the rest)"
            for name in without
        )
    if with_samples and recompute:
        _check_evidence(sub, with_samples, verdict)
    for (family, variant), counts in verdict.limited.items():
        by_count: dict[tuple[int, int], list[str]] = {}
        for length, n, total in counts:
            by_count.setdefault((n, total), []).append(str(length))
        shown = "; ".join(
            f"{n} of {total} docs at length(s) {', '.join(lengths)}"
            for (n, total), lengths in by_count.items()
        )
        verdict.partial.append(f"{family}/{variant}: scored {shown} (lm_eval --limit?)")
    _check_horizons(sub, curves, verdict)
    return verdict
