"""Shortcut baselines: no shallow rule solves a hard variant, the controls' shortcuts are
found, priors are scored leave-one-out, skewed answers raise the horizon's floor, and the
``statetrack baselines`` command works end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lm_eval_statetrack.baselines import is_multiple_choice, task_scores
from lm_eval_statetrack.baselines.rules import PriorRule, Rule
from lm_eval_statetrack.baselines.scoring import majority_rate, rule_scores, score_task
from lm_eval_statetrack.families import FAMILY_MODULES, get_family
from lm_eval_statetrack.report.horizon import Point, horizon

STATETRACK = shutil.which("statetrack", path=str(Path(sys.executable).parent))
MARGIN = 0.10
HARD_FROM = 16


@pytest.mark.parametrize("name", FAMILY_MODULES)
def test_no_rule_beats_chance_on_a_hard_variant(name):
    family = get_family(name)
    beaten = []
    for v in family.variants.values():
        if not (v.hard and is_multiple_choice(family, v)):
            continue
        for length in v.lengths:
            if length < HARD_FROM:
                continue
            scores = task_scores(name, v.name, length)
            rule, score = scores.best_rule
            if score > v.chance + MARGIN:
                beaten.append(f"{scores.task}: {rule} {score:.3f} vs chance {v.chance:.3f}")
    assert not beaten, beaten


def test_the_controls_shortcuts_are_found():
    """The same machinery reports the shortcuts the controls have by design."""
    boxes = task_scores("boxes", "move", 16).rules
    assert boxes["last item put in"] > 0.6
    assert task_scores("flipflop", "ffl", 16).rules["last read"] > 0.6


def _doc(key: str, gold: str, choices=("A", "B")) -> dict:
    return {"prompt": key, "choices": list(choices), "answer": list(choices).index(gold)}


def test_priors_are_scored_leave_one_out():
    prior = PriorRule("prior given the prompt", lambda prompt, choices: prompt)
    docs = [_doc("x", "A"), _doc("x", "A"), _doc("x", "A"), _doc("x", "B"), _doc("y", "B")]
    # x: each A sees A 2 : B 1 (right), the B sees A 3 (wrong); y has no other doc: 1/2
    assert rule_scores([prior], docs)["prior given the prompt"] == pytest.approx(3.5 / 5)


def test_prior_ties_share_the_credit_and_skip_strings_that_are_not_choices():
    prior = PriorRule("prior", lambda prompt, choices: prompt)
    docs = [_doc("x", "A"), _doc("x", "B"), _doc("x", "A"), _doc("x", "C", ("B", "C"))]
    # doc 1 sees A:1 B:1 C:1 -> tie of A, B (C is not a choice): 1/2; doc 2 sees A:2 -> 0;
    # doc 3 like doc 1: 1/2; doc 4 sees A:2 B:1, A is not a choice -> B: 0
    assert rule_scores([prior], docs)["prior"] == pytest.approx(1 / 4)


def test_abstaining_rules_get_one_over_k():
    abstain = Rule("abstain", lambda prompt, choices: None)
    docs = [_doc("x", "A"), _doc("y", "B", ("A", "B", "C", "D"))]
    assert rule_scores([abstain], docs)["abstain"] == pytest.approx((1 / 2 + 1 / 4) / 2)


def test_majority_rate_is_the_best_constant_answer():
    same = [_doc("x", "A"), _doc("x", "A"), _doc("x", "B")]
    assert majority_rate(same) == pytest.approx(2 / 3)
    # "C" is gold once and not a choice twice (1/2 each): better than "A" (gold once)
    varying = [_doc("x", "A"), _doc("x", "B"), _doc("x", "C", ("C", "D"))]
    assert majority_rate(varying) == pytest.approx((1 + 1 / 2 + 1 / 2) / 3)


def test_skewed_answers_raise_the_floor_and_noise_does_not():
    choices = [str(i) for i in range(10)]
    skewed = [_doc("x", "0" if i % 3 == 0 else str(i % 10), choices) for i in range(250)]
    noisy = [_doc("x", str(i % 10), choices) for i in range(250)] + [_doc("x", "0", choices)]
    s = score_task("t", "f", "v", 8, 0.1, skewed, [])
    assert s.skewed and s.floor == pytest.approx(s.majority) and s.majority > 0.3
    n = score_task("t", "f", "v", 8, 0.1, noisy, [])
    assert not n.skewed and n.floor == 0.1 and n.majority > 0.1


def test_horizon_measures_from_a_points_floor():
    points = [Point(4, 0.95), Point(8, 0.95)]
    assert str(horizon(points, chance=0.5)) == ">=8"
    floored = [Point(4, 0.95), Point(8, 0.95, floor=0.6)]  # threshold 0.96 at length 8
    assert str(horizon(floored, chance=0.5)) == "4"


def statetrack(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([STATETRACK, *args], capture_output=True, text=True, timeout=300)


def test_command_scores_the_matching_tasks():
    proc = statetrack("baselines", "--tasks", "statetrack_flipflop_ffl_len1*", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["task"] for r in rows] == [
        "statetrack_flipflop_ffl_len1",
        "statetrack_flipflop_ffl_len16",
        "statetrack_flipflop_ffl_len128",
    ]
    assert all(r["chance"] == 0.5 and "last read" in r["rules"] for r in rows)
    table = statetrack("baselines", "--tasks", "statetrack_boxes_move_len16")
    assert "last item put in" in table.stdout and "leave-one-out" in table.stdout


def test_command_names_the_flag_when_nothing_matches():
    proc = statetrack("baselines", "--tasks", "statetrack_nosuch_*")
    assert proc.returncode != 0
    assert "--tasks 'statetrack_nosuch_*' matches no task" in proc.stderr


def test_every_family_readme_shows_its_table():
    root = Path(__file__).resolve().parents[1] / "task_yamls"
    for name in FAMILY_MODULES:
        text = (root / name / "README.md").read_text()
        assert "## Shortcut baselines" in text and "| best rule | score |" in text, name
