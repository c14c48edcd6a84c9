"""Any ``AutoModelForCausalLM``, continued from a transformers ``Cache``.

In transformers 5.x every model we care about (Llama-style transformers, Mamba, Mamba2,
FalconMamba, and hybrids such as Jamba, Zamba2 and Bamba) keeps its inference state in
a ``DynamicCache``: key/value tensors for attention layers, conv and recurrent states for
Mamba layers. Three traps, all measured on transformers 5.24:

- the cache keyword differs between models and versions (``cache``, ``cache_params``,
  ``past_key_values``), and a wrong one is swallowed by ``**kwargs`` without a word
  (Mamba2 then scores 2 nats off): we only use a keyword the signature names;
- Bamba numbers positions from 0 on every call unless ``position_ids`` is given:
  we always pass positions when the model takes them;
- Mamba1-family layers (Mamba, FalconMamba, Jamba) ignore the recurrent state for a
  chunk of more than one token: on top of a state they are stepped token by token.
"""

from __future__ import annotations

import copy
import inspect
import re
import sys
from typing import Any

import torch

from lm_eval_statetrack.models.backends.base import map_tensors, select_rows
from lm_eval_statetrack.models.options import CACHE_KEYWORDS
from lm_eval_statetrack.models.util import importable, logger

MAMBA1_FAMILY = frozenset({"mamba", "falcon_mamba", "jamba"})
POSITION_LIMIT_KEYS = ("n_positions", "max_position_embeddings", "n_ctx")
# transformers marks each optional kernel with this decorator in the modeling file
_KERNEL_DECORATOR = re.compile(r'use_kernel_func_from_hub_with_fallback\(\s*"\w+",\s*"(\w+)"')
_EXTRA = {"mamba_ssm": "mamba", "causal_conv1d": "mamba", "fla": "fla"}


def kernel_packages(model: torch.nn.Module) -> list[str]:
    """Optional kernel packages (``mamba_ssm``, ``causal_conv1d``, ``fla``) that the
    model's transformers code uses when they are installed."""
    module = sys.modules.get(type(model).__module__)
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return []
    return sorted(set(_KERNEL_DECORATOR.findall(source)))


def pick_cache_keyword(model: torch.nn.Module, requested: str) -> str | None:
    """The keyword ``model.forward`` takes its cache under; never a guess (None: no cache)."""
    params = inspect.signature(model.forward).parameters
    if requested != "auto":
        if requested not in params:
            logger.warning(
                "statetrack: cache_kwarg=%s is not a named parameter of %s.forward and may be "
                "ignored without an error; run with verify=20 to check the scores.",
                requested,
                type(model).__name__,
            )
        return requested
    for name in CACHE_KEYWORDS:
        if name in params:
            return name
    logger.warning(
        "statetrack: %s.forward names none of %s, so its state cannot be handed back: prefix "
        "reuse is off and every request is a plain full forward (correct, slower). Pass "
        "cache_kwarg=<name> if the model takes its cache under another name (and verify=20).",
        type(model).__name__,
        CACHE_KEYWORDS,
    )
    return None


def copy_cache(cache: Any, rows: torch.Tensor) -> Any:
    """Rows of a transformers ``Cache`` (or a legacy tuple cache) as an independent copy.

    ``reorder_cache`` gives the per-row tensors new storage; tensors it leaves alone (such
    as the token counter ``cumulative_length_linear``, which transformers increments in
    place) would stay shared with the source, so they are cloned.
    """
    if hasattr(cache, "layers") and hasattr(cache, "reorder_cache"):
        new = copy.copy(cache)
        new.layers = []
        for layer in cache.layers:
            dup = copy.copy(layer)
            for key, value in vars(layer).items():  # per-state dicts of linear layers
                if isinstance(value, dict):
                    setattr(dup, key, dict(value))
            new.layers.append(dup)
        new.reorder_cache(rows)  # index_select: new tensors, the source is untouched
        for layer, dup in zip(cache.layers, new.layers):
            _unshare_tensors(layer, dup)
        return new
    if isinstance(cache, (tuple, list, dict)):
        return map_tensors(cache, lambda t: select_rows(t, rows))
    raise TypeError(
        f"cannot pick rows of a {type(cache).__name__}; use prefix_reuse=false for this model"
    )


def _unshare_tensors(source: Any, dup: Any) -> None:
    """Clone every tensor of ``dup`` (also inside dicts) that is still ``source``'s own."""
    for key, value in vars(dup).items():
        mine = getattr(source, key, None)
        if isinstance(value, torch.Tensor) and value is mine:
            setattr(dup, key, value.clone())
        elif isinstance(value, dict) and isinstance(mine, dict):
            for k, v in value.items():
                if isinstance(v, torch.Tensor) and v is mine.get(k):
                    value[k] = v.clone()


class HFBackend:
    """transformers' ``AutoModelForCausalLM`` with prefix-state reuse."""

    name = "hf"

    def __init__(
        self,
        pretrained: str,
        device: torch.device,
        dtype: torch.dtype,
        revision: str | None = None,
        trust_remote_code: bool = False,
        cache_kwarg: str = "auto",
    ) -> None:
        from transformers import AutoModelForCausalLM

        self.device, self.dtype = device, dtype
        self.model = AutoModelForCausalLM.from_pretrained(
            pretrained, revision=revision, trust_remote_code=trust_remote_code, dtype=dtype
        )
        self.model.to(device).eval()
        config = self.model.config
        self.model_type = getattr(config, "model_type", "")
        params = inspect.signature(self.model.forward).parameters
        self.cache_kwarg = pick_cache_keyword(self.model, cache_kwarg)
        self.takes_positions = "position_ids" in params
        self.takes_cache_position = "cache_position" in params  # older transformers
        self.takes_keep = "logits_to_keep" in params
        self.continues_multi_token = self.model_type not in MAMBA1_FAMILY
        self.reuses_state = self.cache_kwarg is not None
        text = config.get_text_config() if hasattr(config, "get_text_config") else config
        limits = [getattr(text, k, None) for k in POSITION_LIMIT_KEYS]
        self.position_limit = next((int(v) for v in limits if v is not None), None)
        self.kernels = self._kernel_path()
        if not self.reuses_state:
            self.kernels += "; no cache argument: prefix reuse off"

    def _kernel_path(self) -> str:
        declared = getattr(self.model, "statetrack_compute_path", None)  # our LSTM, IDS4
        if isinstance(declared, str):
            return f"transformers ({declared})"
        packages = kernel_packages(self.model)
        if not packages:
            attn = getattr(self.model.config, "_attn_implementation", None) or "default"
            return f"transformers ({attn} attention)"
        extras = sorted({_EXTRA.get(p, p) for p in packages})
        fix = " or ".join(f"pip install 'lm-eval-statetrack[{e}]'" for e in extras)
        if self.device.type != "cuda":
            logger.warning(
                "statetrack: %s runs transformers' pure-PyTorch path on %s (the %s kernels "
                "need CUDA): correct but slow. On a CUDA machine: %s.",
                self.model_type,
                self.device,
                ", ".join(packages),
                fix,
            )
            return f"torch fallback on {self.device.type} (kernels need CUDA)"
        missing = [p for p in packages if not importable(p)]
        present = [p for p in packages if p not in missing]
        if missing:
            logger.warning(
                "statetrack: %s runs transformers' pure-PyTorch fallback for its %s kernels, "
                "which are not installed: correct but much slower. Fix: %s.",
                self.model_type,
                " and ".join(missing),
                fix,
            )
            used = f"kernels: {', '.join(present)}; " if present else ""
            return f"{used}torch fallback for {', '.join(missing)}"
        return "kernels: " + ", ".join(packages)

    @torch.no_grad()
    def forward(
        self, tokens: torch.Tensor, state: Any | None, past: int, keep: int, want_state: bool
    ) -> tuple[torch.Tensor, Any | None]:
        use_cache = state is not None or want_state
        kwargs: dict[str, Any] = {"input_ids": tokens, "use_cache": use_cache}
        if state is not None:
            kwargs[self.cache_kwarg] = state
        positions = torch.arange(past, past + tokens.shape[1], device=tokens.device)
        if self.takes_positions:
            kwargs["position_ids"] = positions.expand(tokens.shape[0], -1)
        if self.takes_cache_position:
            kwargs["cache_position"] = positions
        if self.takes_keep:
            kwargs["logits_to_keep"] = keep
        out = self.model(**kwargs)
        logits = out.logits[:, -keep:]
        if not use_cache:
            return logits, None
        new_state = next(
            (getattr(out, k) for k in CACHE_KEYWORDS if getattr(out, k, None) is not None), None
        )
        if new_state is None:
            raise RuntimeError(
                f"{type(self.model).__name__} returned no cache with use_cache=True; "
                "use prefix_reuse=false for this model"
            )
        return logits, new_state

    def select(self, state: Any, rows: torch.Tensor) -> Any:
        return copy_cache(state, rows.to(self.device))

    def info(self) -> dict[str, Any]:
        return {
            "model_class": type(self.model).__name__,
            "model_type": self.model_type,
            "cache_kwarg": self.cache_kwarg,
            "model_num_parameters": sum(p.numel() for p in self.model.parameters()),
        }
