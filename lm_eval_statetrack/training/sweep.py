"""Depth x length x group x architecture: the minimum number of layers reaching a
threshold accuracy, as in Figure 3 of Merrill et al. (2024).

Every (architecture, group, length, depth) model is tested at that one length. The paper
also trains at that length only; at CPU budgets that fails even for a model that can
solve it (IDS4 on A5 at length 8: chance at 1 and 2 layers after 1,500 steps, while the
same layer reaches 100 % at length 256 with a curriculum), so by default a model for
length L trains on the sweep's lengths up to L, shortest first (``curriculum=False``
trains at L only). For each (architecture, group) the lengths are visited shortest first and
depths tried upwards; the first depth whose test accuracy passes the threshold is that
length's "minimum layers". Like the paper's figure, the search takes the minimum to never
decrease with length: the next length starts at the depth that passed, and once no depth
up to ``max_layers`` passes, longer lengths are recorded as beyond reach without training.
Runs are appended to a CSV as they finish, so an interrupted sweep resumes where it
stopped.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from lm_eval_statetrack.training.run_config import TrainConfig

RUN_FIELDS = (
    "arch",
    "variant",
    "length",
    "layers",
    "width",
    "test_acc",
    "val_acc",
    "steps",
    "seconds",
    "cpu_seconds",
    "parameters",
)


@dataclass
class SweepConfig:
    archs: tuple[str, ...]
    variants: tuple[str, ...]
    lengths: tuple[int, ...]
    max_layers: int = 4
    threshold: float = 0.9
    test_docs: int = 250  # how many of the length's test words score each model
    widths: dict[str, int] = field(default_factory=dict)  # arch -> width; else its default
    # train on the sweep's lengths up to L, shortest first (test at L only); False: at L
    # only, as the paper (which trains far longer than a CPU allows)
    curriculum: bool = True
    base: TrainConfig | None = None  # training settings shared by every run (arch ignored)

    def validate(self) -> SweepConfig:
        if self.max_layers < 1:
            raise ValueError(f"--max-layers must be >= 1, got {self.max_layers}")
        if not 0 < self.threshold <= 1:
            raise ValueError(f"--threshold must be in (0, 1], got {self.threshold}")
        if not (self.archs and self.variants and self.lengths):
            raise ValueError("--archs, --variants and --lengths must each name at least one value")
        unknown = set(self.widths) - set(self.archs)
        if unknown:
            raise ValueError(f"--widths names architectures not in --archs: {sorted(unknown)}")
        for arch in self.archs:  # every run's config is checked before the first one trains
            for variant in self.variants:
                self.run_config(arch, variant, self.lengths[0], self.max_layers).validate()
        return self

    def run_config(self, arch: str, variant: str, length: int, layers: int) -> TrainConfig:
        base = self.base or TrainConfig(arch=arch)
        return replace(
            base,
            arch=arch,
            variant=variant,
            lengths=tuple(n for n in self.lengths if n <= length) if self.curriculum else (length,),
            layers=layers,
            curriculum=self.curriculum,
            width=self.widths.get(arch),
            state_size=None,
        )


def test_accuracy(model, variant: str, length: int, n: int) -> float:
    from lm_eval_statetrack.training.data import test_words
    from lm_eval_statetrack.training.evaluation import final_state_accuracy

    return final_state_accuracy(model, variant, sorted(test_words(variant, length))[:n])


def _done(path: Path) -> dict[tuple, dict]:
    if not path.exists():
        return {}
    with path.open() as f:
        return {
            (r["arch"], r["variant"], int(r["length"]), int(r["layers"])): r
            for r in csv.DictReader(f)
        }


def search_depth(job: tuple[SweepConfig, str, str, dict]) -> list[dict]:
    """The depth search of one (arch, group) over every length. ``done`` maps
    (length, layers) to runs already in the CSV, which are reused, not retrained."""
    from lm_eval_statetrack.training.trainer import train

    sweep, arch, variant, done = job
    rows, first = [], 1
    for length in sorted(sweep.lengths):
        passed = None
        for layers in range(first, sweep.max_layers + 1):
            row = done.get((length, layers))
            if row is None:
                result = train(sweep.run_config(arch, variant, length, layers), progress=False)
                acc = test_accuracy(result.model, variant, length, sweep.test_docs)
                row = {
                    "arch": arch,
                    "variant": variant,
                    "length": length,
                    "layers": layers,
                    "width": result.config.width,
                    "test_acc": round(acc, 4),
                    "val_acc": round(result.val_acc[length], 4),
                    "steps": result.steps,
                    "seconds": round(result.seconds, 1),
                    "cpu_seconds": round(result.cpu_seconds, 1),
                    "parameters": result.summary()["parameters"],
                }
                rows.append(row)
            if float(row["test_acc"]) > sweep.threshold:
                passed = layers
                break
        if passed is None:
            break
        first = passed
    return rows


def run_sweep(
    sweep: SweepConfig, out_dir: str | Path, jobs: int = 1, log: Callable[[str], None] = print
) -> list[dict]:
    """Train the grid, ``jobs`` (arch, group) searches at a time, resuming from
    ``runs.csv``; write ``min_layers.csv`` and return its rows."""
    from lm_eval_statetrack.training.parallel import imap_unordered

    sweep.validate()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs_path = out / "runs.csv"
    done = _done(runs_path)
    pairs = [(arch, variant) for arch in sweep.archs for variant in sweep.variants]
    work = [
        (sweep, arch, variant, {k[2:]: r for k, r in done.items() if k[:2] == (arch, variant)})
        for arch, variant in pairs
    ]
    new_file = not runs_path.exists()
    with runs_path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=RUN_FIELDS)
        if new_file:
            writer.writeheader()
        for rows in imap_unordered(search_depth, work, jobs):
            for row in rows:
                done[(row["arch"], row["variant"], row["length"], row["layers"])] = row
                writer.writerow(row)
                log(
                    f"{row['arch']:12s} {row['variant']:6s} len {row['length']:4d} "
                    f"layers {row['layers']}: test acc {row['test_acc']:.3f} "
                    f"({row['steps']} steps, {row['seconds']:.0f} s)"
                )
            f.flush()
    table = min_layers(done.values(), sweep)
    write_min_layers(table, out / "min_layers.csv")
    return table


def min_layers(runs, sweep: SweepConfig) -> list[dict]:
    """One row per (arch, group, length): the smallest depth above the threshold, or
    ``None`` when no depth up to ``max_layers`` got there (trained, or skipped because a
    shorter length already failed at every depth)."""
    best: dict[tuple, int] = {}
    for r in runs:
        key = (r["arch"], r["variant"], int(r["length"]))
        if float(r["test_acc"]) > sweep.threshold:
            best[key] = min(best.get(key, sweep.max_layers), int(r["layers"]))
    return [
        {"arch": a, "variant": v, "length": n, "min_layers": best.get((a, v, n))}
        for a in sweep.archs
        for v in sweep.variants
        for n in sorted(sweep.lengths)
    ]


def write_min_layers(table: Sequence[dict], path: Path) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=("arch", "variant", "length", "min_layers"))
        writer.writeheader()
        for row in table:
            writer.writerow({**row, "min_layers": row["min_layers"] or ""})


def plot_min_layers(table: Sequence[dict], sweep: SweepConfig, path: str | Path) -> Path:
    """Figure 3's layout: one panel per group, min layers against length, one line per
    architecture; a depth that never passed is drawn above ``max_layers``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, len(sweep.variants), figsize=(4 * len(sweep.variants), 3.2), squeeze=False
    )
    never = sweep.max_layers + 1
    for ax, variant in zip(axes[0], sweep.variants):
        for i, arch in enumerate(sweep.archs):
            rows = [r for r in table if r["arch"] == arch and r["variant"] == variant]
            xs = [r["length"] for r in rows]
            ys = [(r["min_layers"] or never) + 0.06 * (i - len(sweep.archs) / 2) for r in rows]
            ax.plot(xs, ys, marker="o", label=arch)
        ax.axhline(never - 0.5, color="grey", lw=0.5, ls="--")
        ax.set_title(variant.upper())
        ax.set_xlabel("sequence length")
        ax.set_xscale("log", base=2)
        ax.set_yticks(range(1, never + 1))
        ax.set_yticklabels([str(k) for k in range(1, never)] + [f">{sweep.max_layers}"])
    axes[0][0].set_ylabel(f"min layers for >{sweep.threshold:.0%} accuracy")
    axes[0][-1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
