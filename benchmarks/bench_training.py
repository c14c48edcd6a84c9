"""Training cost per step of each architecture on CPU, and what ``mambapy`` buys Mamba.

    .venv/bin/python benchmarks/bench_training.py [--steps 3] [--lengths 4,64,256]

One thread, ``batch_tokens`` tokens per step (the trainer's batching), a warm-up step,
then the mean CPU seconds (this process's, unaffected by other work on the cores) and wall
seconds of ``--steps`` forward+backward+AdamW steps on A5 words. Mamba runs three times,
same weights: with transformers' sequential reference scan, with the ``mambapy`` parallel
scan (the ``[train]`` extra), and with the sequential scan under ``torch.compile`` (the
trainer's ``--compile``; its warm-up step holds the compile, one per length).
"""

from __future__ import annotations

import argparse
import platform
import time

import torch
import torch.nn.functional as F

from lm_eval_statetrack.training.architectures import compiled, set_mambapy
from lm_eval_statetrack.training.data import BatchSampler
from lm_eval_statetrack.training.run_config import TrainConfig
from lm_eval_statetrack.training.trainer import build_model

LAYERS = {"transformer": 2, "mamba": 2, "mamba2": 2, "lstm": 1, "ids4": 1}


def step_cost(model, forward, ids, labels, steps: int) -> tuple[float, float]:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def one_step():
        loss = F.cross_entropy(forward(ids).logits.flatten(0, 1), labels.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    one_step()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        one_step()
    return (time.process_time() - cpu) / steps, (time.perf_counter() - wall) / steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--lengths", default="4,64,256")
    parser.add_argument("--batch-tokens", type=int, default=2048)
    args = parser.parse_args()
    torch.set_num_threads(1)
    lengths = [int(x) for x in args.lengths.split(",")]
    print(f"{platform.machine()} {platform.processor() or ''}, torch {torch.__version__}, 1 thread")
    print(f"batch {args.batch_tokens} tokens, mean of {args.steps} steps; CPU s / wall s\n")
    print("| architecture | layers | params |" + "".join(f" len {n} |" for n in lengths))
    print("|---|---:|---:|" + "---:|" * len(lengths))
    rows = [(arch, None) for arch in LAYERS] + [("mamba", False), ("mamba", "compile")]
    for arch, mambapy in rows:
        config = TrainConfig(arch=arch, layers=LAYERS[arch]).resolved()
        model = build_model(config)
        forward, label = model, arch
        if mambapy == "compile":
            forward, label = compiled(model), "mamba (sequential scan, torch.compile)"
        elif arch == "mamba":
            enabled = model.config.use_mambapy if mambapy is None else mambapy
            set_mambapy(model, enabled)
            label = f"mamba ({'mambapy scan' if enabled else 'sequential scan'})"
        cells = []
        for length in lengths:
            ids, labels = BatchSampler("a5", [length], args.batch_tokens, 0).next([length])
            cpu, wall = step_cost(model, forward, ids, labels, args.steps)
            cells.append(f" {cpu:.3f} / {wall:.3f} |")
        params = sum(p.numel() for p in model.parameters())
        print(f"| {label} | {config.layers} | {params:,} |" + "".join(cells), flush=True)


if __name__ == "__main__":
    main()
