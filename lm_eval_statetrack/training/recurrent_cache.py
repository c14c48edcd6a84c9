"""transformers' cache protocol for our recurrent models: one state tensor per layer.

A ``Cache`` of ``LinearAttentionLayer`` objects (transformers' own layer type for
Mamba-style states) is what ``generate``, beam reordering and the statetrack adapter's
prefix reuse already know how to carry, pick rows of and copy, so the LSTM and IDS4 need
no cache class of their own. Left padding (``--model hf`` generation pads batches on the
left) is handled by holding the state still at masked positions. ``RecurrentCausalLM``
holds what both models tell transformers about themselves.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import GenerationMixin, PreTrainedModel
from transformers.cache_utils import Cache, LinearAttentionLayer


class RecurrentCausalLM(PreTrainedModel, GenerationMixin):
    """A causal LM whose ``forward`` keeps its own recurrent state in the cache."""

    main_input_name = "input_ids"
    _is_stateful = True  # no rollback: assisted decoding is refused by transformers
    # What runs, for the statetrack adapter's model info (there is no attention to name)
    statetrack_compute_path = "recurrent scan, plain PyTorch"
    embed_tokens: nn.Embedding

    @classmethod
    def _supports_default_dynamic_cache(cls) -> bool:
        return False  # `forward` makes its own cache of recurrent states

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed_tokens = value


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
