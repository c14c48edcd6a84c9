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


def run(args: argparse.Namespace) -> int:
    """Exit 0 when accepted, 1 when rejected (every reason printed)."""
    from lm_eval_statetrack.report.submission import Verdict, check

    try:
        verdict = check(json.loads(args.submission.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        verdict = Verdict(errors=[f"cannot read it as JSON: {e}"])
    accepted = verdict.accepted(args.allow_partial)
    if not accepted:
        status = "REJECTED"
    else:
        status = "ACCEPTED (partial)" if verdict.partial else "ACCEPTED"
    print(f"{args.submission}: {status}")
    for reason in verdict.errors:
        print(f"  mismatch: {reason}")
    for reason in verdict.partial:
        print(f"  partial: {reason}" + ("" if args.allow_partial else " (use --allow-partial)"))
    return 0 if accepted else 1
