"""The bundled reference models: what they are, how they are trained, and their card.

``statetrack train --references`` retrains all of them into
``lm_eval_statetrack/reference_models/<name>/`` and rewrites the card (``README.md``
there) from each checkpoint's ``training.json``. Everything trains on CPU in minutes.
"""

from __future__ import annotations

import json
from pathlib import Path

from lm_eval_statetrack.training.run_config import TrainConfig

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference_models"
CARD = "README.md"

# name -> config. Every model trains on the whole length ladder 4..256, shortest first, and
# stops early at 99 % validation accuracy on every length. The recurrent models get what
# they need to hold A5 at length 256 (each curriculum stage a share of the run, every
# length in the mix for its second half). The transformer and Mamba take the next length
# only once the last one passes 90 % (or after ``stage_steps``), with the learning rate
# and weight decay that make them learn the A5 table at length 4 (a plateau of about
# 2,000 steps): so where they stop is where a fixed depth stops, not an untrained model.
# Widths keep the whole folder under 5 MB. They were early-stopped on train-side validation
# words (``val_split="train"``), kept so that ``--references`` retrains them bit for bit;
# the stream draws from 60^L words at each length L >= 4, so few of the 128 words per length
# can have been trained on, and the models' scores are on the test split.
_TRANSFORMER = dict(
    arch="transformer", layers=2, lr=2e-3, weight_decay=0.1, max_steps=6000, stage_steps=3000
)
_MAMBA = dict(arch="mamba", layers=2, lr=3e-3, weight_decay=0.1, max_steps=2500, stage_steps=1800)
_RECIPE = dict(val_split="train")
REFERENCES: dict[str, TrainConfig] = {
    "ids4-1l-a5": TrainConfig(arch="ids4", variant="a5", layers=1, max_steps=3000, **_RECIPE),
    "ids4-1l-z60": TrainConfig(arch="ids4", variant="z60", layers=1, max_steps=3000, **_RECIPE),
    "lstm-1l-a5": TrainConfig(
        arch="lstm",
        variant="a5",
        layers=1,
        width=256,
        batch_tokens=2048,
        max_steps=10000,
        eval_every=250,
        **_RECIPE,
    ),
    "lstm-1l-z60": TrainConfig(
        arch="lstm",
        variant="z60",
        layers=1,
        width=192,
        batch_tokens=2048,
        max_steps=10000,
        eval_every=250,
        **_RECIPE,
    ),
    "transformer-2l-a5": TrainConfig(variant="a5", **_TRANSFORMER, **_RECIPE),
    "transformer-2l-z60": TrainConfig(variant="z60", **_TRANSFORMER, **_RECIPE),
    "mamba-2l-a5": TrainConfig(variant="a5", **_MAMBA, **_RECIPE),
    "mamba-2l-z60": TrainConfig(variant="z60", **_MAMBA, **_RECIPE),
}


def reference_dirs(root: str | Path | None = None) -> dict[str, Path]:
    """Bundled checkpoints present on disk, in the order of :data:`REFERENCES`."""
    base = Path(root) if root else REFERENCE_DIR
    return {name: base / name for name in REFERENCES if (base / name / "config.json").exists()}


def _train_one(job: tuple[str, Path, bool]) -> str:
    from lm_eval_statetrack.training.trainer import save_checkpoint, train

    name, root, progress = job
    result = train(REFERENCES[name], progress=progress)
    save_checkpoint(result, root / name)
    accs = " ".join(f"{k}:{v:.2f}" for k, v in result.val_acc.items())
    return (
        f"{name}: {result.steps} steps, {result.seconds:.0f} s wall, "
        f"{result.cpu_seconds:.0f} s CPU, validation acc {accs}"
    )


def regenerate(
    names: list[str] | None = None,
    out_root: str | Path | None = None,
    progress: bool = True,
    jobs: int = 1,
) -> Path:
    """Retrain the named references (all by default), ``jobs`` at a time; rewrite the card."""
    from lm_eval_statetrack.training.parallel import imap_unordered

    unknown = sorted(set(names or ()) - set(REFERENCES))
    if unknown:
        raise ValueError(f"unknown reference models {unknown}; valid: {', '.join(REFERENCES)}")
    root = Path(out_root) if out_root else REFERENCE_DIR
    chosen = list(names or REFERENCES)
    for name in chosen:  # check every config before the first one trains
        REFERENCES[name].resolved().validate()
    chosen.sort(key=lambda n: -REFERENCES[n].max_steps)  # longest first: balanced jobs
    work = [(name, root, progress and jobs == 1) for name in chosen]
    for line in imap_unordered(_train_one, work, jobs):
        print(line, flush=True)
    write_card(root)
    return root


def card_rows(root: Path) -> list[dict]:
    rows = []
    for name, path in reference_dirs(root).items():
        record = json.loads((path / "training.json").read_text())
        config, result = record["config"], record["result"]
        size = sum(f.stat().st_size for f in path.iterdir())
        rows.append(
            {
                "name": name,
                "arch": config["arch"],
                "variant": config["variant"],
                "layers": config["layers"],
                "width": config["width"],
                "parameters": result["parameters"],
                "kib": round(size / 1024),
                "steps": result["steps"],
                "seconds": result["seconds"],
                "cpu_seconds": result["cpu_seconds"],
                "val_acc": result["val_acc"],
            }
        )
    return rows


def write_card(root: str | Path | None = None) -> Path:
    """The model card: provenance, training cost and validation accuracy of each model."""
    root = Path(root) if root else REFERENCE_DIR
    rows = card_rows(root)
    lengths = sorted({int(k) for r in rows for k in r["val_acc"]})
    head = "| model | arch | task | layers | width | params | KiB | steps | CPU s | wall s |"
    head += "".join(f" {n} |" for n in lengths)
    lines = [head, "|" + " --- |" * (10 + len(lengths))]
    for r in rows:
        accs = "".join(f" {r['val_acc'].get(str(n), float('nan')):.2f} |" for n in lengths)
        lines.append(
            f"| `{r['name']}` | {r['arch']} | {r['variant'].upper()} | {r['layers']} | "
            f"{r['width']} | {r['parameters']:,} | {r['kib']} | {r['steps']} | "
            f"{r['cpu_seconds']:.0f} | {r['seconds']:.0f} |{accs}"
        )
    total = sum(r["kib"] for r in rows)
    text = CARD_TEMPLATE.format(table="\n".join(lines), total_kib=total)
    path = root / CARD
    path.write_text(text)
    return path


CARD_TEMPLATE = """\
# Bundled reference models

Tiny word-problem models trained by this package's own trainer (`statetrack train`), so
the suite has offline models to evaluate and a check that its tasks separate
architectures. Each folder is a `save_pretrained` checkpoint (safetensors, float32) with a
word-level tokenizer (one token per group element, plus `=`) and `training.json` (the full
config, seeds, validation history and library versions). Load one with
`lm_eval --model hf --model_args pretrained=<folder>`; the LSTM and IDS4 classes are
registered with transformers' Auto classes by this package's import hook, so no
`trust_remote_code` is needed.

**Intended use:** demos, tests and a reproduction of the qualitative result of Merrill,
Petty & Sabharwal (2024). They know nothing but the `sym` word-problem format of the one
group they were trained on; they are not language models.

**Data:** words drawn by the task generator with `split="train"` and checked against the
test words of their length, with a label at every position (the running product). Never
the test split.

**Regenerate:** `statetrack train --references` (or `--only NAME`), CPU only, one thread.
Validation accuracy below is final-state accuracy on 128 validation words per length at
the end of training, drawn from the training side (`val_split="train"` in `training.json`:
the training stream could also produce them, though at 60^4 words or more per length it
rarely does; new runs default to a held-out split training never draws); test accuracy
through lm-eval is what `make demo` prints.

{table}

Total size: {total_kib} KiB.
"""
