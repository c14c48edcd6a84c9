"""Greedy decoding with stop sequences checked after every token.

A batch mixes contexts of different lengths without padding: every step feeds each row
one token (its next context token while it is still reading, its last generated token
afterwards), so all rows of the state have always seen the same number of tokens and no
pad token ever passes through a recurrent state. While every row is still reading, and
the model can continue several tokens on top of a state, rows advance in whole chunks.
A row leaves the batch as soon as a stop sequence or an end-of-turn id appears, or
``max_new`` tokens are out. ``Decoding`` applies what transformers' ``generate`` would
apply to greedy decoding (every end-of-turn id of the model's generation config, a
repetition penalty, a minimum number of new tokens), so both pick the same tokens.
Without state reuse (``prefix_reuse=false``, or a backend that cannot) each row is decoded
with one full forward per token instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from lm_eval_statetrack.models.backends.base import Backend
from lm_eval_statetrack.models.batching import Counters


def stop_reached(text: str, stops: list[str]) -> bool:
    return any(s and s in text for s in stops)


@dataclass(frozen=True)
class Decoding:
    """The greedy choice of the next token, as transformers' ``generate`` makes it."""

    eos_ids: frozenset[int] = frozenset()  # any of them ends a row (and is kept, as hf does)
    repetition_penalty: float = 1.0  # transformers' RepetitionPenaltyLogitsProcessor
    min_new_tokens: int = 0  # end-of-turn ids are masked until this many are out

    def next_tokens(
        self, logits: torch.Tensor, seen: list[list[int]], generated: list[int]
    ) -> list[int]:
        """The greedy next token of each row of ``logits`` ``[rows, vocab]``; ``seen``:
        each row's context and generated tokens, ``generated``: how many it generated."""
        scores = logits.float()
        if self.repetition_penalty != 1.0:
            scores = scores.clone()
            for k, ids in enumerate(seen):
                index = torch.tensor(sorted(set(ids)), dtype=torch.long, device=scores.device)
                picked = scores[k, index]
                scores[k, index] = torch.where(
                    picked < 0, picked * self.repetition_penalty, picked / self.repetition_penalty
                )
        if self.eos_ids and any(n < self.min_new_tokens for n in generated):
            rows = [k for k, n in enumerate(generated) if n < self.min_new_tokens]
            eos = sorted(i for i in self.eos_ids if i < scores.shape[-1])
            scores[torch.tensor(rows)[:, None], torch.tensor(eos)[None, :]] = float("-inf")
        return scores.argmax(-1).tolist()

    @property
    def uses_seen(self) -> bool:
        return self.repetition_penalty != 1.0

    def ends(self, token: int) -> bool:
        return token in self.eos_ids


def generate_batch(
    backend: Backend,
    contexts: list[list[int]],
    max_new: int,
    stops: list[str],
    decoding: Decoding,
    decode: Callable[[list[int]], str],
    counters: Counters,
    reuse: bool = True,
) -> list[list[int]]:
    """Greedy continuations (token ids) of non-empty ``contexts``, decoded together."""
    out: list[list[int]] = [[] for _ in contexts]
    if max_new <= 0:
        return out
    if not reuse:
        return [
            _generate_plain(backend, c, max_new, stops, decoding, decode, counters)
            for c in contexts
        ]
    pos = [0] * len(contexts)
    active, state, past = list(range(len(contexts))), None, 0
    with torch.no_grad():
        while active:
            reading = [pos[i] < len(contexts[i]) for i in active]
            if all(reading) and (state is None or backend.continues_multi_token):
                chunk = min(len(contexts[i]) - pos[i] for i in active)
            else:
                chunk = 1
            ids = [
                contexts[i][pos[i] : pos[i] + chunk] if r else out[i][-1:]
                for i, r in zip(active, reading)
            ]
            logits, state = backend.forward(
                torch.tensor(ids, device=backend.device), state, past, 1, want_state=True
            )
            counters.tokens_forwarded += len(active) * chunk
            counters.forward_calls += 1
            seen = (
                [contexts[i][: pos[i] + chunk] + out[i] for i in active]
                if decoding.uses_seen
                else []
            )
            best = decoding.next_tokens(logits[:, -1], seen, [len(out[i]) for i in active])
            past += chunk
            finished = []
            for k, i in enumerate(active):
                pos[i] = min(pos[i] + chunk, len(contexts[i]))
                if pos[i] < len(contexts[i]):
                    continue
                out[i].append(best[k])
                counters.generated_tokens += 1
                if (
                    decoding.ends(best[k])
                    or len(out[i]) >= max_new
                    or stop_reached(decode(out[i]), stops)
                ):
                    finished.append(k)
            if finished:
                going = [k for k in range(len(active)) if k not in set(finished)]
                if going:
                    rows = torch.tensor(going, dtype=torch.long, device=backend.device)
                    state = backend.select(state, rows)
                active = [active[k] for k in going]
    return out


def _generate_plain(backend, context, max_new, stops, decoding, decode, counters) -> list[int]:
    """For a backend that cannot continue from a state: one full forward per token."""
    out: list[int] = []
    with torch.no_grad():
        while len(out) < max_new:
            ids = torch.tensor([context + out], device=backend.device)
            logits, _ = backend.forward(ids, None, 0, 1, want_state=False)
            counters.tokens_forwarded += ids.shape[1]
            counters.forward_calls += 1
            out += decoding.next_tokens(logits[:, -1], [context + out], [len(out)])
            counters.generated_tokens += 1
            if decoding.ends(out[-1]) or stop_reached(decode(out), stops):
                break
    return out
