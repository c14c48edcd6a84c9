"""Shared fixtures: real tiny checkpoints saved with ``save_pretrained``, and a runner for
the real ``lm_eval`` command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LM_EVAL = [sys.executable, "-m", "lm_eval"]


def save_tiny_model(path: Path, arch: str = "llama", seed: int = 0, tokenizer=None) -> Path:
    """A random-init causal LM with ``tokenizer``, by default a byte-level one (reads any
    prompt)."""
    import torch
    import transformers

    from lm_eval_statetrack.training.vocab import byte_tokenizer

    tok = tokenizer or byte_tokenizer()
    ids = dict(
        vocab_size=len(tok),
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
    )
    if arch == "llama":
        config = transformers.LlamaConfig(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=8192,
            **ids,
        )
        cls = transformers.LlamaForCausalLM
    elif arch == "mamba":
        config = transformers.MambaConfig(hidden_size=32, state_size=8, num_hidden_layers=2, **ids)
        cls = transformers.MambaForCausalLM
    else:
        raise ValueError(f"unknown tiny architecture {arch!r}")
    torch.manual_seed(seed)
    model = cls(config)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


# a minimal chat template: each turn as <|role|>content, then the assistant's cue
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def logged_samples(folder: Path) -> dict[tuple[str, int], dict]:
    """Every ``--log_samples`` record under ``folder``, keyed by (task, doc_id)."""
    found = {}
    for path in folder.rglob("samples_*.jsonl"):
        task = path.name.removeprefix("samples_").split("_20")[0]
        for line in path.read_text().splitlines():
            sample = json.loads(line)
            found[(task, sample["doc_id"])] = sample
    return found


def plain_forward_scores(model, lm, pairs, device: str = "cpu") -> list[tuple[float, bool]]:
    """The adapter's reference: one plain forward per (context, continuation) request, no
    inference state; ``(log p of the continuation, greedy)`` as lm-eval scores them."""
    import torch

    out = []
    for context, continuation in pairs:
        if context:
            ctx, cont = lm._encode_pair(context, continuation)
        else:
            ctx, cont = [lm.prefix_token_id], lm.tok_encode(continuation)
        with torch.no_grad():
            ids = torch.tensor([ctx + cont], device=device)
            logp = model(ids).logits[0].float().log_softmax(-1)
        rows = logp[len(ctx) - 1 : -1]
        target = torch.tensor(cont, device=device)
        value = rows.gather(1, target[:, None]).sum().item()
        out.append((value, bool((rows.argmax(-1) == target).all())))
    return out


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("tiny_llama"), "llama")


@pytest.fixture(scope="session")
def tiny_mamba(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("tiny_mamba"), "mamba")


def run_lm_eval(args: list[str], out_dir: Path, env: dict | None = None, cmd=None) -> dict:
    """Run the real ``lm_eval`` CLI and return the parsed results JSON."""
    return run_lm_eval_logged(args, out_dir, env, cmd)[0]


def run_lm_eval_logged(
    args: list[str], out_dir: Path, env: dict | None = None, cmd=None
) -> tuple[dict, str]:
    """Run the real ``lm_eval`` CLI: the parsed results JSON and everything it printed."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    full_env.update(env or {})
    proc = subprocess.run(
        (cmd or LM_EVAL) + args + ["--output_path", str(out_dir)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=900,
    )
    assert proc.returncode == 0, f"lm_eval failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
    results = sorted(out_dir.rglob("results_*.json"))
    assert results, f"no results file under {out_dir}:\n{proc.stderr[-4000:]}"
    return json.loads(results[-1].read_text()), proc.stdout + proc.stderr


ROLLING_PROBE = "rolling_probe"  # a loglikelihood_rolling task on a suite dataset
_ROLLING_PROBE_YAML = """\
task: rolling_probe
class: !function utils.StateTrackTask
dataset_kwargs: {family: parity, variant: %s, length: 4}
output_type: loglikelihood_rolling
test_split: test
doc_to_text: ''
doc_to_target: '{{prompt}}'
metric_list:
- metric: word_perplexity
- metric: bits_per_byte
"""


def rolling_probe(folder: Path) -> Path:
    """An ``--include_path`` folder holding ``rolling_probe``: lm-eval's perplexity request
    over parity documents (no suite task asks for it; it is not a suite task name)."""
    from lm_eval_statetrack.families import get_family

    folder.mkdir(parents=True, exist_ok=True)
    variant = next(iter(get_family("parity").variants))
    (folder / "probe.yaml").write_text(_ROLLING_PROBE_YAML % variant)
    (folder / "utils.py").write_text("from lm_eval_statetrack.tasks.task import StateTrackTask\n")
    return folder
