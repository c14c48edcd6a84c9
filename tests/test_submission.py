"""Leaderboard submissions carry their evidence, and any edit to one is caught.

One real ``lm_eval`` CLI run with ``--log_samples --limit 8`` on a tiny random Llama: the
Z2 word-problem ladder (0-shot) and a shuffle task with 3-shot prompts (demos drawn by
lm-eval's few-shot sampler). A ``--limit`` run is partial, so the checks below pass
``--allow-partial``; every tampered copy is written as the gzip-compressed JSON ``submit``
writes and checked by ``statetrack validate``.
"""

from __future__ import annotations

import copy
import gzip
import json
import math
import shutil
import statistics
from importlib.metadata import version
from pathlib import Path

import pytest
from conftest import run_lm_eval

from lm_eval_statetrack import __version__
from lm_eval_statetrack.cli import main
from lm_eval_statetrack.families import get_family

WP = get_family("wordproblem")
Z2 = [WP.task_name("z2", n) for n in WP.variant("z2").lengths]
FEW_SHOT = "statetrack_shuffle_a5_len4"


LIMIT = 8


@pytest.fixture(scope="module")
def results(tmp_path_factory, tiny_llama) -> Path:
    """The results file of a real run, its samples_*.jsonl beside it."""
    out = tmp_path_factory.mktemp("run")
    run_lm_eval(
        [
            *("--model", "hf", "--model_args", f"pretrained={tiny_llama},dtype=float32"),
            *("--tasks", f"statetrack-wordproblem-z2,{FEW_SHOT}"),
            *("--device", "cpu", "--batch_size", "64", "--limit", str(LIMIT), "--log_samples"),
        ],
        out,
    )
    return next(out.rglob("results_*.json"))


def _load(path: Path) -> dict:
    return json.loads(gzip.decompress(path.read_bytes()))


def _save(path: Path, data: dict) -> Path:
    path.write_bytes(gzip.compress(json.dumps(data).encode()))
    return path


def _submit(results: Path, out: Path, capsys, *extra: str) -> tuple[int, str]:
    """``statetrack submit``: exit status and everything it printed."""
    rc = main(["submit", str(results), "--out", str(out), "--model-id", "tiny/llama", *extra])
    captured = capsys.readouterr()
    return rc, captured.out + captured.err


def _validate(path: Path, capsys, *extra: str) -> tuple[int, str]:
    rc = main(["validate", str(path), *extra])
    return rc, capsys.readouterr().out


@pytest.fixture(scope="module")
def submission(results, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sub") / "run.json.gz"
    assert main(["submit", str(results), "--out", str(path), "--model-id", "tiny/llama"]) == 0
    return path


def test_a_submission_carries_samples_and_what_a_leaderboard_reads(results, submission, capsys):
    sub, raw = _load(submission), json.loads(results.read_text())
    rc, out = _validate(submission, capsys)
    assert rc == 1 and "mismatch" not in out  # only partial: scored with --limit
    assert f"wordproblem/z2: scored {LIMIT} of 16 docs at length(s) 4; {LIMIT} of 250" in out
    assert _validate(submission, capsys, "--allow-partial") == (
        0,
        f"{submission}: ACCEPTED (partial)\n"
        + out.split("\n", 1)[1].replace(" (use --allow-partial)", ""),
    )
    config = raw["config"]
    assert sub["model"] == {
        "id": "tiny/llama",
        "revision": config["model_revision"],
        "sha": config["model_sha"] or None,
        "adapter": "hf",
        "backend": "transformers",
        "kernels": "unknown",
        "dtype": "float32",
        "num_parameters": config["model_num_parameters"],
        "adapter_info": {},  # lm-eval's hf model: no statetrack_* keys
        "model_args": {
            "pretrained": Path(config["model_args"]["pretrained"]).name,
            "dtype": "float32",
        },
    }
    assert sub["suite"]["version"] == __version__
    assert sub["run"]["lm_eval_version"] == raw["lm_eval_version"] == version("lm_eval")
    assert sub["run"]["fewshot_seed"] == config["fewshot_seed"]
    assert sorted(sub["tasks"]) == sorted([*Z2, FEW_SHOT])
    for name, task in sub["tasks"].items():
        assert task["version"] == raw["versions"][name] and task["n_shot"] == raw["n-shot"][name]
        assert task["n_shot"] == (3 if name == FEW_SHOT else 0)
        file = next(results.parent.glob(f"samples_{name}_*"))
        lines = sorted(map(json.loads, file.read_text().splitlines()), key=lambda r: r["doc_id"])
        samples, metric = task["samples"], task["metric"]
        for key in ("doc_id", "doc_hash", "prompt_hash", "target_hash", metric):
            assert samples[key] == [r[key] for r in lines], (name, key)
        values = samples[metric]
        assert len(values) == task["n"] == raw["n-samples"][name]["effective"] == LIMIT
        assert task["n_original"] == raw["n-samples"][name]["original"]
        assert task["value"] == pytest.approx(sum(values) / len(values), abs=1e-12)
        want = statistics.stdev(values) / math.sqrt(len(values))
        assert task["stderr"] == pytest.approx(want, abs=1e-12)


def _flip(values: list, i: int = 0) -> None:
    values[i] = 1.0 - values[i]


def _edit_hash(values: list, i: int = 1) -> None:
    values[i] = ("0" if values[i][0] != "0" else "1") + values[i][1:]


# kind of tampering -> (task index in Z2, edit of that task entry, the line validate prints)
TASK_EDITS = {
    "score": (1, lambda t: t.update(value=t["value"] + 0.004), "{t}: value: says"),
    "stderr": (2, lambda t: t.update(stderr=t["stderr"] * 1.5), "{t}: stderr: says"),
    "count": (3, lambda t: t.update(n=t["n"] - 1), "{t}: n: says 7, the samples hold 8"),
    "total": (4, lambda t: t.update(n_original=999), "{t}: doc counts n=8, n_original=999"),
    "doc hash": (5, lambda t: _edit_hash(t["samples"]["doc_hash"]), "{t}: samples.doc_hash: 1 of"),
    "prompt hash": (
        6,
        lambda t: _edit_hash(t["samples"]["prompt_hash"]),
        "{t}: samples.prompt_hash: 1 of",
    ),
    "target hash": (
        0,
        lambda t: _edit_hash(t["samples"]["target_hash"]),
        "{t}: samples.target_hash: 1 of",
    ),
}
MORE_EDITS = {
    "sample metric": (1, lambda t: _flip(t["samples"]["acc"]), "{t}: value: says"),
    "sample dropped": (
        2,
        lambda t: [v.pop() for v in t["samples"].values()],
        "{t}: n: says 8, the samples hold 7",
    ),
    "doc id": (3, lambda t: _flip(t["samples"]["doc_id"], 5), "{t}: samples.doc_id"),
    "n-shot": (4, lambda t: t.update(n_shot=2), "{t}: samples.prompt_hash: 8 of 8"),
    "task version": (5, lambda t: t.update(version=0), "{t}: ran version 0"),
    "docs sha": (6, lambda t: t.update(docs_sha256="0" * 64), "{t}: docs_sha256 differs"),
    "samples gone": (0, lambda t: t.pop("samples"), "{t}: samples: none bundled"),
}


@pytest.mark.parametrize("edits", [TASK_EDITS, MORE_EDITS], ids=["fields", "samples"])
def test_every_kind_of_tampering_is_rejected_with_one_line(submission, tmp_path, capsys, edits):
    """Each kind of edit on its own task; validate names every one."""
    data = _load(submission)
    for index, change, _ in edits.values():
        change(data["tasks"][Z2[index]])
    if edits is MORE_EDITS:
        data["suite"]["version"] = "0.0.9"
        data["run"]["lm_eval_version"] = "0.4.0"
    rc, out = _validate(_save(tmp_path / "tampered.json.gz", data), capsys, "--allow-partial")
    assert rc == 1 and "REJECTED" in out
    for kind, (index, _, line) in edits.items():
        assert line.format(t=Z2[index]) in out, (kind, out)
    if edits is MORE_EDITS:
        assert "mismatch: suite.version: '0.0.9'" in out
        assert "mismatch: run.lm_eval_version: '0.4.0'" in out


def test_every_single_edit_alone_is_rejected(submission, tmp_path, capsys):
    """One edit at a time, so no reason hides behind another (a horizon edit included)."""
    base = _load(submission)
    edits = {**TASK_EDITS, **MORE_EDITS}
    edits["horizon"] = (0, None, "wordproblem/z2: horizon")
    for kind, (index, change, line) in edits.items():
        data = copy.deepcopy(base)
        if change is None:
            data["horizons"][0]["horizon_text"] = ">=256"
        else:
            change(data["tasks"][Z2[index]])
        rc, out = _validate(_save(tmp_path / "one.json.gz", data), capsys, "--allow-partial")
        assert rc == 1 and line.format(t=Z2[index]) in out, (kind, out)


def test_without_samples_submit_refuses_unless_told(results, tmp_path, capsys):
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(results, bare)  # the results file alone, no samples_*.jsonl
    rc, out = _submit(bare, tmp_path / "x.json.gz", capsys)
    assert rc == 2 and "and 7 more: no samples_<task>_<date>.jsonl beside its results" in out
    assert "--log_samples" in out and not (tmp_path / "x.json.gz").exists()

    rc, out = _submit(bare, tmp_path / "bare.json.gz", capsys, "--no-samples")
    assert rc == 0 and "samples omitted" in out
    rc, out = _validate(tmp_path / "bare.json.gz", capsys, "--allow-partial")
    assert rc == 1 and f"{Z2[0]}: samples: none bundled" in out
    rc, out = _validate(tmp_path / "bare.json.gz", capsys, "--no-samples", "--allow-partial")
    assert rc == 0 and "ACCEPTED (partial)" in out
    assert "not checked: 8 task(s) carry no samples" in out and "taken on trust" in out


def test_a_count_edited_to_look_complete_is_caught(submission, tmp_path, capsys):
    """The issue's case: a --limit run whose n is edited to the task's size."""
    sub = _load(submission)
    for task in sub["tasks"].values():
        task["n"] = task["n_original"]
    rc, out = _validate(_save(tmp_path / "n250.json.gz", sub), capsys, "--allow-partial")
    assert rc == 1 and f"{FEW_SHOT}: n: says 250, the samples hold {LIMIT} docs" in out
    assert f"{Z2[1]}: n: says 250, the samples hold {LIMIT} docs" in out
