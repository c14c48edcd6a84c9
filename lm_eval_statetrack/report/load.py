"""lm-eval results files -> runs of statetrack scores, with a note for everything skipped.

A results file is what ``lm_eval --output_path`` writes (``results_<date>.json``). Bad
input never raises: a file that cannot be used, or a task in it that cannot, becomes a note
that names the file and the reason, and everything usable is still returned.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from lm_eval_statetrack.compat import leaf_task_name
from lm_eval_statetrack.families.suite import TaskId, installed_variant, parse_task_name


def is_number(value: object) -> bool:
    """A finite int or float (not a bool); an int too large for a float is not."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


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


@dataclass(frozen=True)
class Score:
    """One leaf task of one run: its primary metric and where the numbers came from."""

    task: str
    key: str  # its key in the results file: ``task``, or ``<group>::<task>`` on lm-eval 0.5
    family: str
    variant: str
    length: int
    metric: str  # e.g. "acc"; the lm-eval filter is in ``filter``
    filter: str
    value: float
    stderr: float | None
    n: int | None  # docs scored (lm-eval's n-samples "effective")
    n_original: int | None  # docs in the task ("original")
    version: int | float | str | None  # the task version the run used
    chance: float | None
    complexity: str | None
    n_shot: int | None = None  # lm-eval's n-shot for the task
    source: str = ""  # the results file the score comes from
    floor: float | None = None  # the task's majority-class rate where its answers are skewed

    @property
    def partial(self) -> bool:
        """Scored on fewer docs than the task has (``--limit``)."""
        return self.n is not None and self.n_original is not None and self.n < self.n_original

    def measured(self) -> dict[str, object]:
        """The primary metric as lm-eval reported it: what reports and submissions store."""
        return {
            "metric": self.metric,
            "filter": self.filter,
            "value": self.value,
            "stderr": self.stderr,
            "n": self.n,
            "n_original": self.n_original,
        }


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    adapter: str  # lm-eval's --model
    backend: str  # what ran the forward passes, "unknown" when not recorded
    kernels: str  # the compute path the statetrack adapter reports, else "unknown"
    dtype: str
    model_args: dict
    num_parameters: int | None
    revision: str | None = None  # lm-eval's model_revision (hub branch or tag)
    sha: str | None = None  # lm-eval's model_sha (hub commit), when it could look it up
    adapter_info: dict = field(default_factory=dict)  # the statetrack adapter's statetrack_*

    @property
    def identity(self) -> tuple:
        return (self.model_id, self.adapter, json.dumps(self.model_args, sort_keys=True))

    @property
    def name(self) -> str:
        """The id to show: a local checkpoint by its folder name, never a machine path."""
        return display_id(self.model_id)


def display_id(model_id: str) -> str:
    """A hub id as is; a local path (absolute, relative or ~) by its last component."""
    local = model_id.startswith(("/", ".", "~")) or "\\" in model_id
    return Path(model_id).name if local else model_id


@dataclass
class Run:
    """The scores of one model, possibly merged from several results files."""

    label: str
    model: ModelInfo
    paths: list[str]
    scores: dict[str, Score] = field(default_factory=dict)
    models: list[ModelInfo] = field(default_factory=list)  # every model under this label
    lm_eval_version: str = "unknown"
    date: str = "unknown"  # ISO date of the latest file
    task_hashes: dict[str, str] = field(default_factory=dict)  # lm-eval's, with --log_samples
    settings: dict = field(default_factory=dict)  # seeds, chat template, ... (``run_settings``)
    # merged files whose PROMPT_SETTINGS differ: why (their prompts are not one run's)
    mixed_settings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.models:
            self.models = [self.model]


@dataclass
class Loaded:
    runs: list[Run]
    notes: list[str]


def expand(paths: Sequence[str | Path], notes: list[str]) -> list[Path]:
    """Files as given; a folder stands for every ``results_*.json`` below it."""
    out = []
    for p in map(Path, paths):
        found = sorted(p.rglob("results_*.json")) if p.is_dir() else [p]
        if not found:
            notes.append(f"{p}: folder holds no results_*.json")
        out.extend(found)
    return out


def read_json(path: Path) -> tuple[dict | None, str | None]:
    """(results dict, None) or (None, why it cannot be used)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "no such file"
    except OSError as e:
        return None, f"cannot read it ({e.strerror})"
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return None, f"not valid JSON ({e}); is the file complete?"
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        return None, (
            "not an lm-eval results file (no 'results' mapping); pass the results_*.json "
            "that `lm_eval --output_path` writes"
        )
    return data, None


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _model_args(config: Mapping) -> dict:
    """lm-eval stores model_args as a dict (0.4.9+) or as the "k=v,k=v" string."""
    args = config.get("model_args")
    if isinstance(args, dict):
        return args
    if isinstance(args, str):
        pairs = (item.split("=", 1) for item in args.split(",") if "=" in item)
        return {k.strip(): v.strip() for k, v in pairs}
    return {}


def model_info(data: Mapping) -> ModelInfo:
    """Who was evaluated and how. The backend comes from the ``statetrack_backend`` key the
    ``statetrack`` adapter adds to the run's config (or any other ``*backend`` string there),
    else the requested ``backend=`` model arg, else what lm-eval's own ``hf`` model always
    uses; "unknown" otherwise."""
    config = _mapping(data.get("config"))
    args = _model_args(config)
    adapter = str(config.get("model") or data.get("model_source") or "unknown")
    model_id = str(args.get("pretrained") or args.get("model") or data.get("model_name") or "")
    recorded = [v for k, v in config.items() if k.endswith("backend") and v and isinstance(v, str)]
    if recorded:
        backend = recorded[0]
    elif args.get("backend"):
        backend = f"{args['backend']} (requested; resolved backend not recorded)"
    else:
        backend = "transformers" if adapter == "hf" else "unknown"
    dtype = str(config.get("model_dtype") or args.get("dtype") or "unknown")
    params = config.get("model_num_parameters")
    revision, sha = config.get("model_revision"), config.get("model_sha")
    return ModelInfo(
        model_id=model_id or "unknown",
        adapter=adapter,
        backend=backend,
        kernels=str(config.get("statetrack_kernels") or "unknown"),
        dtype=dtype.removeprefix("torch."),
        model_args=args,
        num_parameters=int(params) if is_number(params) and params > 0 else None,
        revision=str(revision) if revision else None,
        sha=str(sha) if sha else None,
        adapter_info={k: v for k, v in config.items() if k.startswith("statetrack_")},
    )


SETTINGS = ("fewshot_seed", "random_seed", "limit", "batch_size", "device", "gen_kwargs")
TOP_SETTINGS = (
    "system_instruction",
    "chat_template",
    "chat_template_sha",
    "fewshot_as_multiturn",
    # the special tokens a chat template may print
    "tokenizer_bos_token",
    "tokenizer_eos_token",
    "tokenizer_pad_token",
)
# What shapes the prompts: files with different values cannot be one run's evidence.
PROMPT_SETTINGS = ("fewshot_seed", "system_instruction", "chat_template", "fewshot_as_multiturn")


def run_settings(data: Mapping) -> dict:
    """What besides the model shapes the prompts and scores: seeds, ``--limit``, chat
    template and system instruction (from the results' config and top level)."""
    config = _mapping(data.get("config"))
    out = {k: config.get(k) for k in SETTINGS if k in config}
    out.update({k: data.get(k) for k in TOP_SETTINGS if k in data})
    out["transformers_version"] = data.get("transformers_version")
    return out


def _task_id(name: str, config: Mapping) -> TaskId | None:
    kwargs = _mapping(config.get("dataset_kwargs"))
    if {"family", "variant", "length"} <= set(kwargs) and name.startswith("statetrack"):
        try:
            return TaskId(str(kwargs["family"]), str(kwargs["variant"]), int(kwargs["length"]))
        except (TypeError, ValueError):
            pass
    return parse_task_name(name)


def _count(value: object) -> int | None:
    return int(value) if is_number(value) else None


def scores_of(data: Mapping, where: str) -> tuple[dict[str, Score], list[str]]:
    """The statetrack leaf tasks of one results dict, and notes about what was skipped."""
    configs, versions = _mapping(data.get("configs")), _mapping(data.get("versions"))
    n_samples, n_shot = _mapping(data.get("n-samples")), _mapping(data.get("n-shot"))
    groups = _mapping(data.get("group_subtasks")).keys() | _mapping(data.get("groups")).keys()
    scores, notes, foreign = {}, [], []
    for key, entry in data["results"].items():
        name, config = leaf_task_name(key), _mapping(configs.get(key))
        tid = _task_id(name, config)
        if tid is None:
            if key not in groups:  # a group's score is a mean of its leaves, shown anyway
                foreign.append(key)
            continue
        installed = installed_variant(tid.family, tid.variant)
        preferred = installed.metrics if installed else ()
        picked = primary_metric(entry, preferred) if isinstance(entry, dict) else None
        if picked is None:
            notes.append(f"{where}: {name} has no numeric score (failed or partial task?)")
            continue
        metric, filt = picked
        stderr = entry.get(f"{metric}_stderr,{filt}")
        meta = _mapping(config.get("metadata"))
        chance = meta.get("chance") if is_number(meta.get("chance")) else None
        if chance is None and installed is not None:
            chance = installed.chance
        complexity = meta.get("complexity") or (installed.complexity if installed else None)
        count = _mapping(n_samples.get(key))
        scores[name] = Score(
            task=name,
            key=key,
            family=tid.family,
            variant=tid.variant,
            length=tid.length,
            metric=metric,
            filter=filt,
            value=float(entry[f"{metric},{filt}"]),
            stderr=float(stderr) if is_number(stderr) else None,
            n=_count(count.get("effective")),
            n_original=_count(count.get("original")),
            version=versions.get(key, meta.get("version")),
            chance=chance,
            complexity=str(complexity) if complexity else None,
            n_shot=_count(n_shot.get(key)),
            source=where,
            floor=float(meta["floor"]) if is_number(meta.get("floor")) else None,
        )
    if foreign:
        shown = ", ".join(sorted(foreign)[:5]) + (", ..." if len(foreign) > 5 else "")
        notes.append(
            f"{where}: skipped {len(foreign)} task(s) that are not statetrack leaf tasks ({shown})"
        )
    if not scores:
        notes.append(
            f"{where}: no statetrack_<family>_<variant>_len<L> task with a score; "
            "nothing to report from this file"
        )
    return scores, notes


def _timestamp(data: Mapping) -> float:
    stamp = data.get("date")
    return float(stamp) if is_number(stamp) and 0 < stamp < 1e11 else 0.0


def load_runs(paths: Sequence[str | Path], labels: Sequence[str] = ()) -> Loaded:
    """Read results files into runs, one per model, in the order the models first appear.

    Files with the same model and model args are merged (a model evaluated family by family);
    a task present in several of them keeps the score of the latest run (lm-eval's ``date``).
    ``labels`` rename the runs, in order.
    """
    notes: list[str] = []
    readable = []
    for path in expand(paths, notes):
        data, problem = read_json(path)
        if data is None:
            notes.append(f"{path}: {problem}")
            continue
        scores, file_notes = scores_of(data, str(path))
        notes.extend(file_notes)
        if scores:
            readable.append((path, data, scores))
    first_seen: dict[tuple, int] = {}
    for i, (_, data, _) in enumerate(readable):
        first_seen.setdefault(model_info(data).identity, i)
    runs: dict[tuple, Run] = {}
    for path, data, scores in sorted(readable, key=lambda item: _timestamp(item[1])):
        model = model_info(data)
        run = runs.setdefault(model.identity, Run(label=model.name, model=model, paths=[]))
        clashes = sorted(scores.keys() & run.scores.keys())
        if clashes:
            notes.append(
                f"{path}: {len(clashes)} task(s) also in {', '.join(run.paths)}; kept this, "
                f"the later run's scores (e.g. {clashes[0]})"
            )
        settings = run_settings(data)
        differ = [
            k for k in PROMPT_SETTINGS if run.paths and settings.get(k) != run.settings.get(k)
        ]
        if differ:
            reason = f"{path} differs from {', '.join(run.paths)} in {', '.join(differ)}"
            run.mixed_settings.append(reason)
            notes.append(f"{reason}: merged as one model, but their prompts were built differently")
        run.paths.append(str(path))
        run.scores.update(scores)
        run.task_hashes.update(_mapping(data.get("task_hashes")))
        run.lm_eval_version = str(data.get("lm_eval_version") or run.lm_eval_version)
        run.settings = settings
        if _timestamp(data):
            run.date = datetime.fromtimestamp(_timestamp(data), timezone.utc).strftime(
                "%Y-%m-%d %H:%M UTC"
            )
    ordered = sorted(runs.values(), key=lambda run: first_seen[run.model.identity])
    return Loaded(_name_runs(ordered, labels, notes), notes)


def _name_runs(runs: list[Run], labels: Sequence[str], notes: list[str]) -> list[Run]:
    """Apply ``labels`` (one per model, in order); models given the same label become one
    run (e.g. one architecture trained per variant). Other equal names get a suffix."""
    if labels and len(labels) != len(runs):
        notes.append(
            f"--label given {len(labels)} time(s) for {len(runs)} model(s); "
            "using the models' own names"
        )
        labels = ()
    if labels:
        named: dict[str, Run] = {}
        for run, label in zip(runs, labels):
            if label not in named:
                named[label] = run
                run.label = label
                continue
            target = named[label]
            clashes = sorted(target.scores.keys() & run.scores.keys())
            if clashes:
                notes.append(
                    f"label {label!r} names several models that all scored {clashes[0]}"
                    f"{' and others' if len(clashes) > 1 else ''}; kept {', '.join(run.paths)}"
                )
            target.scores.update(run.scores)
            target.paths.extend(run.paths)
            dates = [d for d in (target.date, run.date) if d != "unknown"]
            target.date = max(dates, default="unknown")
            target.models.extend(m for m in run.models if m not in target.models)
        return list(named.values())
    seen: dict[str, int] = {}
    for run in runs:
        seen[run.label] = seen.get(run.label, 0) + 1
        if seen[run.label] > 1:
            run.label = f"{run.label} ({seen[run.label]})"
    return runs
