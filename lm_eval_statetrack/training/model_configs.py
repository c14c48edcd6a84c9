"""Configs of our own architectures, kept apart from the models so that registering them
with ``AutoConfig`` (done lazily by the import hook) needs no model code."""

from __future__ import annotations

from transformers import PretrainedConfig


class StateTrackLSTMConfig(PretrainedConfig):
    model_type = "statetrack_lstm"

    def __init__(
        self,
        vocab_size: int = 125,
        hidden_size: int = 128,
        embedding_size: int | None = None,
        num_hidden_layers: int = 1,
        forget_bias: float = 1.0,
        **kwargs,
    ) -> None:
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.embedding_size = embedding_size or hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.forget_bias = forget_bias
        kwargs.setdefault("tie_word_embeddings", False)
        super().__init__(**kwargs)


class IDS4Config(PretrainedConfig):
    model_type = "statetrack_ids4"

    def __init__(
        self,
        vocab_size: int = 125,
        hidden_size: int = 64,
        state_size: int = 8,
        num_hidden_layers: int = 1,
        **kwargs,
    ) -> None:
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.state_size = state_size
        self.num_hidden_layers = num_hidden_layers
        kwargs.setdefault("tie_word_embeddings", False)
        super().__init__(**kwargs)


CONFIGS = (StateTrackLSTMConfig, IDS4Config)
