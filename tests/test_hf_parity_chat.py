"""The prompt options a ``hf`` user passes give the same prompts and scores with
``--model statetrack``: ``--apply_chat_template``, ``--system_instruction`` and
``--fewshot_as_multiturn`` (one few-shot demo), log-likelihood and generation tasks, on a
tiny random Llama whose tokenizer has a chat template; statetrack at ``batch_size=auto``."""

from __future__ import annotations

import pytest
from conftest import CHAT_TEMPLATE, logged_samples, run_lm_eval, save_tiny_model

from lm_eval_statetrack.training.vocab import byte_tokenizer

TASKS = "statetrack_wordproblem_z60_len4,statetrack_boxes_move_len4,statetrack_chess_legal_uci_len4"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict]:
    tok = byte_tokenizer()
    tok.chat_template = CHAT_TEMPLATE
    model = save_tiny_model(tmp_path_factory.mktemp("chat_llama"), tokenizer=tok)
    out = {}
    for name, batch in (("hf", "4"), ("statetrack", "auto")):
        folder = tmp_path_factory.mktemp(name)
        run_lm_eval(
            [
                *("--model", name, "--model_args", f"pretrained={model},dtype=float32"),
                *("--tasks", TASKS, "--apply_chat_template", "--fewshot_as_multiturn"),
                *("--system_instruction", "Answer with one word.", "--num_fewshot", "1"),
                *("--gen_kwargs", "max_gen_toks=8", "--batch_size", batch),
                *("--device", "cpu", "--limit", "3", "--log_samples"),
            ],
            folder,
        )
        out[name] = logged_samples(folder)
    return out


def test_chat_prompts_are_the_ones_hf_builds(runs):
    hf, ours = runs["hf"], runs["statetrack"]
    assert sorted(hf) == sorted(ours) and len(hf) == 9
    for key, sample in hf.items():
        assert ours[key]["arguments"] == sample["arguments"], key
    contexts = {key: s["arguments"]["gen_args_0"]["arg_0"] for key, s in hf.items()}
    assert all(c.count("<|system|>Answer with one word.\n") == 1 for c in contexts.values())
    for (task, _), context in contexts.items():  # the demo as its own user/assistant turn
        if "boxes" in task or "chess" in task:
            assert context.count("<|user|>") == context.count("<|assistant|>") == 2, task


def test_chat_scores_and_generations_equal_hf(runs):
    hf, ours = runs["hf"], runs["statetrack"]
    for key, sample in hf.items():
        if isinstance(sample["resps"][0][0], list):  # (log-likelihood, greedy) pairs
            got = [r[0] for r in ours[key]["resps"]]
            want = [r[0] for r in sample["resps"]]
            assert [float(g[0]) for g in got] == pytest.approx(
                [float(w[0]) for w in want], abs=1e-4
            ), key
            assert [g[1] for g in got] == [w[1] for w in want], key
        else:
            assert ours[key]["resps"] == sample["resps"], key
