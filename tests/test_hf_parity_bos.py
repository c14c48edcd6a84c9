"""``add_bos_token`` means what it means for lm-eval's ``hf``: on a tiny random Llama whose
tokenizer adds ``<bos>`` to every encoded string by default, ``--model statetrack`` with
``add_bos_token=false`` and ``=true`` scores log-likelihoods, rolling log-likelihoods and
generations as ``--model hf`` does with the same setting, and the two settings differ."""

from __future__ import annotations

import pytest
from conftest import ROLLING_PROBE, logged_samples, rolling_probe, run_lm_eval, save_tiny_model

from lm_eval_statetrack.training.vocab import byte_tokenizer

TASKS = f"statetrack_wordproblem_z60_len4,statetrack_chess_legal_uci_len4,{ROLLING_PROBE}"


def bos_adding_tokenizer():
    """The byte tokenizer with a post-processor that puts ``<bos>`` first, as Llama's does."""
    from tokenizers.processors import TemplateProcessing

    tok = byte_tokenizer()
    bos = tok.bos_token
    tok.backend_tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A $B", special_tokens=[(bos, tok.bos_token_id)]
    )
    assert tok("ab")["input_ids"][0] == tok.bos_token_id
    return tok


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[tuple[str, str], dict]:
    model = save_tiny_model(tmp_path_factory.mktemp("bos_llama"), tokenizer=bos_adding_tokenizer())
    probe = rolling_probe(tmp_path_factory.mktemp("probe"))
    out = {}
    for add_bos in ("false", "true"):
        for name in ("hf", "statetrack"):
            folder = tmp_path_factory.mktemp(f"{name}_{add_bos}")
            run_lm_eval(
                [
                    *("--model", name, "--model_args"),
                    f"pretrained={model},dtype=float32,add_bos_token={add_bos}",
                    *("--tasks", TASKS, "--include_path", str(probe)),
                    *("--gen_kwargs", "max_gen_toks=8", "--batch_size", "4"),
                    *("--device", "cpu", "--limit", "3", "--log_samples"),
                ],
                folder,
            )
            out[name, add_bos] = logged_samples(folder)
    return out


def _scores(sample: dict) -> list[float]:
    """The log-likelihoods of a sample's requests (a rolling one is a bare float)."""
    return [float(r[0][0]) if isinstance(r[0], list) else float(r[0]) for r in sample["resps"]]


@pytest.mark.parametrize("add_bos", ["false", "true"])
def test_add_bos_token_scores_and_generations_equal_hf(runs, add_bos):
    hf, ours = runs["hf", add_bos], runs["statetrack", add_bos]
    assert sorted(hf) == sorted(ours) and len(hf) == 9
    for key, sample in hf.items():
        assert ours[key]["arguments"] == sample["arguments"], key
        if key[0].startswith("statetrack_chess_legal"):  # generation
            assert ours[key]["resps"] == sample["resps"], key
        else:
            assert _scores(ours[key]) == pytest.approx(_scores(sample), abs=1e-4), key


def test_add_bos_token_changes_what_is_scored(runs):
    """The setting reaches the tokenizer: without ``<bos>`` every score moves."""
    without, with_bos = runs["statetrack", "false"], runs["statetrack", "true"]
    for key, sample in with_bos.items():
        if not key[0].startswith("statetrack_chess_legal"):
            assert _scores(without[key]) != pytest.approx(_scores(sample), abs=1e-4), key
