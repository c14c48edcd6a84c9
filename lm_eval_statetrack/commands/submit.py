"""``statetrack submit``: one model's lm-eval results (with ``--log_samples``) -> a
leaderboard submission file (gzip-compressed JSON)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lm_eval_statetrack.commands.report import fraction
from lm_eval_statetrack.report.leaderboard import ARCHITECTURES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "results",
        nargs="+",
        metavar="RESULTS",
        help="lm-eval results JSON files or folders of ONE model (several files are merged, "
        "e.g. one per family); run lm_eval with --log_samples so the samples_*.jsonl files "
        "lie beside them",
    )
    parser.add_argument(
        "--out", required=True, type=Path, help="submission to write (gzip-compressed JSON)"
    )
    parser.add_argument(
        "--model-id",
        help="public name of the model (hub id); default: the pretrained= model arg",
    )
    parser.add_argument(
        "--architecture",
        choices=ARCHITECTURES,
        help="the model's architecture kind, shown and filtered on the leaderboard",
    )
    parser.add_argument(
        "--threshold-frac", type=fraction, default=0.9, help="horizon threshold (default 0.9)"
    )
    parser.add_argument(
        "--no-samples",
        action="store_true",
        help="submit without the per-sample evidence (validate then cannot recompute the "
        "hashes, counts and scores)",
    )


def run(args: argparse.Namespace) -> int:
    from lm_eval_statetrack.report.load import load_runs
    from lm_eval_statetrack.report.submission import SubmissionError, build, write

    loaded = load_runs(args.results)
    for note in loaded.notes:
        print(f"note: {note}", file=sys.stderr)
    if len(loaded.runs) != 1:
        found = ", ".join(f"{r.label} ({r.model.name})" for r in loaded.runs) or "none"
        print(
            f"error: a submission holds exactly one model's statetrack results; RESULTS hold "
            f"{len(loaded.runs)}: {found}",
            file=sys.stderr,
        )
        return 2
    run_ = loaded.runs[0]
    try:
        submission = build(run_, args.threshold_frac, args.model_id, not args.no_samples)
    except SubmissionError as e:
        print(f"error: cannot build a submission: {e}", file=sys.stderr)
        return 2
    if args.architecture:
        submission["model"]["architecture"] = args.architecture
    model_id = submission["model"]["id"]
    if args.model_id is None and model_id != run_.model.model_id:
        print(
            f"warning: the model is a local checkpoint, submitted as {model_id!r} (its folder "
            "name); pass --model-id with the name others know the model by",
            file=sys.stderr,
        )
    for reason in submission["partial_reasons"]:
        print(f"warning: partial: {reason}", file=sys.stderr)
    if submission["partial_reasons"]:
        print(
            "warning: this submission is partial; `statetrack validate` rejects it unless "
            "--allow-partial",
            file=sys.stderr,
        )
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        size = write(submission, args.out)
    except OSError as e:
        print(f"error: cannot write {args.out}: {e}", file=sys.stderr)
        return 2
    print(
        f"wrote {args.out} ({size:,} bytes): {model_id}, {len(submission['tasks'])} tasks, "
        f"{len(submission['horizons'])} horizons, samples {submission['samples']}"
        + (" (partial)" if submission["partial_reasons"] else "")
    )
    return 0
