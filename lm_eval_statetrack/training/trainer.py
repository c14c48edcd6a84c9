"""The training loop: per-position labels, AdamW, a length curriculum, early stopping.

A run is a :class:`~lm_eval_statetrack.training.run_config.TrainConfig`; the result holds the
model and its validation history, and :func:`save_checkpoint` writes what ``--model hf``
needs (``save_pretrained`` weights and config, the tokenizer) plus ``training.json`` with
the config, seeds and history.
"""

from __future__ import annotations

import json
import math
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from lm_eval_statetrack.training.architectures import compiled
from lm_eval_statetrack.training.data import tokenizer, training_data
from lm_eval_statetrack.training.evaluation import final_state_accuracy
from lm_eval_statetrack.training.run_config import TrainConfig

TRAINING_FILE = "training.json"


@dataclass
class TrainResult:
    model: torch.nn.Module
    config: TrainConfig
    steps: int
    seconds: float  # wall clock
    cpu_seconds: float  # this process's CPU time: the figure to read on a shared machine
    reached_target: bool
    val_acc: dict[int, float]  # final validation accuracy at every training length
    history: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "steps": self.steps,
            "seconds": round(self.seconds, 1),
            "cpu_seconds": round(self.cpu_seconds, 1),
            "reached_target": self.reached_target,
            "val_acc": {str(k): v for k, v in self.val_acc.items()},
            "parameters": sum(p.numel() for p in self.model.parameters()),
        }


def build_model(config: TrainConfig) -> torch.nn.Module:
    """A freshly initialised model; the seed fixes the initialisation."""
    from lm_eval_statetrack.training.architectures import get_architecture

    torch.manual_seed(config.seed)
    return get_architecture(config.arch).build(config.layers, config.width, config.state_size)


def _lr_factor(config: TrainConfig):
    """Linear warmup, then cosine decay to a tenth of the peak at ``max_steps``."""
    warmup = max(1, config.warmup_steps)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, config.max_steps - warmup)
        return 0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, progress)))

    return factor


def train(config: TrainConfig, progress: bool = True) -> TrainResult:
    """Train until every training length reaches ``target_acc`` or ``max_steps`` is spent."""
    from tqdm.auto import tqdm

    config = config.resolved().validate()
    if config.threads:
        torch.set_num_threads(config.threads)
    lengths = sorted(config.lengths)
    model = build_model(config).to(config.device)
    model.train()
    forward = compiled(model) if config.compile else model
    sampler, val = training_data(config)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_factor(config))
    active = lengths[:1] if config.curriculum else lengths
    # a stage ends when the active lengths pass promote_acc or its budget is spent, so
    # by default every length is in the mix for about the last ``full_mix`` part of the
    # run (stages end at evaluations only, so a little less when eval_every exceeds the
    # budget)
    stage_budget = config.stage_steps or int(
        config.max_steps * (1 - config.full_mix) / len(lengths)
    )
    stage_start = 0
    history: list[dict] = []
    reached, step = False, 0
    start, cpu_start = time.perf_counter(), time.process_time()
    bar = tqdm(total=config.max_steps, disable=not progress, desc=f"{config.arch}/{config.variant}")
    for step in range(1, config.max_steps + 1):
        ids, labels = (t.to(config.device) for t in sampler.next(active))
        logits = forward(ids).logits
        loss = F.cross_entropy(logits.flatten(0, 1).float(), labels.flatten())
        if not math.isfinite(loss.item()):
            raise FloatingPointError(
                f"training diverged at step {step} (loss {loss.item()}); lower --lr"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        schedule.step()
        bar.update(1)
        if step % config.eval_every and step != config.max_steps:
            continue
        acc = {L: final_state_accuracy(model, config.variant, val[L]) for L in active}
        history.append({"step": step, "loss": round(loss.item(), 5), "val_acc": acc})
        bar.set_postfix(loss=f"{loss.item():.4f}", max_len=active[-1], min_acc=min(acc.values()))
        if len(active) == len(lengths) and min(acc.values()) >= config.target_acc:
            reached = True
            break
        passed = min(acc.values()) >= config.promote_acc
        if len(active) < len(lengths) and (passed or step - stage_start >= stage_budget):
            active, stage_start = lengths[: len(active) + 1], step
    bar.close()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    final = {L: final_state_accuracy(model, config.variant, val[L]) for L in lengths}
    return TrainResult(model, config, step, seconds, cpu_seconds, reached, final, history)


def save_checkpoint(result: TrainResult, out_dir: str | Path) -> Path:
    """``save_pretrained`` weights + tokenizer + ``training.json`` (config, seeds, history)."""
    import transformers

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result.model.save_pretrained(out)
    tokenizer().save_pretrained(out)
    record = {
        "config": result.config.to_dict(),
        "seeds": {"model_init": result.config.seed, "data": result.config.seed},
        "result": result.summary(),
        "history": [
            {**h, "val_acc": {str(k): v for k, v in h["val_acc"].items()}} for h in result.history
        ],
        "environment": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
    }
    (out / TRAINING_FILE).write_text(json.dumps(record, indent=2) + "\n")
    return out
