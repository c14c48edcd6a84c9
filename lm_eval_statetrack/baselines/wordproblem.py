"""Shallow rules for word problems ("17 3 42 8 ="): the last few elements, the first one,
the most frequent one, and priors keyed on the first or last element. Products are taken in
the task's own group, the only thing a rule knows beyond the prompt."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from lm_eval_statetrack.algebra import Group
from lm_eval_statetrack.baselines.rules import PriorRule, Rule
from lm_eval_statetrack.families.wordproblem import SEPARATOR, group_for


@lru_cache(maxsize=4)
def tokens(prompt: str) -> tuple[int, ...]:
    """Element indices of a word-problem prompt (a catalog point prompt's "0 :" dropped)."""
    word = prompt.removesuffix(SEPARATOR).rpartition(" : ")[2]
    return tuple(map(int, word.split()))


def most_frequent(prompt: str, choices: list[str]) -> int | None:
    (top, count), *rest = Counter(tokens(prompt)).most_common(2) + [(None, 0)]
    return top if count > rest[0][1] else None


def product_rules(group: Group) -> list[Rule | PriorRule]:
    """Rules that multiply a few elements of the word in ``group`` (element indices)."""
    table = group.table

    def product(word: Sequence[int]) -> int:
        state = 0  # the identity comes first in the fixed order
        for g in word:
            state = table[state][g]
        return state

    def last(m: int) -> Rule:
        """Abstains on words of m elements or fewer, where it would be the whole product."""

        def predict(prompt: str, choices: list[str]) -> int | None:
            word = tokens(prompt)
            return product(word[-m:]) if len(word) > m else None

        name = "last element" if m == 1 else f"product of the last {m} elements"
        return Rule(name, predict)

    def first_two(prompt: str, choices: list[str]) -> int | None:
        word = tokens(prompt)
        return product(word[:2]) if len(word) > 2 else None

    return [
        last(1),
        last(2),
        last(3),
        last(4),
        Rule("product of the first 2 elements", first_two),
    ]


RULES: list[Rule | PriorRule] = [
    Rule("first element", lambda prompt, choices: tokens(prompt)[0]),
    Rule("most frequent element", most_frequent),
    PriorRule("prior given the last element", lambda prompt, choices: tokens(prompt)[-1]),
    PriorRule("prior given the first element", lambda prompt, choices: tokens(prompt)[0]),
]


def variant_rules(variant: str) -> list[Rule | PriorRule]:
    return product_rules(group_for(variant))
