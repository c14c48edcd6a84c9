"""Registration of our LSTM and IDS4 with transformers' Auto classes (idempotent).

The import hook calls these lazily, once transformers' auto modules are imported, so
``AutoConfig`` / ``AutoModelForCausalLM`` (and so ``--model hf``) load our checkpoints
offline without ``trust_remote_code``.
"""

from __future__ import annotations


def register_auto_configs() -> None:
    """``AutoConfig`` learns our model types (needs no model code)."""
    from transformers import AutoConfig

    from lm_eval_statetrack.training.model_configs import CONFIGS

    for config_cls in CONFIGS:
        AutoConfig.register(config_cls.model_type, config_cls, exist_ok=True)


def register_auto_classes() -> None:
    """``AutoConfig`` and ``AutoModelForCausalLM`` learn our LSTM and IDS4."""
    from transformers import AutoModelForCausalLM

    from lm_eval_statetrack.training.ids4 import IDS4ForCausalLM
    from lm_eval_statetrack.training.lstm import StateTrackLSTMForCausalLM

    register_auto_configs()
    for model_cls in (StateTrackLSTMForCausalLM, IDS4ForCausalLM):
        AutoModelForCausalLM.register(model_cls.config_class, model_cls, exist_ok=True)
