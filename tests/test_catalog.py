"""The opt-in catalog as lm-eval sees it: outside 'statetrack_*' and the `statetrack`
group, reachable by its own glob and groups, and runnable end to end."""

from __future__ import annotations

import pytest
import yaml

from lm_eval_statetrack.families import get_family
from lm_eval_statetrack.tasks import task_dir, task_manager

CATALOG = get_family("catalog")
LEAVES = {CATALOG.task_name(v.name, n) for v in CATALOG.variants.values() for n in v.lengths}


@pytest.fixture(scope="module")
def manager():
    return task_manager(include_defaults=False)


def test_statetrack_glob_never_reaches_the_catalog(manager):
    matched = manager.match_tasks(["statetrack_*"])
    assert matched and not LEAVES & set(matched)
    assert not any("catalog" in name for name in matched)


def test_opt_in_glob_matches_exactly_the_catalog_leaves(manager):
    assert len(LEAVES) == 94 * 3
    assert set(manager.match_tasks(["statetrack-catalog_*"])) == LEAVES


def test_catalog_is_outside_the_top_level_group_and_has_its_own():
    top = yaml.safe_load((task_dir() / "_statetrack.yaml").read_text())
    assert "statetrack-catalog" not in top["task"]
    own = yaml.safe_load((task_dir() / "catalog/_statetrack-catalog.yaml").read_text())
    assert len(own["task"]) == 94 and "statetrack-catalog-psl-2-7" in own["task"]


def test_element_and_point_tasks_run_through_lm_eval(tiny_llama, manager):
    from lm_eval import simple_evaluate

    tasks = ["statetrack-catalog_q8_len16", "statetrack-catalog_m11_len16"]
    results = simple_evaluate(
        model="hf",
        model_args=f"pretrained={tiny_llama},dtype=float32",
        tasks=tasks,
        limit=2,
        device="cpu",
        task_manager=manager,
    )
    assert set(results["results"]) == set(tasks)
    for task in tasks:
        assert 0.0 <= results["results"][task]["acc,none"] <= 1.0
    # the M11 task asks where point 0 goes: 11 choices per doc; Q8 lists its 8 elements
    requests = results["samples"]["statetrack-catalog_m11_len16"][0]["arguments"]
    assert len(requests) == 11
    assert len(results["samples"]["statetrack-catalog_q8_len16"][0]["arguments"]) == 8
