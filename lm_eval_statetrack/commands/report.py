"""``statetrack report``: plots, horizon tables, CSV and JSON from lm-eval results files."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path


def fraction(text: str) -> float:
    """argparse type for --threshold-frac: a number in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(
            f"must be a number in (0, 1] (how far from chance to 1 the threshold sits, "
            f"default 0.9), got {text!r}"
        )
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "results",
        nargs="+",
        metavar="RESULTS",
        help="lm-eval results JSON files (lm_eval --output_path), or folders: every "
        "results_*.json below them; one or more models",
    )
    parser.add_argument("--out", required=True, type=Path, help="output folder (created)")
    parser.add_argument(
        "--label",
        action="append",
        default=[],
        help="display name of a model; repeat once per model, in order of first appearance",
    )
    parser.add_argument(
        "--threshold-frac",
        type=fraction,
        default=0.9,
        help="horizon threshold = chance + FRAC * (1 - chance) (default 0.9)",
    )
    parser.add_argument("--no-plots", action="store_true", help="tables and data only")
    parser.add_argument(
        "--readme",
        type=Path,
        help="also write the report into this Markdown file's --readme-heading section "
        "(figure links relative to the file)",
    )
    parser.add_argument("--readme-heading", default="## Results", help="default: '## Results'")
    parser.add_argument(
        "--readme-intro",
        type=Path,
        help="a Markdown file put first in the README section (what the models and runs are)",
    )


def _command(args: argparse.Namespace) -> str:
    """The command line that regenerates this report (quoted in the README section)."""
    words = ["statetrack", "report", *map(str, args.results), "--out", str(args.out)]
    for label in args.label:
        words += ["--label", label]
    if args.threshold_frac != 0.9:
        words += ["--threshold-frac", f"{args.threshold_frac:g}"]
    words += ["--readme", str(args.readme)]
    if args.readme_heading != "## Results":
        words += ["--readme-heading", args.readme_heading]
    if args.readme_intro:
        words += ["--readme-intro", str(args.readme_intro)]
    return shlex.join(words)


def _note(text: str) -> None:
    print(f"note: {text}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from lm_eval_statetrack.report.load import load_runs
    from lm_eval_statetrack.report.readme import replace_section
    from lm_eval_statetrack.report.summary import summarize
    from lm_eval_statetrack.report.tables import horizon_table, markdown, write_data

    loaded = load_runs(args.results, args.label)
    if not loaded.runs:
        for note in loaded.notes:
            _note(note)
        print(
            f"error: nothing to report: none of the {len(args.results)} RESULTS argument(s) "
            "holds a score of a statetrack_<family>_<variant>_len<L> task",
            file=sys.stderr,
        )
        return 2
    summary = summarize(loaded, args.threshold_frac)
    out: Path = args.out
    figures = {}
    try:
        out.mkdir(parents=True, exist_ok=True)
        if not args.no_plots:
            from lm_eval_statetrack.report.plots import write_figures

            try:
                figures = write_figures(summary, out)
            except RuntimeError as e:
                summary.notes.append(str(e))
        written = write_data(summary, out)
        report_md = out / "report.md"
        report_md.write_text(markdown(summary, figures, out), encoding="utf-8")
        written.append(report_md)
        if args.readme:
            body = markdown(summary, figures, args.readme.parent, level=2, command=_command(args))
            if args.readme_intro:
                body = args.readme_intro.read_text(encoding="utf-8").strip() + "\n\n" + body
            text = args.readme.read_text(encoding="utf-8")
            args.readme.write_text(replace_section(text, args.readme_heading, body), "utf-8")
            written.append(args.readme)
    except (OSError, ValueError) as e:
        print(f"error: cannot write the report: {e}", file=sys.stderr)
        return 2
    for note in summary.notes:
        _note(note)
    for family in summary.families():
        print(f"\n{family}\n" + "\n".join(horizon_table(summary, family)))
    paths = [*(p.with_suffix(".svg") for p in figures.values()), *figures.values(), *written]
    print("\nwrote " + ", ".join(map(str, paths)))
    return 0
