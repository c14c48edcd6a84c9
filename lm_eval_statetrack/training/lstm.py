"""A plain LSTM language model, the recurrent baseline of Merrill et al. (2024).

Tokens -> embedding (``embedding_size``: it only has to tell ~120 tokens apart) ->
``num_hidden_layers`` stacked LSTM layers -> linear head. The output at position t is read
off the hidden state after token t, so one forward gives a prediction at every position
(the per-position labels of the paper).
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers.modeling_outputs import CausalLMOutput

from lm_eval_statetrack.training.configs import StateTrackLSTMConfig


class StateTrackLSTMForCausalLM(PreTrainedModel):
    config_class = StateTrackLSTMConfig
    base_model_prefix = "lstm"
    main_input_name = "input_ids"

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

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed_tokens = value

    def forward(
        self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None = None, **kwargs
    ) -> CausalLMOutput:
        """Logits at every position. Causal by construction, so right padding (what lm-eval
        uses) cannot change the scores of earlier positions and the mask is not needed."""
        hidden, _ = self.lstm(self.embed_tokens(input_ids))
        return CausalLMOutput(logits=self.lm_head(hidden))
