"""``--model_args`` for ``--model statetrack``: parsed, typed and checked up front.

An unknown or mistyped key is an error that names it and lists the valid keys, so a
typo never silently falls back to a default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

# Defined here, the adapter's light end, and imported by the backends.
BACKENDS = ("auto", "hf", "mamba_ssm", "fla")
# What transformers models take their cache under, depending on the model and version.
CACHE_KEYWORDS = ("cache", "cache_params", "past_key_values")
TRUNCATION_CHOICES = ("none", "left")


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
    # as lm-eval's hf: None keeps the tokenizer's own special-token setting; true / false
    # asks it to add (or not) its special tokens, BOS among them, to every encoded string
    add_bos_token: bool | None = None
    revision: str | None = None
    trust_remote_code: bool = False
    truncation: str = "none"  # none: too-long inputs are an error; left: keep the end
    verify: int = 0  # re-score this many random requests with a plain full forward
    verify_tolerance: float | None = None  # absolute; None: 1e-4 in float32, 0.05 in 16-bit
    verify_rel_tolerance: float | None = None  # times |log p|; None: 1e-5 / 1e-2 likewise
    prefix_reuse: bool = True  # false: every request is a plain full forward
    cache_kwarg: str = "auto"  # keyword the model takes its cache under (hf/fla)
    # chat templates and reasoning models, as lm-eval's hf model takes them:
    chat_template_args: dict = field(default_factory=dict)  # extra template variables
    enable_thinking: bool | None = None  # passed to the template; needs think_end_token
    think_end_token: str | int | None = None  # generated text before it is dropped

    def template_args(self) -> dict[str, Any]:
        """What the chat template gets besides the messages (lm-eval's hf rule)."""
        if self.enable_thinking is None:
            return dict(self.chat_template_args)
        return {**self.chat_template_args, "enable_thinking": self.enable_thinking}


VALID_KEYS = tuple(f.name for f in fields(AdapterOptions))

# lm-eval ``hf`` model_args that statetrack does not take, and what to do instead.
UNSUPPORTED = {
    "parallelize": "one model split over several GPUs would move every reused prefix state "
    "between devices. Run data parallel instead (torchrun --nproc_per_node N -m lm_eval or "
    "accelerate launch -m lm_eval: one model copy per GPU), or use --model hf for a model "
    "that does not fit one device",
    "gguf_file": "load it once with transformers (AutoModelForCausalLM.from_pretrained(dir, "
    "gguf_file=...)), save_pretrained it, and pass that directory as pretrained=",
    "peft": "merge the adapter into its base model (peft's merge_and_unload()), "
    "save_pretrained it, and pass that directory as pretrained=",
}


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


def _float(key: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not number >= 0:
        raise ValueError(f"model_args {key}={value!r}: expected a number >= 0")
    return number


def _mapping(key: str, value: Any) -> dict:
    """A dict, or its JSON text (what a --model_args string can carry)."""
    parsed = value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = None
    if not isinstance(parsed, dict):
        raise ValueError(f'model_args {key}={value!r}: expected a JSON object, e.g. {{"k": 1}}')
    return parsed


def _choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    if str(value) not in choices:
        raise ValueError(f"model_args {key}={value!r}: expected one of {', '.join(choices)}")
    return str(value)


# What lm-eval's command line hands every model when --device / --batch_size are absent.
LM_EVAL_CLI_DEFAULTS = {"device": "cuda:0", "batch_size": 1}


def merge_run_settings(
    model_args: dict[str, Any], run_settings: dict[str, Any] | None
) -> dict[str, Any]:
    """``model_args`` plus lm-eval's ``device`` / ``batch_size`` / ``max_batch_size``.

    lm-eval passes these to every model, from its flags or, when a flag is absent, from
    its defaults (``cuda:0`` and 1), which cannot be told apart from the same values
    given explicitly. So the same key in ``model_args`` wins over a default value, and
    two different explicit values are an error.
    """
    merged = dict(model_args)
    for key, value in (run_settings or {}).items():
        if value is None:
            continue
        if key not in merged or merged[key] is None:
            merged[key] = value
            continue
        ours = merged[key]
        if str(ours) == str(value) or str(value) == str(LM_EVAL_CLI_DEFAULTS.get(key)):
            continue
        raise ValueError(
            f"lm-eval's {key}={value} (--{key}) and model_args {key}={ours} disagree; give "
            f"{key} in one place only."
        )
    return merged


def parse_options(kwargs: dict[str, Any]) -> AdapterOptions:
    """Typed options from lm-eval's keyword arguments; ``None`` values mean unset."""
    given = {k: v for k, v in kwargs.items() if v is not None}
    if str(given.get("parallelize", "false")).lower() in ("false", "0", "no"):
        given.pop("parallelize", None)  # the default: nothing to refuse
    refused = sorted(set(given) & set(UNSUPPORTED))
    if refused:
        key = refused[0]
        raise ValueError(f"--model statetrack does not take {key}=: {UNSUPPORTED[key]}.")
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
        if key == "backend":
            out[key] = _choice(key, value, BACKENDS)
        elif key == "truncation":
            value = "none" if value is False else value
            out[key] = _choice(key, value, TRUNCATION_CHOICES)
        elif key == "cache_kwarg":
            out[key] = _choice(key, value, ("auto", *CACHE_KEYWORDS))
        elif key == "chat_template_args":
            out[key] = _mapping(key, value)
        elif key == "think_end_token":
            text = str(value)
            out[key] = int(text) if text.isdigit() else text
        elif key in ("trust_remote_code", "prefix_reuse", "enable_thinking", "add_bos_token"):
            out[key] = _bool(key, value)
        elif key in ("max_batch_size", "max_length", "max_gen_toks"):
            out[key] = _int(key, value, 1)
        elif key == "verify":
            out[key] = _int(key, value, 0)
        elif key in ("verify_tolerance", "verify_rel_tolerance"):
            out[key] = _float(key, value)
        elif key == "batch_size":
            text = str(value)
            out[key] = text if text.startswith("auto") else _int(key, value, 1)
        elif key in ("dtype", "device", "tokenizer", "revision"):
            out[key] = str(value)
    if out.get("enable_thinking") and "think_end_token" not in out:
        raise ValueError(
            "model_args enable_thinking=true needs think_end_token=<the token that closes the "
            "reasoning, e.g. </think>, or its id>, as lm-eval's hf model does"
        )
    return AdapterOptions(**out)
