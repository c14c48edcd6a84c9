"""``statetrack sweep``: minimum layers reaching a threshold accuracy, over architectures,
groups and lengths (Figure 3 of Merrill et al. 2024). Writes ``runs.csv`` (every model
trained), ``min_layers.csv`` and ``min_layers.png`` into ``--out``."""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path

from lm_eval_statetrack.commands.train import add_training_arguments, int_list, training_kwargs


def str_list(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def widths(text: str) -> dict[str, int]:
    try:
        return {k.strip(): int(v) for k, v in (item.split("=") for item in str_list(text))}
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected ARCH=WIDTH,..., got {text!r}") from err


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--archs", type=str_list, default=("transformer", "mamba", "lstm", "ids4"))
    parser.add_argument("--variants", type=str_list, default=("a5", "a4xz5", "z60"))
    parser.add_argument("--lengths", type=int_list, default=(4, 8, 16))
    parser.add_argument("--max-layers", type=int, default=4)
    parser.add_argument("--threshold", type=float, default=0.9, help="test accuracy to beat")
    parser.add_argument("--test-docs", type=int, default=250)
    parser.add_argument("--widths", type=widths, default={}, help="e.g. transformer=128,lstm=256")
    add_training_arguments(parser)
    parser.add_argument(
        "--no-curriculum",
        action="store_true",
        help="train each model at its test length only (the paper's setup)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="searches run side by side")
    parser.add_argument(
        "--no-train",
        action="store_true",
        help="train nothing: write min_layers.csv and the plot from runs.csv as it is",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder (resumable)")
    parser.add_argument(
        "--readme",
        type=Path,
        help="also write the minimum-layers table into this Markdown file's --readme-heading "
        "section (plot link relative to the file)",
    )
    parser.add_argument(
        "--readme-heading",
        default=README_HEADING,
        help=f"default: {README_HEADING!r}",
    )


README_HEADING = "### Figure 3: minimum layers against length"
UNQUOTED = {"no_train"}  # the command shown makes the sweep, so it trains


def command(args: argparse.Namespace) -> str:
    """The ``statetrack sweep`` command that makes (and resumes) this sweep and writes its
    README section: every option whose value differs from its default, in the parser's
    order, less ``--no-train``."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    words = ["statetrack", "sweep"]
    for action in parser._actions:
        dest = action.dest
        if dest == "help" or dest in UNQUOTED or getattr(args, dest) == action.default:
            continue
        value = getattr(args, dest)
        if isinstance(value, bool):
            words.append(action.option_strings[0])
            continue
        if isinstance(value, dict):
            value = ",".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, tuple):
            value = ",".join(map(str, value))
        words += [action.option_strings[0], str(value)]
    return shlex.join(words)


def run(args: argparse.Namespace) -> int:
    from lm_eval_statetrack.training.run_config import TrainConfig
    from lm_eval_statetrack.training.sweep import SweepConfig, plot_min_layers, run_sweep

    sweep = SweepConfig(
        archs=args.archs,
        variants=args.variants,
        lengths=args.lengths,
        max_layers=args.max_layers,
        threshold=args.threshold,
        test_docs=args.test_docs,
        widths=args.widths,
        curriculum=not args.no_curriculum,
        base=TrainConfig(arch=args.archs[0] if args.archs else "", **training_kwargs(args)),
    )
    try:
        sweep.validate()
    except ValueError as err:
        raise SystemExit(f"statetrack sweep: {err}") from err
    if args.readme:
        readme_with(args, "")
    table = run_sweep(sweep, args.out, jobs=args.jobs, train=not args.no_train)
    plot = plot_min_layers(table, sweep, args.out / "min_layers.png")
    print(f"\nminimum layers above the threshold (>{sweep.max_layers}: none up to --max-layers):")
    for row in table:
        print(
            f"  {row['arch']:12s} {row['variant']:6s} len {row['length']:4d}: {row['min_layers']}"
        )
    print(f"wrote {args.out / 'runs.csv'}, {args.out / 'min_layers.csv'}, {plot}")
    if args.readme:
        write_readme(args, sweep, table)
    return 0


def readme_with(args: argparse.Namespace, body: str) -> str:
    """``--readme``'s text with ``body`` in its ``--readme-heading`` section; a missing
    file or heading stops the command (checked before any training)."""
    from lm_eval_statetrack.report.readme import replace_section
    from lm_eval_statetrack.training.sweep_readme import MARK

    try:
        text = args.readme.read_text(encoding="utf-8")
    except OSError as err:
        raise SystemExit(f"statetrack sweep: --readme {args.readme}: {err.strerror}") from err
    try:
        return replace_section(text, args.readme_heading, body, mark=MARK)
    except ValueError as err:
        raise SystemExit(f"statetrack sweep: --readme-heading: {err}") from err


def write_readme(args: argparse.Namespace, sweep, table: list[dict]) -> None:
    from lm_eval_statetrack.training.sweep import read_runs
    from lm_eval_statetrack.training.sweep_readme import sweep_markdown

    readme: Path = args.readme
    done = read_runs(args.out / "runs.csv")
    folder = Path(os.path.relpath(args.out.resolve(), readme.resolve().parent)).as_posix()
    text = readme_with(args, sweep_markdown(table, done, sweep, command(args), folder))
    readme.write_text(text, encoding="utf-8")
    print(f"wrote the table into {readme} ({args.readme_heading!r})")
