"""A plain LSTM language model, the recurrent baseline of Merrill et al. (2024).

Tokens -> embedding (``embedding_size``: it only has to tell ~120 tokens apart) ->
``num_hidden_layers`` stacked LSTM layers -> linear head. The output at position t is read
off the hidden state after token t, so one forward gives a prediction at every position
(the per-position labels of the paper).

Each layer's memory is its ``(h, c)`` pair, kept in a transformers cache as one
``[batch, 2, hidden_size]`` tensor (``recurrent_cache``), so ``generate`` and the
statetrack adapter's prefix reuse continue from it instead of rereading the prompt.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers.cache_utils import Cache
from transformers.modeling_outputs import CausalLMOutputWithPast

from lm_eval_statetrack.training.model_configs import StateTrackLSTMConfig
from lm_eval_statetrack.training.recurrent_cache import (
    RecurrentCausalLM,
    new_cache,
    read_state,
    step_mask,
    write_state,
)

LSTMState = tuple[torch.Tensor, torch.Tensor]  # (h, c), each [layers, batch, hidden]


class StateTrackLSTMForCausalLM(RecurrentCausalLM):
    config_class = StateTrackLSTMConfig
    base_model_prefix = "lstm"
    statetrack_compute_path = "recurrent scan, torch.nn.LSTM"

    def __init__(self, config: StateTrackLSTMConfig) -> None:
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.embedding_size)
        self.lstm = nn.LSTM(
            config.embedding_size,
            config.hidden_size,
            num_layers=config.num_hidden_layers,
            batch_first=True,
        )
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        """PyTorch's own initialisation, with the forget gate biased open (Jozefowicz 2015)."""
        if isinstance(module, (nn.Embedding, nn.Linear)):
            module.reset_parameters()
        elif isinstance(module, nn.LSTM):
            module.reset_parameters()
            h = module.hidden_size
            with torch.no_grad():
                for name, param in module.named_parameters():
                    if name.startswith("bias_ih"):
                        param[h : 2 * h].fill_(self.config.forget_bias)

    def _read(self, cache: Cache | None) -> LSTMState | None:
        stored = [read_state(cache, i) for i in range(self.lstm.num_layers)]
        if stored[0] is None:
            return None
        both = torch.stack(stored)  # [layers, batch, 2, hidden]
        return both[:, :, 0].contiguous(), both[:, :, 1].contiguous()

    def _write(self, cache: Cache | None, state: LSTMState) -> None:
        for i in range(self.lstm.num_layers):
            write_state(cache, i, torch.stack([state[0][i], state[1][i]], dim=1))

    def _masked_scan(
        self, x: torch.Tensor, state: LSTMState | None, mask: torch.Tensor
    ) -> tuple[torch.Tensor, LSTMState]:
        """Token by token; where ``mask`` is False the state is held (left padding)."""
        if state is None:  # nn.LSTM's own default: zeros
            zeros = x.new_zeros(self.lstm.num_layers, x.shape[0], self.lstm.hidden_size)
            state = (zeros, zeros)
        outputs = []
        for t in range(x.shape[1]):
            out, (h, c) = self.lstm(x[:, t : t + 1], state)
            keep = mask[None, :, t, None]
            state = (torch.where(keep, h, state[0]), torch.where(keep, c, state[1]))
            outputs.append(out)
        return torch.cat(outputs, dim=1), state

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
        ``cache`` if given. Causal by construction, so right padding (what lm-eval uses)
        cannot change the scores of earlier positions and needs no mask; masked
        (left-padding) positions leave the state untouched."""
        if use_cache and cache is None:
            cache = new_cache(self.lstm.num_layers)
        mask = step_mask(attention_mask, input_ids.shape[1])
        x = self.embed_tokens(input_ids)
        state = self._read(cache)
        if mask is None:
            hidden, state = self.lstm(x, state)
        else:
            hidden, state = self._masked_scan(x, state, mask)
        if cache is not None:
            self._write(cache, state)
        if logits_to_keep:
            hidden = hidden[:, -logits_to_keep:]
        return CausalLMOutputWithPast(logits=self.lm_head(hidden), cache=cache)
