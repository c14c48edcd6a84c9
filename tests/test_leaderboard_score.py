"""The headline score's properties, on the installed suite's real tasks, floors and shallow
rules. Three hard variants whose rules are quick to score stand for all (chess's take
minutes); the headline averages every hard variant, a missing one counting 0."""

from __future__ import annotations

import pytest

from lm_eval_statetrack.baselines import task_scores
from lm_eval_statetrack.families import get_family
from lm_eval_statetrack.report.leaderboard.score import floor, hard_variants, scores

QUICK = [("wordproblem", "a5"), ("shuffle", "s5"), ("boxes", "trade")]


def _tasks(values) -> dict:
    """A submission's ``tasks`` for every (family, variant, length) -> accuracy given."""
    return {
        get_family(f).task_name(v, n): {"family": f, "variant": v, "length": n, "value": value}
        for (f, v, n), value in values.items()
    }


def _ladder(family: str, variant: str) -> list[tuple[str, str, int]]:
    return [(family, variant, n) for n in get_family(family).variant(variant).lengths]


def test_the_hard_variants_are_the_default_suites_nc1_complete_ones():
    hard = hard_variants()
    assert set(QUICK) <= set(hard) and ("shuffle", "a5") in hard
    assert ("wordproblem", "z60") not in hard  # a control
    assert not any(f == "catalog" for f, _ in hard)  # opt-in, not in 'statetrack_*'


@pytest.mark.parametrize("family,variant", QUICK)
def test_chance_the_floor_and_the_best_shallow_rule_score_0_a_perfect_model_1(family, variant):
    key, ladder = (family, variant), _ladder(family, variant)
    chance = get_family(family).variant(variant).chance
    assert scores(_tasks({t: chance for t in ladder})).variants[key] == 0.0
    assert scores(_tasks({t: floor(*t) for t in ladder})).variants[key] == 0.0
    assert scores(_tasks({t: 0.0 for t in ladder})).variants[key] == 0.0  # below: as guessing
    best = {t: task_scores(*t).best_rule[1] for t in ladder}  # what `statetrack baselines` shows
    assert any(best[t] > chance + 0.1 for t in ladder) or family == "wordproblem"
    assert scores(_tasks(best)).variants[key] == 0.0
    assert scores(_tasks({t: 1.0 for t in ladder})).variants[key] == 1.0
    half = {t: floor(*t) + 0.5 * (1 - floor(*t)) for t in ladder}
    assert scores(_tasks(half)).variants[key] == pytest.approx(0.5)


def test_the_headline_averages_every_hard_variant_and_missing_ones_count_0():
    perfect = {t: 1.0 for key in QUICK for t in _ladder(*key)}
    result = scores(_tasks(perfect))
    assert result.headline == pytest.approx(len(QUICK) / len(hard_variants()))
    assert result.coverage == (len(QUICK), len(hard_variants()))
    control = _ladder("wordproblem", "z60")  # a control alone adds nothing
    assert scores(_tasks({t: 1.0 for t in control})).headline == 0.0


def test_a_model_that_ran_some_families_never_gains_from_the_missing_ones():
    values = {t: floor(*t) + 0.6 * (1 - floor(*t)) for key in QUICK for t in _ladder(*key)}
    complete = scores(_tasks(values))
    for family in {f for f, _ in QUICK}:
        some = scores(_tasks({t: v for t, v in values.items() if t[0] == family}))
        assert some.headline < complete.headline
        assert some.coverage[0] < complete.coverage[0]


def test_a_length_missing_from_a_ladder_counts_0():
    ladder = _ladder("wordproblem", "a5")
    short = scores(_tasks({t: 1.0 for t in ladder[:-1]}))
    assert short.variants[("wordproblem", "a5")] == pytest.approx(1 - 1 / len(ladder))
