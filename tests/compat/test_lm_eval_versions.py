"""The compatibility set: the plugin end to end on whichever lm-eval runs it.

``make test-compat`` runs this file in a venv per supported lm-eval version other than the
main one (the oldest, 0.4.10, and the 0.5 pre-release); the main suite covers 0.4.13.
One ``lm_eval`` run per model (``--model hf`` and ``--model statetrack``) covers every
family, a group (keyed ``<group>::<task>`` on 0.5) and ``loglikelihood_rolling``; a
submission made from it validates here and on the main version (``STATETRACK_MAIN_PYTHON``).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO, ROLLING_PROBE, rolling_probe, run_lm_eval

from lm_eval_statetrack.compat import LM_EVAL_VERSION, leaf_task_name
from lm_eval_statetrack.families import all_families

pytestmark = pytest.mark.slow

GROUP, GROUP_FAMILY = "statetrack-parity", "parity"
# one task per family (its first variant, shortest length) and a generation task; the
# parity family runs as its group instead
TASKS = [
    f.task_name(v.name, v.lengths[0])
    for f in all_families()
    if not f.opt_in and f.name != GROUP_FAMILY
    for v in list(f.variants.values())[:1]
] + ["statetrack_chess_legal_uci_len4"]


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
def runs(tiny_llama, tmp_path_factory) -> dict[str, tuple[dict, object]]:
    """One ``lm_eval`` run per model over every family, the group and the rolling probe."""
    probe = rolling_probe(tmp_path_factory.mktemp("probe"))
    out = {}
    for model in ("hf", "statetrack"):
        folder = tmp_path_factory.mktemp(model)
        results = run_lm_eval(
            ["--model", model, "--model_args", f"pretrained={tiny_llama},dtype=float32"]
            + ["--tasks", ",".join([*TASKS, GROUP, ROLLING_PROBE]), "--include_path", str(probe)]
            + ["--limit", "2", "--device", "cpu", "--log_samples"],
            folder,
        )
        out[model] = (results, folder)
    return out


def test_every_family_runs_and_both_models_agree(runs):
    hf, ours = (leaf_results(runs[m][0]) for m in ("hf", "statetrack"))
    group = [k for k in ours if k.startswith(f"statetrack_{GROUP_FAMILY}_")]
    assert group, sorted(ours)  # the group's leaves, keyed <group>::<task> on 0.5
    for task in [*TASKS, *group]:
        assert task in hf and task in ours, (task, LM_EVAL_VERSION)
        metrics = {k: v for k, v in hf[task].items() if "," in k and "stderr" not in k}
        assert metrics, f"{task}: no score"
        for key, value in metrics.items():
            assert ours[task][key] == pytest.approx(value, abs=1e-9), (task, key)


def test_loglikelihood_rolling_matches_hf(runs):
    hf, ours = (leaf_results(runs[m][0])[ROLLING_PROBE] for m in ("hf", "statetrack"))
    assert hf["word_perplexity,none"] > 1
    assert ours["word_perplexity,none"] == pytest.approx(hf["word_perplexity,none"], rel=1e-5)


def test_a_submission_made_here_validates_here_and_on_main(runs, tmp_path):
    submission = tmp_path / "submission.json.gz"
    made = statetrack("submit", str(runs["statetrack"][1]), "--out", str(submission))
    assert made.returncode == 0, made.stdout + made.stderr
    pythons = [sys.executable, os.environ.get("STATETRACK_MAIN_PYTHON", sys.executable)]
    for python in pythons:
        checked = statetrack("validate", str(submission), "--allow-partial", python=python)
        assert checked.returncode == 0, f"{python}:\n{checked.stdout}{checked.stderr}"
        assert "ACCEPTED" in checked.stdout


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
