"""A model whose ``forward`` takes no cache (our own LSTM/IDS4) is still scored by
``--model statetrack``: prefix reuse switches off, says so, and the scores equal ``hf``'s."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def tiny_ids4(tmp_path_factory):
    import torch
    from transformers import AutoModelForCausalLM

    from lm_eval_statetrack.training.configs import IDS4Config
    from lm_eval_statetrack.vocab import word_tokenizer

    tok = word_tokenizer([str(i) for i in range(120)] + ["="])
    torch.manual_seed(0)
    config = IDS4Config(vocab_size=len(tok), hidden_size=16, state_size=4, num_hidden_layers=1)
    model = AutoModelForCausalLM.from_config(config)
    path = tmp_path_factory.mktemp("ids4")
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def _evaluate(model: str, path, task_manager):
    from lm_eval import simple_evaluate

    return simple_evaluate(
        model=model,
        model_args=f"pretrained={path},dtype=float32",
        tasks=["statetrack_wordproblem_a5_len16"],
        limit=4,
        device="cpu",
        log_samples=True,
        task_manager=task_manager,
    )


def test_cacheless_model_falls_back_to_full_forwards_with_equal_scores(tiny_ids4, caplog):
    from lm_eval_statetrack.tasks import task_manager

    tm = task_manager(include_defaults=False)
    ours = _evaluate("statetrack", tiny_ids4, tm)
    reference = _evaluate("hf", tiny_ids4, tm)
    assert "prefix reuse is off" in caplog.text
    assert "prefix reuse off" in ours["config"]["statetrack_kernels"]
    assert ours["config"]["statetrack_prefix_reuse"] is False
    task = "statetrack_wordproblem_a5_len16"
    for a, b in zip(ours["samples"][task], reference["samples"][task], strict=True):
        ours_lp = [float(r[0][0]) for r in a["resps"]]
        ref_lp = [float(r[0][0]) for r in b["resps"]]
        assert ours_lp == pytest.approx(ref_lp, abs=1e-4)
