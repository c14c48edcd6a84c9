"""Built task datasets kept on disk, so that a process skips generating what another made.

lm-eval builds every task it loads in every process (each run, each rank), and our docs
are generated in pure Python: one chess task plays a few thousand games move by move.
A built ``DatasetDict`` is stored with ``datasets``' own ``save_to_disk`` under a key
made of the task's arguments, the ``datasets`` version and the SHA-256 of every Python
source file of this package, so that any change to a generator reads nothing stale.

``STATETRACK_DATASET_CACHE`` names the folder (default: ``lm-eval-statetrack/datasets``
under ``$XDG_CACHE_HOME`` or ``~/.cache``); ``off`` builds every dataset afresh.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from lm_eval_statetrack.models.util import logger

ENV = "STATETRACK_DATASET_CACHE"
PACKAGE = Path(__file__).resolve().parent


def cache_root() -> Path | None:
    """The cache folder, or None when ``STATETRACK_DATASET_CACHE=off``."""
    setting = os.environ.get(ENV, "")
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lm-eval-statetrack" / "datasets"


@cache
def source_digest(package: Path = PACKAGE) -> str:
    """SHA-256 over the relative path and bytes of every ``.py`` file under ``package``."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def entry(family: str, variant: str, length: int) -> Path | None:
    """Where the dataset of one task is kept (None: caching is off)."""
    import datasets

    root = cache_root()
    if root is None:
        return None
    version = f"{source_digest()[:16]}-datasets{datasets.__version__}"
    return root / version / f"{family}-{variant}-{int(length)}"


def cached_dataset(family: str, variant: str, length: int, build: Callable[[], object]):
    """The task's ``DatasetDict`` from the cache, or ``build()`` it and store it. A store
    is written to a fresh folder and renamed into place, so a reader never sees half of
    one and processes building the same task at once leave one whole copy. A dataset
    with an empty split (a short task whose every word is a test word) is not stored."""
    import datasets

    path = entry(family, variant, length)
    if path is None:
        return build()
    if path.is_dir():
        try:
            return datasets.load_from_disk(str(path))
        except Exception as exc:  # damaged in any way: build it again below
            logger.warning("statetrack: rebuilding the cached dataset %s (%s)", path, exc)
            shutil.rmtree(path, ignore_errors=True)
    dataset = build()
    if any(split.num_rows == 0 for split in dataset.values()):
        return dataset  # datasets cannot load an empty split it saved (no shard); cheap anyway
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}-"))
        _save_quietly(dataset, staging / "data")
        try:
            (staging / "data").rename(path)
        except OSError:  # another process stored it first
            pass
        shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:  # a read-only or full disk costs speed, not the run
        logger.warning("statetrack: could not cache the dataset in %s (%s)", path.parent, exc)
    return dataset


def _save_quietly(dataset, path: Path) -> None:
    """``save_to_disk`` without its progress bars, which would fill lm-eval's log."""
    import datasets

    shown = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        dataset.save_to_disk(str(path))
    finally:
        if shown:
            datasets.enable_progress_bars()
