"""transformers' cache protocol for our recurrent models: one state tensor per layer.

A ``Cache`` of ``LinearAttentionLayer`` objects (transformers' own layer type for
Mamba-style states) is what ``generate``, beam reordering and the statetrack adapter's
prefix reuse already know how to carry, pick rows of and copy, so the LSTM and IDS4 need
no cache class of their own. Left padding (``--model hf`` generation pads batches on the
left) is handled by holding the state still at masked positions.
"""

from __future__ import annotations

import torch
from transformers.cache_utils import Cache, LinearAttentionLayer


def new_cache(num_layers: int) -> Cache:
    """An empty cache; each layer's state is created on its first write."""
    return Cache(layers=[LinearAttentionLayer() for _ in range(num_layers)])


def read_state(cache: Cache | None, layer: int) -> torch.Tensor | None:
    """The state after the tokens seen so far, or ``None`` before the first chunk."""
    return None if cache is None else cache.get_recurrent_state(layer)


def write_state(cache: Cache | None, layer: int, state: torch.Tensor) -> None:
    if cache is None:
        return
    cache.update_recurrent_state(state, layer)
    # transformers sets this flag only when a conv state is written; we have none
    cache.layers[layer].has_previous_state[0] = True


def step_mask(attention_mask: torch.Tensor | None, length: int) -> torch.Tensor | None:
    """``[batch, length]`` booleans for the chunk's tokens (a 2D mask may cover the whole
    sequence so far), or ``None`` when every token counts."""
    if attention_mask is None:
        return None
    mask = attention_mask[:, -length:].bool()
    return None if bool(mask.all()) else mask
