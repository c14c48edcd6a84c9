"""How ``--model statetrack`` takes its settings and reports itself, as a user meets it:
the README command without ``--device``, device and batch size inside ``--model_args``,
a checkpoint path that does not exist, ``verify`` on long continuations, and the model
facts a leaderboard reads from the results."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import lm_eval
import pytest
import torch
from conftest import run_lm_eval, save_tiny_model
from lm_eval.api.instance import Instance
from transformers import AutoModelForCausalLM

from lm_eval_statetrack.models.adapter import StateTrackLM
from lm_eval_statetrack.models.verify import default_tolerance, verify_scores
from lm_eval_statetrack.tasks import task_manager

TASK = "statetrack_wordproblem_z2_len4"
HUB_ID = "statetrack-test/tiny-llama"
SHA = "0123456789abcdef0123456789abcdef01234567"
WANT_DEVICE = "cuda:0" if torch.cuda.is_available() else "cpu"
BF16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
WANT_DTYPE = "torch.bfloat16" if BF16 else "torch.float32"  # dtype=auto


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("tiny"), "llama")


@pytest.fixture(scope="module")
def hub_cache(tiny, tmp_path_factory) -> Path:
    """A Hugging Face cache holding ``HUB_ID`` at commit ``SHA``, laid out as
    ``huggingface_hub`` writes it, so the hub path runs offline."""
    cache = tmp_path_factory.mktemp("hub")
    repo = cache / ("models--" + HUB_ID.replace("/", "--"))
    shutil.copytree(tiny, repo / "snapshots" / SHA)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(SHA)
    return cache


def _records(caplog, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


def test_readme_command_without_device_runs_and_records_the_model(tiny, hub_cache, tmp_path):
    """lm-eval hands every model device=cuda:0 and batch_size=1 when the flags are
    absent: without CUDA that means the CPU (as for --model hf), and a batch_size in
    --model_args wins over the default."""
    results = run_lm_eval(
        ["--model", "statetrack", "--model_args", f"pretrained={HUB_ID},batch_size=5,verify=2",
         "--tasks", TASK, "--limit", "2"],
        tmp_path,
        env={"HF_HUB_CACHE": str(hub_cache)},
    )  # fmt: skip
    config = results["config"]
    assert config["model"] == "statetrack"
    assert config["statetrack_kernels"].startswith("transformers")
    assert config["statetrack_verified_requests"] == 2
    assert 0 < config["statetrack_counters"]["tokens_forwarded"]
    assert config["statetrack_device"] == WANT_DEVICE
    assert config["statetrack_batch_size"] == 5
    assert config["model_sha"] == SHA and config["model_revision"] == "main"
    assert config["model_dtype"] == WANT_DTYPE
    model = AutoModelForCausalLM.from_pretrained(tiny)
    assert config["model_num_parameters"] == sum(p.numel() for p in model.parameters())
    assert "acc,none" in results["results"][TASK]


def test_device_and_batch_size_inside_model_args(tiny, caplog):
    caplog.set_level(logging.INFO, logger="lm_eval.statetrack")
    cli_defaults = {"device": "cuda:0", "batch_size": 1, "max_batch_size": None}
    lm = StateTrackLM.create_from_arg_string(
        f"pretrained={tiny},max_batch_size=16,batch_size=auto", cli_defaults
    )
    assert (lm.batch_size, str(lm.device)) == (16, WANT_DEVICE)
    if not torch.cuda.is_available():
        assert len(_records(caplog, "no CUDA device is visible; using the CPU")) == 1
    lm = StateTrackLM.create_from_arg_string(f"pretrained={tiny},device=cpu", cli_defaults)
    assert str(lm.device) == "cpu"
    out = lm_eval.simple_evaluate(
        model="statetrack",
        model_args={"pretrained": str(tiny), "device": "cpu", "batch_size": 3},
        tasks=[TASK],
        limit=1,
        device="cpu",
        task_manager=task_manager(include_defaults=False),
    )
    assert out["config"]["statetrack_batch_size"] == 3


def test_conflicting_settings_are_one_clear_error(tiny):
    with pytest.raises(ValueError, match=r"batch_size=8 \(--batch_size\) and model_args batch_s"):
        StateTrackLM.create_from_arg_string(f"pretrained={tiny},batch_size=4", {"batch_size": 8})
    with pytest.raises(ValueError, match=r"device=cuda:1 \(--device\) and model_args device=cpu"):
        lm_eval.simple_evaluate(
            model="statetrack",
            model_args=f"pretrained={tiny},device=cpu",
            tasks=[TASK],
            device="cuda:1",
            task_manager=task_manager(include_defaults=False),
        )


def test_missing_checkpoint_directory_is_named(tmp_path, monkeypatch):
    missing = tmp_path / "checkpoints" / "run-7"
    with pytest.raises(FileNotFoundError, match=rf"pretrained={missing}: the directory does not"):
        StateTrackLM(pretrained=str(missing), device="cpu")
    with pytest.raises(FileNotFoundError, match="the directory does not exist"):
        StateTrackLM(pretrained="./no-such-run", device="cpu")
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(OSError, match=r"pretrained=runs/model-a is not a local directory"):
        StateTrackLM(pretrained="runs/model-a", device="cpu")


LONG = " ".join(f"w{i}" for i in range(120))  # ~500 byte tokens: log p near -2800


def test_verify_scales_with_long_continuations_and_logs_a_pass(tiny, caplog):
    caplog.set_level(logging.INFO, logger="lm_eval.statetrack")
    lm = StateTrackLM(pretrained=str(tiny), device="cpu", batch_size=4, verify=3)
    pairs = [("Story: " + LONG, " " + LONG[: n * 40]) for n in (3, 8, 12)]
    requests = [
        Instance("loglikelihood", {}, pair, i, metadata=("long", i, 1))
        for i, pair in enumerate(pairs)
    ]
    scores = lm.loglikelihood(requests, disable_tqdm=True)
    assert min(value for value, _ in scores) < -2000
    assert lm.verified == 3
    assert len(_records(caplog, "verify passed: 3 of 3 requests")) == 1
    # float32 rounding of a sum near -2800 (relative 3e-7) passes; a real error does not
    encoded = [lm._encode_pair(*pair) for pair in pairs]
    tol = default_tolerance(torch.float32)
    close = [(value * (1 + 3e-7), greedy) for value, greedy in scores]
    assert abs(close[-1][0] - scores[-1][0]) > 1e-4  # beyond the old absolute tolerance
    assert verify_scores(lm.backend, encoded, close, 3, tol, str) == 3
    off = [(value + 0.05, greedy) for value, greedy in scores]
    with pytest.raises(RuntimeError, match="verify failed for 0: .*tolerance"):
        verify_scores(lm.backend, encoded, off, 3, tol, str)


def test_max_length_comes_from_a_nested_text_config_as_in_hf(tmp_path):
    """A composite checkpoint (Gemma 3: a vision tower and a text model) keeps its context
    length in ``text_config``; both adapters read it from there."""
    from lm_eval.models.huggingface import HFLM
    from transformers import Gemma3Config

    from lm_eval_statetrack.training.vocab import byte_tokenizer

    tok = byte_tokenizer()
    text = dict(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=1, head_dim=16,
        max_position_embeddings=1536, pad_token_id=tok.pad_token_id,
    )  # fmt: skip
    vision = dict(
        hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
        image_size=28, patch_size=14,
    )  # fmt: skip
    config = Gemma3Config(text_config=text, vision_config=vision, mm_tokens_per_image=4)
    assert not hasattr(config, "max_position_embeddings")
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    ours = StateTrackLM(pretrained=str(tmp_path), device="cpu", dtype="float32")
    theirs = HFLM(pretrained=str(tmp_path), device="cpu", dtype="float32")
    assert ours.max_length == theirs.max_length == 1536
