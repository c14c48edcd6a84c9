"""Everything that differs between the lm-eval versions this plugin supports.

Supported: lm-eval 0.4.10 up to 0.5 (tested: 0.4.10, 0.4.13, 0.5.0.dev1). Older releases
cannot run lm-eval's own ``--model hf`` with transformers 5, which the adapter needs
(0.4.9.x imports ``transformers.AutoModelForVision2Seq``, gone in 5.0). Each item below
says which versions need it; the rest of the package uses lm-eval's API as it is.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from importlib.metadata import requires, version
from typing import Any

from packaging.requirements import Requirement
from packaging.version import Version

LM_EVAL_VERSION = Version(version("lm_eval"))
# 0.5: ``ConfigurableTask`` is the base ``Task``, and ``loglikelihood_rolling`` requests
# and results have the shape of ``loglikelihood`` ones
LM_EVAL_05 = LM_EVAL_VERSION >= Version("0.5.0.dev0")

# lm-eval's marker for "the tokenizer names no length limit" (transformers' int(1e30)):
# in ``lm_eval.models.utils`` only in 0.4.13, in ``lm_eval.models.huggingface`` elsewhere
TOKENIZER_INFINITY = 1000000000000000019884624838656


def task_index_class() -> type | None:
    """lm-eval's ``TaskIndex`` (builds a TaskManager's index from its folders): 0.4.12 and
    later; None before, where ``TaskManager`` itself (in ``lm_eval.tasks``) scans them."""
    return getattr(sys.modules.get("lm_eval.tasks.manager"), "TaskIndex", None)


_WITH_BUILDER: dict[tuple[type, str], type] = {}


def with_request_builder(cls: type, config: Mapping[str, Any] | None) -> type:
    """The class to instantiate for a ``class:`` task whose YAML has this ``config``.

    0.4: ``cls`` itself (``ConfigurableTask`` builds every output type's requests).
    0.5: ``ConfigurableTask`` is the base ``Task`` with no request builder; its
    ``Task.from_config`` picks the subclass for the output type, but a YAML ``class:`` is
    built as ``cls(config=cfg)``, skipping that step. This returns ``cls`` mixed with that
    subclass (``cls`` first, so its methods win), one class per output type.
    """
    if not LM_EVAL_05:
        return cls
    from lm_eval.api.task import Task

    if issubclass(cls, tuple(Task._registry.values())):  # has one (also: a copy being made)
        return cls
    output_type = (config or {}).get("output_type", "generate_until")
    builder = Task._registry[output_type]
    key = (cls, output_type)
    if key not in _WITH_BUILDER:
        _WITH_BUILDER[key] = type(
            f"{cls.__name__}[{output_type}]", (cls, builder), {"__module__": cls.__module__}
        )
    return _WITH_BUILDER[key]


def rolling_text(args: tuple) -> str:
    """The text of a ``loglikelihood_rolling`` request: ``(text,)`` in 0.4, ``("", text)``
    in 0.5."""
    return args[-1]


def rolling_result(total: float) -> float | tuple[float, bool]:
    """A ``loglikelihood_rolling`` result: the log-likelihood in 0.4, ``(ll, False)`` (the
    ``loglikelihood`` shape, greedy flag unused) in 0.5."""
    return (total, False) if LM_EVAL_05 else total


def leaf_task_name(key: str) -> str:
    """The task name in a results key. 0.5 keys a task run through a group with the group
    path (``statetrack-boxes::statetrack-boxes-move::statetrack_boxes_move_len4``) in
    results, configs, versions, n-shot, n-samples, task_hashes and samples file names;
    0.4 uses the bare name."""
    return key.rsplit("::", 1)[-1]


def supports_lm_eval(release: str) -> bool:
    """Whether ``release`` is in the lm-eval range this package declares (its installed
    requirement, so the range is stated once, in pyproject.toml). Documents, prompts and
    scores are the same on every release in it, so a run made on one validates on another."""
    for line in requires("lm-eval-statetrack") or ():
        requirement = Requirement(line)
        if requirement.name == "lm-eval" and requirement.marker is None:
            try:
                return requirement.specifier.contains(release, prereleases=True)
            except (TypeError, ValueError):
                return False
    return False
