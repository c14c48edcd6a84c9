"""The ``statetrack`` adapter where a careful review found it wrong: out-of-memory back-off,
end-of-turn ids and decoding options, whitespace-only contexts, chat templates, cache
copies and the batched tokenizer path. Real tiny checkpoints saved with
``save_pretrained``; the only fake is an out-of-memory error injected around the real
backend, since a CPU cannot run out of memory on cue.
"""

from __future__ import annotations

import pytest
import torch
import transformers
from conftest import save_tiny_model
from lm_eval.api.instance import Instance

from lm_eval_statetrack.models.adapter import StateTrackLM
from lm_eval_statetrack.training.vocab import word_tokenizer


class OutOfMemoryAbove:
    """The real backend, except that a forward of more than ``rows`` rows raises CUDA's
    out-of-memory error (the fault a GPU hits first on a long suite)."""

    def __init__(self, backend, rows: int) -> None:
        self.backend, self.rows, self.widest_run = backend, rows, 0

    def forward(self, tokens, *args, **kwargs):
        if tokens.shape[0] > self.rows:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        self.widest_run = max(self.widest_run, tokens.shape[0])
        return self.backend.forward(tokens, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.backend, name)


def _loglikelihood(lm: StateTrackLM, pairs) -> list[tuple[float, bool]]:
    requests = [
        Instance("loglikelihood", {}, pair, i, metadata=("unit", i, 1))
        for i, pair in enumerate(pairs)
    ]
    return lm.loglikelihood(requests, disable_tqdm=True)


def _generate(lm: StateTrackLM, prompts: list[str], **gen_kwargs) -> list[str]:
    requests = [
        Instance("generate_until", {}, (p, dict(gen_kwargs)), i, metadata=("gen", i, 1))
        for i, p in enumerate(prompts)
    ]
    return lm.generate_until(requests, disable_tqdm=True)


PREAMBLE = "Every document of this task starts with the same long instructions. "
SHARED = [(PREAMBLE + f"Doc {i}: the answer is", f" {i % 7}") for i in range(100)]


def test_out_of_memory_backs_off_on_the_rows_that_ran(tiny_llama):
    """100 docs under one shared preamble: its children join the preamble's single row,
    so the batch that fails is far wider than the one node the job started with."""
    want = _loglikelihood(StateTrackLM(pretrained=str(tiny_llama), device="cpu"), SHARED)
    lm = StateTrackLM(pretrained=str(tiny_llama), device="cpu", batch_size="auto")
    lm.backend = OutOfMemoryAbove(lm.backend, rows=8)
    got = _loglikelihood(lm, SHARED)
    assert lm.batch_size <= 8 and lm.backend.widest_run <= 8
    assert max(abs(a - b) for (a, _), (b, _) in zip(got, want)) <= 1e-4


def test_a_fixed_batch_size_is_a_hard_cap(tiny_llama):
    """Four contexts of two choices each: the four contexts fill the batch, then their
    eight choices would join their rows."""
    pairs = [(f"Context {k}: {str(k) * 30}", f" {j}{j}{j}") for k in range(4) for j in range(2)]
    lm = StateTrackLM(pretrained=str(tiny_llama), device="cpu", batch_size=4)
    lm.backend = OutOfMemoryAbove(lm.backend, rows=4)
    _loglikelihood(lm, pairs)  # before the fix: 8 rows in one forward, so an OOM
    assert lm.backend.widest_run == 4


# ---- generation: end-of-turn ids and decoding options ----------------------------------


@pytest.fixture(scope="module")
def word_model(tmp_path_factory):
    """A tiny Llama over word tokens whose greedy run from PROMPT is known; returns
    (path, the 20 greedy tokens it generates freely)."""
    path = tmp_path_factory.mktemp("words")
    tok = word_tokenizer([f"w{i}" for i in range(40)])
    config = transformers.LlamaConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, vocab_size=len(tok), eos_token_id=tok.eos_token_id,
    )  # fmt: skip
    torch.manual_seed(3)  # greedy tokens from PROMPT: no special token among the first 20
    model = transformers.LlamaForCausalLM(config)
    ids = torch.tensor([tok.encode(PROMPT)])
    free = model.generate(ids, max_new_tokens=20, do_sample=False, eos_token_id=None)
    free = free[0, ids.shape[1] :].tolist()
    # a second end-of-turn id, as Llama-3 / Qwen2.5 Instruct configs list <|eot_id|> etc.
    model.generation_config.eos_token_id = [tok.eos_token_id, free[5]]
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path, free


PROMPT = "w1 w2 w3 w4"


def _reference(path, **kwargs) -> str:
    """What transformers' generate gives (the model's generation_config applies)."""
    tok = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    ids = torch.tensor([tok.encode(PROMPT)])
    out = model.generate(ids, max_new_tokens=20, do_sample=False, **kwargs)
    return tok.decode(out[0, ids.shape[1] :], skip_special_tokens=True)


def test_generation_stops_at_every_end_of_turn_id(word_model):
    path, free = word_model
    lm = StateTrackLM(pretrained=str(path), device="cpu")
    text = _generate(lm, [PROMPT], until=[], max_gen_toks=20)[0]
    assert len(text.split()) == free.index(free[5]) + 1  # stopped at the second eos id
    assert text == _reference(path)


def test_repetition_penalty_and_min_new_tokens_are_honoured(word_model):
    path, _ = word_model
    lm = StateTrackLM(pretrained=str(path), device="cpu", batch_size=2)
    for kwargs in ({"repetition_penalty": 1.5}, {"min_new_tokens": 9}):
        text = _generate(lm, [PROMPT, PROMPT], until=[], max_gen_toks=20, **kwargs)
        assert text == [_reference(path, **kwargs)] * 2, kwargs
    plain = StateTrackLM(pretrained=str(path), device="cpu", prefix_reuse=False)
    text = _generate(plain, [PROMPT], until=[], max_gen_toks=20, repetition_penalty=1.5)
    assert text == [_reference(path, repetition_penalty=1.5)]


@pytest.mark.parametrize(
    "kwargs, named",
    [({"num_beams": 4}, "num_beams=4"), ({"no_repeat_ngram_size": 2}, "no_repeat_ngram_size")],
)
def test_decoding_options_it_cannot_follow_are_refused(word_model, kwargs, named):
    lm = StateTrackLM(pretrained=str(word_model[0]), device="cpu")
    with pytest.raises(ValueError, match=rf"{named}.*--model hf"):
        _generate(lm, [PROMPT], until=[], max_gen_toks=4, **kwargs)
    _generate(lm, [PROMPT], until=[], max_gen_toks=4, num_beams=1)  # greedy: fine


# ---- contexts that encode to nothing ---------------------------------------------------


def test_a_whitespace_only_context_is_scored_like_an_empty_one(word_model):
    """A tokenizer without BOS encodes " " to no tokens; the continuation is then scored
    after the prefix token, as for context "" (lm-eval's rule)."""
    lm = StateTrackLM(pretrained=str(word_model[0]), device="cpu")
    assert lm.tok_encode(" ") == []
    got = _loglikelihood(lm, [(" ", "w5 w6"), ("", " w5 w6")])
    assert got[0] == got[1]


# ---- chat templates --------------------------------------------------------------------

GEMMA_STYLE = (  # rejects the system role, as Gemma's template does
    "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
    "{% endif %}{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<model>{% if enable_thinking %}<think>{% endif %}"
    "{{ tone | default('') }}{% endif %}"
)


@pytest.fixture(scope="module")
def gemma_style(tmp_path_factory):
    from lm_eval_statetrack.training.vocab import byte_tokenizer

    tok = byte_tokenizer()
    tok.chat_template = GEMMA_STYLE
    return save_tiny_model(tmp_path_factory.mktemp("gemma_style"), tokenizer=tok)


def test_chat_template_as_lm_evals_hf_model_renders_it(gemma_style):
    """A template that rejects the system role is rendered again without it, and the
    template arguments reach it, exactly as lm-eval's ``hf`` model does."""
    from lm_eval.models.huggingface import HFLM

    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}]
    args = dict(chat_template_args={"tone": "calm"}, enable_thinking=True, think_end_token="</t>")
    hf = HFLM(pretrained=str(gemma_style), device="cpu", dtype="float32", **args)
    ours = StateTrackLM(pretrained=str(gemma_style), device="cpu", **args)
    rendered = ours.apply_chat_template(chat)
    assert rendered == hf.apply_chat_template(chat) == "<user>2+2?\n<model><think>calm"
    with pytest.raises(ValueError, match="enable_thinking.*generation tasks only"):
        _loglikelihood(ours, [("a", " b")])


def test_think_end_token_drops_the_reasoning_as_hf_does(word_model):
    """The reasoning before ``think_end_token`` is cut from the answer (string or id)."""
    path, free = word_model
    plain = _generate(StateTrackLM(pretrained=str(path), device="cpu"), [PROMPT], until=[])[0]
    words = plain.split()
    marker = words[1]
    by_text = StateTrackLM(pretrained=str(path), device="cpu", think_end_token=marker)
    assert _generate(by_text, [PROMPT], until=[])[0] == plain.split(marker)[-1].lstrip()
    token_id = str(by_text.tokenizer.convert_tokens_to_ids(marker))
    by_id = StateTrackLM(pretrained=str(path), device="cpu", think_end_token=token_id)
    last = len(words) - 1 - words[::-1].index(marker)
    assert _generate(by_id, [PROMPT], until=[])[0] == " ".join(words[last + 1 :])
    with pytest.raises(ValueError, match="enable_thinking=true needs think_end_token"):
        StateTrackLM(pretrained=str(path), device="cpu", enable_thinking=True)


# ---- cache copies and the batched tokenizer --------------------------------------------


def test_cache_copies_count_their_own_tokens(tiny_mamba):
    """transformers' linear-attention cache counts tokens in a tensor it increments in
    place; a copy that shared it would move its source's (and siblings') length too."""
    backend = StateTrackLM(pretrained=str(tiny_mamba), device="cpu").backend
    _, state = backend.forward(torch.tensor([[5, 6, 7, 8]]), None, 0, 1, want_state=True)
    first = backend.select(state, torch.tensor([0]))
    second = backend.select(state, torch.tensor([0, 0]))
    backend.forward(torch.tensor([[9]]), first, 4, 1, want_state=True)
    lengths = [int(c.get_seq_length()) for c in (state, first, second)]
    assert lengths == [4, 5, 4]


class LowercasingTokenizer(transformers.PreTrainedTokenizerFast):
    """A tokenizer that prepares text in Python before the Rust tokenizer sees it, as some
    model tokenizers do: the fault a shortcut straight to the Rust tokenizer misses."""

    def _encode_plus(self, text, *args, **kwargs):
        text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
        return super()._encode_plus(text, *args, **kwargs)


def test_every_context_is_tokenized_as_tok_encode_does(word_model):
    """One context in the middle of many is changed by the Python-side preparation."""
    lm = StateTrackLM(pretrained=str(word_model[0]), device="cpu", batch_size=8)
    lm.tokenizer = LowercasingTokenizer.from_pretrained(word_model[0])
    pairs = [(f"w{i} w{i + 1}", " w3") for i in range(30)] + [("W7 W8", " w3")]
    got = _loglikelihood(lm, pairs)
    assert got[-1] == got[7]  # "W7 W8" is read as "w7 w8", as tok_encode reads it
