"""``statetrack train``: train one model on one word-problem task, or regenerate the
bundled reference models (``--references``)."""

from __future__ import annotations

import argparse
from pathlib import Path


def int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError as err:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from err


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """Settings shared by ``train`` and ``sweep`` (defaults: TrainConfig's)."""
    from lm_eval_statetrack.training.data import VALIDATION_SPLITS
    from lm_eval_statetrack.training.run_config import TrainConfig

    d = TrainConfig(arch="lstm")
    parser.add_argument("--max-steps", type=int, default=d.max_steps)
    parser.add_argument(
        "--batch-tokens",
        type=int,
        default=d.batch_tokens,
        help="tokens per batch; sequences per batch = this // (length + 1)",
    )
    parser.add_argument("--lr", type=float, help="default: per architecture")
    parser.add_argument("--weight-decay", type=float, default=d.weight_decay)
    parser.add_argument("--warmup-steps", type=int, default=d.warmup_steps)
    parser.add_argument("--target-acc", type=float, default=d.target_acc, help="early stop")
    parser.add_argument(
        "--full-mix",
        type=float,
        default=d.full_mix,
        help="curriculum: the end part of the run that trains on every length",
    )
    parser.add_argument(
        "--stage-steps",
        type=int,
        default=d.stage_steps,
        help="curriculum: most steps before the next length joins (default: an even share "
        "of the run before --full-mix)",
    )
    parser.add_argument("--eval-every", type=int, default=d.eval_every)
    parser.add_argument("--val-docs", type=int, default=d.val_docs)
    parser.add_argument(
        "--val-split",
        choices=VALIDATION_SPLITS,
        default=d.val_split,
        help="held_out: validation words training never draws; train: train-side draws "
        "(the bundled reference models' recipe)",
    )
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--device", default=d.device, help="cpu, cuda, cuda:1, ...")
    parser.add_argument(
        "--threads", type=int, default=d.threads, help="CPU threads (default 1: fastest here)"
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="torch.compile the training forward; Mamba then runs its sequential scan, "
        "compiled once per length: 2-2.5x less CPU per step than mambapy here",
    )


def training_kwargs(args: argparse.Namespace) -> dict:
    keys = (
        "max_steps",
        "batch_tokens",
        "lr",
        "weight_decay",
        "warmup_steps",
        "target_acc",
        "full_mix",
        "stage_steps",
        "eval_every",
        "val_docs",
        "val_split",
        "seed",
        "device",
        "threads",
        "compile",
    )
    return {k: getattr(args, k) for k in keys}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from lm_eval_statetrack.training.architectures import ARCHITECTURES

    parser.add_argument(
        "--arch",
        help="; ".join(f"{a.name}: {a.description}" for a in ARCHITECTURES.values()),
    )
    parser.add_argument("--variant", default="a5", help="word-problem variant (a5, z60, ...)")
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--width", type=int, help="hidden size (default: per architecture)")
    parser.add_argument("--state-size", type=int, help="SSM / IDS4 state size")
    parser.add_argument(
        "--lengths",
        type=int_list,
        help="training lengths, comma-separated (default: the task's ladder 4..256)",
    )
    parser.add_argument(
        "--no-curriculum",
        action="store_true",
        help="train on every length from the start instead of shortest first",
    )
    add_training_arguments(parser)
    parser.add_argument("--out", type=Path, help="checkpoint directory")
    parser.add_argument(
        "--references",
        action="store_true",
        help="regenerate the bundled reference models instead (see --only, --out)",
    )
    parser.add_argument("--only", help="with --references: comma-separated model names")
    parser.add_argument("--jobs", type=int, default=1, help="with --references: side by side")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    if args.references:
        from lm_eval_statetrack.training.references import regenerate

        names = [n for n in (args.only or "").split(",") if n] or None
        regenerate(names=names, out_root=args.out, progress=not args.quiet, jobs=args.jobs)
        return 0
    if not args.arch:
        raise SystemExit("statetrack train: --arch is required (or pass --references)")
    if args.out is None:
        raise SystemExit("statetrack train: --out DIR is required (where the checkpoint goes)")
    from lm_eval_statetrack.training.run_config import TrainConfig

    config = TrainConfig(
        arch=args.arch,
        variant=args.variant,
        layers=args.layers,
        width=args.width,
        state_size=args.state_size,
        curriculum=not args.no_curriculum,
        **({"lengths": args.lengths} if args.lengths else {}),
        **training_kwargs(args),
    )
    try:
        config.resolved().validate()
    except ValueError as err:
        raise SystemExit(f"statetrack train: {err}") from err
    from lm_eval_statetrack.training.trainer import save_checkpoint, train

    result = train(config, progress=not args.quiet)
    out = save_checkpoint(result, args.out)
    accs = "  ".join(f"len{k}={v:.3f}" for k, v in result.val_acc.items())
    print(f"{result.steps} steps in {result.seconds:.0f} s; validation accuracy: {accs}")
    print(f"saved to {out}; evaluate with:")
    print(
        f"  lm_eval --model hf --model_args pretrained={out} "
        f"--tasks statetrack-wordproblem-{config.variant}"
    )
    return 0
