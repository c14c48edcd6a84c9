"""Running a prefix tree: every node once, on top of a copy of its parent's state.

Nodes are run in batches. All rows of a batch start from states that have seen the same
number of tokens, and the batch advances in rounds: each round feeds every row the same
number of tokens, chosen so that no row that still needs its state afterwards (a node
with children, or a row not yet done) runs past its end. A finished row with children
hands copies of its state to them: they take its place in the batch (they start exactly
where the batch is), or, if the batch would grow past the batch size (a hard cap on the
rows of any forward), run as a batch of their own right afterwards (depth first, so few
states are alive at once). A finished leaf is dropped. Only leaves may be right-padded
(their state is thrown away), so padding never reaches a reused state, and attention
caches stay aligned without masks. Models that only step one token at a time on top of
a state (``continues_multi_token = False``) get one-token rounds there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from lm_eval_statetrack.models.backends.base import Backend
from lm_eval_statetrack.models.batching import BatchSizer, Counters, split_sorted
from lm_eval_statetrack.models.trie import Need, Node, PrefixTree

# the most tokens a one-token-at-a-time model is stepped through on top of a state
MAX_STEPS = 64


@dataclass
class _Job:
    nodes: list[Node]
    state: Any | None  # a state whose rows the nodes continue (None: from scratch)
    parents: list[int]  # the row of `state` each node continues
    past: int  # tokens every row of `state` has seen


class PrefixScorer:
    """Fills every ``Need`` of a tree with its log-probability and greedy flag."""

    def __init__(
        self,
        backend: Backend,
        sizer: BatchSizer,
        counters: Counters,
        pad_id: int,
        reuse: bool = True,
    ) -> None:
        """``reuse=False``: every node is a whole input run in one forward, no state kept
        (``prefix_reuse=false``, or a model that hands back no state)."""
        self.backend, self.sizer, self.counters, self.pad_id = backend, sizer, counters, pad_id
        self.reuse = reuse
        self.rows_running = 0  # rows of the forward under way: what an OOM backs off from

    def first_batches(self, tree: PrefixTree) -> list[list[Node]]:
        """The root children in the batches ``run`` starts from, in its order; each batch
        with everything below it is independent of the others."""
        return [job.nodes for job in self._batches(_Job(tree.root.children, None, [], 0))]

    def run(
        self,
        tree: PrefixTree,
        progress: Callable[[int], Any] | None = None,
        roots: list[Node] | None = None,
    ) -> None:
        """Run every node (or those of one of ``first_batches`` and below it: ``roots``);
        ``progress(n)`` is called as batches of ``n`` nodes finish."""
        roots = tree.root.children if roots is None else roots
        stack = self._batches(_Job(roots, None, [], 0))[::-1]
        with torch.no_grad():
            while stack:
                job = stack.pop()
                try:
                    children, finished = self._run_batch(job)
                except RuntimeError as exc:
                    if not self.sizer.back_off(exc, self.rows_running):
                        raise
                    stack.extend(self._batches(job)[::-1])
                    continue
                if progress is not None:
                    progress(finished)
                for child in reversed(children):
                    stack.extend(self._batches(child)[::-1])

    def _batches(self, job: _Job) -> list[_Job]:
        """Leaves and inner nodes in separate batches, each sorted by length. A model that
        steps one token at a time on top of a state would step a fresh batch's rows from
        its shortest length to its longest; those batches keep within MAX_STEPS tokens."""
        parents = job.parents or [0] * len(job.nodes)
        stepping = job.state is None and not self.backend.continues_multi_token
        out = []
        for inner in (False, True):
            group = [i for i, n in enumerate(job.nodes) if bool(n.children) == inner]
            group.sort(key=lambda i: len(job.nodes[i].tokens))
            spread = MAX_STEPS if stepping and inner else None
            for part in split_sorted(
                group, lambda i: len(job.nodes[i].tokens), self.sizer.size, spread
            ):
                nodes = [job.nodes[i] for i in part]
                out.append(_Job(nodes, job.state, [parents[i] for i in part], job.past))
        return out

    def _rows(self, indices: list[int]) -> torch.Tensor:
        return torch.tensor(indices, dtype=torch.long, device=self.backend.device)

    def _run_batch(self, job: _Job) -> tuple[list[_Job], int]:
        """Run one batch; return the jobs for children that did not fit in it, and the
        number of nodes finished (children that fit join the batch in their parent's row)."""
        backend = self.backend
        state = None if job.state is None else backend.select(job.state, self._rows(job.parents))
        rows: list[tuple[Node, int]] = [(node, 0) for node in job.nodes]  # (node, fed so far)
        past, spawned, finished = job.past, [], 0
        self.rows_running = len(rows)
        while rows:
            rem = [len(node.tokens) - fed for node, fed in rows]
            chunk = self._chunk(rem, [bool(node.children) for node, _ in rows], state)
            going = [k for k, r in enumerate(rem) if r > chunk]
            keepers = [k for k, r in enumerate(rem) if r <= chunk and rows[k][0].children]
            ids = [
                node.tokens[fed : fed + chunk] + [self.pad_id] * max(0, chunk - r)
                for (node, fed), r in zip(rows, rem)
            ]
            reads = [
                (k, need.offset - fed, need)
                for k, (node, fed) in enumerate(rows)
                for need in node.needs.values()
                if fed <= need.offset < fed + chunk
            ]
            keep = chunk - min(j for _, j, _ in reads) if reads else 1
            self.rows_running = len(rows)
            logits, state = backend.forward(
                torch.tensor(ids, device=backend.device),
                state,
                past,
                keep,
                want_state=bool(going or keepers),
            )
            self.counters.tokens_forwarded += len(rows) * chunk
            self.counters.forward_calls += 1
            if reads:
                _read(logits, chunk - keep, reads)
            past += chunk
            finished += len(rows) - len(going)
            after = [(rows[k][0], rows[k][1] + chunk) for k in going]
            picks = list(going)
            joining = sum(len(rows[k][0].children) for k in keepers)
            if keepers and len(after) + joining <= self.sizer.size:
                for k in keepers:
                    after += [(child, 0) for child in rows[k][0].children]
                    picks += [k] * len(rows[k][0].children)
            elif keepers:
                snapshot = backend.select(state, self._rows(keepers))
                kids = [(c, slot) for slot, k in enumerate(keepers) for c in rows[k][0].children]
                spawned.append(_Job([c for c, _ in kids], snapshot, [s for _, s in kids], past))
            if after and picks != list(range(len(rows))):
                state = backend.select(state, self._rows(picks))
            rows = after
        return spawned, finished

    def _chunk(self, rem: list[int], inner: list[bool], state: Any | None) -> int:
        """Tokens every row gets this round (see the module docstring)."""
        if not self.reuse:
            return max(rem)  # whole rows in one forward; leaves, so padding is harmless
        multi = self.backend.continues_multi_token
        if state is not None and not multi:
            return 1
        limit = min((r for r, keep in zip(rem, inner) if keep), default=max(rem))
        if not multi:
            return limit  # stepping the rest one token at a time would cost more
        for chunk in sorted({r for r in rem if r < limit} | {limit}, reverse=True):
            if sum(chunk - r for r in rem if r < chunk) <= len(rem) * chunk / 4:
                return chunk  # at most a quarter of the round is padding
        return min(rem)


def _read(logits: torch.Tensor, first: int, reads: list[tuple[int, int, Need]]) -> None:
    """Store log p(target) and greedy flags; ``first`` is the chunk position of logits[:, 0]."""
    pairs = sorted({(k, j) for k, j, _ in reads})
    slot = {p: s for s, p in enumerate(pairs)}
    rows = torch.tensor([k for k, _ in pairs], device=logits.device)
    cols = torch.tensor([j - first for _, j in pairs], device=logits.device)
    logp = logits[rows, cols].float().log_softmax(-1)
    best = logp.argmax(-1).tolist()
    at = torch.tensor([slot[(k, j)] for k, j, _ in reads], device=logits.device)
    targets = torch.tensor([need.target for _, _, need in reads], device=logits.device)
    values = logp[at, targets].tolist()
    for (k, j, need), value in zip(reads, values):
        need.logp = value
        need.greedy = best[slot[(k, j)]] == need.target
