"""Checkpoints in mamba-ssm's own format, run by ``MambaLMHeadModel`` and its kernels.

The format is a ``config.json`` with ``d_model`` / ``n_layer`` / ``ssm_cfg`` (and
``attn_layer_idx`` / ``attn_cfg`` for hybrids) next to ``pytorch_model.bin``. The state
is mamba-ssm's ``InferenceParams``: per layer a (conv, ssm) state pair, or for attention
layers a preallocated KV cache. Facts for mamba-ssm 2.3.2.post1:

- ``import mamba_ssm`` fails without its compiled ``selective_scan_cuda``, and its Triton
  kernels need a GPU: CUDA only. The test suite routes every kernel to the packages'
  pure-torch references instead (``tests/mamba_cpu``); off CUDA the backend therefore
  runs a three-token probe at load, and fails there, clearly, if the kernels cannot run;
- ``MambaLMHeadModel.from_pretrained`` takes no revision, so a hub id is downloaded at
  ``revision=`` first; a local directory with a revision is refused;
- on top of a state (``seqlen_offset > 0``) every layer steps one token at a time;
- without causal-conv1d, Mamba1 and Mamba2 run their non-fused conv path, and Mamba2's
  default fused ``use_mem_eff_path`` crashes, so it is switched off (with a warning);
- attention layers need ``attn_cfg.causal: true``, and decoding on top of their KV cache
  needs flash-attn: without it mamba-ssm's fallback attends with a top-left causal mask
  (wrong for one query token), so reuse is switched off and every request is a full
  forward, with a warning.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch
from lm_eval.defaults import DEFAULT_MAX_LENGTH

from lm_eval_statetrack.models.backends.base import read_config, select_rows
from lm_eval_statetrack.models.util import importable, logger

FIX = (
    "Fix: pip install 'lm-eval-statetrack[mamba]' on a CUDA machine, or use backend=hf "
    "with the transformers (-hf) version of the checkpoint."
)
# the weights file mamba-ssm's save_pretrained writes next to config.json
WEIGHTS = "pytorch_model.bin"
# the kernel functions mamba-ssm's layers are bound to (its CUDA/Triton kernels, or what
# replaced them), looked up where the layers bind them and recorded in the results
KERNEL_NAMES = (
    "mamba_inner_fn",
    "selective_scan_fn",
    "mamba_split_conv1d_scan_combined",
    "mamba_chunk_scan_combined",
    "selective_state_update",
    "causal_conv1d_fn",
    "causal_conv1d_update",
)


def local_checkpoint(pretrained: str, revision: str | None) -> str:
    """A directory holding the checkpoint at ``revision``.

    mamba-ssm's own ``from_pretrained`` takes no revision, so a hub id is first fetched
    at the requested revision; a local directory has no revisions to choose from.
    """
    if Path(pretrained).is_dir():
        if revision not in (None, "main"):
            raise ValueError(
                f"revision={revision} applies to Hugging Face Hub ids, but "
                f"pretrained={pretrained} is a local directory; drop revision= or pass a hub id."
            )
        return pretrained
    from huggingface_hub import snapshot_download

    return snapshot_download(pretrained, revision=revision, allow_patterns=["config.json", WEIGHTS])


class MambaSSMBackend:
    """mamba-ssm's ``MambaLMHeadModel`` with prefix-state reuse."""

    name = "mamba_ssm"
    continues_multi_token = False
    position_limit = None

    def __init__(
        self,
        pretrained: str,
        device: torch.device,
        dtype: torch.dtype,
        revision: str | None = None,
    ) -> None:
        try:
            from mamba_ssm.models.mixer_seq_simple import MambaLMHeadModel
            from mamba_ssm.utils.generation import InferenceParams
        except Exception as exc:  # ImportError, or a missing selective_scan_cuda build
            if device.type != "cuda":
                raise RuntimeError(
                    f"backend=mamba_ssm runs only on a CUDA GPU (its kernels are CUDA/Triton), "
                    f"but the device is {device}. {FIX}"
                ) from exc
            raise ImportError(f"backend=mamba_ssm cannot import mamba_ssm ({exc}). {FIX}") from exc
        config = read_config(pretrained, revision)
        attn_layers = config.get("attn_layer_idx") or []
        if attn_layers and not (config.get("attn_cfg") or {}).get("causal", False):
            raise ValueError(
                f"{pretrained}: attention layers {attn_layers} have attn_cfg.causal unset, so "
                'they would see future tokens. Set "causal": true in attn_cfg of config.json.'
            )
        self._params = InferenceParams
        self.device, self.dtype = device, dtype
        # the longest sequence a state may reach: attention KV caches are preallocated to
        # it; the adapter sets it to its max_length
        self.max_seqlen = DEFAULT_MAX_LENGTH
        checkpoint = local_checkpoint(pretrained, revision)
        self.model = MambaLMHeadModel.from_pretrained(checkpoint, device=device, dtype=dtype)
        self.model.eval()
        self.config = config
        self.reuses_state = True
        self.kernels = self._kernel_path(bool(attn_layers))
        if device.type != "cuda":
            self._probe()

    def _probe(self) -> None:
        """Off CUDA, mamba-ssm runs only where its kernels were routed to pure-torch code
        (as the test suite does); a real CUDA build fails here, with a clear message,
        rather than in the middle of an evaluation."""
        tokens = torch.zeros(1, 2, dtype=torch.long, device=self.device)
        try:
            _, state = self.forward(tokens, None, 0, 1, want_state=True)
            self.forward(tokens[:, :1], state, 2, 1, want_state=True)
        except Exception as exc:
            raise RuntimeError(
                f"backend=mamba_ssm could not run on {self.device}: mamba-ssm's kernels are "
                f"CUDA/Triton ({type(exc).__name__}: {str(exc)[:200]}). {FIX}"
            ) from exc
        logger.warning("statetrack: not on CUDA; the kernels that ran: %s", self.kernels)

    def _kernel_path(self, hybrid: bool) -> str:
        mixers = {type(m).__module__ for m in self.model.modules() if hasattr(m, "A_log")}
        bound = [
            getattr(getattr(sys.modules[module], name, None), "__name__", None)
            for module in sorted(mixers)
            for name in KERNEL_NAMES
        ]
        kernels = ", ".join(dict.fromkeys(name for name in bound if name))
        parts = [f"mamba_ssm on {self.device.type} ({kernels})"]
        if not importable("causal_conv1d"):
            for module in self.model.modules():
                if getattr(module, "use_mem_eff_path", False):
                    module.use_mem_eff_path = False
            logger.warning(
                "statetrack: causal-conv1d is not installed, so mamba-ssm runs its slower "
                "non-fused convolution path. Fix: pip install causal-conv1d "
                "(or 'lm-eval-statetrack[mamba]')."
            )
            parts.append("no causal_conv1d: non-fused conv")
        if hybrid and not importable("flash_attn"):
            self.reuses_state = False
            logger.warning(
                "statetrack: this hybrid's attention layers need flash-attn to continue from "
                "a KV cache; without it prefix reuse is off and every request is a full "
                "forward (correct, slow). Fix: pip install flash-attn."
            )
            parts.append("no flash_attn: prefix reuse off")
        return "; ".join(parts)

    @torch.no_grad()
    def forward(
        self, tokens: torch.Tensor, state: Any | None, past: int, keep: int, want_state: bool
    ) -> tuple[torch.Tensor, Any | None]:
        if state is None and not want_state:
            return self.model(tokens, num_last_tokens=keep).logits, None
        if state is None:
            state = self._params(max_seqlen=self.max_seqlen, max_batch_size=tokens.shape[0])
        elif tokens.shape[1] != 1:
            raise RuntimeError("mamba-ssm steps one token at a time on top of a state")
        logits = self.model(tokens, inference_params=state, num_last_tokens=keep).logits
        state.seqlen_offset += tokens.shape[1]
        return logits, state

    def select(self, state: Any, rows: torch.Tensor) -> Any:
        rows = rows.to(self.device)
        new = self._params(
            max_seqlen=state.max_seqlen,
            max_batch_size=len(rows),
            seqlen_offset=state.seqlen_offset,
        )
        new.key_value_memory_dict = {
            layer: tuple(None if t is None else select_rows(t, rows) for t in tensors)
            for layer, tensors in state.key_value_memory_dict.items()
        }
        return new

    def info(self) -> dict[str, Any]:
        return {
            "model_class": "MambaLMHeadModel",
            "model_type": "mamba_ssm",
            "ssm_layer": (self.config.get("ssm_cfg") or {}).get("layer", "Mamba1"),
            "attn_layer_idx": self.config.get("attn_layer_idx") or [],
            "model_num_parameters": sum(p.numel() for p in self.model.parameters()),
        }
