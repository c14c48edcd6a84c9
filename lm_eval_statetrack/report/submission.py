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
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lm_eval_statetrack import __version__
from lm_eval_statetrack.compat import supports_lm_eval
from lm_eval_statetrack.datasets import docs, docs_sha256
from lm_eval_statetrack.families import FAMILY_MODULES, get_family
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
    if run.mixed_settings:
        raise SubmissionError(
            "the results files were run with different prompt settings ("
            + "; ".join(run.mixed_settings)
            + "), and validate rebuilds every task's prompts with one set: submit only files "
            "run with the same settings, or re-run the rest with them"
        )
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
        "thresholds_raised": {str(length): t for length, t in mid.raised},
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
    # settings the submission chose that differ from the suite's standard ones: accepted,
    # but shown, so such a run is not ranked with standard ones unknowingly
    nonstandard: list[str] = field(default_factory=list)
    # (family, variant) -> (length, docs scored, docs in the task) where fewer were scored
    limited: dict[tuple[str, str], list[tuple[int, int, int]]] = field(default_factory=dict)

    def accepted(self, allow_partial: bool = False) -> bool:
        return not self.errors and (allow_partial or not self.partial)


MAX_SHOTS = 64  # few-shot demos a submission may name (the suite's demos are short)
STANDARD_FEWSHOT_SEED = 1234  # lm-eval's default --fewshot_seed


def _shown(value: object) -> str:
    """A malformed value as an error line shows it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _kind(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "string", int: "integer", float: "number", bool: "boolean", list: "list"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _check_task(name: str, task: Mapping, verdict: Verdict) -> Point | None:
    """Check one task entry against the installed suite; its point if it is usable."""
    tid = parse_task_name(name)
    keys = ("family", "variant", "length", "version", "docs_sha256", "metric", "value")
    if tid is None or not all(k in task for k in keys):
        verdict.errors.append(f"{name}: not a statetrack task entry with fields {', '.join(keys)}")
        return None
    for key, kind in (("metric", str), ("docs_sha256", str), ("version", (str, int, float))):
        if not isinstance(task[key], kind) or isinstance(task[key], bool):
            verdict.errors.append(f"{name}: {key}: {_shown(task[key])} is not a {_kind(kind)}")
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
            f"{name}: metric: scored with {task['metric']!r}; the variant reports "
            f"{', '.join(spec.metrics)}"
        )
    if task["docs_sha256"] != docs_sha256(tid.family, tid.variant, tid.length):
        verdict.errors.append(
            f"{name}: docs_sha256 differs from the installed suite's docs (modified or "
            "foreign dataset)"
        )
    total = len(docs(tid.family, tid.variant, tid.length))
    n, n_original = task.get("n"), task.get("n_original")
    if n_original != total or not (is_number(n) and isinstance(n, int) and 0 < n <= total):
        verdict.errors.append(
            f"{name}: doc counts n={_shown(n)}, n_original={_shown(n_original)}; the task has "
            f"{total} docs"
        )
    elif n != total:
        verdict.limited.setdefault((tid.family, tid.variant), []).append((tid.length, n, total))
    value, stderr = task["value"], task.get("stderr")
    if not is_number(value) or not 0 <= value <= 1:
        verdict.errors.append(f"{name}: value {_shown(value)} is not a score in [0, 1]")
        return None
    if stderr is not None and not (is_number(stderr) and stderr >= 0):
        verdict.errors.append(f"{name}: stderr {_shown(stderr)} is not a non-negative number")
        return None
    n_shot = task.get("n_shot")
    if n_shot is not None and not (
        isinstance(n_shot, int) and not isinstance(n_shot, bool) and 0 <= n_shot <= MAX_SHOTS
    ):
        verdict.errors.append(f"{name}: n_shot {_shown(n_shot)} is not an integer 0..{MAX_SHOTS}")
        return None
    return Point(tid.length, value, stderr, installed_floor(tid.family, tid.variant, tid.length))


def _check_horizons(sub: Mapping, curves: dict, verdict: Verdict) -> None:
    frac = sub.get("threshold_frac")
    if not (is_number(frac) and 0 < frac <= 1):
        verdict.errors.append(f"threshold_frac {_shown(frac)} is not a number in (0, 1]")
        return
    horizons = sub.get("horizons")
    if not isinstance(horizons, list):
        verdict.errors.append(f"horizons: {_shown(horizons)} is not a list")
        return
    claimed = {}
    for i, h in enumerate(horizons):
        if not isinstance(h, Mapping):
            verdict.errors.append(f"horizons[{i}]: {_shown(h)} is not an object")
            continue
        bad = [k for k in ("family", "variant") if not isinstance(h.get(k), str)]
        if bad:
            verdict.errors.append(
                f"horizons[{i}].{bad[0]}: {_shown(h.get(bad[0]))} is not a string"
            )
            continue
        claimed[(h["family"], h["variant"])] = (i, h)
    for (family, variant), points in curves.items():
        spec = installed_variant(family, variant)
        missing = sorted(set(spec.lengths) - {p.length for p in points})
        if missing:
            verdict.partial.append(
                f"{family}/{variant}: no score at length(s) {', '.join(map(str, missing))}"
            )
        expected = horizon_entry(family, variant, "", points, frac)
        i, got = claimed.get((family, variant), (None, None))
        if got is None:
            verdict.errors.append(f"horizons: none given for {family}/{variant}")
            continue
        # submissions made before per-length thresholds were recorded omit the key: they
        # still match where no length's floor raises its threshold
        raised = got.get("thresholds_raised", {})
        if (
            any(got.get(k) != expected[k] for k in HORIZON_KEYS)
            or raised != expected["thresholds_raised"]
        ) or not (
            is_number(got.get("threshold"))
            and math.isclose(got["threshold"], expected["threshold"], rel_tol=1e-9)
        ):
            verdict.errors.append(
                f"horizons[{i}]: {family}/{variant}: horizon {_shown(got.get('horizon_text'))} "
                "does not follow from "
                f"the scores and the installed chance level (expected {expected['horizon_text']}, "
                f"threshold {expected['threshold']:.4f})"
            )
    for family, variant in sorted(claimed.keys() - curves.keys()):
        i = claimed[(family, variant)][0]
        verdict.errors.append(
            f"horizons[{i}].family/variant: {family}/{variant} has no task scores"
        )


def _check_versions(sub: Mapping, verdict: Verdict) -> None:
    """The submission's suite version must be the installed one (prompts and docs are
    recomputed with it); its lm-eval version may be any release the suite supports, since
    the recomputed prompts and scores must then match whatever release ran it."""
    suite = sub.get("suite") if isinstance(sub.get("suite"), Mapping) else {}
    if suite.get("version") != __version__:
        verdict.errors.append(
            f"suite.version: {suite.get('version')!r}, this validator is lm-eval-statetrack "
            f"{__version__}: validate with the suite version the submission was made with"
        )
    run = sub.get("run") if isinstance(sub.get("run"), Mapping) else {}
    release = run.get("lm_eval_version")
    if not isinstance(release, str) or not supports_lm_eval(release):
        verdict.errors.append(
            f"run.lm_eval_version: {release!r} is not an lm-eval release this suite supports "
            "(see README, Supported lm-eval versions): run it again on a supported one"
        )


_NOTHING = evidence.Expected([], {})


def _check_evidence(sub: Mapping, usable: list[str], verdict: Verdict) -> None:
    """Recompute every task's samples from the installed suite (see ``evidence``)."""
    tasks, run = sub["tasks"], _run(sub)
    counts = {}
    for name in usable:
        samples = tasks[name]["samples"]
        doc_ids = samples.get("doc_id") if isinstance(samples, Mapping) else None
        counts[name] = len(doc_ids) if isinstance(doc_ids, list) else 0
    n_shot = {n: tasks[n].get("n_shot") or 0 for n in usable}
    rebuilt = [n for n in usable if counts[n]]  # no doc ids: check_samples says what is wrong
    expected = evidence.expected_samples(rebuilt, counts, n_shot, run, _template_args(sub))
    for name in usable:
        verdict.errors.extend(
            evidence.check_samples(name, tasks[name], expected.get(name, _NOTHING))
        )


def _run(sub: Mapping) -> Mapping:
    return sub.get("run") if isinstance(sub.get("run"), Mapping) else {}


def _template_args(sub: Mapping) -> dict:
    """The chat template arguments the model args name (as lm-eval's hf model reads them)."""
    model = sub.get("model") if isinstance(sub.get("model"), Mapping) else {}
    args = model.get("model_args") if isinstance(model.get("model_args"), Mapping) else {}
    extra = args.get("chat_template_args") or {}
    if isinstance(extra, str):
        try:
            extra = json.loads(extra)
        except json.JSONDecodeError:
            extra = {}
    out = dict(extra) if isinstance(extra, Mapping) else {}
    thinking = args.get("enable_thinking")
    if thinking is not None:
        out["enable_thinking"] = str(thinking).lower() in ("true", "1", "yes")
    return out


def _check_settings(sub: Mapping, verdict: Verdict) -> None:
    """The run settings that shape prompts: well-formed, the chat template the one its
    hash names, and any choice besides the suite's standard settings marked."""
    run = _run(sub)
    if "run" in sub and not isinstance(sub.get("run"), Mapping):
        verdict.errors.append(f"run: {_shown(sub.get('run'))} is not an object")
        return
    kinds = {
        "system_instruction": str,
        "chat_template": str,
        "chat_template_sha": str,
        "fewshot_as_multiturn": bool,
        "fewshot_seed": int,
    }
    for key, kind in kinds.items():
        value = run.get(key)
        if value is not None and (
            not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        ):
            verdict.errors.append(f"run.{key}: {_shown(value)} is not a {_kind(kind)}")
            return
    template = run.get("chat_template")
    if template and run.get("chat_template_sha") != hashlib.sha256(template.encode()).hexdigest():
        verdict.errors.append(
            "run.chat_template: its SHA-256 is not run.chat_template_sha (lm-eval records both)"
        )
    if run.get("system_instruction"):
        verdict.nonstandard.append(f"run.system_instruction: {_shown(run['system_instruction'])}")
    seed = run.get("fewshot_seed", STANDARD_FEWSHOT_SEED)
    if seed != STANDARD_FEWSHOT_SEED:
        verdict.nonstandard.append(
            f"run.fewshot_seed: {seed} (the standard is lm-eval's {STANDARD_FEWSHOT_SEED})"
        )
    tasks = sub.get("tasks") if isinstance(sub.get("tasks"), Mapping) else {}
    shots: dict[tuple[str, int, int], list[str]] = {}
    for name, task in tasks.items():
        tid = parse_task_name(name)
        n_shot = task.get("n_shot") if isinstance(task, Mapping) else None
        if tid is None or not isinstance(n_shot, int) or tid.family not in FAMILY_MODULES:
            continue
        standard = get_family(tid.family).num_fewshot
        if n_shot != standard:
            shots.setdefault((tid.family, n_shot, standard), []).append(name)
    for (family, n_shot, standard), names in sorted(shots.items()):
        verdict.nonstandard.append(
            f"n_shot: {n_shot} for {len(names)} {family} task(s), e.g. {names[0]} (the suite's "
            f"standard is {standard})"
        )


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
    if not isinstance(model.get("id"), str) or model.get("id") in ("", "unknown"):
        verdict.errors.append(
            f"model.id: {_shown(model.get('id'))} is not a model name: pass --model-id to "
            "statetrack submit"
        )
    _check_versions(sub, verdict)
    _check_settings(sub, verdict)
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
