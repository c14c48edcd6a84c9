"""IDS4: a state-space layer whose transition matrix depends on the input token.

Merrill et al. (2024, Sec. 6) show that making S4's transition input-dependent and
*non-diagonal* (a full ``d x d`` matrix per token: one matrix product per step) lets one
layer solve the word problem of any finite group, which diagonal SSMs such as Mamba
cannot. Here ``h_t = normalize(A(x_t) h_{t-1} + B x_t)`` and the layer adds ``C h_t`` to
the residual stream. The rescaling to unit norm after each step is ours: without it the
state over- or underflows after a few dozen steps and training diverges (on A5 it did from
length 16 on); a group element acts as a rotation, so nothing is lost by it.

The state ``h`` (``state_size`` numbers per layer) is the whole memory of the model, so
inference carries it in a transformers cache (``recurrent_cache``): ``generate`` and the
statetrack adapter's prefix reuse continue from it instead of rereading the prompt.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers.cache_utils import Cache
from transformers.modeling_outputs import CausalLMOutputWithPast

from lm_eval_statetrack.training.model_configs import IDS4Config
from lm_eval_statetrack.training.recurrent_cache import (
    RecurrentCausalLM,
    new_cache,
    read_state,
    step_mask,
    write_state,
)


class IDS4Layer(nn.Module):
    """One residual block: the input-dependent recurrence, then a small MLP."""

    def __init__(self, hidden_size: int, state_size: int) -> None:
        super().__init__()
        self.state_size = state_size
        self.norm = nn.LayerNorm(hidden_size)
        self.to_transition = nn.Linear(hidden_size, state_size * state_size)
        self.to_input = nn.Linear(hidden_size, state_size)
        self.initial_state = nn.Parameter(torch.zeros(state_size))
        self.to_output = nn.Linear(state_size, hidden_size)
        self.mlp = nn.Sequential(
            nn.LayerNorm(hidden_size),
            nn.Linear(hidden_size, 2 * hidden_size),
            nn.GELU(),
            nn.Linear(2 * hidden_size, hidden_size),
        )

    def reset_parameters(self) -> None:
        """Transitions start near the identity, so the state survives long inputs from step 0."""
        d = self.state_size
        with torch.no_grad():
            nn.init.normal_(self.to_transition.weight, std=0.1 / d**0.5)
            self.to_transition.bias.copy_(torch.eye(d).flatten())
            nn.init.normal_(self.initial_state)

    def scan(
        self, x: torch.Tensor, state: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """States after each token, and the last one. ``state``: where to start (default:
        the learned initial state); ``mask``: ``[batch, length]``, False holds the state."""
        batch, length, _ = x.shape
        d = self.state_size
        transitions = self.to_transition(x).view(batch, length, d, d)
        inputs = self.to_input(x)
        h = self.initial_state.expand(batch, d) if state is None else state
        states = []
        for t in range(length):
            step = torch.einsum("bij,bj->bi", transitions[:, t], h) + inputs[:, t]
            step = step / step.norm(dim=-1, keepdim=True).clamp_min(1e-6)
            h = step if mask is None else torch.where(mask[:, t, None], step, h)
            states.append(h)
        return torch.stack(states, dim=1), h

    def forward(
        self, x: torch.Tensor, state: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        states, last = self.scan(self.norm(x), state, mask)
        x = x + self.to_output(states)
        return x + self.mlp(x), last


class IDS4ForCausalLM(RecurrentCausalLM):
    config_class = IDS4Config
    base_model_prefix = "ids4"

    def __init__(self, config: IDS4Config) -> None:
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(
            IDS4Layer(config.hidden_size, config.state_size)
            for _ in range(config.num_hidden_layers)
        )
        self.norm = nn.LayerNorm(config.hidden_size)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, (nn.Embedding, nn.Linear, nn.LayerNorm)):
            module.reset_parameters()
        elif isinstance(module, IDS4Layer):
            module.reset_parameters()

    def forward(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        cache: Cache | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int = 0,
        **kwargs,
    ) -> CausalLMOutputWithPast:
        """Logits at every position (or the last ``logits_to_keep``), continuing from
        ``cache`` if given. Causal, so right padding needs no mask; masked (left-padding)
        positions leave the state untouched."""
        if use_cache and cache is None:
            cache = new_cache(len(self.layers))
        mask = step_mask(attention_mask, input_ids.shape[1])
        x = self.embed_tokens(input_ids)
        for i, layer in enumerate(self.layers):
            x, last = layer(x, read_state(cache, i), mask)
            write_state(cache, i, last)
        if logits_to_keep:
            x = x[:, -logits_to_keep:]
        return CausalLMOutputWithPast(logits=self.lm_head(self.norm(x)), cache=cache)
