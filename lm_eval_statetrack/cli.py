"""The ``statetrack`` command. Each subcommand lives in its own module, which imports its
heavy dependencies (torch, lm-eval, matplotlib) inside ``run``, so building the parser for
``statetrack --help`` stays fast."""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module with ``add_arguments(parser)`` and ``run(args)``, one-line help)
SUBCOMMANDS = {
    "tasks": ("lm_eval_statetrack.commands.tasks", "list families, variants, lengths, chance"),
    "report": ("lm_eval_statetrack.commands.report", "plots and horizon tables from results"),
    "submit": ("lm_eval_statetrack.commands.submit", "a leaderboard submission from results"),
    "validate": ("lm_eval_statetrack.commands.validate", "check a submission against the suite"),
    "leaderboard": (
        "lm_eval_statetrack.commands.leaderboard",
        "a ranked static leaderboard from submissions (or `init DIR`: its repository)",
    ),
    "train": ("lm_eval_statetrack.commands.train", "train a small model on a word-problem task"),
    "sweep": ("lm_eval_statetrack.commands.sweep", "min layers vs length (the paper's Fig. 3)"),
    "demo": ("lm_eval_statetrack.commands.demo", "evaluate the bundled reference models"),
    "baselines": (
        "lm_eval_statetrack.commands.baselines",
        "shallow-rule scores per task, next to chance (what a task rules out)",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="statetrack", description="State-tracking evaluation for lm-evaluation-harness."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        sp.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(sp)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return importlib.import_module(args._module).run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
