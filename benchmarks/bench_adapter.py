"""``--model statetrack`` against lm-eval's own models, on the same tasks, in one process.

    .venv/bin/python benchmarks/bench_adapter.py cpu [--limit 10] [--archs mamba llama]
    python3 benchmarks/bench_adapter.py gpu --out DIR [--limit 100] [--suite-seconds 300]

``cpu``: tiny random-init HF Mamba and Llama checkpoints (byte-level tokenizer, so a
len256 word problem is about 700 tokens and every choice like " 17" is 3 tokens), one
task with long shared contexts and 60 multi-token choices, ``--model hf`` then
``--model statetrack``: wall time of ``simple_evaluate``, time inside the model's
``loglikelihood``, tokens forwarded / unique tokens, and the largest score difference.

``gpu`` (run by ``benchmarks/gpu_check.sh``): a random-init Mamba of mamba-130m's shape
(d_model 768, 24 layers), saved once in transformers' format and once, with the same
weights, in mamba-ssm's format. It times ``statetrack`` (mamba-ssm kernels), lm-eval's
``mamba_ssm`` and ``hf`` models, and ``statetrack`` with ``backend=hf``; the model's
plain batched forward throughput (the practical ceiling); and the whole ``statetrack_*``
suite. Without CUDA it runs a tiny dry run of the same steps, to check the plumbing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import lm_eval_statetrack._hook  # noqa: F401  (registers the plugin without an install)

CPU_TASK = "statetrack_wordproblem_a5_len256"
GPU_TASKS = ["statetrack_wordproblem_a5_len64", "statetrack_wordproblem_a5_len256"]


# ---- checkpoints ----------------------------------------------------------------------


def save_hf(path: Path, arch: str, hidden: int, layers: int, vocab: int | None = None) -> Path:
    """A random-init transformers checkpoint with the byte-level tokenizer."""
    import torch
    import transformers

    from lm_eval_statetrack.training.vocab import byte_tokenizer

    tok = byte_tokenizer()
    ids = dict(
        vocab_size=vocab or len(tok),
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
    )
    if arch == "llama":
        config = transformers.LlamaConfig(
            hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=8192, **ids,
        )  # fmt: skip
        cls = transformers.LlamaForCausalLM
    else:
        config = transformers.MambaConfig(
            hidden_size=hidden, state_size=16 if hidden >= 256 else 8, num_hidden_layers=layers,
            expand=2, conv_kernel=4, residual_in_fp32=True, **ids,
        )  # fmt: skip
        cls = transformers.MambaForCausalLM
    torch.manual_seed(0)
    cls(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def hf_mamba_to_mamba_ssm(hf_dir: Path, out: Path) -> Path:
    """The same weights in mamba-ssm's format (config.json with d_model, pytorch_model.bin)."""
    import torch
    import transformers

    from lm_eval_statetrack.training.vocab import byte_tokenizer

    model = transformers.MambaForCausalLM.from_pretrained(hf_dir, dtype=torch.float32)
    c = model.config
    state = {
        k.replace("backbone.embeddings.", "backbone.embedding."): v.contiguous()
        for k, v in model.state_dict().items()
    }
    out.mkdir(parents=True, exist_ok=True)
    torch.save(state, out / "pytorch_model.bin")
    config = {
        "d_model": c.hidden_size,
        "d_intermediate": 0,
        "n_layer": c.num_hidden_layers,
        "vocab_size": c.vocab_size,
        "ssm_cfg": {"d_state": c.state_size, "d_conv": c.conv_kernel, "expand": c.expand},
        "attn_layer_idx": [],
        "attn_cfg": {},
        "rms_norm": True,
        "residual_in_fp32": True,
        "fused_add_norm": True,
        "pad_vocab_size_multiple": 8,
        "tie_embeddings": True,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    byte_tokenizer().save_pretrained(out)
    return out


# ---- one timed lm-eval run ------------------------------------------------------------


def evaluate(model: str, model_args: str, tasks: list[str], limit: int | None, batch_size, device):
    """simple_evaluate with the model's loglikelihood timed; returns a summary dict.

    Wall time covers loading the model, building the tasks and scoring; the task index
    (``TaskManager``, the same for every model) is built once, outside the timing.
    """
    import lm_eval
    from lm_eval.api.registry import get_model

    t0 = time.perf_counter()
    extra = {"batch_size": batch_size, "device": device}
    lm = get_model(model).create_from_arg_string(model_args, extra)
    load = time.perf_counter() - t0
    inner = {"seconds": 0.0}
    for name in ("loglikelihood", "generate_until"):
        original = getattr(lm, name)

        def timed(*args, _original=original, **kwargs):
            t = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                inner["seconds"] += time.perf_counter() - t

        setattr(lm, name, timed)
    results = lm_eval.simple_evaluate(
        model=lm,
        tasks=tasks,
        limit=limit,
        log_samples=True,
        bootstrap_iters=0,
        task_manager=task_manager(),
    )
    wall = time.perf_counter() - t0
    info = lm.get_model_info() if hasattr(lm, "get_model_info") else {}
    return {
        "model": model,
        "model_args": model_args,
        "batch_size": batch_size,
        "load_s": round(load, 2),
        "wall_s": round(wall, 2),
        "model_s": round(inner["seconds"], 2),
        "acc": {t: results["results"][t].get("acc,none") for t in tasks},
        "logps": {
            t: [
                [float(r[0][0]) for r in s["resps"]]
                for s in sorted(results["samples"][t], key=lambda s: s["doc_id"])
            ]
            for t in tasks
            if t in results["samples"]
        },
        "statetrack": {k: v for k, v in info.items() if k.startswith("statetrack")},
    }


_TASK_MANAGER = []


def task_manager():
    if not _TASK_MANAGER:
        from lm_eval_statetrack.tasks import task_manager as make

        _TASK_MANAGER.append(make())
    return _TASK_MANAGER[0]


def compare(a: dict, b: dict) -> dict:
    """Largest |d log p| and choice agreement between two runs on the same docs."""
    worst, same, total = 0.0, 0, 0
    for task, docs in a["logps"].items():
        for x, y in zip(docs, b["logps"].get(task, [])):
            worst = max(worst, max(abs(p - q) for p, q in zip(x, y)))
            same += x.index(max(x)) == y.index(max(y))
            total += 1
    return {"max_abs_dlogp": worst, "same_choice": f"{same}/{total}"}


def machine() -> str:
    import torch

    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name()}, torch {torch.__version__}"
    return f"{platform.machine()} CPU, {os.cpu_count()} cores, torch {torch.__version__}"


def strip(run: dict) -> dict:
    return {k: v for k, v in run.items() if k != "logps"}


# ---- cpu ------------------------------------------------------------------------------


def cpu(args) -> dict:
    import torch

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="bench_adapter_"))
    task_manager()  # index the tasks once, before any timing
    report = {
        "machine": machine(),
        "task": args.task,
        "limit": args.limit,
        "batch_size": args.batch_size,
        "threads": args.threads,
        "repeats": args.repeats,
        "rows": [],
    }
    for arch in args.archs:
        path = save_hf(work / arch, arch, hidden=32, layers=2)
        model_args = f"pretrained={path},dtype=float32"
        runs: dict[str, list[dict]] = {"hf": [], "statetrack": []}
        for _ in range(args.repeats):  # alternate, so load changes hit both alike
            for model in runs:
                runs[model].append(
                    evaluate(model, model_args, [args.task], args.limit, args.batch_size, "cpu")
                )
        hf, ours = median_run(runs["hf"]), median_run(runs["statetrack"])
        counters = ours["statetrack"]["statetrack_counters"]
        row = {
            "arch": arch,
            "hf_wall_s": hf["wall_s"],
            "statetrack_wall_s": ours["wall_s"],
            "wall_speedup": round(hf["wall_s"] / ours["wall_s"], 2),
            "hf_model_s": hf["model_s"],
            "statetrack_model_s": ours["model_s"],
            "model_speedup": round(hf["model_s"] / max(ours["model_s"], 1e-9), 2),
            "forwarded_per_unique": counters["forwarded_per_unique"],
            "kernels": ours["statetrack"]["statetrack_kernels"],
            **compare(ours, hf),
            "acc_equal": hf["acc"] == ours["acc"],
        }
        report["rows"].append(row)
        print(json.dumps(row), flush=True)
    return report


def median_run(runs: list[dict]) -> dict:
    """The first run, with wall and model times replaced by their medians."""
    return {
        **runs[0],
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "model_s": statistics.median(r["model_s"] for r in runs),
    }


def print_cpu_table(report: dict) -> None:
    print(
        f"\n{report['machine']}; {report['task']}, --limit {report['limit']}, batch size "
        f"{report['batch_size']}, {report['threads']} torch thread(s), medians of "
        f"{report['repeats']} alternating runs"
    )
    print("| arch | hf wall | statetrack wall | speed-up | model time hf / ours | "
          "forwarded / unique | max abs d log p | same choice |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in report["rows"]:
        print(
            f"| {r['arch']} | {r['hf_wall_s']:.1f} s | {r['statetrack_wall_s']:.1f} s | "
            f"{r['wall_speedup']:.1f}x | {r['hf_model_s']:.1f} s / {r['statetrack_model_s']:.2f}"
            f" s ({r['model_speedup']:.0f}x) | {r['forwarded_per_unique']:.3f} | "
            f"{r['max_abs_dlogp']:.1e} | {r['same_choice']} |"
        )


# ---- gpu ------------------------------------------------------------------------------


def ceiling_tokens_per_s(path: Path, backend: str, batch: int, length: int) -> float:
    """Plain batched forward throughput of the checkpoint: the practical ceiling."""
    import torch

    if backend == "mamba_ssm":
        from mamba_ssm.models.mixer_seq_simple import MambaLMHeadModel

        model = MambaLMHeadModel.from_pretrained(str(path), device="cuda", dtype=torch.bfloat16)
    else:
        import transformers

        model = transformers.AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16)
        model.to("cuda")
    model.eval()
    x = torch.randint(0, 256, (batch, length), device="cuda")
    with torch.no_grad():
        for _ in range(2):
            model(x)
        torch.cuda.synchronize()
        t = time.perf_counter()
        reps = 5
        for _ in range(reps):
            model(x)
        torch.cuda.synchronize()
    del model
    torch.cuda.empty_cache()
    return batch * length * reps / (time.perf_counter() - t)


def gpu(args) -> dict:
    import torch

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cuda = torch.cuda.is_available()
    deadline = time.monotonic() + args.budget_seconds
    hidden, layers = (768, 24) if cuda else (32, 2)
    limit = args.limit if cuda else 2
    device = "cuda" if cuda else "cpu"
    work = Path(tempfile.mkdtemp(prefix="gpu_check_"))
    task_manager()
    hf_dir = save_hf(work / "mamba-hf", "mamba", hidden, layers, vocab=50280 if cuda else None)
    ssm_dir = hf_mamba_to_mamba_ssm(hf_dir, work / "mamba-ssm")
    report = {"machine": machine(), "dry_run": not cuda, "shape": [hidden, layers],
              "tasks": GPU_TASKS, "limit": limit, "runs": [], "skipped": []}  # fmt: skip
    dtype = "bfloat16" if cuda else "float32"
    plan = [
        ("statetrack", f"pretrained={ssm_dir},dtype={dtype},verify=20", "auto"),
        ("mamba_ssm", f"pretrained={ssm_dir},tokenizer={ssm_dir},dtype={dtype}", 64),
        ("hf", f"pretrained={hf_dir},dtype={dtype}", 64),
        ("statetrack", f"pretrained={hf_dir},dtype={dtype},backend=hf,verify=20", "auto"),
    ]
    for model, model_args, batch in plan:
        if time.monotonic() > deadline:
            report["skipped"].append(f"{model} {model_args}: out of time")
            continue
        try:
            run = evaluate(model, model_args, GPU_TASKS, limit, batch, device)
        except Exception as exc:  # a dry run on CPU cannot load mamba-ssm: record why
            report["skipped"].append(f"{model} {model_args}: {type(exc).__name__}: {exc}")
            continue
        report["runs"].append(run)
        print(json.dumps(strip(run)), flush=True)
    base = report["runs"][0] if report["runs"] else None
    for run in report["runs"][1:]:
        run["vs_first"] = {
            **compare(base, run),
            "wall_x": round(run["wall_s"] / base["wall_s"], 2),
            "model_x": round(run["model_s"] / max(base["model_s"], 1e-9), 2),
        }
    for run in report["runs"]:
        counters = run["statetrack"].get("statetrack_counters")
        if counters and run["model_s"]:
            run["forwarded_tokens_per_s"] = round(counters["tokens_forwarded"] / run["model_s"])
    exact_dir = ssm_dir if cuda else hf_dir  # float32: reuse must match within 1e-4
    try:
        exact = evaluate(
            "statetrack", f"pretrained={exact_dir},dtype=float32,verify=50",
            GPU_TASKS[:1], 10, "auto", device,
        )  # fmt: skip
        report["float32_verify"] = exact["statetrack"]
    except Exception as exc:
        report["skipped"].append(f"float32 verify: {type(exc).__name__}: {exc}")
    if cuda:
        for name, path, backend in (("mamba_ssm", ssm_dir, "mamba_ssm"), ("hf", hf_dir, "hf")):
            try:
                tps = ceiling_tokens_per_s(path, backend, batch=64, length=1024)
                report[f"ceiling_tokens_per_s_{name}"] = round(tps)
            except Exception as exc:
                report["skipped"].append(f"ceiling {name}: {type(exc).__name__}: {exc}")
    remaining = deadline - time.monotonic()
    if args.suite_seconds and remaining > 60:
        pattern = "statetrack_*" if cuda else "statetrack_wordproblem_z2_*"  # dry run: plumbing
        seconds = min(args.suite_seconds, remaining)
        report["suite"] = suite(ssm_dir if cuda else hf_dir, dtype, device, pattern, seconds, out)
    for run in report["runs"]:
        run.pop("logps", None)
    (out / "gpu_check.json").write_text(json.dumps(report, indent=2))
    return report


def suite(path: Path, dtype: str, device: str, pattern: str, seconds: float, out: Path) -> dict:
    """The whole ``statetrack_*`` suite through the real CLI, under a time limit."""
    import subprocess

    launcher = (
        "import sys, lm_eval_statetrack._hook; from lm_eval.__main__ import cli_evaluate; "
        "sys.argv[0] = 'lm_eval'; cli_evaluate()"
    )
    cmd = [
        sys.executable, "-c", launcher, "--model", "statetrack",
        "--model_args", f"pretrained={path},dtype={dtype}", "--tasks", pattern,
        "--batch_size", "auto", "--device", device, "--output_path", str(out / "suite"),
    ]  # fmt: skip
    if device == "cpu":
        cmd += ["--limit", "1"]
    t = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds)
        status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
        (out / "suite.log").write_text(proc.stdout[-20000:] + proc.stderr[-20000:])
    except subprocess.TimeoutExpired:
        status = f"timed out after {seconds:.0f} s"
    return {"tasks": pattern, "status": status, "wall_s": round(time.perf_counter() - t, 1)}


def print_gpu_summary(report: dict) -> None:
    print(f"\n{report['machine']}; shape {report['shape']}; dry run: {report['dry_run']}")
    for run in report["runs"]:
        counters = run["statetrack"].get("statetrack_counters", {})
        print(
            f"{run['model']:<11} {run['model_args'].split(',')[-1]:<14} wall {run['wall_s']:>7.1f}"
            f" s  model {run['model_s']:>7.1f} s  acc {run['acc']}  "
            f"kernels {run['statetrack'].get('statetrack_kernels', '-')}  "
            f"fwd/unique {counters.get('forwarded_per_unique', '-')}  "
            f"fwd tok/s {run.get('forwarded_tokens_per_s', '-')}  {run.get('vs_first', '')}"
        )
    for key in (
        "ceiling_tokens_per_s_mamba_ssm", "ceiling_tokens_per_s_hf", "float32_verify", "suite"
    ):  # fmt: skip
        if key in report:
            print(f"{key}: {report[key]}")
    for line in report["skipped"]:
        print("skipped:", line[:300])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("cpu")
    c.add_argument("--task", default=CPU_TASK)
    c.add_argument("--limit", type=int, default=10)
    c.add_argument("--batch-size", type=int, default=32)
    c.add_argument("--archs", nargs="+", default=["mamba", "llama"])
    c.add_argument("--threads", type=int, default=1)
    c.add_argument("--repeats", type=int, default=3)
    c.add_argument("--json", type=Path)
    g = sub.add_parser("gpu")
    g.add_argument("--out", required=True)
    g.add_argument("--limit", type=int, default=100)
    g.add_argument("--suite-seconds", type=float, default=240)
    g.add_argument("--budget-seconds", type=float, default=480)
    args = parser.parse_args()
    if args.mode == "cpu":
        report = cpu(args)
        print_cpu_table(report)
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
    else:
        print_gpu_summary(gpu(args))


if __name__ == "__main__":
    main()
