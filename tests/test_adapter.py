"""The ``statetrack`` model adapter, through lm-eval and against plain full forwards.

Tiny random-init checkpoints (Llama, Mamba, Mamba2, the Bamba, Jamba and Zamba2 hybrids,
and our own recurrent IDS4 and LSTM) are saved with ``save_pretrained`` and a byte-level
tokenizer, so multi-token choices and long shared contexts are cheap to build. The lm_eval
command line itself is run in ``test_adapter_settings``.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import lm_eval
import pytest
import torch
import transformers
from conftest import plain_forward_scores, save_tiny_model
from lm_eval.api.instance import Instance
from lm_eval.api.registry import get_model

from lm_eval_statetrack.models.adapter import StateTrackLM
from lm_eval_statetrack.models.backends import choose_backend
from lm_eval_statetrack.models.batching import BatchSizer
from lm_eval_statetrack.training.ids4 import IDS4ForCausalLM
from lm_eval_statetrack.training.lstm import StateTrackLSTMForCausalLM
from lm_eval_statetrack.training.model_configs import IDS4Config, StateTrackLSTMConfig
from lm_eval_statetrack.training.vocab import byte_tokenizer, word_tokenizer

TASK = "statetrack_wordproblem_a5_len8"
TOL = 1e-4  # |d log p| allowed against a plain full forward in float32


def _save(path: Path, config, cls) -> Path:
    tok = byte_tokenizer()
    torch.manual_seed(0)
    cls(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def _ids() -> dict:
    tok = byte_tokenizer()
    return dict(
        vocab_size=len(tok),
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
    )


def save_tiny(path: Path, arch: str) -> Path:
    """Tiny checkpoints beyond conftest's Llama and Mamba."""
    t = transformers
    if arch in ("llama", "mamba"):
        return save_tiny_model(path, arch)
    if arch == "mamba2":
        config = t.Mamba2Config(
            hidden_size=32, state_size=8, num_hidden_layers=2, num_heads=4, head_dim=16,
            n_groups=1, expand=2, chunk_size=16, **_ids(),
        )  # fmt: skip
        return _save(path, config, t.Mamba2ForCausalLM)
    if arch == "bamba":
        config = t.BambaConfig(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, attn_layer_indices=[1], mamba_n_heads=4, mamba_d_head=16,
            mamba_n_groups=1, mamba_d_state=8, mamba_chunk_size=16, **_ids(),
        )  # fmt: skip
        return _save(path, config, t.BambaForCausalLM)
    if arch == "jamba":
        config = t.JambaConfig(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, attn_layer_period=2, attn_layer_offset=1,
            expert_layer_period=2, expert_layer_offset=1, num_experts=2, mamba_d_state=8,
            mamba_expand=2, **_ids(),
        )  # fmt: skip
        return _save(path, config, t.JambaForCausalLM)
    if arch == "zamba2":
        config = t.Zamba2Config(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=4, attention_head_dim=8, mamba_d_state=8, mamba_headdim=8,
            n_mamba_heads=8, mamba_ngroups=1, layers_block_type=["mamba", "hybrid"],
            hybrid_layer_ids=[1], chunk_size=16, **_ids(),
        )  # fmt: skip
        return _save(path, config, t.Zamba2ForCausalLM)
    if arch == "ids4":  # two layers: each carries its own state
        config = IDS4Config(hidden_size=16, state_size=4, num_hidden_layers=2, **_ids())
        return _save(path, config, IDS4ForCausalLM)
    if arch == "lstm":
        config = StateTrackLSTMConfig(
            hidden_size=16, embedding_size=8, num_hidden_layers=2, **_ids()
        )
        return _save(path, config, StateTrackLSTMForCausalLM)
    raise ValueError(arch)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """arch -> checkpoint directory, built on first use."""
    made: dict[str, Path] = {}

    def get(arch: str) -> Path:
        if arch not in made:
            made[arch] = save_tiny(tmp_path_factory.mktemp(arch), arch)
        return made[arch]

    return get


def _requests(pairs: list[tuple[str, str]], task: str = "unit") -> list[Instance]:
    return [
        Instance("loglikelihood", {}, pair, i, metadata=(task, i // 3, 1))
        for i, pair in enumerate(pairs)
    ]


STORY = "Alice has a red ball and Bob has a blue box. They swap, then swap again; now "
PAIRS = [
    (STORY + "Alice has the", " red ball"),
    (STORY + "Alice has the", " blue box"),
    (STORY + "Alice has the", " red"),
    (STORY + "Alice has the", " red ball"),  # a duplicate request
    (STORY + "Bob", " has the blue box, and nothing else changes at all in this long answer."),
    (STORY + "Bob", " has"),
    (STORY + "Alice has the red", " ball"),  # a context that extends another one
    ("17 3 42 8 =", " 17"),
    ("17 3 42 8 =", " 1"),
    ("17 3 42 8 =", " 7"),
    ("", "Alice"),  # empty context: scored after the prefix token
    ("x", " y"),
]


def _full_forward(path: Path, lm: StateTrackLM, pairs) -> list[tuple[float, bool]]:
    """The reference: one plain transformers forward per request, no cache anywhere."""
    model = transformers.AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    return plain_forward_scores(model, lm, pairs)


def assert_same_scores(got, want, label) -> None:
    """Each request's log-likelihood within TOL of the full forward's, same greedy flag."""
    for (g, g_greedy), (w, w_greedy), pair in zip(got, want, PAIRS, strict=True):
        assert abs(g - w) <= TOL, (label, pair, g, w)
        assert g_greedy == w_greedy, (label, pair)


@pytest.mark.parametrize("arch", ["llama", "mamba", "mamba2", "bamba", "jamba", "zamba2"])
def test_prefix_reuse_equals_full_forward(tiny, arch):
    path = tiny(arch)
    lm = StateTrackLM(pretrained=str(path), device="cpu", dtype="float32", batch_size=3)
    got = lm.loglikelihood(_requests(PAIRS), disable_tqdm=True)
    want = _full_forward(path, lm, PAIRS)
    assert_same_scores(got, want, arch)
    counters = lm.get_model_info()["statetrack_counters"]
    # step-only models rescan the 73-token answer's prefix rather than step 73 times
    limit = 1.1 if lm.backend.continues_multi_token else 1.6
    assert counters["tokens_forwarded"] <= limit * counters["unique_tokens"], counters


@pytest.mark.parametrize("batch_size", [1, 3, 8])
@pytest.mark.parametrize("arch", ["ids4", "lstm"])
def test_recurrent_models_reuse_their_state_at_any_batch_size(tiny, arch, batch_size):
    """Our IDS4 and LSTM hand back one state tensor per layer: reuse equals a full
    forward, and every shared prefix is run once."""
    path = tiny(arch)
    lm = StateTrackLM(pretrained=str(path), device="cpu", batch_size=batch_size, verify=4)
    assert lm.reuse and lm.backend.cache_kwarg == "cache"
    got = lm.loglikelihood(_requests(PAIRS), disable_tqdm=True)
    want = _full_forward(path, lm, PAIRS)
    assert_same_scores(got, want, arch)
    counters = lm.get_model_info()["statetrack_counters"]
    assert counters["tokens_forwarded"] <= 1.1 * counters["unique_tokens"], counters
    plain = StateTrackLM(
        pretrained=str(path), device="cpu", batch_size=batch_size, prefix_reuse=False
    )
    again = plain.loglikelihood(_requests(PAIRS), disable_tqdm=True)
    assert max(abs(a[0] - b[0]) for a, b in zip(again, want)) <= TOL


def test_plain_mode_and_reuse_agree_and_reuse_forwards_less(tiny):
    path = tiny("mamba2")
    reuse = StateTrackLM(pretrained=str(path), device="cpu", dtype="float32", batch_size=4)
    plain = StateTrackLM(pretrained=str(path), device="cpu", prefix_reuse=False, batch_size=4)
    a = reuse.loglikelihood(_requests(PAIRS), disable_tqdm=True)
    b = plain.loglikelihood(_requests(PAIRS), disable_tqdm=True)
    assert max(abs(x[0] - y[0]) for x, y in zip(a, b)) <= TOL
    assert reuse.counters.tokens_forwarded * 2 < plain.counters.tokens_forwarded


def _per_sample_logps(results: dict, task: str) -> list[list[float]]:
    samples = sorted(results["samples"][task], key=lambda s: s["doc_id"])
    return [[float(r[0][0]) for r in s["resps"]] for s in samples]


def test_simple_evaluate_matches_hf_model(tiny):
    """The same task through lm-eval with --model hf and --model statetrack."""
    path = tiny("mamba")
    runs = {
        model: lm_eval.simple_evaluate(
            model=model,
            model_args=f"pretrained={path},dtype=float32" + extra,
            tasks=[TASK],
            limit=2,
            batch_size=bs,
            device="cpu",
            log_samples=True,
        )
        for model, extra, bs in [("hf", "", 8), ("statetrack", ",verify=4", "auto")]
    }
    ours, theirs = runs["statetrack"], runs["hf"]
    for a, b in zip(_per_sample_logps(ours, TASK), _per_sample_logps(theirs, TASK)):
        assert len(a) == 60 and max(abs(x - y) for x, y in zip(a, b)) <= TOL
        assert a.index(max(a)) == b.index(max(b))  # the same choice
    assert ours["results"][TASK]["acc,none"] == theirs["results"][TASK]["acc,none"]
    config = ours["config"]
    assert config["statetrack_backend"] == "hf"
    assert config["statetrack_kernels"].startswith("torch fallback on cpu")
    assert config["statetrack_verified_requests"] == 4
    counters = config["statetrack_counters"]
    assert counters["requests"] == 120 and counters["forwarded_per_unique"] <= 1.05


def test_registry_keeps_hf_and_adds_statetrack():
    from lm_eval.models.huggingface import HFLM

    assert get_model("hf") is HFLM
    assert get_model("statetrack") is StateTrackLM


def test_bad_model_args_name_the_key_and_the_valid_ones():
    cls = get_model("statetrack")
    with pytest.raises(ValueError, match=r"unknown model_args colour.*Valid keys: pretrained"):
        cls.create_from_arg_string("pretrained=x,colour=blue")
    with pytest.raises(ValueError, match="truncation='right'.*none, left"):
        cls.create_from_arg_string("pretrained=x,truncation=right")
    with pytest.raises(ValueError, match="needs model_args pretrained"):
        cls.create_from_arg_string("dtype=float32")
    with pytest.raises(ValueError, match="verify=-1"):
        cls.create_from_arg_string("pretrained=x,verify=-1")


def test_too_long_context_is_an_error_naming_task_and_length(tiny):
    path = tiny("llama")
    lm = StateTrackLM(pretrained=str(path), device="cpu", max_length=24)
    with pytest.raises(ValueError, match=r"task demo doc 0: .*\b\d+ input tokens.*max_length=24"):
        lm.loglikelihood(_requests([(STORY, " red")], task="demo"), disable_tqdm=True)
    left = StateTrackLM(pretrained=str(path), device="cpu", max_length=24, truncation="left")
    ((value, _),) = left.loglikelihood(_requests([(STORY, " red")]), disable_tqdm=True)
    short = STORY[-(24 + 1 - 4) :]  # byte tokenizer: one token per character
    ((expect, _),) = left.loglikelihood(_requests([(short, " red")]), disable_tqdm=True)
    assert abs(value - expect) <= TOL


def test_verify_catches_a_cache_the_model_ignores(tiny):
    """Mamba2 swallows a cache passed as past_key_values: reuse scores go wrong."""
    path = tiny("mamba2")
    wrong = StateTrackLM(
        pretrained=str(path), device="cpu", cache_kwarg="past_key_values", verify=3
    )
    with pytest.raises(RuntimeError, match="verify failed for task unit doc"):
        wrong.loglikelihood(_requests(PAIRS), disable_tqdm=True)
    right = StateTrackLM(pretrained=str(path), device="cpu", verify=3)
    right.loglikelihood(_requests(PAIRS), disable_tqdm=True)
    assert right.verified == 3


def test_nan_log_probs_raise_naming_the_request(tiny, tmp_path):
    """A checkpoint whose embedding of "z" is NaN, saved and loaded like any other."""
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny("llama"))
    tok = byte_tokenizer()
    (z,) = tok.encode("z", add_special_tokens=False)
    with torch.no_grad():
        model.get_input_embeddings().weight[z] = float("nan")
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    lm = StateTrackLM(pretrained=str(tmp_path), device="cpu")
    (fine,) = lm.loglikelihood(_requests([("a b", " c")], task="nan"), disable_tqdm=True)
    assert math.isfinite(fine[0])
    with pytest.raises(FloatingPointError, match="task nan doc 0 has log-likelihood nan"):
        lm.loglikelihood(_requests([("a z b", " c")], task="nan"), disable_tqdm=True)


def test_loglikelihood_rolling_matches_hf_model(tiny):
    from lm_eval.models.huggingface import HFLM

    path = tiny("mamba")
    text = (STORY * 3).strip()
    requests = [
        Instance("loglikelihood_rolling", {}, (t,), i, metadata=("roll", i, 1))
        for i, t in enumerate([text, text[:50]])
    ]
    ours = StateTrackLM(pretrained=str(path), device="cpu", max_length=64, batch_size=2)
    hf = HFLM(pretrained=str(path), device="cpu", max_length=64, batch_size=2, dtype="float32")
    a = ours.loglikelihood_rolling(requests, disable_tqdm=True)
    b = hf.loglikelihood_rolling(requests, disable_tqdm=True)
    assert max(abs(x - y) for x, y in zip(a, b)) <= 10 * TOL  # sums over ~250 tokens


def _generate(lm: StateTrackLM, prompts: list[str], **gen_kwargs) -> list[str]:
    requests = [
        Instance("generate_until", {}, (p, dict(gen_kwargs)), i, metadata=("gen", i, 1))
        for i, p in enumerate(prompts)
    ]
    return lm.generate_until(requests, disable_tqdm=True)


@pytest.mark.parametrize("arch", ["llama", "mamba", "bamba", "ids4", "lstm"])
def test_greedy_generation_matches_transformers_generate(tiny, arch):
    path = tiny(arch)
    prompts = ["Alice has a red", "17 3 42 8 = 17 5 9 ="]
    lm = StateTrackLM(pretrained=str(path), device="cpu", batch_size=3)
    batched = _generate(lm, prompts, until=["\u0000never"], max_gen_toks=8, do_sample=False)
    model = transformers.AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    for prompt, text in zip(prompts, batched):
        ids = torch.tensor([lm.tok_encode(prompt)])
        ref = model.generate(ids, max_new_tokens=8, do_sample=False, eos_token_id=None)
        assert text == lm.tok_decode(ref[0, ids.shape[1] :].tolist()), (arch, prompt)
    alone = [_generate(lm, [p], until=["\u0000never"], max_gen_toks=8)[0] for p in prompts]
    assert alone == batched
    plain = StateTrackLM(pretrained=str(path), device="cpu", prefix_reuse=False)
    assert _generate(plain, prompts, until=["\u0000never"], max_gen_toks=8) == batched


def test_generation_stops_at_stop_sequences_while_decoding(tmp_path):
    """Word-level tokens, so a stop word is met at a known token."""
    tok = word_tokenizer([f"w{i}" for i in range(40)])
    config = transformers.LlamaConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, vocab_size=len(tok), eos_token_id=None,
    )  # fmt: skip
    torch.manual_seed(3)  # a seed whose first 20 greedy tokens contain no special token
    transformers.LlamaForCausalLM(config).save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    lm = StateTrackLM(pretrained=str(tmp_path), device="cpu")
    prompt = "w1 w2 w3 w4"
    free = _generate(lm, [prompt], until=[], max_gen_toks=20)[0].split()
    assert len(free) == 20  # max_gen_toks honoured
    stop = free[6]
    first = free.index(stop)
    before = lm.counters.generated_tokens
    stopped = _generate(lm, [prompt], until=[stop], max_gen_toks=20)[0]
    assert stopped.split() == free[:first]
    assert lm.counters.generated_tokens - before == first + 1  # stopped while decoding


def test_mamba_ssm_and_fla_checkpoints_fail_clearly_on_cpu(tmp_path):
    mamba_dir = tmp_path / "mamba130m"
    mamba_dir.mkdir()
    config = {"d_model": 768, "n_layer": 24, "vocab_size": 50277, "ssm_cfg": {}}
    (mamba_dir / "config.json").write_text(json.dumps(config))  # no tokenizer: fails first
    for backend in ("auto", "mamba_ssm"):
        with pytest.raises(RuntimeError, match=r"lm-eval-statetrack\[mamba\].*backend=hf"):
            StateTrackLM(pretrained=str(mamba_dir), device="cpu", backend=backend)
    with pytest.raises(ValueError, match="is a mamba-ssm checkpoint.*backend=mamba_ssm"):
        StateTrackLM(pretrained=str(mamba_dir), device="cpu", backend="hf")
    fla_dir = tmp_path / "deltanet"
    fla_dir.mkdir()
    (fla_dir / "config.json").write_text(json.dumps({"model_type": "gated_deltaproduct"}))
    with pytest.raises(RuntimeError, match=r"backend=fla runs only on a CUDA GPU.*\[fla\]"):
        StateTrackLM(pretrained=str(fla_dir), device="cpu")


def test_auto_backend_choice_by_config():
    assert choose_backend({"d_model": 768, "n_layer": 24, "ssm_cfg": {}}, "auto")[0] == "mamba_ssm"
    assert choose_backend({"model_type": "gated_deltanet"}, "auto")[0] == "fla"
    assert choose_backend({"model_type": "mamba2"}, "auto")[0] == "hf"
    assert choose_backend({"model_type": "llama"}, "fla")[0] == "fla"


def test_slow_path_warns_once_and_names_the_fix(tiny):
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    log = logging.getLogger("lm_eval.statetrack")
    log.addHandler(handler)
    try:
        StateTrackLM(pretrained=str(tiny("mamba2")), device="cpu")
    finally:
        log.removeHandler(handler)
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "pure-PyTorch" in warnings[0] and "lm-eval-statetrack[mamba]" in warnings[0]


def test_single_process_rank_and_auto_batch_back_off(tiny):
    lm = StateTrackLM(pretrained=str(tiny("llama")), device="cpu", batch_size="auto")
    assert (lm.rank, lm.world_size, lm.batch_size) == (0, 1, 64)
    sizer = BatchSizer("auto", 64)
    assert sizer.back_off(torch.cuda.OutOfMemoryError("CUDA out of memory"), 40)
    assert sizer.size == 20
    assert not BatchSizer(8, 64).back_off(torch.cuda.OutOfMemoryError("out of memory"), 8)
