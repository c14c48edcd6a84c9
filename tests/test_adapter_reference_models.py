"""The bundled recurrent reference models (IDS4, LSTM) under ``--model statetrack`` and
``--model hf`` at batch size 8: the same log-likelihoods on a word-problem task, and the
same greedy text from ``generate_until`` (which the chess ``legal_*`` tasks use; lm-eval's
``hf`` model left-pads a batch of prompts and calls the model's ``generate``)."""

from __future__ import annotations

import lm_eval
import pytest
from lm_eval.api.instance import Instance
from lm_eval.models.huggingface import HFLM

from lm_eval_statetrack.models.adapter import StateTrackLM
from lm_eval_statetrack.tasks import task_manager
from lm_eval_statetrack.training.references import REFERENCE_DIR

TASK = "statetrack_wordproblem_a5_len16"
NAMES = ["ids4-1l-a5", "lstm-1l-a5"]


def _run(model: str, name: str, tm) -> list[list[float]]:
    results = lm_eval.simple_evaluate(
        model=model,
        model_args=f"pretrained={REFERENCE_DIR / name}",
        tasks=[TASK],
        limit=3,
        batch_size=8,
        device="cpu",
        log_samples=True,
        task_manager=tm,
    )
    if model == "statetrack":
        assert results["config"]["statetrack_prefix_reuse"] is True
        assert results["config"]["statetrack_kernels"].startswith("transformers (recurrent scan")
    samples = sorted(results["samples"][TASK], key=lambda s: s["doc_id"])
    return [[r[0][0] for r in s["resps"]] for s in samples]


@pytest.mark.parametrize("name", NAMES)
def test_bundled_models_score_alike_under_both_adapters(name):
    tm = task_manager(include_defaults=False)
    ours, hf = _run("statetrack", name, tm), _run("hf", name, tm)
    assert len(ours) == len(hf) == 3
    for a, b in zip(ours, hf, strict=True):
        assert a == pytest.approx(b, abs=1e-4)


def _generate(lm, prompts: list[str]) -> list[str]:
    kwargs = {"until": ["="], "max_gen_toks": 12, "do_sample": False}
    requests = [
        Instance("generate_until", {}, (p, dict(kwargs)), i, metadata=("gen", i, 1))
        for i, p in enumerate(prompts)
    ]
    return lm.generate_until(requests, disable_tqdm=True)


@pytest.mark.parametrize("name", NAMES)
def test_bundled_models_generate_alike_under_both_adapters(name):
    path = str(REFERENCE_DIR / name)
    prompts = ["3 17", "40 2 9 31 7 8 55 1 12 4 =", "9", "60 61 62 63 64 5 6 7 8 9 10 11"]
    hf = _generate(HFLM(pretrained=path, device="cpu", batch_size=8, dtype="float32"), prompts)
    ours = StateTrackLM(pretrained=path, device="cpu", batch_size=8)
    assert _generate(ours, prompts) == hf
    assert ours.counters.generated_tokens > len(prompts)
    assert any(text.strip() for text in hf)
