"""flash-linear-attention models (DeltaNet, Gated DeltaNet, Gated DeltaProduct, RWKV7, ...).

fla registers its models with transformers' Auto classes on ``import fla``, so loading
and calling them is the ``hf`` backend's job. Two things differ: the kernels are Triton
only (CUDA only, no CPU fallback), and fla's cache keeps each layer's states in a dict
(``recurrent_state``, ``attn_state``, ``conv_state``, ``ffn_state``) that transformers'
``reorder_cache`` does not see, so rows are picked tensor by tensor. fla's layers take an
initial state for multi-token chunks, so continuations run as whole chunks.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

from lm_eval_statetrack.models.backends.base import map_tensors, require_cuda, select_rows
from lm_eval_statetrack.models.backends.hf import HFBackend

FIX = (
    "Install it on a CUDA machine with pip install 'lm-eval-statetrack[fla]' "
    "(flash-linear-attention)."
)


def copy_fla_cache(cache: Any, rows: torch.Tensor) -> Any:
    """Rows of an fla cache (per-layer state dicts) as an independent copy."""

    def pick(t: torch.Tensor) -> torch.Tensor:
        return select_rows(t, rows)

    new = copy.copy(cache)
    if hasattr(cache, "layers"):  # FLACache: one FLALayer per layer, each with .state
        new.layers = []
        for layer in cache.layers:
            dup = copy.copy(layer)
            dup.state = map_tensors(getattr(layer, "state", None), pick)
            new.layers.append(dup)
    elif hasattr(cache, "states"):  # older fla: a list of state dicts
        new.states = [map_tensors(s, pick) for s in cache.states]
    else:
        raise TypeError(f"unknown fla cache type {type(cache).__name__}")
    return new


class FLABackend(HFBackend):
    """An fla model through transformers, with fla's cache handling."""

    name = "fla"

    def __init__(self, pretrained: str, device: torch.device, dtype: torch.dtype, **kwargs):
        require_cuda(device, "fla", FIX)
        try:
            import fla  # noqa: F401  (registers fla's model types with transformers)
        except Exception as exc:
            raise ImportError(f"backend=fla needs flash-linear-attention ({exc}). {FIX}") from exc
        super().__init__(pretrained, device, dtype, **kwargs)
        self.continues_multi_token = True
        self.kernels = "fla (triton)"

    def select(self, state: Any, rows: torch.Tensor) -> Any:
        return copy_fla_cache(state, rows.to(self.device))
