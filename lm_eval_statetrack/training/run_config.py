"""One training run as a small typed config, checked before anything is built."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from lm_eval_statetrack.families.base import POWERS_OF_TWO


@dataclass
class TrainConfig:
    """What to train on which task. ``None`` width, state size and learning rate take the
    architecture's defaults."""

    arch: str
    variant: str = "a5"
    layers: int = 1
    width: int | None = None
    state_size: int | None = None
    lengths: tuple[int, ...] = POWERS_OF_TWO
    curriculum: bool = True  # start at the shortest length, add the next when passing
    max_steps: int = 3000
    batch_tokens: int = 4096  # sequences per batch = batch_tokens // (length + 1)
    lr: float | None = None  # None: the architecture's default (what trained well here)
    weight_decay: float = 0.0
    warmup_steps: int = 50
    grad_clip: float = 1.0
    target_acc: float = 0.99  # early stop once every length reaches it (validation)
    promote_acc: float = 0.9  # curriculum: next length once the active ones reach it
    full_mix: float = 0.5  # curriculum: every length is in the mix for this end part of the run
    # curriculum: most steps before the next length joins, passed or not (None: an even
    # share of the run's first 1 - full_mix); a large value waits for each length to pass
    stage_steps: int | None = None
    eval_every: int = 100
    val_docs: int = 128
    # held_out: validation words from a split training never draws; train: draws the
    # training stream can also produce (the bundled reference models' recipe)
    val_split: str = "held_out"
    seed: int = 0
    device: str = "cpu"
    threads: int | None = 1  # CPU threads; 1 is fastest for these sizes on a shared machine
    compile: bool = False  # torch.compile the training forward (see architectures.compiled)

    def __post_init__(self) -> None:
        self.lengths = tuple(int(x) for x in self.lengths)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def resolved(self) -> TrainConfig:
        """A copy with the architecture's default width and state size filled in."""
        from lm_eval_statetrack.training.architectures import get_architecture

        arch = get_architecture(self.arch)
        data = self.to_dict()
        data["width"] = self.width or arch.default_width
        data["state_size"] = self.state_size or arch.default_state
        data["lr"] = self.lr or arch.default_lr
        return TrainConfig.from_dict(data)

    def validate(self) -> TrainConfig:
        """Raise ``ValueError`` naming the bad setting and the fix; return self when valid."""
        from lm_eval_statetrack.families.wordproblem import FAMILY
        from lm_eval_statetrack.training.architectures import check_runtime, get_architecture
        from lm_eval_statetrack.training.data import VALIDATION_SPLITS

        arch = get_architecture(self.arch)
        FAMILY.variant(self.variant)
        checks = (
            (self.layers >= 1, f"--layers must be >= 1, got {self.layers}"),
            (bool(self.lengths), "--lengths must name at least one length"),
            (all(x >= 1 for x in self.lengths), f"--lengths must be >= 1, got {self.lengths}"),
            (self.width is None or self.width >= 8, f"--width must be >= 8, got {self.width}"),
            (self.max_steps >= 1, f"--max-steps must be >= 1, got {self.max_steps}"),
            (self.batch_tokens >= 1, f"--batch-tokens must be >= 1, got {self.batch_tokens}"),
            (self.lr is None or self.lr > 0, f"--lr must be > 0, got {self.lr}"),
            (0 < self.target_acc <= 1, f"--target-acc must be in (0, 1], got {self.target_acc}"),
            (0 < self.full_mix <= 1, f"--full-mix must be in (0, 1], got {self.full_mix}"),
            (
                self.stage_steps is None or self.stage_steps >= 1,
                f"--stage-steps must be >= 1, got {self.stage_steps}",
            ),
            (self.eval_every >= 1, f"--eval-every must be >= 1, got {self.eval_every}"),
            (self.val_docs >= 1, f"--val-docs must be >= 1, got {self.val_docs}"),
            (
                self.val_split in VALIDATION_SPLITS,
                f"--val-split must be one of {VALIDATION_SPLITS}, got {self.val_split!r}",
            ),
            (
                self.threads is None or self.threads >= 1,
                f"--threads must be >= 1, got {self.threads}",
            ),
        )
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        if self.arch == "transformer" and self.width and self.width % 16:
            raise ValueError(f"--width for transformer must be a multiple of 16, got {self.width}")
        if self.arch == "mamba2" and self.width and self.width % 8:
            raise ValueError(f"--width for mamba2 must be a multiple of 8, got {self.width}")
        check_runtime(arch, self.device)
        return self
