"""``--model_args`` for ``--model statetrack``: parsed, typed and checked up front.

An unknown or mistyped key is an error that names it and lists the valid keys, so a
typo never silently falls back to a default.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

BACKEND_CHOICES = ("auto", "hf", "mamba_ssm", "fla")
TRUNCATION_CHOICES = ("none", "left")
CACHE_KWARG_CHOICES = ("auto", "cache", "cache_params", "past_key_values")


@dataclass(frozen=True)
class AdapterOptions:
    pretrained: str
    backend: str = "auto"  # auto | hf | mamba_ssm | fla
    dtype: str = "auto"  # auto: bfloat16 on CUDA when supported, float32 on CPU
    device: str | None = None  # None: cuda if available, else cpu
    batch_size: int | str = 1  # rows per forward call, or auto / auto:N (OOM back-off)
    max_batch_size: int = 64  # where auto starts
    max_length: int | None = None  # None: the model's limit, else lm-eval's default
    max_gen_toks: int = 256  # default for generation tasks that do not set it
    tokenizer: str | None = None  # None: the one saved with the model
    revision: str | None = None
    trust_remote_code: bool = False
    truncation: str = "none"  # none: too-long inputs are an error; left: keep the end
    verify: int = 0  # re-score this many random requests with a plain full forward
    verify_tolerance: float | None = None  # None: 1e-4 in float32, 0.05 in 16-bit types
    prefix_reuse: bool = True  # false: every request is a plain full forward
    cache_kwarg: str = "auto"  # keyword the model takes its cache under (hf/fla)


VALID_KEYS = tuple(f.name for f in fields(AdapterOptions))


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1", "yes"):
        return True
    if str(value).lower() in ("false", "0", "no"):
        return False
    raise ValueError(f"model_args {key}={value!r}: expected true or false")


def _int(key: str, value: Any, minimum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"model_args {key}={value!r}: expected an integer") from None
    if number < minimum or (isinstance(value, float) and value != number):
        raise ValueError(f"model_args {key}={value!r}: expected an integer >= {minimum}")
    return number


def _choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    if str(value) not in choices:
        raise ValueError(f"model_args {key}={value!r}: expected one of {', '.join(choices)}")
    return str(value)


def parse_options(kwargs: dict[str, Any]) -> AdapterOptions:
    """Typed options from lm-eval's keyword arguments; ``None`` values mean unset."""
    given = {k: v for k, v in kwargs.items() if v is not None}
    unknown = sorted(set(given) - set(VALID_KEYS))
    if unknown:
        raise ValueError(
            f"--model statetrack: unknown model_args {', '.join(unknown)}. "
            f"Valid keys: {', '.join(VALID_KEYS)}"
        )
    if "pretrained" not in given:
        raise ValueError("--model statetrack needs model_args pretrained=<hub id or local dir>")
    out: dict[str, Any] = {"pretrained": str(given["pretrained"])}
    for key, value in given.items():
        if key in ("backend",):
            out[key] = _choice(key, value, BACKEND_CHOICES)
        elif key == "truncation":
            value = "none" if value is False else value
            out[key] = _choice(key, value, TRUNCATION_CHOICES)
        elif key == "cache_kwarg":
            out[key] = _choice(key, value, CACHE_KWARG_CHOICES)
        elif key in ("trust_remote_code", "prefix_reuse"):
            out[key] = _bool(key, value)
        elif key in ("max_batch_size", "max_length", "max_gen_toks"):
            out[key] = _int(key, value, 1)
        elif key == "verify":
            out[key] = _int(key, value, 0)
        elif key == "verify_tolerance":
            out[key] = float(value)
        elif key == "batch_size":
            text = str(value)
            out[key] = text if text.startswith("auto") else _int(key, value, 1)
        elif key in ("dtype", "device", "tokenizer", "revision"):
            out[key] = str(value)
    return AdapterOptions(**out)
