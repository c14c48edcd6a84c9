"""What every task family provides, and the checks shared by all of them."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lm_eval_statetrack.families.papers import Paper

SPLITS = ("test", "train")
POWERS_OF_TWO = (4, 8, 16, 32, 64, 128, 256)

Doc = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class Variant:
    """One variant of a family: how to generate its docs and what it measures."""

    name: str
    description: str
    complexity: str  # e.g. "NC1-complete", "TC0"
    chance: float
    lengths: tuple[int, ...] = POWERS_OF_TWO
    hard: bool = False  # the NC1-complete side of a hard-vs-control pair
    metrics: tuple[str, ...] = ("acc",)  # what the variant's group aggregates
    extra_yaml: dict[str, Any] = field(default_factory=dict)  # overrides in each leaf YAML


@dataclass(frozen=True)
class Family:
    """A task family. ``generate(variant, steps, split, n)`` returns up to n docs, each with
    ``prompt`` (the context), ``choices`` (continuations; lm-eval puts ``target_delimiter``,
    a space, before each), ``answer`` (index into choices) and ``trace`` (the state after
    each step, as strings), plus any family-specific keys. :meth:`docs` adds what the spec
    already knows: ``length`` (the steps), ``variant`` and ``chance``.
    """

    name: str
    version: int
    rendering: str  # "sym" or "nl"
    description: str
    source: str
    variants: dict[str, Variant]
    generate: Callable[[str, int, str, int], list[Doc]]
    test_docs: int = 250
    train_docs: int = 64
    num_fewshot: int = 0
    output_type: str = "multiple_choice"
    extra_yaml: dict[str, Any] = field(default_factory=dict)
    readme_notes: str = ""  # extra Markdown for the family README
    # name -> module, re-exported by the family folder's utils.py for ``!function utils.name``
    utils_imports: dict[str, str] = field(default_factory=dict)
    # Opt-in families name leaf tasks ``statetrack-<family>_...`` so that the glob
    # 'statetrack_*' misses them, and stay out of the top-level ``statetrack`` group.
    opt_in: bool = False
    # "YYYY-MM-DD (version N): what changed", newest last; shown in the family README
    changelog: tuple[str, ...] = ()
    # Steps of every train doc (the few-shot demos) whatever the task's length; None: the
    # task's length. Short demos keep prompts within common context windows.
    demo_length: int | None = None
    # The papers the family comes from, first the one that introduced the task
    papers: tuple[Paper, ...] = ()

    def variant(self, name: str) -> Variant:
        if name not in self.variants:
            raise ValueError(
                f"unknown variant {name!r} for family {self.name!r}; "
                f"valid variants: {', '.join(self.variants)}"
            )
        return self.variants[name]

    def check_spec(self, variant: str, length: int, split: str) -> Variant:
        """Validate a (variant, length, split) request, naming the valid values."""
        v = self.variant(variant)
        if length not in v.lengths:
            raise ValueError(
                f"unknown length {length!r} for {self.name}/{variant}; "
                f"valid lengths: {', '.join(map(str, v.lengths))}"
            )
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; valid splits: {', '.join(SPLITS)}")
        return v

    def docs(self, variant: str, length: int, split: str) -> list[Doc]:
        spec = self.check_spec(variant, length, split)
        n = self.test_docs if split == "test" else self.train_docs
        steps = self.demo_length if split == "train" and self.demo_length else length
        known = {"length": steps, "variant": variant, "chance": spec.chance}
        return [{**doc, **known} for doc in self.generate(variant, steps, split, n)]

    def task_name(self, variant: str, length: int) -> str:
        return f"statetrack{'-' if self.opt_in else '_'}{self.name}_{variant}_len{length}"


def distinct(
    draw: Callable[[], T],
    n: int,
    key: Callable[[T], Hashable] = lambda item: item,
    exclude: Iterable[Hashable] = (),
    max_tries: int = 20,
) -> list[T]:
    """Up to n items from ``draw()`` with distinct ``key``s, none of them in ``exclude``.

    Stops early when the space is exhausted (``max_tries`` * n draws without reaching n),
    so tiny spaces such as parity at length 4 give every distinct doc once.
    """
    seen, out, banned = set(), [], set(exclude)
    for _ in range(max_tries * n):
        item = draw()
        k = key(item)
        if k in seen or k in banned:
            continue
        seen.add(k)
        out.append(item)
        if len(out) == n:
            break
    return out
