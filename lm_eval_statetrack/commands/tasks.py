"""``statetrack tasks``: what the suite contains, without loading lm-eval."""

from __future__ import annotations

import argparse
import json

from lm_eval_statetrack.families import FAMILY_MODULES, get_family


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--family", choices=sorted(FAMILY_MODULES), help="only this family")
    parser.add_argument(
        "--all", action="store_true", help="include opt-in families (the group catalog)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def rows(family_names: list[str]) -> list[dict]:
    out = []
    for name in family_names:
        family = get_family(name)
        for v in family.variants.values():
            out.append(
                {
                    "family": family.name,
                    "variant": v.name,
                    "tasks": family.task_name(v.name, 0).replace("len0", "len<L>"),
                    "rendering": family.rendering,
                    "complexity": v.complexity,
                    "chance": round(v.chance, 4),
                    "lengths": list(v.lengths),
                    "version": family.version,
                }
            )
    return out


def run(args: argparse.Namespace) -> int:
    if args.family:
        names = [args.family]
    else:
        names = [n for n in FAMILY_MODULES if args.all or not get_family(n).opt_in]
    table = rows(names)
    if args.json:
        print(json.dumps(table, indent=2))
        return 0
    header = ("family", "variant", "rendering", "complexity", "chance", "lengths")
    lines = [header] + [
        (
            r["family"],
            r["variant"],
            r["rendering"],
            r["complexity"],
            f"{r['chance']:.4f}",
            ",".join(map(str, r["lengths"])),
        )
        for r in table
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
    print(
        "\nTask names: statetrack_<family>_<variant>_len<L>; run all with --tasks 'statetrack_*'."
        "\nOpt-in families (statetrack tasks --all) are named statetrack-<family>_<variant>_len<L>"
        " so that glob skips them: --tasks 'statetrack-catalog_*'."
    )
    return 0
