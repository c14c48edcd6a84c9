"""Lazy registration with lm-eval, installed through ``lm_eval_statetrack.pth``.

lm-eval 0.4.x has no plugin entry points, so this module watches for two imports and
acts only when they happen: ``lm_eval.tasks`` (our task directory is added to
every ``TaskManager``, and no folder is indexed twice, so the hook steps aside where lm-eval
already lists ours) and ``lm_eval.models`` (``--model statetrack`` is registered after
lm-eval's own models, so ``hf`` and friends stay in the registry). Nothing else is
imported at interpreter start. Set ``LM_EVAL_STATETRACK_DISABLE=1`` to switch it off.

An action that fails (say a transformers release renames a class our models use) must
never break the import that triggered it, which may be any program's ``import
transformers``: it is caught, and a warning naming the fix is printed once per action.
"""

import importlib.machinery
import os
import sys

# The finder and loader below are duck-typed on purpose: importing importlib.abc costs
# about 20 ms at every interpreter start (it pulls in typing, pathlib, tempfile...).

_WATCHED = (
    "lm_eval.tasks",
    "lm_eval.models",
    "transformers.models.auto.configuration_auto",
    "transformers.models.auto.modeling_auto",
)


def _after_tasks(module) -> None:
    from lm_eval_statetrack.compat import task_index_class
    from lm_eval_statetrack.tasks import patch_task_index, patch_task_manager

    patch_task_manager(module.TaskManager)
    if task_index_class() is not None:
        patch_task_index(task_index_class())


def _after_models(module) -> None:
    from lm_eval_statetrack.models import register_model

    register_model()


def _after_auto_config(module) -> None:
    from lm_eval_statetrack.training.auto_classes import register_auto_configs

    register_auto_configs()


def _after_auto_models(module) -> None:
    from lm_eval_statetrack.training.auto_classes import register_auto_classes

    register_auto_classes()


# The last two let AutoConfig / AutoModelForCausalLM (and so ``--model hf``) load our own
# LSTM and IDS4 checkpoints offline, without trust_remote_code.
_ACTIONS = {
    "lm_eval.tasks": _after_tasks,
    "lm_eval.models": _after_models,
    "transformers.models.auto.configuration_auto": _after_auto_config,
    "transformers.models.auto.modeling_auto": _after_auto_models,
}


_FAILED: set = set()  # actions that failed and have been reported


def _run_action(name: str, module) -> None:
    """Run the action for ``name``; on any error warn once and let the import go on."""
    try:
        _ACTIONS[name](module)
    except Exception as exc:  # whatever it is, the host program's import must succeed
        if name in _FAILED:
            return
        _FAILED.add(name)
        import warnings

        warnings.warn(
            f"lm-eval-statetrack could not hook into {name} ({type(exc).__name__}: {exc}); "
            f"{name} works as usual, without lm-eval-statetrack's additions. Fix: upgrade "
            "lm-eval-statetrack (pip install -U lm-eval-statetrack), or set "
            "LM_EVAL_STATETRACK_DISABLE=1 to switch the hook off.",
            RuntimeWarning,
            stacklevel=2,
        )


class _PostImportLoader:
    """Wraps the real loader and runs our action once the module has executed."""

    def __init__(self, wrapped, name: str) -> None:
        self._wrapped = wrapped
        self._name = name

    def create_module(self, spec):
        return self._wrapped.create_module(spec)

    def exec_module(self, module) -> None:
        self._wrapped.exec_module(module)
        _run_action(self._name, module)

    def __getattr__(self, attr):
        return getattr(self._wrapped, attr)


class _PostImportFinder:
    def find_spec(self, fullname, path, target=None):
        if fullname not in _ACTIONS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _PostImportLoader(spec.loader, fullname)
        return spec


def install() -> None:
    """Install the watcher; apply the actions at once to modules already imported."""
    if os.environ.get("LM_EVAL_STATETRACK_DISABLE", "") not in ("", "0"):
        return
    if not any(isinstance(f, _PostImportFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _PostImportFinder())
    for name in _WATCHED:
        if name in sys.modules:
            _run_action(name, sys.modules[name])


install()
