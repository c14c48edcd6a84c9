"""Data parallel for ``--model statetrack``: ranks of ``torchrun`` / ``accelerate launch``.

lm-eval's evaluator hands rank r every world_size-th document of each task. Scored that
way, a rank's batches would mix other rows than one process's batches do, and batch
composition moves float results in their last bits. So the ranks first pool their
requests (``exchange``): every rank builds the same prefix tree (or generation batches)
that one process would build from all requests, the first batches are dealt out whole
(``owners``: largest first, each to the least-loaded rank; a batch takes everything below
its root children with it, so a shared prefix stays on one rank), each rank runs its own,
and the ranks swap results. Every forward call a rank makes is then one that a single
process makes, with the same rows, and the scores are bit for bit those of one process
(same batch size, threads and hardware; an out-of-memory back-off with ``batch_size=auto``
is per rank).

Each step of a call is one collective that also carries failures: a rank whose work
raises hands its error to the others, which stop with it instead of waiting forever.
lm-eval's ``--use_cache`` may skip a call on a rank whose requests are all cached; that
rank waits in ``barrier`` and joins the call with no requests of its own.

The process group is torch's own, set up from the launcher's environment (accelerate
reports no distributed run under ``torchrun`` on a CPU unless asked for the CPU). Its
backend is gloo on the CPU and on CUDA alike: the ranks only swap pickled requests and
results, and gloo, unlike nccl, lets several ranks share one GPU. Rank r takes GPU
``LOCAL_RANK % device_count``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import torch

T = TypeVar("T")
BARRIER = "barrier"


def launched_ranks() -> int:
    """Processes started together by torchrun / accelerate launch (1 when run plainly)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def owners(weights: list[int], world_size: int) -> list[int]:
    """The rank that runs each item: heaviest first, each to the least-loaded rank (ties:
    the lower rank). Deterministic, so every rank computes the same split."""
    load = [0] * world_size
    out = [0] * len(weights)
    for i in sorted(range(len(weights)), key=lambda i: (-weights[i], i)):
        rank = min(range(world_size), key=lambda r: (load[r], r))
        out[i] = rank
        load[rank] += weights[i]
    return out


class OutOfStep(RuntimeError):
    """Ranks reached different calls: their request types differ."""


class Ranks:
    """This process's place among the data-parallel processes (one process: rank 0 of 1)."""

    def __init__(self, device: torch.device | None) -> None:
        """``device``: the single-process device; under a launcher each rank takes its own
        (``cuda:LOCAL_RANK`` when CUDA is there and no CPU device was asked for)."""
        self.rank, self.world_size, self.device = 0, 1, device
        self._joined: str | None = None
        if launched_ranks() > 1:
            if not torch.distributed.is_initialized():
                torch.distributed.init_process_group("gloo", timeout=timedelta(weeks=52))
            self.rank = torch.distributed.get_rank()
            self.world_size = torch.distributed.get_world_size()
            if device is not None and device.type == "cuda":
                local = int(os.environ.get("LOCAL_RANK", "0"))
                self.device = torch.device("cuda", local % torch.cuda.device_count())
                torch.cuda.set_device(self.device)

    def _gather(self, obj: Any) -> list[Any]:
        out: list[Any] = [None] * self.world_size
        torch.distributed.all_gather_object(out, obj)
        return out

    def start(self, call: str) -> None:
        """Every call that exchanges data begins here, so ranks agree on what they run."""
        if self.world_size == 1:
            return
        if self._joined is not None:  # this rank joins the call from barrier()
            self._joined = None
            return
        calls = set(self._gather(call)) - {call, BARRIER}
        if calls:
            raise OutOfStep(
                f"statetrack: ranks out of step: rank {self.rank} runs {call}, others "
                f"{', '.join(sorted(calls))}. lm-eval gives each rank every "
                f"{self.world_size}th document of a task: run at least {self.world_size} "
                "documents per task (--limit), or fewer processes."
            )

    def exchange(self, step: str, work: Callable[[], T]) -> list[T]:
        """``work()`` here, its result from every rank (in rank order) back. If any rank's
        work raised, every rank raises: the failing one its own error, the others an
        error naming the rank and its message."""
        try:
            value, error = work(), None
        except Exception as exc:  # handed to the other ranks, then re-raised
            value, error = f"{type(exc).__name__}: {exc}", exc
        if self.world_size == 1:
            if error is not None:
                raise error
            return [value]
        gathered = self._gather((step, error is None, value))
        steps = {s for s, _, _ in gathered}
        if steps != {step}:
            raise OutOfStep(f"statetrack: ranks out of step at {sorted(steps)}")
        if error is not None:
            raise error
        for rank, (_, ok, message) in enumerate(gathered):
            if not ok:
                raise RuntimeError(f"statetrack: rank {rank} failed: {message}")
        return [v for _, _, v in gathered]

    def barrier(self, join: Callable[[str], Any]) -> None:
        """Wait for every rank; a call another rank is still in is joined with ``join``
        (with no requests of this rank's own) until all ranks are here."""
        if self.world_size == 1:
            return
        while True:
            calls = set(self._gather(BARRIER)) - {BARRIER}
            if not calls:
                return
            if len(calls) > 1:
                raise OutOfStep(f"statetrack: ranks out of step: {sorted(calls)}")
            self._joined = call = calls.pop()
            join(call)

    def all_gather(self, tensor: torch.Tensor) -> torch.Tensor:
        """lm-eval gathers per-rank request counts with this."""
        if self.world_size == 1:
            return tensor
        parts = [torch.empty_like(tensor, device="cpu") for _ in range(self.world_size)]
        torch.distributed.all_gather(parts, tensor.cpu())
        joined = torch.stack(parts) if tensor.dim() == 0 else torch.cat(parts)
        return joined.to(tensor.device)

    def gather_object(self, obj: Any, dst: int = 0) -> list[Any] | None:
        """lm-eval gathers per-rank samples and metrics on rank 0 with this."""
        if self.world_size == 1:
            return [obj]
        result = [None] * self.world_size if self.rank == dst else None
        torch.distributed.gather_object(obj=obj, object_gather_list=result, dst=dst)
        return result
