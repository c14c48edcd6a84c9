"""Submissions that bend the rules: a chat template as a way around the prompt checks,
non-standard settings, results files run with different settings, the per-length
threshold, and malformed input of every kind.

One real ``lm_eval`` CLI run with ``--log_samples --limit 2`` on a tiny random Llama whose
tokenizer has a chat template, with ``--apply_chat_template --system_instruction``, one
few-shot demo and few-shot seed 7 (none of them the suite's standard settings).
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import CHAT_TEMPLATE, run_lm_eval, save_tiny_model

from lm_eval_statetrack.cli import main
from lm_eval_statetrack.families import get_family
from lm_eval_statetrack.families.suite import installed_floor, installed_variant, installed_version
from lm_eval_statetrack.report.horizon import threshold
from lm_eval_statetrack.report.submission import check
from lm_eval_statetrack.training.vocab import byte_tokenizer

CHAT_TASKS = "statetrack_wordproblem_z2_len4,statetrack_shuffle_a5_len4"
TASK = "statetrack_shuffle_a5_len4"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """The results file of the run, its samples_*.jsonl beside it."""
    tok = byte_tokenizer()
    tok.chat_template = CHAT_TEMPLATE
    model = save_tiny_model(tmp_path_factory.mktemp("chat_llama"), tokenizer=tok)
    folder = tmp_path_factory.mktemp("run")
    run_lm_eval(
        [
            *("--model", "hf", "--model_args", f"pretrained={model},dtype=float32"),
            *("--tasks", CHAT_TASKS, "--apply_chat_template"),
            *("--system_instruction", "Answer with one word."),
            *("--num_fewshot", "1", "--seed", "0,1234,1234,7"),
            *("--device", "cpu", "--batch_size", "16", "--limit", "2", "--log_samples"),
        ],
        folder,
    )
    return next(folder.rglob("results_*.json"))


def _submit(capsys, out: Path, *results: Path) -> tuple[int, str]:
    args = ["submit", *map(str, results), "--out", str(out), "--model-id", "tiny/chat"]
    rc = main(args)
    captured = capsys.readouterr()
    return rc, captured.out + captured.err


def _validate(path: Path, capsys) -> tuple[int, str]:
    rc = main(["validate", str(path), "--allow-partial"])
    return rc, capsys.readouterr().out


def _load(path: Path) -> dict:
    return json.loads(gzip.decompress(path.read_bytes()))


def _save(path: Path, data) -> Path:
    path.write_bytes(gzip.compress(json.dumps(data).encode()))
    return path


@pytest.fixture(scope="module")
def submission(results, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sub") / "chat.json.gz"
    assert main(["submit", str(results), "--out", str(path), "--model-id", "tiny/chat"]) == 0
    return path


def test_chat_template_prompts_are_rebuilt_and_checked(submission, tmp_path, capsys):
    rc, out = _validate(submission, capsys)
    assert rc == 0 and "ACCEPTED (partial, non-standard settings)" in out, out
    assert "not checked" not in out  # the prompts were rendered with the recorded template
    sub = _load(submission)
    sub["tasks"][TASK]["samples"]["prompt_hash"][0] = "0" * 64
    rc, out = _validate(_save(tmp_path / "edited.json.gz", sub), capsys)
    assert rc == 1 and f"{TASK}: samples.prompt_hash: 1 of 2" in out


def test_a_made_up_chat_template_no_longer_hides_forged_prompts(submission, tmp_path, capsys):
    """The review's forgery: "chat_template": "anything" switched the prompt checks off."""
    sub = _load(submission)
    sub["run"]["chat_template"] = "anything"
    rc, out = _validate(_save(tmp_path / "forged.json.gz", sub), capsys)
    assert rc == 1 and "run.chat_template: its SHA-256 is not run.chat_template_sha" in out
    sub["run"]["chat_template_sha"] = hashlib.sha256(b"anything").hexdigest()
    rc, out = _validate(_save(tmp_path / "forged.json.gz", sub), capsys)
    assert rc == 1 and f"{TASK}: samples.prompt_hash: 2 of 2 differ" in out


def test_non_standard_settings_are_marked(submission, capsys):
    rc, out = _validate(submission, capsys)
    assert rc == 0 and "non-standard settings" in out.splitlines()[0]
    assert "non-standard: run.system_instruction: 'Answer with one word.'" in out
    assert "non-standard: run.fewshot_seed: 7 (the standard is lm-eval's 1234)" in out
    standard = get_family("shuffle").num_fewshot
    assert f"non-standard: n_shot: 1 for 1 shuffle task(s), e.g. {TASK} (the suite's " in out
    assert f"standard is {standard})" in out


def test_files_run_with_different_settings_are_not_merged_into_one_submission(
    results, tmp_path, capsys
):
    """The same run again without the system instruction (its results file edited): a
    merge would rebuild one file's prompts with the other's settings."""
    other = tmp_path / "other"
    shutil.copytree(results.parent, other)
    copy_ = other / results.name
    data = json.loads(copy_.read_text())
    data["system_instruction"], data["date"] = None, data["date"] + 60
    copy_.write_text(json.dumps(data))
    rc, out = _submit(capsys, tmp_path / "mixed.json.gz", results, copy_)
    assert rc == 2 and "different prompt settings" in out and "system_instruction" in out
    assert not (tmp_path / "mixed.json.gz").exists()


# ---- the threshold shown is the threshold used ----------------------------------------


def _chess_results(path: Path, scores: dict[int, float]) -> Path:
    """An lm-eval results file for chess `piece` (its floors as the installed YAMLs say)."""
    names = {n: f"statetrack_chess_piece_uci_len{n}" for n in scores}
    data = {
        "results": {names[n]: {"acc,none": v, "acc_stderr,none": 0.0} for n, v in scores.items()},
        "configs": {
            names[n]: {"metadata": {"floor": installed_floor("chess", "piece_uci", n)}}
            for n in scores
        },
        "versions": {names[n]: installed_version("chess") for n in scores},
        "n-samples": {names[n]: {"effective": 250, "original": 250} for n in scores},
        "config": {"model": "hf", "model_args": "pretrained=org/model"},
        "date": 1764900000.0,
    }
    path.write_text(json.dumps(data))
    return path


def test_the_threshold_shown_is_the_one_each_length_uses(tmp_path, capsys):
    chance = installed_variant("chess", "piece_uci").chance
    floor8 = installed_floor("chess", "piece_uci", 8)
    assert floor8 is not None and floor8 > chance  # the case the review found
    raised = threshold(floor8)
    between = (threshold(chance) + raised) / 2  # passes chance's threshold, not the floor's
    results = _chess_results(tmp_path / "results_x.json", {4: 1.0, 8: between})
    assert main(["report", str(results), "--out", str(tmp_path / "rep"), "--no-plots"]) == 0
    capsys.readouterr()
    row = next(
        line
        for line in (tmp_path / "rep" / "report.md").read_text().splitlines()
        if line.startswith("| `piece_uci` |")
    )
    assert (
        f"{raised:.3f} at 8" in row
        and "majority-class rate" in (tmp_path / "rep" / "report.md").read_text()
    )
    record = json.loads((tmp_path / "rep" / "report.json").read_text())["horizons"][0]
    assert record["horizon_text"] == "4" and record["thresholds_raised"]["8"] == raised
    rc, _ = _submit(capsys, tmp_path / "s.json.gz", results, "--no-samples")
    assert rc == 0
    (entry,) = _load(tmp_path / "s.json.gz")["horizons"]
    assert entry["horizon_text"] == "4" and entry["thresholds_raised"]["8"] == raised


# ---- malformed input: every field a REJECTED line that names it ---------------------------

BAD_VALUES = [None, [], {}, "x", ["a", "b"], 10**400, -1, 1.5, True, float("nan")]
FIELDS = [
    ("format_version",),
    ("model",),
    ("model", "id"),
    ("run",),
    ("run", "fewshot_seed"),
    ("run", "system_instruction"),
    ("run", "chat_template"),
    ("threshold_frac",),
    ("horizons",),
    ("horizons", 0),
    ("horizons", 0, "family"),
    ("horizons", 0, "variant"),
    ("horizons", 0, "threshold"),
    ("tasks",),
    ("tasks", TASK),
    ("tasks", TASK, "family"),
    ("tasks", TASK, "length"),
    ("tasks", TASK, "version"),
    ("tasks", TASK, "metric"),
    ("tasks", TASK, "value"),
    ("tasks", TASK, "stderr"),
    ("tasks", TASK, "n"),
    ("tasks", TASK, "n_original"),
    ("tasks", TASK, "n_shot"),
    ("tasks", TASK, "docs_sha256"),
    ("tasks", TASK, "samples"),
    ("tasks", TASK, "samples", "doc_id"),
    ("tasks", TASK, "samples", "prompt_hash"),
    ("tasks", TASK, "samples", "acc"),
]


def _set(sub: dict, path: tuple, value) -> None:
    target = sub
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def test_fuzzed_fields_are_rejected_never_crash(submission):
    """Every field replaced by every wrong kind of value: ``check`` never raises; every
    rejection names the field, and each field has values that are rejected (some, like
    "x" for ``model.id`` or ``None`` for ``stderr``, are valid)."""
    good = _load(submission)
    assert not check(good).errors
    for path in FIELDS:
        rejected = 0
        for bad in BAD_VALUES:
            sub = copy.deepcopy(good)
            _set(sub, path, bad)
            rebuild = ("samples" in path and bad in (None, 10**400)) or (
                path[-1] == "stderr" and bad == 1.5
            )
            errors = check(json.loads(json.dumps(sub)), recompute=rebuild).errors
            named = str(path[-1]) if path[-1] != 0 else "horizons"
            assert not errors or any(named in line for line in errors), (path, bad, errors)
            rejected += bool(errors)
        assert rejected >= 2, path


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x1f\x8b\x08\x00",  # a gzip header and nothing else
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage",  # corrupt deflate data
        b"\xff\xfe not utf-8",
        b"[" * 100_000,  # nesting deeper than Python's recursion limit
        b'["a list", "not a submission"]',
        b'{"format": "lm-eval-statetrack-submission", "format_version": 2, "tasks": 5}',
    ],
    ids=["empty", "header-only", "corrupt", "not-utf8", "deep", "list", "tasks-int"],
)
def test_unreadable_files_are_rejected_with_a_reason(tmp_path, capsys, content):
    path = tmp_path / "bad.json.gz"
    path.write_bytes(content)
    rc, out = _validate(path, capsys)
    assert rc == 1 and "REJECTED" in out and "  mismatch: " in out


def test_a_truncated_submission_is_rejected(submission, tmp_path, capsys):
    data = submission.read_bytes()
    rc, out = _validate(_save_bytes(tmp_path / "cut.json.gz", data[: len(data) // 2]), capsys)
    assert rc == 1 and "cannot read it as a submission" in out


def _save_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
