"""The on-disk dataset cache: a task built once is read back, identical, by the next
build; any change to this package's sources makes a new key; ``off`` keeps nothing; a
damaged entry is rebuilt."""

from __future__ import annotations

import logging
import shutil

import pytest

from lm_eval_statetrack.dataset_cache import ENV, PACKAGE, entry, source_digest
from lm_eval_statetrack.datasets import build_dataset, docs

TASK = ("wordproblem", "a5", 8)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _same_as_generated(dataset) -> bool:
    return all(dataset[split].to_list() == docs(*TASK, split) for split in dataset)


def test_second_build_reads_the_stored_dataset(cache):
    first = build_dataset(*TASK)
    path = entry(*TASK)
    assert path.is_relative_to(cache) and path.is_dir()
    second = build_dataset(*TASK)
    assert second["test"].cache_files
    assert all(f["filename"].startswith(str(path)) for f in second["test"].cache_files)
    assert _same_as_generated(first) and _same_as_generated(second)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no staging left


def test_any_source_change_changes_the_key(tmp_path):
    same, changed = tmp_path / "same", tmp_path / "changed"
    for copy in (same, changed):
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "task_yamls"))
    rng = changed / "rng.py"
    rng.write_text(rng.read_text() + "\n")
    assert source_digest(same) == source_digest(PACKAGE)
    assert source_digest(changed) != source_digest(PACKAGE)


def test_off_stores_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert entry(*TASK) is None
    assert _same_as_generated(build_dataset(*TASK))
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_entry_is_rebuilt(cache, caplog):
    path = entry(*TASK)
    path.mkdir(parents=True)
    (path / "dataset_dict.json").write_text("not json")
    with caplog.at_level(logging.WARNING, logger="lm_eval.statetrack"):
        dataset = build_dataset(*TASK)
    assert _same_as_generated(dataset)
    assert any("rebuilding the cached dataset" in r.getMessage() for r in caplog.records)
    stored = build_dataset(*TASK)["test"].cache_files
    assert stored and all(f["filename"].startswith(str(path)) for f in stored)


def test_a_dataset_with_an_empty_split_is_built_not_stored(cache):
    """Z2 at length 4 has 16 words, all of them test words: its train split is empty, and
    ``datasets`` cannot load an empty split it saved."""
    for _ in range(2):
        dataset = build_dataset("wordproblem", "z2", 4)
        assert dataset["train"].num_rows == 0 and dataset["test"].num_rows > 0
    assert not entry("wordproblem", "z2", 4).exists()
