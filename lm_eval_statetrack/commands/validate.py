"""``statetrack validate``: check a submission against the installed suite."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submission", type=Path, help="a file written by `statetrack submit`")
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="accept runs with fewer docs than the tasks have (--limit) or missing lengths",
    )
    parser.add_argument(
        "--no-samples",
        action="store_true",
        help="accept tasks without per-sample evidence, and list what could not be checked",
    )


def run(args: argparse.Namespace) -> int:
    """Exit 0 when accepted, 1 when rejected (every reason printed)."""
    import gzip
    import os
    import zlib

    os.environ.setdefault("TQDM_DISABLE", "1")  # lm-eval's progress bar per rebuilt task
    from lm_eval_statetrack.report.submission import Verdict, check, read

    try:
        verdict = check(read(args.submission), no_samples=args.no_samples)
    except (
        OSError,
        UnicodeDecodeError,
        gzip.BadGzipFile,
        zlib.error,
        EOFError,
        json.JSONDecodeError,
        RecursionError,
    ) as e:
        reason = str(e) or type(e).__name__
        verdict = Verdict(errors=[f"cannot read it as a submission (gzip or plain JSON): {reason}"])
    accepted = verdict.accepted(args.allow_partial)
    marks = [
        m
        for m, on in (("partial", verdict.partial), ("non-standard settings", verdict.nonstandard))
        if on
    ]
    if not accepted:
        status = "REJECTED"
    else:
        status = "ACCEPTED" + (f" ({', '.join(marks)})" if marks else "")
    print(f"{args.submission}: {status}")
    for reason in verdict.errors:
        print(f"  mismatch: {reason}")
    for reason in verdict.partial:
        print(f"  partial: {reason}" + ("" if args.allow_partial else " (use --allow-partial)"))
    for reason in verdict.nonstandard:
        print(f"  non-standard: {reason}")
    for reason in verdict.unchecked:
        print(f"  not checked: {reason}")
    return 0 if accepted else 1
