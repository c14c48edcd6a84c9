"""Per-sample evidence: lm-eval's ``--log_samples`` records, bundled and recomputed.

``lm_eval --log_samples`` writes ``samples_<task>_<date>.jsonl`` next to
``results_<date>.json``: one record per doc with ``doc_hash`` (SHA-256 of the doc as JSON),
``prompt_hash`` (of the rendered prompt, few-shot demos included), ``target_hash`` and the
per-sample metric. A submission keeps those four columns per task (not the docs or the
model's log-likelihoods), and ``validate`` rebuilds every doc and prompt with lm-eval's own
task code from the installed suite, so the hashes, the doc count and the score (mean of the
per-sample metric, and its standard error) can all be recomputed. What the samples cannot
prove is that a model produced the per-sample metric: only re-running the model can.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lm_eval_statetrack.report.load import is_number

HASHES = ("doc_hash", "prompt_hash", "target_hash")


def samples_file(results: Path, task: str) -> Path | None:
    """The ``samples_<task>_<date>.jsonl`` lm-eval wrote with ``results`` (same date id)."""
    date_id = results.stem.removeprefix("results_")
    path = results.with_name(f"samples_{task}_{date_id}.jsonl")
    return path if path.is_file() else None


def bundle(path: Path, metric: str, filt: str) -> dict:
    """The columns a submission keeps from one samples file: doc ids, the three hashes and
    the per-sample ``metric`` under filter ``filt``, in doc order."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record.get("filter", filt) == filt:
                rows.append(record)
    rows.sort(key=lambda r: r["doc_id"])
    columns = {"doc_id": [r["doc_id"] for r in rows]}
    columns.update({key: [r[key] for r in rows] for key in HASHES})
    columns[metric] = [r[metric] for r in rows]
    return columns


def mean_and_stderr(values: Sequence[float]) -> tuple[float, float | None]:
    """lm-eval's ``mean`` and ``mean_stderr`` (sample standard deviation / sqrt(n))."""
    from lm_eval.api.metrics import mean, mean_stderr

    return mean(list(values)), (mean_stderr(list(values)) if len(values) > 1 else None)


@dataclass(frozen=True)
class Expected:
    """What the installed suite says one task's samples must be."""

    hashes: list[tuple[str, str, str]]  # (doc, prompt, target) hash of docs 0..n-1
    aggregations: dict[str, str]  # metric -> the name of lm-eval's aggregation function
    problem: str | None = None  # why the prompts could not be rebuilt


def expected_samples(
    names: Sequence[str],
    n: Mapping[str, int],
    n_shot: Mapping[str, int],
    settings: Mapping,
    template_args: Mapping | None = None,
) -> dict[str, Expected]:
    """Rebuild the first ``n[task]`` docs and prompts of each task the way lm-eval's
    ``evaluate`` does (its Task objects, the recorded n-shot, few-shot seed, system
    instruction and chat template) and hash them as lm-eval's evaluator does."""
    from lm_eval.tasks import get_task_dict

    from lm_eval_statetrack.tasks import task_manager

    chat = None
    if settings.get("chat_template"):
        chat = RecordedChatTemplate(settings, template_args or {})
    tasks = get_task_dict(list(names), task_manager(include_defaults=False))
    out = {}
    for name in names:
        try:
            out[name] = _rebuild(tasks[name], n[name], n_shot.get(name, 0), settings, chat)
        except Exception as e:  # lm-eval's own error, e.g. n-shot with no few-shot split
            out[name] = Expected([], {}, f"{type(e).__name__}: {e}")
    return out


class RecordedChatTemplate:
    """Renders chats with the chat template text and special tokens lm-eval recorded
    (``chat_template``, ``tokenizer_bos_token``, ...), as lm-eval's ``hf`` model does:
    the model's template arguments, and a retry without the system role when the
    template rejects it."""

    def __init__(self, settings: Mapping, template_args: Mapping) -> None:
        from lm_eval_statetrack.training.vocab import byte_tokenizer

        self.tokenizer = byte_tokenizer()  # any tokenizer: only the template text renders
        self.tokenizer.chat_template = str(settings["chat_template"])
        for role in ("bos", "eos", "pad"):
            recorded = settings.get(f"tokenizer_{role}_token")
            token = recorded[0] if isinstance(recorded, list) and recorded else None
            setattr(self.tokenizer, f"{role}_token", token if isinstance(token, str) else None)
        self.template_args = dict(template_args)

    def __call__(self, history: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        import jinja2

        def render(messages):
            return self.tokenizer.apply_chat_template(
                messages,
                tokenize=False,
                add_generation_prompt=add_generation_prompt,
                continue_final_message=not add_generation_prompt,
                **self.template_args,
            )

        try:
            return render(history)
        except jinja2.exceptions.TemplateError:
            return render([m for m in history if m["role"] != "system"])


def _rebuild(task, n: int, n_shot: int, settings: Mapping, chat) -> Expected:
    """One task's first ``n`` docs rebuilt and hashed (``expected_samples``)."""
    from lm_eval.utils import handle_non_serializable, hash_string

    task.set_config(key="num_fewshot", value=n_shot)
    task.set_fewshot_seed(seed=settings.get("fewshot_seed", 1234))
    task.build_all_requests(
        limit=n,
        rank=0,
        world_size=1,
        system_instruction=settings.get("system_instruction"),
        apply_chat_template=chat is not None,
        fewshot_as_multiturn=bool(settings.get("fewshot_as_multiturn")),
        chat_template=chat,
    )
    first = {}
    for inst in sorted(task.instances, key=lambda i: (i.doc_id, i.idx)):
        first.setdefault(inst.doc_id, inst)
    hashes = []
    for doc_id in sorted(first):
        inst = first[doc_id]
        doc = json.dumps(inst.doc, indent=2, default=handle_non_serializable, ensure_ascii=False)
        hashes.append(
            (
                hash_string(doc),
                hash_string(inst.arguments[0]),
                hash_string(str(task.doc_to_target(inst.doc))),
            )
        )
    aggregations = {k: getattr(f, "__name__", str(f)) for k, f in task.aggregation().items()}
    return Expected(hashes, aggregations)


def _differs(a: object, b: object) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a != b


def check_samples(name: str, task: Mapping, expected: Expected) -> list[str]:
    """Every way one task entry disagrees with its samples or the installed suite; each
    line names the task and the field."""
    if expected.problem:
        return [f"{name}: samples: cannot rebuild its prompts ({expected.problem})"]
    samples = task.get("samples")
    metric = task.get("metric")
    columns = ("doc_id", *HASHES, metric)
    if not isinstance(samples, Mapping) or not all(
        isinstance(samples.get(c), list) for c in columns
    ):
        return [f"{name}: samples: need lists {', '.join(map(str, columns))}"]
    lengths = {len(samples[c]) for c in columns}
    if len(lengths) != 1:
        return [f"{name}: samples: columns of different lengths {sorted(lengths)}"]
    count = lengths.pop()
    errors = []
    if samples["doc_id"] != list(range(count)):
        errors.append(f"{name}: samples.doc_id: not the docs 0..{count - 1} lm_eval scores")
    if task.get("n") != count:
        errors.append(f"{name}: n: says {task.get('n')!r}, the samples hold {count} docs")
    for k, key in enumerate(HASHES):
        got = samples[key]
        want = [h[k] for h in expected.hashes]
        bad = [i for i, (a, b) in enumerate(zip(got, want)) if a != b] + list(
            range(min(len(got), len(want)), max(len(got), len(want)))
        )
        if bad:
            errors.append(
                f"{name}: samples.{key}: {len(bad)} of {count} differ from the installed "
                f"suite's (first at doc {bad[0]})"
            )
    values = samples[metric]
    if not all(is_number(v) for v in values):
        return [*errors, f"{name}: samples.{metric}: not all numbers"]
    if not values:
        return [*errors, f"{name}: samples: none"]
    aggregation = expected.aggregations.get(metric)
    if aggregation != "mean":
        return [*errors, f"{name}: metric: {metric!r} aggregates by {aggregation!r}, not a mean"]
    value, stderr = mean_and_stderr(values)
    if _differs(task.get("value"), value):
        errors.append(
            f"{name}: value: says {task.get('value')!r}, the mean of samples.{metric} is {value!r}"
        )
    if stderr is not None and _differs(task.get("stderr"), stderr):
        errors.append(f"{name}: stderr: says {task.get('stderr')!r}, the samples give {stderr!r}")
    return errors
