"""``statetrack leaderboard``: validated submissions -> a ranked, static leaderboard
(``leaderboard.md``, ``.csv``, ``.json`` and a self-contained ``index.html``);
``statetrack leaderboard init DIR`` writes a leaderboard repository skeleton."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lm_eval_statetrack.commands.report import fraction


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "submissions",
        nargs="+",
        metavar="SUBMISSION",
        help="submission files, or folders: every *.json.gz and *.json below them; "
        "or `init DIR` to write a leaderboard repository (submissions/, README, CI workflow)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="folder for the board (replaced whole, and only once the new board is complete)",
    )
    parser.add_argument(
        "--threshold-frac",
        type=fraction,
        default=0.9,
        help="horizon threshold = floor + FRAC * (1 - floor) (default 0.9)",
    )


def _init(args: argparse.Namespace) -> int:
    from lm_eval_statetrack.report.leaderboard.skeleton import init

    if len(args.submissions) != 2 or args.out is not None:
        print("error: usage: statetrack leaderboard init DIR", file=sys.stderr)
        return 2
    try:
        written = init(Path(args.submissions[1]))
    except (OSError, FileExistsError) as e:
        print(f"error: cannot write the skeleton: {e}", file=sys.stderr)
        return 2
    print("wrote " + ", ".join(map(str, written)))
    print("next: git init, commit, push to GitHub, enable Pages (source: GitHub Actions)")
    return 0


def run(args: argparse.Namespace) -> int:
    """Exit 0 once the board is written (rejected files are listed on it and here)."""
    if args.submissions[0] == "init":
        return _init(args)
    if args.out is None:
        print("error: --out DIR is required: the folder to write the board to", file=sys.stderr)
        return 2
    import os

    os.environ.setdefault("TQDM_DISABLE", "1")  # lm-eval's progress bar per rebuilt task
    from lm_eval_statetrack.report.leaderboard.collect import collect, submission_files
    from lm_eval_statetrack.report.leaderboard.output import OutputError, check_out, write_board
    from lm_eval_statetrack.report.leaderboard.page import html
    from lm_eval_statetrack.report.leaderboard.records import (
        board_record,
        csv_text,
        evidence_link,
        markdown,
        to_json,
    )

    inputs = [Path(p) for p in args.submissions]
    try:
        check_out(args.out, [path for _, path in submission_files(inputs)[0]])
    except OutputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    board = collect(inputs, args.threshold_frac)
    record = board_record(board)
    texts = {
        "leaderboard.json": to_json(record),
        "leaderboard.csv": csv_text(record),
        "leaderboard.md": markdown(record),
        "index.html": html(record),
    }
    copies = {evidence_link(e): e.path for e in board.ranked + board.partial}
    try:
        write_board(texts, copies, args.out)
    except OSError as e:
        print(f"error: cannot write the board to {args.out}: {e}", file=sys.stderr)
        return 2
    for row in record["ranked"]:
        print(f"{row['rank']:>3}. {row['model']}: score {row['score']:.3f} ({row['file']})")
    for row in record["partial"]:
        print(f"  partial, not ranked: {row['model']}: score {row['score']:.3f} ({row['file']})")
    for item in record["superseded"]:
        print(f"SUPERSEDED {item['file']}: {item['reasons'][0]}")
    for item in record["rejected"]:
        for reason in item["reasons"]:
            print(f"REJECTED {item['file']}: {reason}")
    print(
        f"wrote {args.out}/index.html, leaderboard.md, .csv, .json: {len(board.ranked)} ranked, "
        f"{len(board.partial)} partial, {len(board.rejected)} rejected"
    )
    return 0
