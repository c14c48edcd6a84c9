"""``verify=N``: re-score N random requests with a plain full forward and compare.

State reuse is exact only if the model really continues from the state it is handed; a
cache passed under a keyword the model ignores, or a layer that ignores part of its
state, gives plausible but wrong scores. This check lets a user trust the reuse on their
own checkpoint, and fails loudly when it cannot be trusted.

A continuation's log-probability is a sum over its tokens, and two correct computations
differ by rounding that grows with the sum (float32: about 1e-7 of |log p|), so the
tolerance is relative with an absolute floor: ``max(abs_tol, rel_tol * |log p|)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from lm_eval_statetrack.models.backends.base import Backend
from lm_eval_statetrack.models.util import logger
from lm_eval_statetrack.rng import StableRandom, seed_from


@dataclass(frozen=True)
class Tolerance:
    absolute: float
    relative: float

    def allows(self, reference: float, value: float) -> bool:
        return abs(value - reference) <= self.bound(reference)

    def bound(self, reference: float) -> float:
        return max(self.absolute, self.relative * abs(reference))

    def __str__(self) -> str:
        return f"max({self.absolute:g}, {self.relative:g} x |log p|)"


def default_tolerance(
    dtype: torch.dtype, absolute: float | None = None, relative: float | None = None
) -> Tolerance:
    """float32: 1e-4 and 1e-5 (100x float32 rounding); 16-bit types: 0.05 and 1e-2."""
    wide = dtype == torch.float32
    return Tolerance(
        absolute if absolute is not None else (1e-4 if wide else 0.05),
        relative if relative is not None else (1e-5 if wide else 1e-2),
    )


def pick(n_items: int, n: int, seed: int) -> list[int]:
    """``n`` distinct indices below ``n_items``, the same on every machine."""
    return sorted(StableRandom(seed).sample(range(n_items), min(n, n_items)))


def full_forward_score(backend: Backend, context: list[int], continuation: list[int]):
    """(log p, greedy) of the continuation from one plain forward, no state involved."""
    inputs = torch.tensor([(context + continuation)[:-1]], device=backend.device)
    logits, _ = backend.forward(inputs, None, 0, len(continuation), want_state=False)
    logp = logits[0].float().log_softmax(-1)
    target = torch.tensor(continuation, device=logp.device)
    value = logp.gather(1, target[:, None]).sum().item()
    return value, bool((logp.argmax(-1) == target).all())


def verify_scores(
    backend: Backend,
    encoded: Sequence[tuple[list[int], list[int]]],
    scores: Sequence[tuple[float, bool]],
    n: int,
    tolerance: Tolerance,
    describe: Callable[[int], str],
) -> int:
    """Compare ``n`` random requests with a full forward; raise on any mismatch."""
    chosen = pick(len(encoded), n, seed_from("statetrack-verify", len(encoded)))
    strict_greedy = backend.dtype == torch.float32
    worst = 0.0
    for i in chosen:
        ref, ref_greedy = full_forward_score(backend, *encoded[i])
        got, got_greedy = scores[i]
        bad_value = not tolerance.allows(ref, got)
        if bad_value or (strict_greedy and ref_greedy != got_greedy):
            raise RuntimeError(
                f"statetrack verify failed for {describe(i)}: prefix reuse gave "
                f"log p={got:.6f} (greedy={got_greedy}), a plain full forward gives "
                f"{ref:.6f} (greedy={ref_greedy}), more than the tolerance "
                f"{tolerance.bound(ref):.3g} apart; the model does not continue correctly "
                f"from its cache (backend={backend.name}, {backend.kernels}): use "
                "prefix_reuse=false, or check cache_kwarg."
            )
        worst = max(worst, abs(got - ref))
    if chosen:
        logger.info(
            "statetrack: verify passed: %d of %d requests equal a plain full forward (max "
            "|d log p| %.3g, tolerance %s)",
            len(chosen),
            len(encoded),
            worst,
            tolerance,
        )
    return len(chosen)
