"""The natural-language families: every doc checked by an independent oracle, short demos
that are never test docs, the code oracle's sandbox, and one end-to-end ``lm_eval`` run
that scores every leaf task with the few-shot prompt lm-eval really builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_lm_eval, save_tiny_model
from oracles import ORACLES, OracleError
from oracles import code as code_oracle

from lm_eval_statetrack.datasets import docs
from lm_eval_statetrack.families import get_family
from lm_eval_statetrack.families.nl import DEMO_LENGTH, NUM_FEWSHOT

NL_FAMILIES = ("shuffle", "boxes", "code", "flipflop", "parity", "modarith")


def leaf_tasks() -> list[str]:
    return [
        get_family(name).task_name(v.name, length)
        for name in NL_FAMILIES
        for v in get_family(name).variants.values()
        for length in v.lengths
    ]


@pytest.mark.parametrize("name", NL_FAMILIES)
def test_oracle_agrees_with_every_doc(name):
    """The oracle sees only the prompt and the choices, never the generator's answer."""
    family, solve = get_family(name), ORACLES[name]
    wrong, checked = [], 0
    for v in family.variants.values():
        splits = [(length, "test") for length in v.lengths] + [(v.lengths[0], "train")]
        for length, split in splits:
            split_docs = docs(name, v.name, length, split)
            blind = [{"prompt": d["prompt"], "choices": d["choices"]} for d in split_docs]
            for i, (doc, index) in enumerate(zip(split_docs, solve(blind))):
                if index != doc["answer"]:
                    wrong.append((v.name, length, split, i, index, doc["answer"]))
            checked += len(split_docs)
    assert not wrong, f"{len(wrong)} of {checked} docs disagree with the oracle: {wrong[:5]}"
    assert checked >= 1000


@pytest.mark.parametrize("name", NL_FAMILIES)
def test_demos_are_short_and_never_a_test_doc(name):
    family = get_family(name)
    assert family.num_fewshot == NUM_FEWSHOT and family.rendering == "nl"
    for v in family.variants.values():
        train = docs(name, v.name, v.lengths[0], "train")
        assert len(train) >= 2 * NUM_FEWSHOT
        assert all(d["length"] == DEMO_LENGTH for d in train)
        assert all(docs(name, v.name, length, "train") == train for length in v.lengths)
        test_prompts = {d["prompt"] for length in v.lengths for d in docs(name, v.name, length)}
        assert not test_prompts & {d["prompt"] for d in train}
        for prompt in test_prompts | {d["prompt"] for d in train}:
            # lm-eval joins demos with a blank line and puts a space before each answer
            assert "\n\n" not in prompt and prompt == prompt.strip(), prompt[:80]


def test_code_oracle_refuses_anything_but_generated_code(tmp_path):
    target = tmp_path / "written"
    evil = {
        "prompt": f"x = [1, 2]\nopen({str(target)!r}, 'w')\nassert x[0] ==",
        "choices": ["1", "2"],
    }
    with pytest.raises(OracleError, match="line 2 .*refusing to run"):
        code_oracle.solve([evil])
    with pytest.raises(OracleError, match="not a digit"):
        code_oracle.solve([{"prompt": "a = 1\nassert a ==", "choices": ["1", "__import__"]}])
    assert not target.exists()


def test_code_oracle_child_has_no_builtins(tmp_path):
    """Behind the grammar check, the child itself cannot open files or import."""
    target = tmp_path / "written"
    with pytest.raises(OracleError, match="NameError: name 'open' is not defined"):
        code_oracle.run_programs([(f"x = open({str(target)!r}, 'w')\nassert x ==", ["1"])])
    assert not target.exists()


def bpe_llama(path: Path) -> Path:
    """A random-init tiny Llama with a small BPE tokenizer trained on our prompts.

    The shared byte-level ``tiny_llama`` reads a length-256 ``shuffle/a5`` prompt with its
    demos as 17,600 tokens (over its 8,192 positions, and minutes of CPU attention); this
    tokenizer, like real ones, needs about 3.6 bytes per token, so every prompt fits.
    """
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    corpus = []
    for name in NL_FAMILIES:
        for v in get_family(name).variants.values():
            for doc in docs(name, v.name, 4)[:50]:
                corpus.append(doc["prompt"] + " " + " ".join(doc["choices"]))
    special = ["<pad>", "<unk>", "<bos>", "<eos>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1000,
        special_tokens=special,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>", bos_token="<bos>",
        eos_token="<eos>",
    )  # fmt: skip
    return save_tiny_model(path, "llama", tokenizer=tokenizer)


def _train_answers(task: str) -> set[str]:
    family, variant, length = task.removeprefix("statetrack_").rsplit("_", 2)
    train = docs(family, variant, int(length.removeprefix("len")), "train")
    return {d["prompt"] + " " + d["choices"][d["answer"]] for d in train}


@pytest.mark.slow
def test_lm_eval_runs_every_nl_task_with_its_fewshot_prompt(tmp_path):
    from transformers import AutoTokenizer

    model = bpe_llama(tmp_path / "model")
    out = tmp_path / "out"
    globs = ",".join(f"statetrack_{name}_*" for name in NL_FAMILIES)
    args = ["--model", "hf", "--model_args", f"pretrained={model}", "--tasks", globs]
    args += ["--limit", "2", "--batch_size", "16", "--log_samples"]
    results = run_lm_eval(args, out)

    expected = leaf_tasks()
    assert len(expected) == len(set(expected)) == 99
    assert sorted(results["results"]) == sorted(expected)
    for task in expected:
        assert 0.0 <= results["results"][task]["acc,none"] <= 1.0
        assert results["n-samples"][task]["effective"] == 2
        assert results["n-shot"][task] == NUM_FEWSHOT

    tokenizer = AutoTokenizer.from_pretrained(model)
    longest = 0
    for task in expected:
        (samples_file,) = out.rglob(f"samples_{task}_*.jsonl")
        demos = _train_answers(task)
        for line in samples_file.read_text().splitlines():
            sample = json.loads(line)
            requests = list(sample["arguments"].values())
            *shots, question = requests[0]["arg_0"].split("\n\n")
            assert len(shots) == NUM_FEWSHOT and set(shots) <= demos, task
            assert question == sample["doc"]["prompt"]
            assert [r["arg_1"] for r in requests] == [" " + c for c in sample["doc"]["choices"]]
            context = requests[0]["arg_0"] + max((r["arg_1"] for r in requests), key=len)
            longest = max(longest, len(tokenizer(context)["input_ids"]))
    assert longest < results["max_length"] == 8192, "a prompt would be truncated"


@pytest.mark.parametrize("name", NL_FAMILIES)
def test_ladders_start_at_one_step(name):
    for v in get_family(name).variants.values():
        assert v.lengths[:3] == (1, 2, 4)
        assert all(d["length"] == 1 for d in docs(name, v.name, 1))


def test_flipflop_short_lengths_hold_every_instruction_list_once():
    for length, count in ((1, 2), (2, 10), (4, 250)):
        prompts = [d["prompt"] for d in docs("flipflop", "ffl", length)]
        assert len(prompts) == len(set(prompts)) == count
