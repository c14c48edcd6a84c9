"""How lm-eval finds the task YAMLs (the top-level ``task_yamls/`` tree, one folder per
family).

The wheel installs that tree as the data package ``lm_eval_statetrack.task_yamls`` (in a
checkout, ``lm_eval_statetrack/task_yamls`` is a link to it, so an editable install reads
the live tree), which is what the ``lm_eval.tasks`` entry point names: lm-eval's proposed
task plugins (PR #4015: the entry point's module folder is scanned recursively) then index
exactly these YAMLs. Until lm-eval does that itself, the import hook adds this folder to
every ``TaskManager``; :func:`patch_task_index` keeps a folder from being indexed twice, so
the hook steps aside wherever lm-eval (or a user's ``--include_path``) already lists it.
"""

from __future__ import annotations

from pathlib import Path


def task_dir() -> Path:
    """The folder of task YAMLs, one folder per family (``task_yamls/``)."""
    return (Path(__file__).resolve().parent.parent / "task_yamls").resolve()


def patch_task_manager(task_manager_cls: type) -> None:
    """Make every ``TaskManager`` that includes the default tasks also index our task
    directory (idempotent); ``include_defaults=False`` asks for the ``include_path``
    folders alone, so it gets ours only where they list it."""
    if getattr(task_manager_cls, "_statetrack_patched", False):
        return
    original_init = task_manager_cls.__init__

    def __init__(self, verbosity=None, include_path=None, *args, **kwargs):
        defaults = args[0] if args else kwargs.get("include_defaults", True)
        paths = with_task_dir(include_path) if defaults else include_path
        original_init(self, verbosity, paths, *args, **kwargs)

    task_manager_cls.__init__ = __init__
    task_manager_cls._statetrack_patched = True


def patch_task_index(task_index_cls: type) -> None:
    """Make ``TaskIndex.build`` index each folder once, keeping its first place (idempotent).

    lm-eval 0.4.12 and later build a TaskManager's index from one ordered list of folders
    (built-in tasks, then ``include_path``); a folder listed twice would be scanned twice, and every
    task in it would log "overrides existing task".
    """
    if getattr(task_index_cls, "_statetrack_patched", False):
        return
    original_build = task_index_cls.build

    def build(paths, *args, **kwargs):
        seen, unique = set(), []
        for path in paths:
            key = Path(path).resolve()
            if key not in seen:
                seen.add(key)
                unique.append(path)
        return original_build(unique, *args, **kwargs)

    task_index_cls.build = staticmethod(build)
    task_index_cls._statetrack_patched = True


def with_task_dir(include_path):
    """``include_path`` (None, a path, or a list) with our task directory added once."""
    paths = [] if include_path is None else include_path
    paths = list(paths) if isinstance(paths, (list, tuple)) else [paths]
    ours = task_dir()
    if all(Path(p).resolve() != ours for p in paths):
        paths.append(str(ours))
    return paths


def task_manager(**kwargs):
    """A ``TaskManager`` that knows our tasks, also with the import hook disabled."""
    from lm_eval.tasks import TaskManager

    kwargs["include_path"] = with_task_dir(kwargs.get("include_path"))
    return TaskManager(**kwargs)
