"""Scoring shallow rules on a task's docs: chance, the best constant answer, each rule.

A rule's score is its mean credit per doc: 1 when it names the gold choice, 0 when it names
another, 1/k when it abstains (k choices). A :class:`PriorRule` is fitted on the task and
scored leave-one-out: each doc gets the gold choice string most common among the *other*
docs with the same key that is one of its own choices; ties share the credit, and no such
string means abstaining.

The majority-class rate is plain (not leave-one-out): the score of the best constant answer
(one choice string for every doc, abstaining where it is not a choice), what a model that
ignores the prompt can reach on these very docs. With many classes and 250 docs the most
common class is well above chance by sampling noise alone (A5: about 0.05 against 1/60), so
the horizon floor is the majority rate only where uniform answers would reach it with
probability below :data:`UNIFORM_P` (a binomial tail, Bonferroni over the k classes).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from lm_eval_statetrack.baselines.rules import PriorRule, Rule
from lm_eval_statetrack.families.base import Doc

UNIFORM_P = 1e-4


def gold(doc: Doc) -> str:
    return doc["choices"][doc["answer"]]


def rule_scores(rules: Sequence[Rule | PriorRule], docs: Sequence[Doc]) -> dict[str, float]:
    """Each rule's mean credit over ``docs`` (priors leave-one-out; module docstring).

    Docs are the outer loop, so rule modules can cache the parse of the current prompt.
    """
    names = [rule.name for rule in rules]
    if len(set(names)) < len(names):
        raise ValueError(f"rule names must be unique, got {names}")
    credit = dict.fromkeys(names, 0.0)
    keys: dict[str, list[Hashable]] = {r.name: [] for r in rules if isinstance(r, PriorRule)}
    for doc in docs:
        prompt, choices = doc["prompt"], doc["choices"]
        for rule in rules:
            if isinstance(rule, PriorRule):
                keys[rule.name].append(rule.key(prompt, choices))
                continue
            pick = rule.predict(prompt, choices)
            credit[rule.name] += 1 / len(choices) if pick is None else float(pick == doc["answer"])
    for name, doc_keys in keys.items():
        credit[name] = _prior_credit(doc_keys, docs)
    return {name: total / len(docs) for name, total in credit.items()}


def _prior_credit(keys: Sequence[Hashable], docs: Sequence[Doc]) -> float:
    counts: dict[Hashable, Counter] = defaultdict(Counter)
    for key, doc in zip(keys, docs):
        counts[key][gold(doc)] += 1
    ranked = {key: c.most_common() for key, c in counts.items()}
    return sum(_loo_credit(ranked[key], doc) for key, doc in zip(keys, docs))


def _loo_credit(ranked: list[tuple[str, int]], doc: Doc) -> float:
    """Credit of the most common gold string among the other docs (``ranked``: counts of
    every doc with this key, this one included, most common first)."""
    truth, choices = gold(doc), doc["choices"]
    allowed = set(choices)
    best, tied = 0, []
    for string, count in ranked:
        if count < best:
            break  # counts only fall from here; this doc's own gold loses at most 1
        if string not in allowed:
            continue
        count -= string == truth
        if count > best:
            best, tied = count, [string]
        elif count == best and count > 0:
            tied.append(string)
    if best == 0:
        return 1 / len(choices)
    return tied.count(truth) / len(tied)


def majority_rate(docs: Sequence[Doc]) -> float:
    """The score of the best constant answer (plain, not leave-one-out)."""
    golds = Counter(gold(d) for d in docs)
    first = docs[0]["choices"]
    if all(d["choices"] == first for d in docs):
        return golds.most_common(1)[0][1] / len(docs)
    best = 0.0
    for string, hits in golds.items():
        abstained = sum(1 / len(d["choices"]) for d in docs if string not in d["choices"])
        best = max(best, (hits + abstained) / len(docs))
    return best


def beats_uniform(rate: float, chance: float, n: int, p: float = UNIFORM_P) -> bool:
    """Whether ``n`` docs whose k = 1/chance answers were uniform would show a class this
    common with probability below ``p`` (k * the binomial upper tail)."""
    hits, k = math.ceil(rate * n - 1e-9), round(1 / chance)
    tail = sum(math.comb(n, i) * chance**i * (1 - chance) ** (n - i) for i in range(hits, n + 1))
    return k * tail < p


@dataclass(frozen=True)
class TaskScores:
    """Every rule's score on one task, next to chance and the majority-class rate."""

    task: str
    family: str
    variant: str
    length: int
    docs: int
    chance: float
    majority: float
    rules: dict[str, float]  # rule name -> score, in the order the rules were given

    @property
    def best_rule(self) -> tuple[str, float]:
        """The highest-scoring rule (the first listed among equals)."""
        return max(self.rules.items(), key=lambda item: item[1])

    @property
    def skewed(self) -> bool:
        """Whether the answers are not uniform beyond sampling noise (module docstring)."""
        if not 0 < self.chance < self.majority:  # chance 0: a generative task, no classes
            return False
        return beats_uniform(self.majority, self.chance, self.docs)

    @property
    def floor(self) -> float:
        """The horizon floor: the majority-class rate where answers are skewed, else chance."""
        return self.majority if self.skewed else self.chance


def score_task(
    task: str,
    family: str,
    variant: str,
    length: int,
    chance: float,
    docs: Sequence[Doc],
    rules: Sequence[Rule | PriorRule],
) -> TaskScores:
    if not docs:
        raise ValueError(f"{task} has no docs to score")
    scores = rule_scores(rules, docs)
    return TaskScores(task, family, variant, length, len(docs), chance, majority_rate(docs), scores)
