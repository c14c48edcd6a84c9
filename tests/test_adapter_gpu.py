"""The kernel backends (``mamba_ssm``, ``fla``) against plain full forwards, on CUDA.

Skipped without a CUDA device or without the package; ``benchmarks/gpu_check.sh`` runs
this file on the GPU machine. The CPU-side error paths are in ``test_adapter.py``.
"""

from __future__ import annotations

import pytest
import torch
from conftest import plain_forward_scores
from test_adapter import PAIRS, _generate, _requests

from lm_eval_statetrack.models.adapter import StateTrackLM
from lm_eval_statetrack.training.vocab import byte_tokenizer

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]
# cuDNN convolutions may use TF32 on recent GPUs; the tolerance allows for it
GPU_TOL = 1e-3


def _check(lm: StateTrackLM, model) -> None:
    got = lm.loglikelihood(_requests(PAIRS), disable_tqdm=True)
    for (g, g_greedy), (w, w_greedy), pair in zip(
        got, plain_forward_scores(model, lm, PAIRS, device="cuda"), PAIRS
    ):
        assert abs(g - w) <= GPU_TOL, (pair, g, w)
        assert g_greedy == w_greedy, pair


def _greedy_reference(model, lm: StateTrackLM, prompt: str, n: int) -> str:
    ids = lm.tok_encode(prompt)
    with torch.no_grad():
        for _ in range(n):
            logits = model(torch.tensor([ids], device="cuda")).logits
            ids.append(int(logits[0, -1].float().argmax()))
    return lm.tok_decode(ids[len(lm.tok_encode(prompt)) :])


@pytest.mark.parametrize("layer,hybrid", [("Mamba1", False), ("Mamba2", False), ("Mamba2", True)])
def test_mamba_ssm_backend_equals_full_forward(tmp_path, layer, hybrid):
    pytest.importorskip("mamba_ssm")
    from mamba_ssm.models.config_mamba import MambaConfig
    from mamba_ssm.models.mixer_seq_simple import MambaLMHeadModel

    tok = byte_tokenizer()
    ssm_cfg = {"layer": layer} | ({"d_state": 16, "headdim": 32} if layer == "Mamba2" else {})
    config = MambaConfig(
        d_model=64,
        n_layer=2,
        vocab_size=len(tok),
        ssm_cfg=ssm_cfg,
        attn_layer_idx=[1] if hybrid else [],
        attn_cfg={"causal": True, "num_heads": 4} if hybrid else {},
    )
    torch.manual_seed(0)
    model = MambaLMHeadModel(config, device="cuda", dtype=torch.float32)
    model.save_pretrained(str(tmp_path))
    tok.save_pretrained(tmp_path)
    model.eval()
    lm = StateTrackLM(pretrained=str(tmp_path), dtype="float32", batch_size=3, verify=4)
    assert lm.backend.name == "mamba_ssm"
    _check(lm, model)
    prompt = "Alice has a red"
    assert _generate(lm, [prompt], until=["\u0000never"], max_gen_toks=6)[0] == (
        _greedy_reference(model, lm, prompt, 6)
    )


def test_fla_backend_equals_full_forward(tmp_path):
    pytest.importorskip("fla")
    from fla.models import GatedDeltaNetConfig, GatedDeltaNetForCausalLM

    tok = byte_tokenizer()
    config = GatedDeltaNetConfig(
        hidden_size=64,
        head_dim=32,
        num_heads=2,
        num_hidden_layers=2,
        vocab_size=len(tok),
        allow_neg_eigval=True,
        fuse_cross_entropy=False,
    )
    torch.manual_seed(0)
    GatedDeltaNetForCausalLM(config).save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    lm = StateTrackLM(pretrained=str(tmp_path), dtype="float32", batch_size=3, verify=4)
    assert lm.backend.name == "fla"
    _check(lm, lm.backend.model)
