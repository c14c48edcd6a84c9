"""``--model statetrack``: lm-eval's ``LM`` interface on top of prefix-state reuse.

lm-eval hands the model all requests of a kind at once. Log-likelihood requests are
tokenized as lm-eval's ``hf`` model does, put in a prefix tree (``trie``) and scored by
running each shared prefix once (``prefix_scorer``); generation is greedy with stop
sequences checked while decoding (``generation``). The model itself sits behind a small
protocol (``backends``). Data parallelism follows lm-eval's ``hf`` model: under
``accelerate launch`` each process takes its rank's share of the requests.
"""

from __future__ import annotations

import json
import math
import os
from datetime import timedelta
from typing import Any

import torch
from lm_eval import utils
from lm_eval.api.model import TemplateLM
from lm_eval.defaults import DEFAULT_MAX_LENGTH
from lm_eval.models.utils import (
    _add_special_kwargs,
    handle_stop_sequences,
    has_bos_prefix,
    normalize_gen_kwargs,
    postprocess_generated_text,
)
from tqdm import tqdm

from lm_eval_statetrack.compat import TOKENIZER_INFINITY, rolling_result, rolling_text
from lm_eval_statetrack.models.backends import load_backend
from lm_eval_statetrack.models.backends.base import resolve_dtype, snapshot_sha
from lm_eval_statetrack.models.batching import BatchSizer, Counters, split_sorted
from lm_eval_statetrack.models.generation import generate_batch
from lm_eval_statetrack.models.options import (
    AdapterOptions,
    merge_run_settings,
    parse_options,
)
from lm_eval_statetrack.models.prefix_scorer import MAX_STEPS, PrefixScorer
from lm_eval_statetrack.models.trie import build_tree
from lm_eval_statetrack.models.util import logger
from lm_eval_statetrack.models.verify import default_tolerance, verify_scores

MIN_SHARED = 16  # shared runs shorter than this are recomputed rather than stored

Encoded = tuple[tuple[str | None, str | None], list[int], list[int]]


def resolve_device(device: str | None) -> torch.device:
    """As lm-eval's ``hf`` model: CUDA when available if no device is named, and a CUDA
    device named on a machine without CUDA (lm-eval's default is cuda:0) means the CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        logger.info("statetrack: device=%s but no CUDA device is visible; using the CPU", device)
        return torch.device("cpu")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ValueError(
            f"device={device!r} is not a torch device; use cpu, cuda or cuda:N."
        ) from None


def _label(request) -> str:
    return f"task {request.task_name} doc {request.doc_id}"


class StateTrackLM(TemplateLM):
    """Evaluates causal LMs with each shared prefix's state computed once."""

    @classmethod
    def create_from_arg_string(
        cls, arg_string: str, additional_config: dict[str, Any] | None = None
    ) -> StateTrackLM:
        """``--model_args`` may also name device, batch_size and max_batch_size."""
        args = utils.simple_parse_args_string(arg_string)
        return cls(**merge_run_settings(args, additional_config))

    @classmethod
    def create_from_arg_obj(
        cls, arg_dict: dict[str, Any], additional_config: dict[str, Any] | None = None
    ) -> StateTrackLM:
        return cls(**merge_run_settings(arg_dict, additional_config))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self.options: AdapterOptions = parse_options(kwargs)
        opts = self.options
        self._setup_processes(opts.device)
        self.dtype = resolve_dtype(opts.dtype, self._device)
        self.backend = load_backend(
            opts.pretrained,
            opts.backend,
            self._device,
            self.dtype,
            opts.revision,
            opts.trust_remote_code,
            opts.cache_kwarg,
        )
        self.tokenizer = self._load_tokenizer()
        self._max_length = self._resolve_max_length(self.backend.position_limit)
        if hasattr(self.backend, "max_seqlen"):  # mamba-ssm preallocates attention caches
            self.backend.max_seqlen = self._max_length
        self.sizer = BatchSizer(opts.batch_size, opts.max_batch_size)
        self.counters = Counters()
        self.verified = 0
        self.tolerance = default_tolerance(
            self.dtype, opts.verify_tolerance, opts.verify_rel_tolerance
        )
        logger.info(
            "statetrack: %s on %s, %s, kernels: %s, prefix reuse %s",
            opts.pretrained,
            self._device,
            self.dtype,
            self.backend.kernels,
            "on" if self.reuse else "off",
        )
        if self.sizer.size == 1:
            logger.info("statetrack: batch_size=1; batch_size=auto is usually much faster")

    # ---- set-up ---------------------------------------------------------------------

    def _setup_processes(self, device: str | None) -> None:
        """One process, or one rank of ``accelerate launch`` (data parallel)."""
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            from accelerate import Accelerator, InitProcessGroupKwargs

            handler = InitProcessGroupKwargs(timeout=timedelta(weeks=52))
            self.accelerator = Accelerator(kwargs_handlers=[handler])
            self._device = self.accelerator.device
            self._rank = self.accelerator.process_index
            self._world_size = self.accelerator.num_processes
        else:
            self._device = resolve_device(device)

    def _load_tokenizer(self):
        from transformers import AutoTokenizer

        opts = self.options
        source = opts.tokenizer or opts.pretrained
        try:
            return AutoTokenizer.from_pretrained(
                source,
                revision=None if opts.tokenizer else opts.revision,
                trust_remote_code=opts.trust_remote_code,
            )
        except (OSError, ValueError) as exc:
            raise OSError(
                f"statetrack: no tokenizer loads from {source} ({exc}). Pass "
                "tokenizer=<hub id or dir> (mamba-ssm checkpoints use EleutherAI/gpt-neox-20b)."
            ) from exc

    def _resolve_max_length(self, position_limit: int | None) -> int:
        if self.options.max_length:
            return self.options.max_length
        if position_limit:
            return position_limit
        limit = getattr(self.tokenizer, "model_max_length", None)
        if limit and limit < TOKENIZER_INFINITY:
            return int(limit)
        return DEFAULT_MAX_LENGTH

    # ---- what lm-eval reads ---------------------------------------------------------

    @property
    def reuse(self) -> bool:
        return self.options.prefix_reuse and self.backend.reuses_state

    @property
    def eot_token_id(self) -> int:
        return self.tokenizer.eos_token_id

    @property
    def prefix_token_id(self) -> int:
        bos = self.tokenizer.bos_token_id
        return bos if bos is not None else self.tokenizer.eos_token_id

    @property
    def max_length(self) -> int:
        return self._max_length

    @property
    def max_gen_toks(self) -> int:
        return self.options.max_gen_toks

    @property
    def batch_size(self) -> int:
        return self.sizer.size

    @property
    def tokenizer_name(self) -> str:
        return self.tokenizer.name_or_path.replace("/", "__")

    def all_gather(self, tensor: torch.Tensor) -> torch.Tensor:
        return self.accelerator.gather(tensor) if self.world_size > 1 else tensor

    def gather_object(self, obj, dst: int = 0):
        if self.world_size <= 1:
            return [obj]
        result = [None] * self.world_size if self.rank == dst else None
        torch.distributed.gather_object(obj=obj, object_gather_list=result, dst=dst)
        return result

    def barrier(self) -> None:
        if self.world_size > 1:
            self.accelerator.wait_for_everyone()

    def tok_encode(
        self, string: str, add_special_tokens: bool | None = None, **kwargs
    ) -> list[int]:
        """As lm-eval's ``hf`` model, so both score the same tokens."""
        special = _add_special_kwargs(add_special_tokens, None)
        bos = self.tokenizer.decode(self.prefix_token_id)
        if add_special_tokens is None and has_bos_prefix(string, bos):
            special["add_special_tokens"] = False
        return self.tokenizer.encode(string, **special)

    def tok_decode(self, tokens: list[int], skip_special_tokens: bool = True) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=skip_special_tokens)

    def apply_chat_template(
        self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True
    ) -> str:
        return self.tokenizer.apply_chat_template(
            chat_history,
            tokenize=False,
            add_generation_prompt=add_generation_prompt,
            continue_final_message=not add_generation_prompt,
        )

    def get_model_info(self) -> dict[str, Any]:
        """Merged into the results' ``config``: what lm-eval's ``hf`` model reports
        (parameters, dtype, revision, sha), the compute path and the counters."""
        opts = self.options
        return {
            **self.backend.info(),
            "model_dtype": str(self.dtype),
            "model_revision": opts.revision or "main",
            "model_sha": snapshot_sha(opts.pretrained, opts.revision),
            "statetrack_backend": self.backend.name,
            "statetrack_device": str(self._device),
            "statetrack_batch_size": self.sizer.size,
            "statetrack_kernels": self.backend.kernels,
            "statetrack_prefix_reuse": self.reuse,
            "statetrack_verified_requests": self.verified,
            "statetrack_counters": self.counters.as_dict(),
        }

    # ---- log-likelihood -------------------------------------------------------------

    def loglikelihood(self, requests, disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        pairs = [request.args for request in requests]
        encoded = [(pair, *enc) for pair, enc in zip(pairs, self._encode_requests(pairs))]
        return self._score(encoded, [_label(r) for r in requests], disable_tqdm)

    def _encode_requests(self, pairs: list[tuple[str, str]]) -> list[tuple[list[int], list[int]]]:
        """Token ids exactly as lm-eval's ``TemplateLM`` makes them (trailing spaces of the
        context move to the continuation; the continuation is the tail of the encoded
        whole), with each distinct string encoded once, in batched tokenizer calls."""
        split = []
        for context, continuation in pairs:
            n = len(context) - len(context.rstrip())
            split.append((context[: len(context) - n], context[len(context) - n :] + continuation))
        ids = self._encode_many(list({c for c, _ in split} | {c + k for c, k in split}))
        out = []
        for (context, continuation), (ctx_s, cont_s) in zip(pairs, split):
            if context == "":
                cont = self.tok_encode(continuation, add_special_tokens=False)
                first = self.prefix_token_id != cont[0]
                out.append(([self.prefix_token_id], cont) if first else (cont[:1], cont[1:]))
            else:
                ctx = ids[ctx_s]
                out.append((ctx, ids[ctx_s + cont_s][len(ctx) :]))
        return out

    def _encode_many(self, strings: list[str]) -> dict[str, list[int]]:
        """``tok_encode`` of each string, in two batched calls (straight to the Rust
        tokenizer when there is one: the same ids, without per-string Python objects)."""
        bos = self.tokenizer.decode(self.prefix_token_id)
        fast = getattr(self.tokenizer, "backend_tokenizer", None)
        out: dict[str, list[int]] = {}
        for skip_bos in (False, True):
            group = [s for s in strings if has_bos_prefix(s, bos) == skip_bos]
            if not group:
                continue
            kwargs = {"add_special_tokens": False} if skip_bos else {}
            ids = None
            if fast is not None:
                encode = getattr(fast, "encode_batch_fast", fast.encode_batch)  # no offsets
                ids = [e.ids for e in encode(group, add_special_tokens=not skip_bos)]
                for i in {0, len(group) - 1}:  # guard: Python-side pre-processing differs
                    if ids[i] != self.tokenizer.encode(group[i], **kwargs):
                        ids = None
                        break
            if ids is None:
                ids = self.tokenizer(group, **kwargs)["input_ids"]
            out.update(zip(group, ids))
        return out

    def _loglikelihood_tokens(self, requests: list[Encoded], disable_tqdm: bool = False, **kw):
        return self._score(requests, [f"request {i}" for i in range(len(requests))], disable_tqdm)

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False) -> list:
        windows: list[Encoded] = []
        owner: list[int] = []
        for i, request in enumerate(requests):
            tokens = self.tok_encode(rolling_text(request.args))
            for ctx, cont in map(
                utils.make_disjoint_window,
                utils.get_rolling_token_windows(
                    tokens, self.prefix_token_id, self.max_length, context_len=1
                ),
            ):
                windows.append(((None, None), ctx, cont))
                owner.append(i)
        labels = [_label(requests[i]) for i in owner]
        scores = self._score(windows, labels, disable_tqdm)
        totals = [0.0] * len(requests)
        for i, (value, _) in zip(owner, scores):
            totals[i] += value
        results = [rolling_result(total) for total in totals]
        for request, result in zip(requests, results):
            self.cache_hook.add_partial("loglikelihood_rolling", request.args, result)
        return results

    def _fitted(self, tokens: list[int], room: int, problem: str) -> list[int]:
        """``tokens`` if at most ``room``; their last ``room`` only if the user asked for
        truncation=left; else an error that says what did not fit (``problem``)."""
        if len(tokens) <= room:
            return tokens
        if self.options.truncation == "left" and room >= 1:
            return tokens[-room:]
        raise ValueError(
            f"statetrack: {problem}. Nothing is truncated silently: raise max_length (if the "
            "model allows it) or pass truncation=left to keep the end of the context."
        )

    def _fit(self, ctx: list[int], cont: list[int], label: str) -> list[int]:
        """The context of a scored continuation, fitted to max_length."""
        n_inputs = len(ctx) + len(cont) - 1
        problem = (
            f"{label}: context + continuation need {n_inputs} input tokens, more than "
            f"max_length={self.max_length}"
        )
        return self._fitted(ctx, self.max_length + 1 - len(cont), problem)

    def _score(
        self, encoded: list[Encoded], labels: list[str], disable_tqdm: bool = False
    ) -> list[tuple[float, bool]]:
        contexts, conts, index = [], [], []
        for i, ((_, _), ctx, cont) in enumerate(encoded):
            if cont:
                contexts.append(self._fit(ctx, cont, labels[i]))
                conts.append(cont)
                index.append(i)
        trimmed = sum(len(c) < len(encoded[i][1]) for c, i in zip(contexts, index))
        if trimmed:
            logger.warning("statetrack: truncation=left shortened %d contexts", trimmed)
        tree = build_tree(
            contexts,
            conts,
            share=self.reuse,
            min_shared=MIN_SHARED,
            max_steps=None if self.backend.continues_multi_token else MAX_STEPS,
        )
        before = self.counters.tokens_forwarded
        unique = tree.unique_tokens
        self.counters.unique_tokens += unique
        self.counters.requests += len(encoded)
        bar = tqdm(
            total=len(tree.nodes()),
            disable=disable_tqdm or self.rank != 0,
            desc="statetrack prefix-tree nodes",
        )
        scorer = PrefixScorer(self.backend, self.sizer, self.counters, self._pad_id(), self.reuse)
        scorer.run(tree, bar.update)
        bar.close()
        results: list[tuple[float, bool]] = [(0.0, True)] * len(encoded)
        for i, needs in zip(index, tree.requests):
            value = sum(n.logp for n in needs)
            if not math.isfinite(value):
                (context, continuation), _, _ = encoded[i]
                raise FloatingPointError(
                    f"statetrack: {labels[i]} has log-likelihood {value} (context ending "
                    f"{(context or '')[-80:]!r}, continuation {continuation!r}); backend="
                    f"{self.backend.name}, dtype={self.dtype}. Try dtype=float32."
                )
            results[i] = (value, all(n.greedy for n in needs))
        if self.options.verify:
            kept = [(contexts[j], conts[j]) for j in range(len(index))]
            self.verified += verify_scores(
                self.backend,
                kept,
                [results[i] for i in index],
                self.options.verify,
                self.tolerance,
                lambda j: labels[index[j]],
            )
        for (strings, _, _), answer in zip(encoded, results):
            if strings[0] is not None:
                self.cache_hook.add_partial("loglikelihood", strings, answer)
        logger.info(
            "statetrack: %d requests, %d unique tokens, %d tokens forwarded (%.3f per unique "
            "token)",
            len(encoded),
            unique,
            self.counters.tokens_forwarded - before,
            (self.counters.tokens_forwarded - before) / max(unique, 1),
        )
        return results

    def _pad_id(self) -> int:
        for candidate in (self.tokenizer.pad_token_id, self.tokenizer.eos_token_id, 0):
            if candidate is not None:
                return candidate
        return 0

    # ---- generation -----------------------------------------------------------------

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        groups: dict[str, list[int]] = {}
        settings: dict[str, dict] = {}
        for i, request in enumerate(requests):
            kwargs = normalize_gen_kwargs(request.args[1], self.max_gen_toks)
            if kwargs.get("do_sample"):
                raise ValueError(
                    f"statetrack decodes greedily, but {_label(request)} asks for do_sample=True;"
                    " use --model hf for sampling"
                )
            key = json.dumps([kwargs.get("until"), kwargs["max_gen_toks"]])
            groups.setdefault(key, []).append(i)
            settings[key] = kwargs
        eos = self.tok_decode([self.eot_token_id], skip_special_tokens=False)
        out = [""] * len(requests)
        bar = tqdm(total=len(requests), disable=disable_tqdm or self.rank != 0, desc="statetrack")
        for key, members in groups.items():
            until = handle_stop_sequences(settings[key].get("until"), eos=eos)
            max_new = settings[key]["max_gen_toks"]
            contexts = {i: self._gen_context(requests[i], max_new) for i in members}
            for i, tokens in self._generate_group(contexts, until, max_new, bar.update).items():
                text = postprocess_generated_text(self.tok_decode(tokens), until, None)
                out[i] = text
                self.cache_hook.add_partial("generate_until", requests[i].args, text)
        bar.close()
        logger.info(
            "statetrack: generation so far: %d tokens generated, %d forwarded",
            self.counters.generated_tokens,
            self.counters.tokens_forwarded,
        )
        return out

    def _generate_group(
        self, contexts: dict[int, list[int]], until: list[str], max_new: int, progress
    ) -> dict[int, list[int]]:
        """Batches of similar context length (all rows step together once one of them
        generates), halved on out-of-memory with ``batch_size=auto``."""

        def batches(items: list[int]) -> list[list[int]]:
            items = sorted(items, key=lambda i: len(contexts[i]))
            runs = split_sorted(items, lambda i: len(contexts[i]), self.sizer.size, MAX_STEPS)
            return runs[::-1]

        queue, out = batches(list(contexts)), {}
        while queue:
            batch = queue.pop()
            try:
                tokens = generate_batch(
                    self.backend,
                    [contexts[i] for i in batch],
                    max_new,
                    until,
                    self.eot_token_id,
                    lambda t: self.tok_decode(t, skip_special_tokens=False),
                    self.counters,
                    reuse=self.reuse,
                )
            except RuntimeError as exc:
                if not self.sizer.back_off(exc, len(batch)):
                    raise
                queue.extend(batches(batch))
                continue
            out.update(zip(batch, tokens))
            progress(len(batch))
        return out

    def _gen_context(self, request, max_new: int) -> list[int]:
        tokens = self.tok_encode(request.args[0]) or [self.prefix_token_id]
        problem = (
            f"{_label(request)}: the prompt has {len(tokens)} tokens and max_gen_toks={max_new} "
            f"more may follow, beyond max_length={self.max_length}"
        )
        return self._fitted(tokens, self.max_length - max_new, problem)
