"""A model whose ``forward`` takes no cache is still scored by ``--model statetrack``, at
any batch size: prefix reuse switches off, says so, and the scores equal ``hf``'s.

The model is defined here (a GRU language model registered with transformers' Auto
classes), because every architecture the package ships hands back its state.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    PretrainedConfig,
    PreTrainedModel,
)
from transformers.modeling_outputs import CausalLMOutput

TASK = "statetrack_wordproblem_a5_len16"


class CachelessConfig(PretrainedConfig):
    model_type = "statetrack_test_cacheless"

    def __init__(self, vocab_size: int = 125, hidden_size: int = 16, **kwargs) -> None:
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        super().__init__(**kwargs)


class CachelessLM(PreTrainedModel):
    """Embedding, one GRU, a head; ``forward`` has no cache parameter."""

    config_class = CachelessConfig

    def __init__(self, config: CachelessConfig) -> None:
        super().__init__(config)
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.gru = nn.GRU(config.hidden_size, config.hidden_size, batch_first=True)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()

    def forward(self, input_ids: torch.Tensor, attention_mask=None, **kwargs) -> CausalLMOutput:
        hidden, _ = self.gru(self.embed(input_ids))
        return CausalLMOutput(logits=self.head(hidden))


@pytest.fixture(scope="module")
def cacheless(tmp_path_factory):
    from lm_eval_statetrack.training.vocab import word_tokenizer

    AutoConfig.register(CachelessConfig.model_type, CachelessConfig, exist_ok=True)
    AutoModelForCausalLM.register(CachelessConfig, CachelessLM, exist_ok=True)
    tok = word_tokenizer([str(i) for i in range(120)] + ["="])
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("cacheless")
    CachelessLM(CachelessConfig(vocab_size=len(tok))).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def _evaluate(model: str, path, task_manager, batch_size: int):
    from lm_eval import simple_evaluate

    return simple_evaluate(
        model=model,
        model_args=f"pretrained={path},dtype=float32",
        tasks=[TASK],
        limit=4,
        batch_size=batch_size,
        device="cpu",
        log_samples=True,
        task_manager=task_manager,
    )


def _logps(results) -> list[list[float]]:
    samples = sorted(results["samples"][TASK], key=lambda s: s["doc_id"])
    return [[float(r[0][0]) for r in s["resps"]] for s in samples]


def test_cacheless_model_falls_back_to_full_forwards_with_equal_scores(cacheless, caplog):
    from lm_eval_statetrack.tasks import task_manager

    tm = task_manager(include_defaults=False)
    reference = _logps(_evaluate("hf", cacheless, tm, 8))
    for batch_size in (1, 8):
        ours = _evaluate("statetrack", cacheless, tm, batch_size)
        assert "prefix reuse off" in ours["config"]["statetrack_kernels"]
        assert ours["config"]["statetrack_prefix_reuse"] is False
        for a, b in zip(_logps(ours), reference, strict=True):
            assert a == pytest.approx(b, abs=1e-4)
    assert "prefix reuse is off" in caplog.text


@pytest.mark.parametrize("batch_size", [3, 8])
def test_cacheless_model_scores_mixed_lengths_in_one_batch(cacheless, batch_size):
    """Rows of very different lengths share a batch; none of them may need a state."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    from lm_eval_statetrack.models.adapter import StateTrackLM

    numbers = " ".join(str(i % 120) for i in range(70))
    pairs = [(numbers[: 3 * n], " 7 8 9") for n in (1, 4, 9, 20, 45, 70)] + [("5 =", " 1")]
    requests = [
        Instance("loglikelihood", {}, pair, i, metadata=("mixed", i, 1))
        for i, pair in enumerate(pairs)
    ]
    ours = StateTrackLM(pretrained=str(cacheless), device="cpu", batch_size=batch_size)
    hf = HFLM(pretrained=str(cacheless), device="cpu", batch_size=batch_size, dtype="float32")
    got = ours.loglikelihood(requests, disable_tqdm=True)
    want = hf.loglikelihood(requests, disable_tqdm=True)
    assert [g[0] for g in got] == pytest.approx([w[0] for w in want], abs=1e-4)
