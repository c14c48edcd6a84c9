"""IDS4: a state-space layer whose transition matrix depends on the input token.

Merrill et al. (2024, Sec. 6) show that making S4's transition input-dependent and
*non-diagonal* (a full ``d x d`` matrix per token: one matrix product per step) lets one
layer solve the word problem of any finite group, which diagonal SSMs such as Mamba
cannot. Here ``h_t = normalize(A(x_t) h_{t-1} + B x_t)`` and the layer adds ``C h_t`` to
the residual stream. The rescaling to unit norm after each step is ours: without it the
state over- or underflows after a few dozen steps and training diverges (measured, see
DESIGN.md section 7); a group element acts as a rotation, so nothing is lost by it.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers.modeling_outputs import CausalLMOutput

from lm_eval_statetrack.training.configs import IDS4Config


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

    def scan(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        d = self.state_size
        transitions = self.to_transition(x).view(batch, length, d, d)
        inputs = self.to_input(x)
        h = self.initial_state.expand(batch, d)
        states = []
        for t in range(length):
            h = torch.einsum("bij,bj->bi", transitions[:, t], h) + inputs[:, t]
            h = h / h.norm(dim=-1, keepdim=True).clamp_min(1e-6)
            states.append(h)
        return torch.stack(states, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.to_output(self.scan(self.norm(x)))
        return x + self.mlp(x)


class IDS4ForCausalLM(PreTrainedModel):
    config_class = IDS4Config
    base_model_prefix = "ids4"
    main_input_name = "input_ids"

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

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed_tokens = value

    def forward(
        self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None = None, **kwargs
    ) -> CausalLMOutput:
        """Logits at every position; causal, so right padding needs no mask."""
        x = self.embed_tokens(input_ids)
        for layer in self.layers:
            x = layer(x)
        return CausalLMOutput(logits=self.lm_head(self.norm(x)))
