"""Choosing and loading a backend (``backend=auto|hf|mamba_ssm|fla``).

``auto`` reads the checkpoint's ``config.json``: mamba-ssm's own format (``d_model`` and
``n_layer``, no ``model_type``) goes to ``mamba_ssm``; a model type that only
flash-linear-attention defines goes to ``fla``; everything else to ``hf``. The choice
and its reason are logged.
"""

from __future__ import annotations

from typing import Any

import torch

from lm_eval_statetrack.models.backends.base import Backend, read_config
from lm_eval_statetrack.models.options import BACKENDS
from lm_eval_statetrack.models.util import logger

# model_type values defined by flash-linear-attention (fla/models/*/configuration_*.py)
FLA_MODEL_TYPES = frozenset(
    {
        "abc", "bitnet", "comba", "delta_net", "deltaformer", "forgetting_transformer",
        "gated_deltanet", "gated_deltaproduct", "gla", "gsa", "hgrn", "hgrn2", "kda",
        "lightnet", "linear_attn", "log_linear_mamba2", "mesa_net", "mla", "mom", "nsa",
        "path_attn", "retnet", "rodimus", "rwkv6", "rwkv7", "samba", "transformer",
    }
)  # fmt: skip


def is_mamba_ssm_format(config: dict[str, Any]) -> bool:
    return "d_model" in config and "n_layer" in config and "model_type" not in config


def choose_backend(config: dict[str, Any], requested: str) -> tuple[str, str]:
    """(backend, reason) for a checkpoint config; ``requested`` other than auto wins."""
    if requested not in BACKENDS:
        raise ValueError(f"backend={requested!r} is not one of {', '.join(BACKENDS)}")
    if requested != "auto":
        return requested, "requested"
    if is_mamba_ssm_format(config):
        return "mamba_ssm", "config.json is in mamba-ssm's format (d_model, n_layer, ssm_cfg)"
    model_type = config.get("model_type", "")
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    if model_type in FLA_MODEL_TYPES and model_type not in CONFIG_MAPPING_NAMES:
        return "fla", f"model_type {model_type!r} is a flash-linear-attention model"
    return "hf", f"model_type {model_type!r} loads with transformers"


def load_backend(
    pretrained: str,
    requested: str,
    device: torch.device,
    dtype: torch.dtype,
    revision: str | None,
    trust_remote_code: bool,
    cache_kwarg: str,
) -> Backend:
    config = read_config(pretrained, revision)
    name, reason = choose_backend(config, requested)
    logger.info("statetrack: backend=%s (%s)", name, reason)
    if name == "mamba_ssm":
        from lm_eval_statetrack.models.backends.mamba_ssm import MambaSSMBackend

        return MambaSSMBackend(pretrained, device, dtype, revision)
    if is_mamba_ssm_format(config):
        raise ValueError(
            f"{pretrained} is a mamba-ssm checkpoint (config.json has d_model/n_layer, no "
            f"model_type); backend={name} cannot load it. Use backend=mamba_ssm on a CUDA "
            "machine, or the transformers (-hf) version of the checkpoint."
        )
    kwargs = dict(revision=revision, trust_remote_code=trust_remote_code, cache_kwarg=cache_kwarg)
    if name == "fla":
        from lm_eval_statetrack.models.backends.fla import FLABackend

        return FLABackend(pretrained, device, dtype, **kwargs)
    from lm_eval_statetrack.models.backends.hf import HFBackend

    return HFBackend(pretrained, device, dtype, **kwargs)
