"""Depth x length x group x architecture: the minimum number of layers reaching a threshold
accuracy, as in Figure 3 of Merrill et al. (2024).

Every (architecture, group, length, depth) model is tested at that one length. The paper
also trains at that length only; at CPU budgets that fails even for a model that can
solve it (IDS4 on A5 at length 8: chance at 1 and 2 layers after 1,500 steps, while the
same layer reaches 100 % at length 256 with a curriculum), so by default a model for
length L trains on the sweep's lengths up to L, shortest first (``curriculum=False``
trains at L only). For each (architecture, group) the lengths are visited shortest
first. At each length the search trains one layer, then ``max_layers``, then the depths
between upwards; the first depth whose test accuracy passes the threshold, with every
shallower depth tried and failed, is that length's "minimum layers". When the deepest
model fails too the cell is "more than ``max_layers``" without training the depths
between: a deeper stack can in principle compute what a shallower one does, and a failing
cell, the dearest at CPU budgets, costs two runs, not ``max_layers`` (training noise can
break the premise, so every depth tried is reported). Every length is searched on
its own, assuming nothing from the others: at length 2 the test words are
multiplication-table entries that no training word contains (a longer word's prefixes
contain every pair), so a model can fail there and pass at 4. Runs are appended to a CSV
as they finish (with the implementation each one ran, e.g. Mamba's scan), so an
interrupted sweep resumes where it stopped; ``min_layers.csv`` tells a depth, "more than
``max_layers``" and "not run" apart.
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
    "path",
)
NOT_RUN = "not run"
ARCH_LABELS = {"ids4": "IDS4", "lstm": "LSTM", "mamba": "Mamba", "mamba2": "Mamba-2"}


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
            lengths=tuple(sorted(n for n in self.lengths if n <= length))
            if self.curriculum
            else (length,),
            layers=layers,
            curriculum=self.curriculum,
            width=self.widths.get(arch),
            state_size=None,
        )


def test_accuracy(model, variant: str, length: int, n: int) -> float:
    from lm_eval_statetrack.training.data import test_words
    from lm_eval_statetrack.training.evaluation import final_state_accuracy

    return final_state_accuracy(model, variant, sorted(test_words(variant, length))[:n])


def read_runs(path: Path) -> dict[tuple, dict]:
    """The runs in ``runs.csv`` by (arch, variant, length, layers); {} when there is none."""
    if not path.exists():
        return {}
    with path.open() as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != RUN_FIELDS:
            raise ValueError(
                f"{path} has columns {reader.fieldnames}, this sweep writes {list(RUN_FIELDS)}: "
                "it was made by another version; use a new --out folder"
            )
        return {(r["arch"], r["variant"], int(r["length"]), int(r["layers"])): r for r in reader}


def append_run(path: Path, row: dict) -> None:
    """One whole line per run, written under a lock as soon as the run ends: searches run
    in parallel processes, and a sweep stopped at any moment leaves only complete rows."""
    import fcntl
    import io

    line = io.StringIO()
    csv.DictWriter(line, fieldnames=RUN_FIELDS).writerow(row)
    with path.open("a", newline="") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(line.getvalue())
        f.flush()
        fcntl.flock(f, fcntl.LOCK_UN)


def cell_runs(done: dict[tuple, dict], arch: str, variant: str, length: int) -> dict[int, dict]:
    """The runs of one (arch, group, length) cell, by depth."""
    return {k[3]: r for k, r in done.items() if k[:3] == (arch, variant, length)}


def depth_order(max_layers: int) -> tuple[int, ...]:
    """The order a depth search trains in: the shallowest, the deepest, then upwards."""
    return tuple(dict.fromkeys((1, max_layers, *range(2, max_layers))))


def search_depth(job: tuple[SweepConfig, str, str, int, dict, Path]) -> list[dict]:
    """The depth search of one (arch, group, length) in :func:`depth_order`, until
    :func:`cell_result` can tell its minimum depth. ``done`` maps depths to runs already in
    the CSV, which are reused, not retrained; new runs are appended to ``runs_path`` as
    they end."""
    from lm_eval_statetrack.training.architectures import compute_path
    from lm_eval_statetrack.training.trainer import train

    sweep, arch, variant, length, done, runs_path = job
    done = dict(done)
    rows = []
    for layers in depth_order(sweep.max_layers):
        if cell_result(done, sweep) != NOT_RUN:
            break
        if layers in done:
            continue
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
            "path": compute_path(result.model, result.config.device, result.config.compile),
        }
        append_run(runs_path, row)
        done[layers] = row
        rows.append(row)
    return rows


def cell_result(runs: dict[int, dict], sweep: SweepConfig) -> int | str:
    """One (arch, group, length) cell from its runs by depth: the shallowest passing depth
    with every shallower one trained and failed; :func:`beyond` when one layer and
    ``max_layers`` both failed and nothing shallower passed; else :data:`NOT_RUN`."""
    for layers in range(1, sweep.max_layers + 1):
        run = runs.get(layers)
        if run is None:
            break
        if float(run["test_acc"]) > sweep.threshold:
            return layers
    deepest = runs.get(sweep.max_layers)
    if 1 in runs and deepest is not None and float(deepest["test_acc"]) <= sweep.threshold:
        return beyond(sweep)
    return NOT_RUN


def run_sweep(
    sweep: SweepConfig,
    out_dir: str | Path,
    jobs: int = 1,
    log: Callable[[str], None] = print,
    train: bool = True,
) -> list[dict]:
    """Train the grid, ``jobs`` (arch, group, length) searches at a time, resuming from
    ``runs.csv``; write ``min_layers.csv`` and return its rows. Searches start length by
    length in the order ``lengths`` are given (``4,8,16,2`` leaves 2 for last), each
    length arch by arch, group by group; the order changes no run's config. ``train=False``
    only tabulates the runs already there (the rest are "not run")."""
    from lm_eval_statetrack.training.parallel import imap_unordered

    sweep.validate()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs_path = out / "runs.csv"
    done = read_runs(runs_path)
    if not runs_path.exists():
        with runs_path.open("w", newline="") as f:
            csv.DictWriter(f, fieldnames=RUN_FIELDS).writeheader()
    cells = [(a, v, n) for n in sweep.lengths for a in sweep.archs for v in sweep.variants]
    work = [(sweep, *cell, cell_runs(done, *cell), runs_path) for cell in cells if train]
    for rows in imap_unordered(search_depth, work, jobs):
        for row in rows:
            done[(row["arch"], row["variant"], row["length"], row["layers"])] = row
            log(
                f"{row['arch']:12s} {row['variant']:6s} len {row['length']:4d} "
                f"layers {row['layers']}: test acc {row['test_acc']:.3f} "
                f"({row['steps']} steps, {row['cpu_seconds']:.0f} CPU s, {row['path']})"
            )
    table = min_layers(done, sweep)
    write_min_layers(table, out / "min_layers.csv")
    return table


def group_label(variant: str) -> str:
    """The paper's spelling of a group: ``a4xz5`` -> ``A4xZ5``."""
    return "x".join(part.upper() for part in variant.split("x"))


def beyond(sweep: SweepConfig) -> str:
    """The marker for "no depth up to ``max_layers`` passed", e.g. ``>4``."""
    return f">{sweep.max_layers}"


def min_layers(done: dict[tuple, dict], sweep: SweepConfig) -> list[dict]:
    """One row per (arch, group, length), its ``min_layers`` by :func:`cell_result`."""
    table = []
    for arch in sweep.archs:
        for variant in sweep.variants:
            for length in sorted(sweep.lengths):
                cell = cell_result(cell_runs(done, arch, variant, length), sweep)
                table.append(
                    {"arch": arch, "variant": variant, "length": length, "min_layers": cell}
                )
    return table


def write_min_layers(table: Sequence[dict], path: Path) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=("arch", "variant", "length", "min_layers"))
        writer.writeheader()
        writer.writerows(table)


def plot_min_layers(table: Sequence[dict], sweep: SweepConfig, path: str | Path) -> Path:
    """Figure 3's layout: one panel per group, min layers against length, one line per
    architecture; a depth that never passed is drawn above ``max_layers``, a cell not run
    is left out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, len(sweep.variants), figsize=(4 * len(sweep.variants), 3.2), squeeze=False
    )
    never = sweep.max_layers + 1
    for ax, variant in zip(axes[0], sweep.variants):
        for i, arch in enumerate(sweep.archs):
            rows = [
                r
                for r in table
                if r["arch"] == arch and r["variant"] == variant and r["min_layers"] != NOT_RUN
            ]
            xs = [r["length"] for r in rows]
            depths = [never if r["min_layers"] == beyond(sweep) else r["min_layers"] for r in rows]
            ys = [d + 0.06 * (i - len(sweep.archs) / 2) for d in depths]
            ax.plot(xs, ys, marker="o", label=ARCH_LABELS.get(arch, arch))
        ax.axhline(never - 0.5, color="grey", lw=0.5, ls="--")
        ax.set_title(group_label(variant))
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
