"""The compatibility set: the plugin end to end on whichever lm-eval runs it.

``make test-compat`` runs this file in a venv per supported lm-eval version other than the
main one (the oldest, 0.4.10, and the 0.5 pre-release); the main suite covers 0.4.13.
Every family through ``--model hf`` and ``--model statetrack``, a group run (keyed
``<group>::<task>`` on 0.5), ``loglikelihood_rolling``, and a submission made here that
validates on the main version (``STATETRACK_MAIN_PYTHON``).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO, run_lm_eval

from lm_eval_statetrack.compat import LM_EVAL_VERSION, leaf_task_name
from lm_eval_statetrack.families import all_families

pytestmark = pytest.mark.slow

# one task per family (its first variant, shortest length) and a generation task
TASKS = [
    f.task_name(v.name, v.lengths[0])
    for f in all_families()
    if not f.opt_in
    for v in list(f.variants.values())[:1]
] + ["statetrack_chess_legal_uci_len4"]
GROUP = "statetrack-parity"


def statetrack(*args: str, python: str = sys.executable) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "-m", "lm_eval_statetrack.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )


def leaf_results(results: dict) -> dict[str, dict]:
    return {leaf_task_name(k): v for k, v in results["results"].items()}


@pytest.fixture(scope="module")
def runs(tiny_llama, tmp_path_factory) -> dict[str, dict]:
    out = {}
    for model in ("hf", "statetrack"):
        args = f"pretrained={tiny_llama},dtype=float32"
        out[model] = run_lm_eval(
            ["--model", model, "--model_args", args, "--tasks", ",".join(TASKS)]
            + ["--limit", "2", "--device", "cpu"],
            tmp_path_factory.mktemp(model),
        )
    return out


def test_every_family_runs_and_both_models_agree(runs):
    hf, ours = leaf_results(runs["hf"]), leaf_results(runs["statetrack"])
    assert sorted(hf) == sorted(ours) == sorted(TASKS), LM_EVAL_VERSION
    for task in TASKS:
        metrics = {k: v for k, v in hf[task].items() if "," in k and "stderr" not in k}
        assert metrics, f"{task}: no score"
        for key, value in metrics.items():
            assert ours[task][key] == pytest.approx(value, abs=1e-9), (task, key)


def test_group_run_submits_here_and_validates_on_main(tiny_llama, tmp_path):
    results = run_lm_eval(
        ["--model", "statetrack", "--model_args", f"pretrained={tiny_llama}"]
        + ["--tasks", GROUP, "--limit", "2", "--device", "cpu", "--log_samples"],
        tmp_path / "run",
    )
    leaves = [k for k in results["results"] if leaf_task_name(k).startswith("statetrack_")]
    assert leaves, results["results"].keys()
    submission = tmp_path / "submission.json.gz"
    made = statetrack("submit", str(tmp_path / "run"), "--out", str(submission))
    assert made.returncode == 0, made.stdout + made.stderr
    pythons = [sys.executable, os.environ.get("STATETRACK_MAIN_PYTHON", sys.executable)]
    for python in pythons:
        checked = statetrack("validate", str(submission), "--allow-partial", python=python)
        assert checked.returncode == 0, f"{python}:\n{checked.stdout}{checked.stderr}"
        assert "ACCEPTED" in checked.stdout


ROLLING_YAML = """\
task: statetrack_rolling_probe
class: !function utils.StateTrackTask
dataset_kwargs: {family: parity, variant: %s, length: 4}
output_type: loglikelihood_rolling
test_split: test
doc_to_text: ''
doc_to_target: '{{prompt}}'
metric_list:
- metric: word_perplexity
- metric: bits_per_byte
"""


def test_loglikelihood_rolling_matches_hf(tiny_llama, tmp_path):
    family = next(f for f in all_families() if f.name == "parity")
    variant = next(iter(family.variants))
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "probe.yaml").write_text(ROLLING_YAML % variant)
    (tasks / "utils.py").write_text("from lm_eval_statetrack.tasks.task import StateTrackTask\n")
    scores = {}
    for model in ("hf", "statetrack"):
        results = run_lm_eval(
            ["--model", model, "--model_args", f"pretrained={tiny_llama},dtype=float32"]
            + ["--tasks", "statetrack_rolling_probe", "--include_path", str(tasks)]
            + ["--limit", "2", "--device", "cpu"],
            tmp_path / model,
        )
        scores[model] = leaf_results(results)["statetrack_rolling_probe"]
    value = scores["hf"]["word_perplexity,none"]
    assert value > 1
    assert scores["statetrack"]["word_perplexity,none"] == pytest.approx(value, rel=1e-5)


def test_task_listing_names_our_tasks():
    """``lm_eval ls tasks``, the listing command of every supported release."""
    proc = subprocess.run(
        [sys.executable, "-m", "lm_eval", "ls", "tasks"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "statetrack_parity" in proc.stdout + proc.stderr
