"""The trainer, our architectures and the bundled reference models, through public
interfaces: the ``statetrack`` CLI, ``AutoModelForCausalLM`` and lm-eval itself."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from conftest import run_lm_eval

from lm_eval_statetrack.cli import main as statetrack
from lm_eval_statetrack.datasets import docs
from lm_eval_statetrack.families.wordproblem import group_for
from lm_eval_statetrack.training.architectures import compute_path
from lm_eval_statetrack.training.data import BatchSampler, training_data
from lm_eval_statetrack.training.references import REFERENCE_DIR
from lm_eval_statetrack.training.run_config import TrainConfig
from lm_eval_statetrack.training.symbols import ELEMENT_OFFSET, EQUALS_ID
from lm_eval_statetrack.training.trainer import save_checkpoint, train

CPU_ARCHS = ("transformer", "mamba", "mamba2", "lstm", "ids4")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--arch", "gru"], "unknown architecture 'gru' (--arch)"),
        (["--arch", "lstm", "--layers", "0"], "--layers must be >= 1"),
        (["--arch", "deltanet"], "--arch deltanet needs a CUDA GPU"),
        (["--arch", "lstm", "--variant", "a6"], "unknown variant 'a6'"),
        (["--arch", "transformer", "--width", "40"], "multiple of 16"),
        (["--arch", "lstm", "--lengths", "0,4"], "--lengths must be >= 1"),
        (["--arch", "lstm", "--stage-steps", "0"], "--stage-steps must be >= 1"),
    ],
)
def test_bad_train_configs_fail_before_training(tmp_path, argv, message):
    with pytest.raises(SystemExit) as err:
        statetrack(["train", *argv, "--out", str(tmp_path / "ck")])
    assert message in str(err.value)
    assert not (tmp_path / "ck").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA machine would train")
def test_sweep_on_cuda_without_a_gpu_fails_before_training(tmp_path):
    with pytest.raises(SystemExit) as err:
        statetrack(["sweep", "--archs", "ids4", "--device", "cuda", "--out", str(tmp_path)])
    assert "--device cuda but CUDA is not available" in str(err.value)
    assert not (tmp_path / "runs.csv").exists()


def test_bad_sweep_config_fails_before_training(tmp_path):
    with pytest.raises(SystemExit) as err:
        statetrack(["sweep", "--archs", "lstm,deltanet", "--out", str(tmp_path)])
    assert "--arch deltanet needs a CUDA GPU" in str(err.value)
    assert not (tmp_path / "runs.csv").exists()


def _decode(ids: torch.Tensor) -> list[tuple[int, ...]]:
    assert (ids[:, -1] == EQUALS_ID).all()
    return [tuple(int(t) - ELEMENT_OFFSET for t in row[:-1]) for row in ids]


@pytest.mark.parametrize("variant, length", [("s3", 4), ("a5", 4)])
def test_training_data_never_contains_a_test_word(variant, length):
    """S3 at length 4 has 1296 words and its test split holds 250 of them: a leak in the
    exclusion would show up at once among the thousands of training words drawn here."""
    from sympy.combinatorics import Permutation

    test = {tuple(d["word"]) for d in docs("wordproblem", variant, length, "test")}
    sampler = BatchSampler(variant, [length], batch_tokens=5 * 1000, seed=3)
    group = group_for(variant)
    perms = [Permutation(list(p)) for p in group.elements]
    seen = set()
    for _ in range(4):
        ids, labels = sampler.next([length])
        for word, row in zip(_decode(ids), labels.tolist()):
            assert word not in test
            seen.add(word)
            product = Permutation(list(range(group.degree)))
            for t, g in enumerate(word):  # per-position labels = running product (sympy)
                product = product * perms[g]  # sympy multiplies left to right, like ours
                assert row[t] - ELEMENT_OFFSET == perms.index(product)
            assert row[-1] == row[-2]
    assert len(seen) > 500


def _streamed_words(sampler: BatchSampler, length: int, batches: int) -> set[tuple[int, ...]]:
    return {w for _ in range(batches) for w in _decode(sampler.next([length])[0])}


def test_held_out_validation_words_are_never_trained_on():
    """S3 at length 4: 1296 words, 250 of them test words. Train-side validation words
    (the bundled references' recipe) turn up in a few thousand training words; the
    held-out split's never do, and it holds no test word either."""
    test = {tuple(d["word"]) for d in docs("wordproblem", "s3", 4, "test")}
    drawn = {}
    for split in ("held_out", "train"):
        config = TrainConfig(arch="ids4", variant="s3", lengths=(4,), seed=3, val_split=split)
        sampler, val = training_data(config)
        assert val[4] and not set(val[4]) & test
        drawn[split] = (set(val[4]), _streamed_words(sampler, 4, 6))
    held_out, stream = drawn["held_out"]
    assert len(held_out) == 128 and len(stream) > 800 and not held_out & stream
    train_side, stream = drawn["train"]
    assert train_side & stream


@pytest.mark.parametrize("arch", CPU_ARCHS)
def test_checkpoint_round_trips_through_auto_classes(tmp_path, arch):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    config = TrainConfig(arch=arch, layers=1, width=32, lengths=(4,), max_steps=2, seed=7)
    result = train(config, progress=False)
    out = save_checkpoint(result, tmp_path / arch)
    record = json.loads((out / "training.json").read_text())
    assert record["seeds"] == {"model_init": 7, "data": 7}
    assert record["config"]["arch"] == arch
    model = AutoModelForCausalLM.from_pretrained(out).eval()
    tok = AutoTokenizer.from_pretrained(out)
    ids = torch.tensor([tok("17 3 42 8 =")["input_ids"]])
    assert ids[0, -1].item() == EQUALS_ID
    result.model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(ids).logits, result.model(ids).logits)


def test_lm_eval_scores_what_the_trainer_predicts(tmp_path):
    """lm-eval's log-likelihood of each choice after ``... =`` is the model's log-softmax
    at ``=`` for that element's token, so per-position training targets exactly what
    lm-eval scores."""
    from lm_eval import simple_evaluate

    config = TrainConfig(arch="ids4", variant="a5", lengths=(4,), max_steps=60, eval_every=30)
    result = train(config, progress=False)
    out = save_checkpoint(result, tmp_path / "ids4")
    task = "statetrack_wordproblem_a5_len4"
    evaluated = simple_evaluate(
        model="hf",
        model_args=f"pretrained={out},dtype=float32",
        tasks=[task],
        limit=3,
        log_samples=True,
        device="cpu",
    )
    model = result.model.eval()
    for sample in evaluated["samples"][task]:
        word = sample["doc"]["word"]
        ids = torch.tensor([[ELEMENT_OFFSET + g for g in word] + [EQUALS_ID]])
        with torch.no_grad():
            logprobs = model(ids).logits[0, -1].log_softmax(-1)
        ours = logprobs[ELEMENT_OFFSET : ELEMENT_OFFSET + 60]
        theirs = torch.tensor([r[0][0] for r in sample["resps"]])
        torch.testing.assert_close(theirs, ours, atol=1e-4, rtol=0)


@pytest.mark.parametrize("stage_steps, first_promotion", [(None, 30), (40, 50)])
def test_curriculum_adds_the_next_length_after_stage_steps(stage_steps, first_promotion):
    """A5 is not learned in 60 steps, so each stage lasts its whole budget: by default an
    even share of the run before ``full_mix`` (60 * 0.5 / 2 = 15 steps: the next length
    joins at the evaluation at step 20, first scored at 30), else ``stage_steps`` (joins
    at 40, first scored at 50)."""
    config = TrainConfig(
        arch="ids4", variant="a5", lengths=(4, 8), max_steps=60, eval_every=10,
        stage_steps=stage_steps,
    )  # fmt: skip
    history = train(config, progress=False).history
    active = {h["step"]: sorted(h["val_acc"]) for h in history}
    assert all(active[s] == [4] for s in active if s < first_promotion)
    assert all(active[s] == [4, 8] for s in active if s >= first_promotion)


def test_sweep_writes_runs_min_layers_and_plot(tmp_path):
    argv = ["sweep", "--archs", "ids4", "--variants", "s3", "--lengths", "8", "--max-layers"]
    argv += ["2", "--max-steps", "150", "--eval-every", "50", "--out", str(tmp_path)]
    statetrack(argv)
    with (tmp_path / "runs.csv").open() as f:
        runs = list(csv.DictReader(f))
    with (tmp_path / "min_layers.csv").open() as f:
        (row,) = list(csv.DictReader(f))
    passed = [r for r in runs if float(r["test_acc"]) > 0.9]
    assert row["min_layers"] == (passed[0]["layers"] if passed else ">2")
    assert {r["path"] for r in runs} == {"torch"}
    assert (tmp_path / "min_layers.png").stat().st_size > 0
    statetrack(argv)  # resumes: nothing is retrained
    with (tmp_path / "runs.csv").open() as f:
        assert len(list(csv.DictReader(f))) == len(runs)
    statetrack([*argv[:6], "8,4", *argv[7:], "--no-train"])  # length 4: never trained
    with (tmp_path / "min_layers.csv").open() as f:
        got = {r["length"]: r["min_layers"] for r in csv.DictReader(f)}
    assert got == {"4": "not run", "8": row["min_layers"]}
    with (tmp_path / "runs.csv").open() as f:
        assert len(list(csv.DictReader(f))) == len(runs)
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n### Figure 3: minimum layers against length\n\nold\n\n## Next\n")
    statetrack([*argv, "--no-train", "--readme", str(readme)])
    text = readme.read_text()
    assert "old" not in text and text.endswith("## Next\n")
    assert f"| IDS4 | S3 | {row['min_layers']}" in text
    assert "](./min_layers.png)" in text and "--max-steps 150" in text
    assert f"(the `path` column), with counts: IDS4: torch {len(runs)}." in text


def test_compiled_mamba_trains_like_the_eager_one():
    """``--compile`` changes how Mamba's forward runs (inductor over the sequential scan),
    not what it computes: the same seed gives the same weights after a few steps, and the
    run records its path."""
    config = TrainConfig(
        arch="mamba", variant="z60", lengths=(2, 4), width=16, max_steps=6, eval_every=3,
        batch_tokens=120,
    )  # fmt: skip
    eager = train(config, progress=False)
    fast = train(replace(config, compile=True), progress=False)
    assert compute_path(fast.model, "cpu", compile=True) == "sequential scan (torch.compile)"
    assert fast.history == eager.history
    for (name, theirs), ours in zip(
        eager.model.state_dict().items(), fast.model.state_dict().values()
    ):
        torch.testing.assert_close(ours, theirs, atol=2e-4, rtol=1e-3, msg=name)


def test_sweep_readme_without_its_heading_fails_before_training(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no such section\n")
    argv = ["sweep", "--archs", "ids4", "--variants", "s3", "--lengths", "8"]
    with pytest.raises(SystemExit, match="--readme-heading"):
        statetrack([*argv, "--out", str(tmp_path / "sweep"), "--readme", str(readme)])
    assert not (tmp_path / "sweep").exists()


@pytest.mark.slow
def test_bundled_recurrent_model_solves_long_a5_words_through_lm_eval(tmp_path):
    """The demo's claim, through the real lm_eval CLI: the bundled IDS4 keeps near-perfect
    accuracy on length-256 A5 words (chance is 1/60)."""
    model = REFERENCE_DIR / "ids4-1l-a5"
    task = "statetrack_wordproblem_a5_len256"
    args = ["--model", "hf", "--model_args", f"pretrained={model},dtype=float32"]
    out = run_lm_eval(args + ["--tasks", task, "--limit", "25"], tmp_path)
    assert out["results"][task]["acc,none"] >= 0.95


def test_reference_models_are_small_and_complete():
    dirs = [p for p in Path(REFERENCE_DIR).iterdir() if p.is_dir()]
    names = {p.name for p in dirs}
    for arch in ("lstm-1l", "transformer-2l", "mamba-2l"):
        assert {f"{arch}-a5", f"{arch}-z60"} <= names
    for path in dirs:
        assert {"config.json", "model.safetensors", "tokenizer.json", "training.json"} <= {
            f.name for f in path.iterdir()
        }
    total = sum(f.stat().st_size for f in Path(REFERENCE_DIR).rglob("*") if f.is_file())
    assert total < 5 * 1024 * 1024


def test_min_layers_tells_a_depth_beyond_reach_and_not_run_apart():
    from lm_eval_statetrack.training.sweep import SweepConfig, min_layers

    sweep = SweepConfig(
        archs=("ids4", "lstm"), variants=("s3",), lengths=(2, 4, 8, 16, 32), max_layers=3
    )
    accs = {(4, 1): 0.5, (4, 2): 0.95, (8, 1): 0.4, (8, 2): 0.3, (8, 3): 0.2, (16, 1): 0.99}
    accs |= {(2, 1): 0.3, (2, 3): 0.1}  # shallowest and deepest failed: depth 2 not needed
    accs |= {(32, 1): 0.3, (32, 3): 0.97}  # deepest passed: depth 2 still to try
    done = {("ids4", "s3", n, k): {"test_acc": str(a)} for (n, k), a in accs.items()}
    done[("lstm", "s3", 4, 1)] = {"test_acc": "0.2"}  # depths 2 and 3 not trained yet
    done[("lstm", "s3", 8, 3)] = {"test_acc": "0.2"}  # one layer not trained yet
    got = {(r["arch"], r["length"]): r["min_layers"] for r in min_layers(done, sweep)}
    assert got == {
        ("ids4", 2): ">3",
        ("ids4", 4): 2,
        ("ids4", 8): ">3",
        ("ids4", 16): 1,
        ("ids4", 32): "not run",
        ("lstm", 2): "not run",
        ("lstm", 4): "not run",
        ("lstm", 8): "not run",
        ("lstm", 16): "not run",
        ("lstm", 32): "not run",
    }


def test_depth_search_trains_the_shallowest_and_deepest_first():
    from lm_eval_statetrack.training.sweep import depth_order

    assert depth_order(1) == (1,)
    assert depth_order(2) == (1, 2)
    assert depth_order(4) == (1, 4, 2, 3)


def test_sweep_skips_the_middle_depths_when_the_deepest_fails(tmp_path):
    """Two training steps leave every depth near chance (1/6 on S3): the search trains one
    layer and the deepest, both fail, and the cell is ">3" with depth 2 never trained."""
    argv = ["sweep", "--archs", "ids4", "--variants", "s3", "--lengths", "8", "--max-layers"]
    argv += ["3", "--max-steps", "2", "--eval-every", "1", "--out", str(tmp_path)]
    statetrack(argv)
    with (tmp_path / "runs.csv").open() as f:
        runs = list(csv.DictReader(f))
    assert sorted(int(r["layers"]) for r in runs) == [1, 3]
    assert all(float(r["test_acc"]) < 0.9 for r in runs)
    with (tmp_path / "min_layers.csv").open() as f:
        assert [r["min_layers"] for r in csv.DictReader(f)] == [">3"]
