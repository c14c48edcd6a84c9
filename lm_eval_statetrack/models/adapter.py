"""``--model statetrack``: lm-eval's ``LM`` interface on top of prefix-state reuse.

lm-eval hands the model all requests of a kind at once. Log-likelihood requests are
tokenized as lm-eval's ``hf`` model does, put in a prefix tree (``trie``) and scored by
running each shared prefix once (``prefix_scorer``); generation is greedy with stop
sequences checked while decoding (``generation``). The model itself sits behind a small
protocol (``backends``). Under ``torchrun`` / ``accelerate launch`` the ranks pool their
requests and split the work so that the scores equal one process's (``data_parallel``).
"""

from __future__ import annotations

import itertools
import json
import math
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
from lm_eval_statetrack.models.data_parallel import Ranks, owners
from lm_eval_statetrack.models.generation import Decoding, generate_batch
from lm_eval_statetrack.models.options import (
    AdapterOptions,
    merge_run_settings,
    parse_options,
)
from lm_eval_statetrack.models.prefix_scorer import MAX_STEPS, PrefixScorer
from lm_eval_statetrack.models.resume import save_batch
from lm_eval_statetrack.models.trie import Need, Node, build_tree
from lm_eval_statetrack.models.util import logger
from lm_eval_statetrack.models.verify import default_tolerance, verify_scores

MIN_SHARED = 16  # shared runs shorter than this are recomputed rather than stored

Encoded = tuple[tuple[str | None, str | None], list[int], list[int]]
# Generation options that do not change a greedy choice, or that the decoder reads itself;
# sampling parameters are moot without sampling (transformers ignores them likewise).
GREEDY_NEUTRAL = ("until", "max_gen_toks", "do_sample", "temperature", "top_p", "top_k")


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


def _total(needs: list[Need]) -> tuple[float, bool]:
    """A request's (log-likelihood, greedy) from its needs."""
    return sum(n.logp for n in needs), all(n.greedy for n in needs)


def _below(roots: list[Node]) -> list[Node]:
    """``roots`` and every node under them, in a fixed order (the same on every rank)."""
    out, stack = [], list(reversed(roots))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


def _finished_by(batch_needs: list[list[Need]], requests: list[list[Need]]) -> dict[int, list[int]]:
    """For each first batch, the requests whose last need it computes."""
    batch_of = {id(n): b for b, needs in enumerate(batch_needs) for n in needs}
    out: dict[int, list[int]] = {}
    for j, needs in enumerate(requests):
        if needs:
            out.setdefault(max(batch_of[id(n)] for n in needs), []).append(j)
    return out


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
        """One process, or one rank of ``torchrun`` / ``accelerate launch``."""
        self.ranks = Ranks(resolve_device(device))
        self._device = self.ranks.device
        self._rank, self._world_size = self.ranks.rank, self.ranks.world_size

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
        return self.ranks.all_gather(tensor)

    def gather_object(self, obj, dst: int = 0):
        return self.ranks.gather_object(obj, dst)

    def barrier(self) -> None:
        self.ranks.barrier(self._join)

    def _join(self, call: str) -> None:
        """Take part, with no requests, in a call the other ranks run (this rank's
        requests were all in lm-eval's cache)."""
        if call == "score":
            self._score([], [])
        else:
            self.generate_until([])

    def tok_encode(
        self, string: str, add_special_tokens: bool | None = None, **kwargs
    ) -> list[int]:
        """As lm-eval's ``hf`` model, so both score the same tokens."""
        special = _add_special_kwargs(add_special_tokens, self.options.add_bos_token)
        bos = self.tokenizer.decode(self.prefix_token_id)
        if add_special_tokens is None and has_bos_prefix(string, bos):
            special["add_special_tokens"] = False
        return self.tokenizer.encode(string, **special)

    def tok_decode(self, tokens: list[int], skip_special_tokens: bool = True) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=skip_special_tokens)

    def apply_chat_template(
        self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True
    ) -> str:
        """As lm-eval's ``hf`` model: ``chat_template_args`` (and ``enable_thinking``) go
        to the template, and a template that rejects the system role (Gemma's) is
        rendered again without it."""
        import jinja2

        def render(history):
            return self.tokenizer.apply_chat_template(
                history,
                tokenize=False,
                add_generation_prompt=add_generation_prompt,
                continue_final_message=not add_generation_prompt,
                **self.options.template_args(),
            )

        try:
            return render(chat_history)
        except jinja2.exceptions.TemplateError:
            logger.warning(
                "statetrack: the chat template failed; rendering it again without the system "
                "role (as lm-eval's hf model does)"
            )
            return render([m for m in chat_history if m["role"] != "system"])

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
        if self.options.enable_thinking:
            tasks = ", ".join(sorted({str(r.task_name) for r in requests}))
            raise ValueError(
                f"statetrack: enable_thinking=True is for generation tasks only, as in lm-eval's "
                f"hf model; {tasks} score log-likelihoods: drop enable_thinking for them"
            )
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
            elif not ids[ctx_s]:  # whitespace that encodes to no tokens: as context ""
                out.append(([self.prefix_token_id], ids[ctx_s + cont_s]))
            else:
                ctx = ids[ctx_s]
                out.append((ctx, ids[ctx_s + cont_s][len(ctx) :]))
        return out

    def _encode_many(self, strings: list[str]) -> dict[str, list[int]]:
        """``tok_encode`` of each string, in two batched tokenizer calls. The tokenizer's
        own batched call is ``encode`` string by string (its Python-side preparation
        included), so every id is what ``tok_encode`` would give."""
        bos = self.tokenizer.decode(self.prefix_token_id)
        add_bos = self.options.add_bos_token
        out: dict[str, list[int]] = {}
        for skip_bos in (False, True):
            group = [s for s in strings if has_bos_prefix(s, bos) == skip_bos]
            if group:
                kwargs = _add_special_kwargs(False if skip_bos else None, add_bos)
                out.update(zip(group, self.tokenizer(group, **kwargs)["input_ids"]))
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

    def _fit_requests(
        self, encoded: list[Encoded], labels: list[str]
    ) -> tuple[list[list[int]], list[list[int]], list[int]]:
        """Contexts fitted to max_length and continuations of the requests that have a
        continuation, and their positions in ``encoded``."""
        contexts, conts, index = [], [], []
        for i, ((_, _), ctx, cont) in enumerate(encoded):
            if cont and not ctx:
                raise ValueError(
                    f"statetrack: {labels[i]} has a context of no tokens; lm-eval scores a "
                    'continuation after the prefix token (context "")'
                )
            if cont:
                contexts.append(self._fit(ctx, cont, labels[i]))
                conts.append(cont)
                index.append(i)
        trimmed = sum(len(c) < len(encoded[i][1]) for c, i in zip(contexts, index))
        if trimmed:
            logger.warning("statetrack: truncation=left shortened %d contexts", trimmed)
        return contexts, conts, index

    def _score(
        self, encoded: list[Encoded], labels: list[str], disable_tqdm: bool = False
    ) -> list[tuple[float, bool]]:
        """Score through one prefix tree of all ranks' requests; this rank runs its share
        of the first batches, and the ranks swap the log-probabilities (``data_parallel``).
        Results go to lm-eval's cache as each batch finishes (``resume``)."""
        ranks = self.ranks
        ranks.start("score")
        shares = ranks.exchange(
            "score:requests", lambda: (*self._fit_requests(encoded, labels), len(encoded))
        )
        contexts, conts, index, _ = shares[ranks.rank]
        first = sum(len(share[0]) for share in shares[: ranks.rank])
        tree = build_tree(
            [c for share in shares for c in share[0]],
            [k for share in shares for k in share[1]],
            share=self.reuse,
            min_shared=MIN_SHARED,
            max_steps=None if self.backend.continues_multi_token else MAX_STEPS,
        )
        mine = tree.requests[first : first + len(index)]
        before = self.counters.tokens_forwarded
        unique = tree.unique_tokens
        self.counters.unique_tokens += unique
        n_requests = sum(share[3] for share in shares)
        self.counters.requests += n_requests
        scorer = PrefixScorer(self.backend, self.sizer, self.counters, self._pad_id(), self.reuse)
        batches = scorer.first_batches(tree)
        below = [_below(batch) for batch in batches]
        needs = [[n for node in nodes for n in node.needs.values()] for nodes in below]
        owner = owners([sum(len(n.tokens) for n in nodes) for nodes in below], ranks.world_size)
        ours = [b for b, rank in enumerate(owner) if rank == ranks.rank]
        finished_by = _finished_by(needs, mine) if ranks.world_size == 1 else {}

        def run_ours() -> tuple[list[list[tuple[float, bool]]], tuple[int, int]]:
            bar = tqdm(
                total=sum(len(below[b]) for b in ours),
                disable=disable_tqdm or self.rank != 0,
                desc="statetrack prefix-tree nodes",
            )
            calls = self.counters.forward_calls
            for b in ours:
                scorer.run(tree, bar.update, roots=batches[b])
                self._save_scores(encoded, index, mine, finished_by.get(b, []))
            bar.close()
            done = self.counters.tokens_forwarded - before, self.counters.forward_calls - calls
            return [[(n.logp, n.greedy) for n in needs[b]] for b in ours], done

        for rank, (values, (forwarded, calls)) in enumerate(
            ranks.exchange("score:results", run_ours)
        ):
            if rank == ranks.rank:
                continue
            self.counters.tokens_forwarded += forwarded
            self.counters.forward_calls += calls
            theirs = [b for b, r in enumerate(owner) if r == rank]
            for b, batch_values in zip(theirs, values, strict=True):
                for need, (logp, greedy) in zip(needs[b], batch_values, strict=True):
                    need.logp, need.greedy = logp, greedy
        finish = lambda: self._finish_scores(encoded, labels, contexts, conts, index, mine)  # noqa: E731
        results = ranks.exchange("score:finish", finish)[ranks.rank]
        logger.info(
            "statetrack: %d requests, %d unique tokens, %d tokens forwarded (%.3f per unique "
            "token)",
            n_requests,
            unique,
            self.counters.tokens_forwarded - before,
            (self.counters.tokens_forwarded - before) / max(unique, 1),
        )
        return results

    def _save_scores(
        self, encoded: list[Encoded], index: list[int], needs: list[list[Need]], which: list[int]
    ) -> None:
        """Cache the finite results of requests ``which`` (positions in ``index``)."""
        items = []
        for j in which:
            strings, answer = encoded[index[j]][0], _total(needs[j])
            if strings[0] is not None and math.isfinite(answer[0]):
                items.append((strings, answer))
        save_batch(self.cache_hook, "loglikelihood", items)

    def _finish_scores(self, encoded, labels, contexts, conts, index, needs):
        """Results in request order: checked finite, verified if asked, cached."""
        results: list[tuple[float, bool]] = [(0.0, True)] * len(encoded)
        for i, request_needs in zip(index, needs):
            value, greedy = _total(request_needs)
            if not math.isfinite(value):
                (context, continuation), _, _ = encoded[i]
                raise FloatingPointError(
                    f"statetrack: {labels[i]} has log-likelihood {value} (context ending "
                    f"{(context or '')[-80:]!r}, continuation {continuation!r}); backend="
                    f"{self.backend.name}, dtype={self.dtype}. Try dtype=float32."
                )
            results[i] = (value, greedy)
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
        saved = set(index) if self.ranks.world_size == 1 else set()  # batch by batch
        items = [
            (strings, result)
            for i, ((strings, _, _), result) in enumerate(zip(encoded, results))
            if strings[0] is not None and i not in saved
        ]
        save_batch(self.cache_hook, "loglikelihood", items)
        return results

    def _pad_id(self) -> int:
        for candidate in (self.tokenizer.pad_token_id, self.tokenizer.eos_token_id, 0):
            if candidate is not None:
                return candidate
        return 0

    # ---- generation -----------------------------------------------------------------

    def _generation_config(self) -> dict[str, Any]:
        """The model's generation config (what transformers' ``generate``, and so lm-eval's
        ``hf``, applies by default: ``generation_config.json``, else what ``config.json``
        implies); empty when the checkpoint has neither (mamba-ssm's format)."""
        if not hasattr(self, "_gen_config"):
            from transformers import GenerationConfig

            loaded = getattr(getattr(self.backend, "model", None), "generation_config", None)
            if not isinstance(loaded, GenerationConfig):
                try:
                    loaded = GenerationConfig.from_pretrained(
                        self.options.pretrained, revision=self.options.revision
                    )
                except (OSError, ValueError):
                    loaded = None
            self._gen_config = loaded.to_dict() if loaded is not None else {}
        return self._gen_config

    def _decoding(self, kwargs: dict[str, Any], label: str) -> Decoding:
        """Greedy decoding as transformers' ``generate`` does it with these options on top
        of the checkpoint's generation config; an option it cannot follow is an error."""
        if kwargs.get("do_sample"):
            raise ValueError(
                f"statetrack decodes greedily, but {label} asks for do_sample=True; use "
                "--model hf for sampling"
            )
        config = self._generation_config()
        extra = {k: v for k, v in kwargs.items() if k not in GREEDY_NEUTRAL}
        beams = extra.pop("num_beams", None) or config.get("num_beams") or 1
        if beams != 1:
            raise ValueError(
                f"statetrack decodes greedily, but {label} asks for num_beams={beams}; use "
                "--model hf for beam search"
            )
        penalty = float(extra.pop("repetition_penalty", config.get("repetition_penalty") or 1.0))
        min_new = int(extra.pop("min_new_tokens", config.get("min_new_tokens") or 0))
        if extra:
            raise ValueError(
                f"statetrack: {label} asks for generation option(s) "
                f"{', '.join(f'{k}={v!r}' for k, v in sorted(extra.items()))}, which its greedy "
                "decoder does not implement; drop them from the task's generation_kwargs "
                "(--gen_kwargs) or use --model hf"
            )
        eos = config.get("eos_token_id")
        eos_ids = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
        if self.tokenizer.eos_token_id is not None:
            eos_ids.add(self.tokenizer.eos_token_id)
        return Decoding(frozenset(eos_ids), penalty, min_new)

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        """Greedy continuations. Each distinct (prompt, settings) of all ranks is decoded
        once, in batches of similar prompt length; each rank decodes its share of the
        batches and the ranks swap the tokens (``data_parallel``)."""
        ranks = self.ranks
        ranks.start("generate")
        shares = ranks.exchange("generate:requests", lambda: self._gen_items(requests))
        distinct = sorted(
            {item for share in shares for item in share}, key=lambda it: (it[0], len(it[1]), it[1])
        )
        batches: list[list[tuple[str, tuple[int, ...]]]] = []
        for _, group in itertools.groupby(distinct, key=lambda it: it[0]):
            batches += split_sorted(list(group), lambda it: len(it[1]), self.sizer.size, MAX_STEPS)
        weights = [
            sum(len(t) + json.loads(k)["max_gen_toks"] for k, t in batch) for batch in batches
        ]
        owner = owners(weights, ranks.world_size)
        ours = [b for b, rank in enumerate(owner) if rank == ranks.rank]
        local = shares[ranks.rank]
        eos = self.tok_decode([self.eot_token_id], skip_special_tokens=False)

        def text(item: tuple[str, tuple[int, ...]], tokens: list[int]) -> str:
            until = handle_stop_sequences(json.loads(item[0]).get("until"), eos=eos)
            return self._answer_text(tokens, until)

        counts = ("tokens_forwarded", "forward_calls", "generated_tokens")
        before = [getattr(self.counters, c) for c in counts]

        def run_ours() -> tuple[list[list[list[int]]], list[int]]:
            bar = tqdm(
                total=sum(len(batches[b]) for b in ours),
                disable=disable_tqdm or self.rank != 0,
                desc="statetrack",
            )
            out = []
            for b in ours:
                kwargs = json.loads(batches[b][0][0])
                until = handle_stop_sequences(kwargs.get("until"), eos=eos)
                decoding = self._decoding(kwargs, "a generate_until request")
                tokens = self._decode(
                    [list(t) for _, t in batches[b]], until, kwargs["max_gen_toks"], decoding
                )
                out.append(tokens)
                bar.update(len(batches[b]))
                if ranks.world_size == 1:
                    done = dict(zip(batches[b], tokens))
                    save_batch(
                        self.cache_hook,
                        "generate_until",
                        [
                            (r.args, text(it, done[it]))
                            for r, it in zip(requests, local)
                            if it in done
                        ],
                    )
            bar.close()
            return out, [getattr(self.counters, c) - b for c, b in zip(counts, before)]

        decoded: dict[tuple[str, tuple[int, ...]], list[int]] = {}
        for rank, (values, done) in enumerate(ranks.exchange("generate:results", run_ours)):
            if rank != ranks.rank:
                for c, n in zip(counts, done):
                    setattr(self.counters, c, getattr(self.counters, c) + n)
            theirs = [b for b, r in enumerate(owner) if r == rank]
            for b, tokens in zip(theirs, values, strict=True):
                decoded.update(zip(batches[b], tokens))
        out = [text(item, decoded[item]) for item in local]
        if ranks.world_size > 1:
            save_batch(
                self.cache_hook, "generate_until", [(r.args, t) for r, t in zip(requests, out)]
            )
        logger.info(
            "statetrack: generation so far: %d tokens generated, %d forwarded",
            self.counters.generated_tokens,
            self.counters.tokens_forwarded,
        )
        return out

    def _answer_text(self, tokens: list[int], until: list[str]) -> str:
        """The generated text as lm-eval's ``hf`` returns it: reasoning before
        ``think_end_token`` dropped, cut at the first stop sequence."""
        think = self.options.think_end_token
        if not isinstance(think, int):
            return postprocess_generated_text(self.tok_decode(tokens), until, think)
        ends = [k for k, t in enumerate(tokens) if t == think]
        text = self.tok_decode(tokens[ends[-1] + 1 :] if ends else tokens).lstrip()
        return postprocess_generated_text(text, until, None)

    def _gen_items(self, requests) -> list[tuple[str, tuple[int, ...]]]:
        """Per request: its decoding settings (as a key: the normalised generation kwargs,
        checked by ``_decoding``) and its fitted prompt tokens."""
        items = []
        for request in requests:
            kwargs = normalize_gen_kwargs(request.args[1], self.max_gen_toks)
            self._decoding(kwargs, _label(request))
            key = json.dumps(kwargs, sort_keys=True, default=str)
            items.append((key, tuple(self._gen_context(request, kwargs["max_gen_toks"]))))
        return items

    def _decode(
        self, contexts: list[list[int]], until: list[str], max_new: int, decoding: Decoding
    ) -> list[list[int]]:
        """One batch (contexts sorted by length); halved on out-of-memory with
        ``batch_size=auto``. Generated token ids per context."""
        try:
            return generate_batch(
                self.backend,
                contexts,
                max_new,
                until,
                decoding,
                lambda t: self.tok_decode(t, skip_special_tokens=False),
                self.counters,
                reuse=self.reuse,
            )
        except RuntimeError as exc:
            if not self.sizer.back_off(exc, len(contexts)):
                raise
        size = self.sizer.size
        return [
            tokens
            for i in range(0, len(contexts), size)
            for tokens in self._decode(contexts[i : i + size], until, max_new, decoding)
        ]

    def _gen_context(self, request, max_new: int) -> list[int]:
        tokens = self.tok_encode(request.args[0]) or [self.prefix_token_id]
        problem = (
            f"{_label(request)}: the prompt has {len(tokens)} tokens and max_gen_toks={max_new} "
            f"more may follow, beyond max_length={self.max_length}"
        )
        return self._fitted(tokens, self.max_length - max_new, problem)
