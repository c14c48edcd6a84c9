"""Test-only: mamba-ssm on a CPU, every kernel routed to the packages' own references.

mamba-ssm and causal-conv1d install on a CPU machine without their CUDA extensions
(``make test`` does it), but ``import mamba_ssm`` then fails on the missing compiled
``selective_scan_cuda``, and the Triton kernels need a GPU. ``install()`` stubs the
compiled modules (any call into them fails loudly) and points every kernel name the
model code looks up at the pure-torch reference the same package ships:

- ``selective_scan_fn`` -> ``selective_scan_ref``, ``mamba_inner_fn`` -> ``mamba_inner_ref``,
  ``selective_state_update`` -> ``selective_state_update_ref`` (mamba-ssm);
- the Triton (gated) RMSNorm / LayerNorm -> ``rms_norm_ref`` / ``layer_norm_ref``;
- ``causal_conv1d_fn`` / ``causal_conv1d_update`` -> ``causal_conv1d_ref`` /
  ``causal_conv1d_update_ref`` (causal-conv1d), or causal-conv1d hidden, so the model
  takes its non-fused ``nn.Conv1d`` path;
- Mamba2's fused path ``mamba_split_conv1d_scan_combined`` -> ``mamba_split_conv1d_scan_ref``;
  its SSD scan ``mamba_chunk_scan_combined`` (Triton only, no reference that returns the
  final state) -> ``ssd_scan_ref`` below, which runs ``selective_scan_ref`` per channel.

The package never imports this; the tests do, before loading a model.
"""

from __future__ import annotations

import sys
import types

import torch
import torch.nn.functional as F
from einops import rearrange, repeat

COMPILED = ("selective_scan_cuda", "causal_conv1d_cuda")
PACKAGES = ("mamba_ssm", "causal_conv1d", *COMPILED)


def _compiled_stub(name: str) -> types.ModuleType:
    module = types.ModuleType(name)

    def __getattr__(attr: str):
        raise AttributeError(f"{name}.{attr}: a CUDA kernel, not built on this CPU machine")

    module.__getattr__ = __getattr__
    return module


def uninstall() -> None:
    """Forget every imported mamba-ssm / causal-conv1d module, so the next import is fresh."""
    for name in list(sys.modules):
        if name.split(".")[0] in PACKAGES:
            del sys.modules[name]


def install(causal_conv1d: bool = True) -> None:
    """Import mamba-ssm with reference kernels; ``causal_conv1d=False`` hides causal-conv1d."""
    uninstall()
    for name in COMPILED:
        sys.modules[name] = _compiled_stub(name)
    if not causal_conv1d:
        sys.modules["causal_conv1d"] = None  # import causal_conv1d -> ImportError

    import mamba_ssm.models.mixer_seq_simple as mixer_seq_simple
    import mamba_ssm.modules.block as block
    import mamba_ssm.modules.mamba2 as mamba2
    import mamba_ssm.modules.mamba_simple as mamba_simple
    import mamba_ssm.modules.mha as mha
    import mamba_ssm.ops.selective_scan_interface as scan
    import mamba_ssm.ops.triton.layer_norm as layer_norm
    import mamba_ssm.ops.triton.layernorm_gated as layernorm_gated
    import mamba_ssm.ops.triton.selective_state_update as state_update
    import mamba_ssm.ops.triton.ssd_combined as ssd

    # residual_in_fp32 changes nothing in float32, the only dtype the CPU tests use
    def layer_norm_fn(*args, is_rms_norm=False, residual_in_fp32=False, **kwargs):
        ref = layer_norm.rms_norm_ref if is_rms_norm else layer_norm.layer_norm_ref
        return ref(*args, **kwargs)

    def rms_norm_fn(*args, residual_in_fp32=False, **kwargs):
        return layer_norm.rms_norm_ref(*args, **kwargs)

    _set(block, layer_norm_fn=layer_norm_fn)
    for module in (mixer_seq_simple, layer_norm, mamba_simple):
        _set(module, layer_norm_fn=layer_norm_fn, rms_norm_fn=rms_norm_fn)
    _set(layernorm_gated, rmsnorm_fn=layernorm_gated.rms_norm_ref)
    _set(ssd, rmsnorm_fn=layernorm_gated.rms_norm_ref)
    _set(scan, selective_scan_fn=scan.selective_scan_ref)
    _set(
        mamba_simple,
        selective_scan_fn=scan.selective_scan_ref,
        mamba_inner_fn=scan.mamba_inner_ref,
        selective_state_update=state_update.selective_state_update_ref,
    )
    _set(
        mamba2,
        selective_state_update=state_update.selective_state_update_ref,
        mamba_chunk_scan_combined=ssd_scan_ref,
        mamba_split_conv1d_scan_combined=split_conv1d_scan_ref,
    )
    if causal_conv1d:
        from causal_conv1d.causal_conv1d_interface import (
            causal_conv1d_ref,
            causal_conv1d_update_ref,
        )

        conv = dict(
            causal_conv1d_fn=causal_conv1d_ref, causal_conv1d_update=causal_conv1d_update_ref
        )
        for module in (mamba_simple, mamba2, mha):
            _set(module, **conv)
        _set(scan, causal_conv1d_fn=causal_conv1d_ref)
        _set(ssd, causal_conv1d_fn=causal_conv1d_ref)


def _set(module: types.ModuleType, **names) -> None:
    for name, value in names.items():
        if not hasattr(module, name):  # mamba-ssm renamed something: fail, do not go silent
            raise AttributeError(f"{module.__name__} has no {name}; update the CPU test shim")
        setattr(module, name, value)


def split_conv1d_scan_ref(*args, seq_idx=None, **kwargs):
    """Mamba2's fused path (``use_mem_eff_path``, needs causal-conv1d) as
    ``mamba_split_conv1d_scan_ref``, which has no ``seq_idx``."""
    from mamba_ssm.ops.triton.ssd_combined import mamba_split_conv1d_scan_ref

    if seq_idx is not None:
        raise NotImplementedError("the CPU test shim scans whole, unpacked sequences only")
    return mamba_split_conv1d_scan_ref(*args, **kwargs)


def ssd_scan_ref(
    x,
    dt,
    A,
    B,
    C,
    chunk_size,
    D=None,
    z=None,
    dt_bias=None,
    initial_states=None,
    seq_idx=None,
    cu_seqlens=None,
    dt_softplus=False,
    dt_limit=(0.0, float("inf")),
    return_final_states=False,
    return_varlen_states=False,
):
    """``mamba_chunk_scan_combined`` as a plain recurrence: Mamba2's scan is Mamba1's with a
    scalar decay per head, so ``selective_scan_ref`` over (head, headdim) channels computes
    it, final state included (the layout of Mamba2's ``ssm_state``: b h p n)."""
    from mamba_ssm.ops.selective_scan_interface import selective_scan_ref

    if initial_states is not None or seq_idx is not None or cu_seqlens is not None:
        raise NotImplementedError("the CPU test shim scans whole, unpacked sequences only")
    if return_varlen_states:
        raise NotImplementedError("the CPU test shim has no varlen states")
    headdim, dstate = x.shape[-1], B.shape[-1]
    dt = dt.float()
    if dt_bias is not None:
        dt = dt + dt_bias
    if dt_softplus:
        dt = F.softplus(dt)
    dt = dt.clamp(min=dt_limit[0], max=dt_limit[1])
    if D is not None:
        D = D.flatten() if D.dim() == 2 else repeat(D, "h -> (h p)", p=headdim)
    out = selective_scan_ref(
        rearrange(x, "b l h p -> b (h p) l"),
        repeat(dt, "b l h -> b (h p) l", p=headdim),
        repeat(A.float(), "h -> (h p) n", p=headdim, n=dstate),
        rearrange(B, "b l g n -> b g n l"),
        rearrange(C, "b l g n -> b g n l"),
        D=D,
        z=None if z is None else rearrange(z, "b l h p -> b (h p) l"),
        return_last_state=return_final_states,
    )
    y, last = out if return_final_states else (out, None)
    y = rearrange(y, "b (h p) l -> b l h p", p=headdim)
    if not return_final_states:
        return y
    return y, rearrange(last, "b (h p) n -> b h p n", p=headdim).to(torch.float32)
