"""The one protocol every backend implements, and the small helpers they share.

A backend owns a model and its inference state (a transformers ``Cache``, mamba-ssm's
``InferenceParams``, fla's cache). The scorer and the decoder only ever do three
things with it: run a ``[batch, tokens]`` chunk on top of a state, pick rows of a state,
and read the logits of the last ``keep`` positions. Every row of one state has seen the
same number of tokens (``past``), so no padding ever enters a state that is reused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import torch


class Backend(Protocol):
    """What the adapter needs from a model family."""

    name: str  # "hf", "mamba_ssm" or "fla"
    kernels: str  # the compute path actually used, recorded in the results
    device: torch.device
    dtype: torch.dtype
    continues_multi_token: bool  # may run several tokens on top of an existing state
    reuses_state: bool  # False: every request is a plain full forward
    position_limit: int | None  # the model's own context limit, if it has one

    def forward(
        self, tokens: torch.Tensor, state: Any | None, past: int, keep: int, want_state: bool
    ) -> tuple[torch.Tensor, Any | None]:
        """Logits ``[batch, keep, vocab]`` of the chunk's last ``keep`` positions, and the
        state after the chunk (``None`` when neither given nor wanted)."""
        ...

    def select(self, state: Any, rows: torch.Tensor) -> Any:
        """A new, independent state holding ``rows`` of ``state`` (repeats allowed)."""
        ...

    def info(self) -> dict[str, Any]:
        """Facts about the model for the results file."""
        ...


def select_rows(tensor: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """``tensor[rows]`` as a new tensor with the same memory layout as ``tensor``.

    Some kernels expect a state in a given stride order (mamba-ssm keeps Mamba2's conv
    state channel-last), which a plain ``index_select`` would not preserve.
    """
    order = sorted(range(tensor.dim()), key=lambda d: (-tensor.stride(d), d))
    dense = tensor.permute(order)
    picked = dense.index_select(order.index(0), rows.to(tensor.device))
    return picked.permute([order.index(d) for d in range(tensor.dim())])


def map_tensors(obj: Any, fn) -> Any:
    """Apply ``fn`` to every tensor in nested dicts, lists and tuples."""
    if isinstance(obj, torch.Tensor):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: map_tensors(v, fn) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(map_tensors(v, fn) for v in obj)
    return obj


def resolve_dtype(dtype: str | torch.dtype, device: torch.device) -> torch.dtype:
    """``auto`` is bfloat16 on a CUDA device that supports it, float32 otherwise."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    names = {
        "float32": torch.float32,
        "fp32": torch.float32,
        "bfloat16": torch.bfloat16,
        "bf16": torch.bfloat16,
        "float16": torch.float16,
        "fp16": torch.float16,
    }
    if dtype not in names:
        raise ValueError(f"dtype={dtype!r} is not supported; use auto or one of {sorted(names)}")
    return names[dtype]


def require_cuda(device: torch.device, backend: str, fix: str) -> None:
    """Kernel-only backends fail early and say what to do instead."""
    if device.type != "cuda" or not torch.cuda.is_available():
        raise RuntimeError(
            f"backend={backend} runs only on a CUDA GPU (its kernels are CUDA/Triton), "
            f"but the device is {device}. {fix}"
        )


def read_config(pretrained: str, revision: str | None = None) -> dict[str, Any]:
    """The raw ``config.json`` (not ``AutoConfig``: mamba-ssm's format has no model_type).

    ``pretrained`` is a local directory, or else a Hugging Face Hub id; a path that is
    neither is named as a missing directory rather than as a malformed hub id.
    """
    local = Path(pretrained)
    if local.is_dir():
        path = local / "config.json"
        if not path.is_file():
            raise FileNotFoundError(
                f"pretrained={pretrained} has no config.json; pass the directory that "
                "save_pretrained wrote."
            )
        return json.loads(path.read_text())
    if local.exists():
        raise NotADirectoryError(
            f"pretrained={pretrained} is a file; pass the checkpoint directory that holds "
            "config.json."
        )
    from huggingface_hub import hf_hub_download
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(pretrained)
    except HFValidationError:
        raise FileNotFoundError(
            f"pretrained={pretrained}: the directory does not exist (and it is not a Hugging "
            "Face Hub id); pass an existing checkpoint directory or a hub id like org/name."
        ) from None
    try:
        return json.loads(
            Path(hf_hub_download(pretrained, "config.json", revision=revision)).read_text()
        )
    except Exception as exc:  # not found, offline, no access: all mean "cannot load it"
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise OSError(
            f"pretrained={pretrained} is not a local directory, and its config.json could not "
            f"be fetched from the Hugging Face Hub ({type(exc).__name__}: {reason}); pass an "
            "existing checkpoint directory or a hub id that exists."
        ) from None


def snapshot_sha(pretrained: str, revision: str | None = None) -> str:
    """The Hub commit of a hub checkpoint, read from the local Hugging Face cache (no
    network); "" for a local directory or when unknown, as lm-eval's ``hf`` model."""
    if Path(pretrained).exists():
        return ""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(pretrained, "config.json", revision=revision)
    except Exception:
        return ""
    if not isinstance(found, str):
        return ""
    snapshot = Path(found).parent
    return snapshot.name if snapshot.parent.name == "snapshots" else ""
