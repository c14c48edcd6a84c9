"""The architectures ``statetrack train`` can build, and the Auto-class registration.

``transformer`` (Llama-style), ``mamba`` and ``mamba2`` are transformers' own classes;
``lstm`` and ``ids4`` are ours (registered with ``AutoConfig`` / ``AutoModelForCausalLM``
so ``--model hf`` loads them offline); ``deltanet`` is flash-linear-attention's DeltaNet
with negative eigenvalues (Grazzi et al. 2024), which needs CUDA (Triton kernels).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lm_eval_statetrack.training.symbols import VOCAB_SIZE

SPECIAL_IDS = dict(pad_token_id=0, bos_token_id=2, eos_token_id=3)
MAX_POSITIONS = 1024  # > the longest prompt (256 elements, "=", the answer)


@dataclass(frozen=True)
class Architecture:
    name: str
    description: str
    default_width: int
    default_state: int | None
    default_lr: float
    build: Callable  # (layers, width, state) -> model
    needs_cuda: bool = False


def _transformer(layers: int, width: int, state: int | None):
    import transformers

    heads = max(1, width // 16)
    config = transformers.LlamaConfig(
        vocab_size=VOCAB_SIZE,
        hidden_size=width,
        intermediate_size=4 * width,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=MAX_POSITIONS,
        tie_word_embeddings=False,
        **SPECIAL_IDS,
    )
    return transformers.LlamaForCausalLM(config)


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _mamba(layers: int, width: int, state: int | None):
    """With the ``mambapy`` package installed (``[train]`` extra) transformers runs the
    selective scan as a parallel scan on CPU: 5x faster training at length 256 here."""
    import transformers

    config = transformers.MambaConfig(
        use_mambapy=_has_module("mambapy"),
        vocab_size=VOCAB_SIZE,
        hidden_size=width,
        state_size=state,
        num_hidden_layers=layers,
        expand=2,
        tie_word_embeddings=False,
        **SPECIAL_IDS,
    )
    return transformers.MambaForCausalLM(config)


def _mamba2(layers: int, width: int, state: int | None):
    import transformers

    head_dim = 16
    config = transformers.Mamba2Config(
        vocab_size=VOCAB_SIZE,
        hidden_size=width,
        state_size=state,
        num_hidden_layers=layers,
        expand=2,
        head_dim=head_dim,
        num_heads=2 * width // head_dim,
        n_groups=1,
        chunk_size=64,
        tie_word_embeddings=False,
        **SPECIAL_IDS,
    )
    return transformers.Mamba2ForCausalLM(config)


def _lstm(layers: int, width: int, state: int | None):
    from lm_eval_statetrack.training.lstm import StateTrackLSTMForCausalLM
    from lm_eval_statetrack.training.model_configs import StateTrackLSTMConfig

    config = StateTrackLSTMConfig(
        vocab_size=VOCAB_SIZE,
        hidden_size=width,
        embedding_size=min(width, 64),
        num_hidden_layers=layers,
        **SPECIAL_IDS,
    )
    return StateTrackLSTMForCausalLM(config)


def _ids4(layers: int, width: int, state: int | None):
    from lm_eval_statetrack.training.ids4 import IDS4ForCausalLM
    from lm_eval_statetrack.training.model_configs import IDS4Config

    config = IDS4Config(
        vocab_size=VOCAB_SIZE,
        hidden_size=width,
        state_size=state,
        num_hidden_layers=layers,
        **SPECIAL_IDS,
    )
    return IDS4ForCausalLM(config)


def _deltanet(layers: int, width: int, state: int | None):
    from fla.models import DeltaNetConfig, DeltaNetForCausalLM

    config = DeltaNetConfig(
        vocab_size=VOCAB_SIZE,
        hidden_size=width,
        num_hidden_layers=layers,
        num_heads=max(1, width // 32),
        allow_neg_eigval=True,
        max_position_embeddings=MAX_POSITIONS,
        tie_word_embeddings=False,
        **SPECIAL_IDS,
    )
    model = DeltaNetForCausalLM(config)
    flags = [m.allow_neg_eigval for m in model.modules() if hasattr(m, "allow_neg_eigval")]
    if not flags or not all(flags):
        raise RuntimeError(
            "this flash-linear-attention version ignores allow_neg_eigval=True; "
            "install a release whose DeltaNet supports negative eigenvalues"
        )
    return model


ARCHITECTURES = {
    a.name: a
    for a in (
        Architecture(
            "transformer", "Llama-style decoder (transformers)", 64, None, 2e-3, _transformer
        ),
        Architecture("mamba", "Mamba (transformers)", 64, 16, 3e-3, _mamba),
        Architecture("mamba2", "Mamba-2 (transformers)", 64, 16, 1e-2, _mamba2),
        Architecture("lstm", "LSTM (ours)", 256, None, 5e-3, _lstm),
        Architecture(
            "ids4",
            "input-dependent S4, full transition matrices (ours)",
            64,
            8,
            3e-3,
            _ids4,
        ),
        Architecture(
            "deltanet",
            "DeltaNet with negative eigenvalues (fla, CUDA)",
            64,
            None,
            3e-3,
            _deltanet,
            needs_cuda=True,
        ),
    )
}


def get_architecture(name: str) -> Architecture:
    if name not in ARCHITECTURES:
        raise ValueError(
            f"unknown architecture {name!r} (--arch); valid: {', '.join(ARCHITECTURES)}"
        )
    return ARCHITECTURES[name]


def compiled(model):
    """``torch.compile`` of the model's forward, for training. On CPU, inductor fuses the
    elementwise work of transformers' sequential Mamba scan, which mambapy's parallel scan
    leaves as separate passes over memory and which does not compile to anything faster, so
    a compiled Mamba runs the sequential scan: 2-2.5x less CPU per step than mambapy at
    lengths 2 to 256 here, after one compile (tens of seconds) per sequence length."""
    import torch

    if _is_mamba(model):
        set_mambapy(model, False)
    return torch.compile(model, dynamic=False)


def set_mambapy(model, enabled: bool) -> None:
    """Switch a transformers Mamba between mambapy's parallel scan and the sequential one;
    each mixer keeps its own copy of the config's flag, so both are set."""
    model.config.use_mambapy = enabled
    for layer in model.backbone.layers:
        layer.mixer.use_mambapy = enabled


def _is_mamba(model) -> bool:
    return getattr(model.config, "model_type", None) == "mamba"


def compute_path(model, device: str, compile: bool = False) -> str:
    """Which implementation a model's training forward runs on ``device``, for the record:
    transformers' Mamba takes mamba-ssm's CUDA kernels on a GPU when they are installed,
    else mambapy's parallel scan when ``use_mambapy`` is set and mambapy is installed, else
    its sequential scan (one step per token); every other architecture runs plain torch.
    ``compile``: the forward ran under ``torch.compile`` (:func:`compiled`)."""
    if not _is_mamba(model):
        path = "torch"
    elif device.startswith("cuda") and _has_module("mamba_ssm"):
        path = "mamba-ssm cuda kernels"
    elif model.config.use_mambapy and _has_module("mambapy"):
        path = "mambapy parallel scan"
    else:
        path = "sequential scan"
    return path + (" (torch.compile)" if compile else "")


def check_runtime(arch: Architecture, device: str) -> None:
    """Fail before training when the architecture cannot run here."""
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"--device {device} but CUDA is not available here (torch {torch.__version__}); "
            "use --device cpu, or a machine with a GPU and a CUDA build of torch"
        )
    if not arch.needs_cuda:
        return
    if not device.startswith("cuda"):
        raise ValueError(
            f"--arch {arch.name} needs a CUDA GPU (flash-linear-attention's Triton kernels); "
            f"got device={device!r}, CUDA available: {torch.cuda.is_available()}. "
            "Use --device cuda on a GPU machine, or another architecture on CPU"
        )
    try:
        import fla  # noqa: F401
    except ImportError as err:
        raise ValueError(
            f"--arch {arch.name} needs flash-linear-attention: "
            "pip install 'lm-eval-statetrack[fla]'"
        ) from err
