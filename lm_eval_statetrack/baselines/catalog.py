"""Shallow rules for the catalog: as for word problems where the product is asked; where
the image of point 0 is asked, that point followed through the last (or first) few steps
only, and priors keyed on the first or last step."""

from __future__ import annotations

from lm_eval_statetrack.baselines import wordproblem
from lm_eval_statetrack.baselines.rules import PriorRule, Rule
from lm_eval_statetrack.baselines.wordproblem import tokens
from lm_eval_statetrack.families.catalog import TRACKED_POINT, alphabet, task_mode
from lm_eval_statetrack.families.group_catalog import catalog_group

RULES: list[Rule | PriorRule] = [
    PriorRule("prior given the last step", lambda prompt, choices: tokens(prompt)[-1]),
    PriorRule("prior given the first step", lambda prompt, choices: tokens(prompt)[0]),
    Rule("most frequent step", wordproblem.most_frequent),
]


def variant_rules(variant: str) -> list[Rule | PriorRule]:
    group = catalog_group(variant)
    if task_mode(group) == "element":
        return wordproblem.product_rules(group)
    steps = alphabet(group)

    def follow(word) -> int:
        point = TRACKED_POINT
        for token in word:
            point = steps[token][point]
        return point

    def through(m: int, last: bool) -> Rule:
        """Abstains on words of m steps or fewer, where it would be the whole answer."""

        def predict(prompt: str, choices: list[str]) -> int | None:
            word = tokens(prompt)
            return follow(word[-m:] if last else word[:m]) if len(word) > m else None

        steps = "step" if m == 1 else f"{m} steps"
        return Rule(f"point through the {'last' if last else 'first'} {steps}", predict)

    return [through(1, True), through(2, True), through(4, True), through(1, False)]
