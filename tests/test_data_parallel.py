"""Data parallel and resumable runs through the real command line.

Two processes under the real ``torchrun`` (``python -m torch.distributed.run``, gloo on
the CPU) against one process, zero-shot (lm-eval draws few-shot demos from one random
stream per task over the documents a process builds, so under data parallel a document
gets other demos than in one process, with any model): the same samples (every
log-likelihood and generated text to the last bit), results and token counters, with
rank 0 alone writing files (log-likelihood, generation and ``loglikelihood_rolling``
requests); a rank that fails stops the other with its error. And
``--use_cache``: a run killed with SIGKILL half way, run again, scores only what is
missing and ends with the uninterrupted results.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    LM_EVAL,
    ROLLING_PROBE,
    logged_samples,
    rolling_probe,
    run_lm_eval_logged,
    save_tiny_model,
)

TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "lm_eval"]
ENV = {"OMP_NUM_THREADS": "1"}  # the same threads in every process, so the same kernels
LL_TASK, GEN_TASK, NL_TASK = (
    "statetrack_wordproblem_z60_len16",
    "statetrack_chess_legal_uci_len4",
    "statetrack_boxes_move_len4",
)
ALL_TASKS = [LL_TASK, GEN_TASK, NL_TASK, ROLLING_PROBE]


def _args(model: Path, tasks: list[str], limit: int, *extra: str) -> list[str]:
    if ROLLING_PROBE in tasks:
        extra = (*extra, "--include_path", str(rolling_probe(model.parent / "probe")))
    return [
        "--model", "statetrack", "--model_args", f"pretrained={model},device=cpu",
        "--tasks", ",".join(tasks), "--limit", str(limit), "--batch_size", "2",
        "--gen_kwargs", "max_gen_toks=6", "--num_fewshot", "0", "--log_samples", *extra,
    ]  # fmt: skip


def _samples(out: Path) -> dict:
    return {k: (s["arguments"], s["resps"]) for k, s in logged_samples(out).items()}


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("dp_llama"), "llama")


@pytest.fixture(scope="module")
def one_process(model, tmp_path_factory):
    out = tmp_path_factory.mktemp("one")
    results, _ = run_lm_eval_logged(_args(model, ALL_TASKS, 4), out, ENV)
    return results, _samples(out)


def test_two_ranks_under_torchrun_equal_one_process(model, one_process, tmp_path):
    results, log = run_lm_eval_logged(_args(model, ALL_TASKS, 4), tmp_path, ENV, TORCHRUN)
    assert "on rank 1" in log  # lm-eval really ran two ranks
    assert len(list(tmp_path.rglob("results_*.json"))) == 1
    want_results, want_samples = one_process
    got = _samples(tmp_path)
    assert len(got) == len(want_samples) == 16
    assert got == want_samples  # every log-likelihood and text, bit for bit
    # lm-eval sums per-sample values in rank order: a standard error or a perplexity may
    # move in its last bits
    for task, metrics in want_results["results"].items():
        for key, value in metrics.items():
            summed = isinstance(value, float) and ("stderr" in key or task == ROLLING_PROBE)
            want = pytest.approx(value, rel=1e-12) if summed else value
            assert results["results"][task][key] == want, (task, key)
    counters = ("unique_tokens", "tokens_forwarded", "forward_calls", "generated_tokens")
    for key in counters:
        assert (
            results["config"]["statetrack_counters"][key]
            == want_results["config"]["statetrack_counters"][key]
        ), key


def test_a_failing_rank_stops_the_other_with_its_error(model, one_process, tmp_path):
    """max_length between the two documents' lengths: only the rank of the longer one
    (lm-eval hands doc i to rank i % 2) fails."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model)
    need = {}
    for (task, doc), (arguments, _) in one_process[1].items():
        if task.endswith(NL_TASK) and doc < 2:
            pairs = [(a["arg_0"], a["arg_1"]) for a in arguments.values()]
            need[doc] = max(len(tok.encode(c + k)) - 1 for c, k in pairs)
    assert need[0] != need[1]
    failing = max(need, key=need.get)
    args = _args(model, [NL_TASK], 2)
    args[3] += f",max_length={min(need.values())}"
    start = time.monotonic()
    proc = subprocess.run(
        TORCHRUN + args + ["--output_path", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **ENV},
        timeout=600,
    )
    assert proc.returncode != 0
    assert f"statetrack: rank {failing} failed: ValueError" in proc.stderr
    assert f"more than max_length={min(need.values())}" in proc.stderr
    assert not list(tmp_path.rglob("results_*.json"))
    assert time.monotonic() - start < 300


def _cached(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute("select count(*) from unnamed").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def test_a_killed_run_resumes_from_its_cache_with_equal_results(model, tmp_path):
    """SIGKILL once part of the requests are cached; the same command again computes only
    the rest and writes the results and samples of an uninterrupted run."""
    limit, cache = 12, tmp_path / "cache" / "run"
    args = _args(model, [LL_TASK], limit, "--use_cache", str(cache))
    args[args.index("--batch_size") + 1] = "1"
    full_args = _args(model, [LL_TASK], limit)
    full_args[full_args.index("--batch_size") + 1] = "1"
    full, _ = run_lm_eval_logged(full_args, tmp_path / "full", ENV)
    db = Path(f"{cache}_rank0.db")
    proc = subprocess.Popen(
        LM_EVAL + args + ["--output_path", str(tmp_path / "killed")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **ENV},
    )
    total = limit * 60  # 60 choices per document
    deadline = time.monotonic() + 400
    while _cached(db) < total // 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = _cached(db)
    assert 0 < done < total, done
    results, log = run_lm_eval_logged(args, tmp_path / "resumed", ENV)
    assert f"Cached requests: {done}, Requests remaining: {total - done}" in log
    assert results["results"] == full["results"]
    assert _samples(tmp_path / "resumed") == _samples(tmp_path / "full")
