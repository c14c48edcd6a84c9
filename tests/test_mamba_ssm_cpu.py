"""``backend=mamba_ssm`` on a CPU: mamba-ssm's own ``MambaLMHeadModel`` checkpoints, its
kernels routed to the packages' pure-torch references (``tests/mamba_cpu``).

References: a plain full forward of the same model per request, a plain greedy loop, and
lm-eval's own ``mamba_ssm`` model. A model wrapper that corrupts the inference state
between steps shows that each state bug a reuse implementation can have is caught.
Skipped where mamba-ssm is not installed; ``make test`` installs it.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import mamba_cpu
import pytest
import torch
from lm_eval.api.instance import Instance

from lm_eval_statetrack.models.adapter import StateTrackLM
from lm_eval_statetrack.training.vocab import byte_tokenizer

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(p) is None for p in ("mamba_ssm", "triton", "einops")),
    reason="mamba-ssm, triton or einops is not installed (make test installs them)",
)
# float32: a log-probability matches within 1e-4, or 1e-6 of its size (long continuations)
ABS_TOL, REL_TOL = 1e-4, 1e-6

LONG = "Alice has a red ball and Bob has a blue box; they swap them twice. " * 4
PAIRS = [
    (LONG + "Alice has the", " red ball"),
    (LONG + "Alice has the", " blue box"),
    (LONG + "Alice has the", " red"),
    (LONG + "Alice has the", " red ball"),  # a duplicate request
    (LONG + "Bob", " has the blue box, and nothing else changed in this long answer."),
    (LONG + "Bob", " has"),
    ("Carol keeps", " a green hat"),
]
MANY = PAIRS + [(LONG + f"Box {i} holds", f" item {i * 7 % 100}") for i in range(60)]
MODELS = {
    "mamba1": dict(ssm_cfg={"layer": "Mamba1", "d_state": 8}),
    "mamba2": dict(ssm_cfg={"layer": "Mamba2", "d_state": 16, "headdim": 16}),
    "hybrid": dict(
        n_layer=3,
        ssm_cfg={"layer": "Mamba2", "d_state": 16, "headdim": 16},
        attn_layer_idx=[1],
        attn_cfg={"causal": True, "num_heads": 4},
    ),
}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models step one token at a time: one thread, or the 2-core CI machine spends
    its time synchronising threads (10x slower measured under load)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module", params=["causal_conv1d", "no_causal_conv1d"])
def conv_path(request):
    """mamba-ssm imported with causal-conv1d (its reference kernels) or without it."""
    with_conv = request.param == "causal_conv1d"
    if with_conv and importlib.util.find_spec("causal_conv1d") is None:
        pytest.skip("causal-conv1d is not installed")
    mamba_cpu.install(causal_conv1d=with_conv)
    yield request.param
    mamba_cpu.uninstall()


@pytest.fixture(scope="module")
def checkpoints(conv_path, tmp_path_factory):
    """name -> (directory written by mamba-ssm's save_pretrained, the model in memory)."""
    from mamba_ssm.models.config_mamba import MambaConfig
    from mamba_ssm.models.mixer_seq_simple import MambaLMHeadModel

    tok = byte_tokenizer()
    made = {}
    for name, extra in MODELS.items():
        config = MambaConfig(**{"d_model": 32, "n_layer": 2, "vocab_size": len(tok), **extra})
        torch.manual_seed(0)
        model = MambaLMHeadModel(config, device="cpu", dtype=torch.float32).eval()
        path = tmp_path_factory.mktemp(f"{name}_{conv_path}")
        model.save_pretrained(str(path))
        tok.save_pretrained(path)
        for module in model.modules():  # Mamba2's fused path needs causal-conv1d
            if hasattr(module, "use_mem_eff_path"):
                module.use_mem_eff_path = conv_path == "causal_conv1d"
        made[name] = (path, model)
    return made


def _requests(pairs) -> list[Instance]:
    return [
        Instance("loglikelihood", {}, pair, i, metadata=("unit", i, 1))
        for i, pair in enumerate(pairs)
    ]


def _full_forward(model, lm: StateTrackLM, pairs) -> list[tuple[float, bool]]:
    """A plain forward of each whole sequence, no inference state (sequences of one
    length share a batch: nothing is padded)."""
    encoded = [(lm.tok_encode(c), lm.tok_encode(x)) for c, x in pairs]
    out: dict[int, tuple[float, bool]] = {}
    for length in {len(c) + len(x) for c, x in encoded}:
        index = [i for i, (c, x) in enumerate(encoded) if len(c) + len(x) == length]
        with torch.no_grad():
            logits = model(torch.tensor([sum(encoded[i], []) for i in index])).logits
        for row, i in zip(logits, index):
            ctx, cont = encoded[i]
            logp = row[len(ctx) - 1 : -1].log_softmax(-1)
            target = torch.tensor(cont)
            value = logp.gather(1, target[:, None]).sum().item()
            out[i] = (value, bool((logp.argmax(-1) == target).all()))
    return [out[i] for i in range(len(pairs))]


def _mismatches(got, want, pairs) -> list[tuple]:
    return [
        (pair, g, w)
        for (g, g_greedy), (w, w_greedy), pair in zip(got, want, pairs)
        if abs(g - w) > max(ABS_TOL, REL_TOL * abs(w)) or g_greedy != w_greedy
    ]


def _load(path: Path, **kwargs) -> StateTrackLM:
    return StateTrackLM(pretrained=str(path), device="cpu", dtype="float32", **kwargs)


@pytest.mark.parametrize("name", list(MODELS))
def test_loglikelihood_equals_full_forward(checkpoints, name):
    path, model = checkpoints[name]
    want = _full_forward(model, _load(path, batch_size=1), MANY)
    for batch_size in (1, 3, 64):
        lm = _load(path, batch_size=batch_size)
        assert lm.backend.name == "mamba_ssm"
        assert lm.reuse == (name != "hybrid")  # no flash-attn: hybrids run full forwards
        got = lm.loglikelihood(_requests(MANY), disable_tqdm=True)
        assert not _mismatches(got, want, MANY), (name, batch_size)


def test_kernel_path_is_recorded(checkpoints, conv_path):
    lm = _load(checkpoints["mamba1"][0])
    kernels = lm.get_model_info()["statetrack_kernels"]
    assert kernels.startswith("mamba_ssm on cpu (") and "selective_scan_ref" in kernels
    assert ("causal_conv1d_ref" in kernels) == (conv_path == "causal_conv1d")


def _greedy(model, lm: StateTrackLM, prompt: str, n: int) -> str:
    ids = lm.tok_encode(prompt)
    start = len(ids)
    with torch.no_grad():
        for _ in range(n):
            ids.append(int(model(torch.tensor([ids])).logits[0, -1].argmax()))
    return lm.tok_decode(ids[start:])


@pytest.mark.parametrize("name", list(MODELS))
def test_generate_until_equals_greedy_loop(checkpoints, name):
    path, model = checkpoints[name]
    lm = _load(path, batch_size=3)
    prompts = ["Alice has a red", LONG + "Bob has the", "Carol"]
    requests = [
        Instance("generate_until", {}, (p, {"until": ["\u0000"], "max_gen_toks": 12}), i)
        for i, p in enumerate(prompts)
    ]
    got = lm.generate_until(requests, disable_tqdm=True)
    assert got == [_greedy(model, lm, p, 12) for p in prompts]


@pytest.mark.parametrize("name", list(MODELS))
def test_lm_eval_mamba_ssm_model_agrees(checkpoints, conv_path, name):
    """lm-eval's own ``--model mamba_ssm`` (padded batches, no state reuse) on the same
    checkpoint scores the same requests alike."""
    from lm_eval.api.registry import get_model

    path, _ = checkpoints[name]
    theirs = get_model("mamba_ssm")(
        pretrained=str(path), tokenizer=str(path), device="cpu", dtype="float32", batch_size=4
    )
    for module in theirs.model.modules():  # Mamba2's fused path needs causal-conv1d
        if hasattr(module, "use_mem_eff_path"):
            module.use_mem_eff_path = conv_path == "causal_conv1d"
    want = theirs.loglikelihood(_requests(PAIRS), disable_tqdm=True)
    got = _load(path, batch_size=3).loglikelihood(_requests(PAIRS), disable_tqdm=True)
    assert not _mismatches(got, want, PAIRS)


class CorruptingModel:
    """The model, with its inference state damaged before each step on top of a state:
    what a reuse implementation with that bug would feed it."""

    def __init__(self, model, bug: str) -> None:
        self.model, self.bug = model, bug

    def __getattr__(self, name):
        return getattr(self.model, name)

    def __call__(self, tokens, inference_params=None, **kwargs):
        state = inference_params
        if state is not None and state.seqlen_offset > 0:
            for conv, ssm in state.key_value_memory_dict.values():
                if self.bug == "dropped conv state":
                    conv.zero_()
                elif self.bug == "dropped ssm state":
                    ssm.zero_()
                elif self.bug == "wrong rows":
                    conv.copy_(conv.roll(1, 0))
                    ssm.copy_(ssm.roll(1, 0))
            if self.bug == "reset offset":
                state.seqlen_offset = 0
        return self.model(tokens, inference_params=inference_params, **kwargs)


@pytest.mark.parametrize("name", ["mamba1", "mamba2"])
@pytest.mark.parametrize(
    "bug", [None, "dropped conv state", "dropped ssm state", "reset offset", "wrong rows"]
)
def test_each_state_bug_is_caught(checkpoints, name, bug):
    path, model = checkpoints[name]
    lm = _load(path, batch_size=8)
    want = _full_forward(model, lm, PAIRS)
    if bug:
        lm.backend.model = CorruptingModel(lm.backend.model, bug)
    bad = _mismatches(lm.loglikelihood(_requests(PAIRS), disable_tqdm=True), want, PAIRS)
    assert bool(bad) == bool(bug), bad


def test_revision_is_honoured(checkpoints, tmp_path, monkeypatch):
    """A hub id at a revision loads that revision's weights (from an offline hub cache
    holding two revisions: main = the Mamba1 model, v2 = the Mamba2 model)."""
    import shutil

    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    repo = tmp_path / "models--org--tiny-mamba"
    for ref, commit, name in (("main", "a" * 40, "mamba1"), ("v2", "b" * 40, "mamba2")):
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / ref).write_text(commit)
        shutil.copytree(checkpoints[name][0], repo / "snapshots" / commit)
    tokenizer = str(checkpoints["mamba1"][0])
    for revision, name in ((None, "mamba1"), ("v2", "mamba2")):
        lm = StateTrackLM(
            pretrained="org/tiny-mamba", revision=revision, tokenizer=tokenizer, device="cpu"
        )
        assert lm.backend.info()["ssm_layer"] == name.capitalize()
        want = _full_forward(checkpoints[name][1], lm, PAIRS)
        assert not _mismatches(lm.loglikelihood(_requests(PAIRS), disable_tqdm=True), want, PAIRS)


def test_revision_of_a_local_directory_is_refused(checkpoints):
    with pytest.raises(ValueError, match=r"revision=v2 .* local directory; drop revision="):
        _load(checkpoints["mamba1"][0], revision="v2")


def test_cuda_kernels_on_cpu_fail_at_load(checkpoints, monkeypatch):
    """With mamba-ssm's compiled scan in place of its reference (a CUDA build on a CPU
    device), loading fails with one clear error instead of failing mid-evaluation."""
    import mamba_ssm.modules.mamba_simple as mamba_simple
    import mamba_ssm.ops.selective_scan_interface as scan

    for module in (mamba_simple, scan):
        monkeypatch.setattr(module, "selective_scan_fn", scan.SelectiveScanFn.apply)
    with pytest.raises(RuntimeError, match=r"could not run on cpu: .*CUDA.*backend=hf"):
        _load(checkpoints["mamba1"][0])


def test_cpu_run_is_announced(checkpoints, caplog):
    with caplog.at_level(logging.WARNING, logger="lm_eval.statetrack"):
        _load(checkpoints["mamba1"][0])
    assert any(
        "not on CUDA; the kernels that ran: mamba_ssm on cpu" in r.getMessage()
        for r in caplog.records
    )
