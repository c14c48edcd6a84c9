"""``verify=N``: re-score N random requests with a plain full forward and compare.

State reuse is exact only if the model really continues from the state it is handed; a
cache passed under a keyword the model ignores, or a layer that ignores part of its
state, gives plausible but wrong scores. This check lets a user trust the reuse on their
own checkpoint, and fails loudly when it cannot be trusted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

from lm_eval_statetrack.models.backends.base import Backend
from lm_eval_statetrack.rng import StableRandom, seed_from


def default_tolerance(dtype: torch.dtype) -> float:
    return 1e-4 if dtype == torch.float32 else 0.05


def pick(n_items: int, n: int, seed: int) -> list[int]:
    """``n`` distinct indices below ``n_items``, the same on every machine."""
    rng, order = StableRandom(seed), list(range(n_items))
    for i in range(min(n, n_items)):
        j = i + rng.below(n_items - i)
        order[i], order[j] = order[j], order[i]
    return sorted(order[: min(n, n_items)])


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
    tolerance: float,
    describe: Callable[[int], str],
) -> int:
    """Compare ``n`` random requests with a full forward; raise on any mismatch."""
    chosen = pick(len(encoded), n, seed_from("statetrack-verify", len(encoded)))
    strict_greedy = backend.dtype == torch.float32
    for i in chosen:
        ref, ref_greedy = full_forward_score(backend, *encoded[i])
        got, got_greedy = scores[i]
        bad_value = not math.isclose(ref, got, rel_tol=0.0, abs_tol=tolerance)
        if bad_value or (strict_greedy and ref_greedy != got_greedy):
            raise RuntimeError(
                f"statetrack verify failed for {describe(i)}: prefix reuse gave "
                f"log p={got:.6f} (greedy={got_greedy}), a plain full forward gives "
                f"{ref:.6f} (greedy={ref_greedy}); tolerance {tolerance}. The model does "
                f"not continue correctly from its cache (backend={backend.name}, "
                f"{backend.kernels}). Use prefix_reuse=false, or check cache_kwarg."
            )
    return len(chosen)
