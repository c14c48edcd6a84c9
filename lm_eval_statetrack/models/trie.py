"""A radix tree over the requests' token sequences, so each shared prefix runs once.

A log-likelihood request (context, continuation) needs the log-probability of each
continuation token given everything before it, i.e. the model's outputs at the last
``len(continuation)`` positions of ``(context + continuation)[:-1]``. Many requests share
long prefixes (the choices of one question share the whole context), so the inputs are
put in a radix tree: a node is a run of tokens, its children continue it. Running a node
once on top of its parent's state and handing that state to every child scores all
requests with each distinct prefix forwarded once.

Two rewrites keep the tree cheap to run: a shared run shorter than ``min_shared`` tokens
is not worth a stored state and is copied into its children instead, and for a model
that can only step one token at a time on top of a state (Mamba1-style layers), a node
longer than ``max_steps`` tokens is moved to the root with a copy of its whole prefix,
so it is scanned in parallel from scratch rather than stepped token by token.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(eq=False)
class Need:
    """One log-probability wanted from a node: of ``target`` after its token ``offset``."""

    offset: int
    target: int
    logp: float = math.nan
    greedy: bool = False


class Node:
    """A run of tokens; ``children`` continue it, ``needs`` are read from its outputs."""

    __slots__ = ("tokens", "children", "needs")

    def __init__(self, tokens: list[int]) -> None:
        self.tokens = tokens
        self.children: list[Node] = []
        self.needs: dict[tuple[int, int], Need] = {}


@dataclass
class PrefixTree:
    """The tree and, per request, the needs whose log-probabilities sum to its score."""

    root: Node
    requests: list[list[Need]] = field(default_factory=list)
    unique_tokens: int = 0  # distinct prefixes of the full context+continuation sequences

    def nodes(self) -> list[Node]:
        found, stack = [], list(self.root.children)
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(node.children)
        return found


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix (binary search on C-speed slice compares)."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo] and a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def distinct_prefixes(sequences: Sequence[Sequence[int]]) -> int:
    """Number of distinct non-empty prefixes, i.e. the size of a token trie over them."""
    total, prev = 0, None
    for seq in sorted(set(map(tuple, sequences))):
        total += len(seq) - (common_prefix_length(prev, seq) if prev is not None else 0)
        prev = seq
    return total


def _insert_sorted(root: Node, inputs: list[tuple[int, ...]]) -> None:
    """Build the radix tree from lexicographically sorted, distinct sequences."""
    stack: list[tuple[Node, int]] = [(root, 0)]  # the last inserted path: (node, start)
    children: dict[int, dict[int, Node]] = {id(root): {}}
    prev = None
    for seq in inputs:
        shared = common_prefix_length(prev, seq) if prev is not None else 0
        while len(stack) > 1 and stack[-1][1] >= shared:
            stack.pop()
        node, start = stack[-1]
        if shared < start + len(node.tokens):  # split: the shared part stays in `node`
            tail = Node(node.tokens[shared - start :])
            children[id(tail)] = children[id(node)]
            node.tokens = node.tokens[: shared - start]
            children[id(node)] = {tail.tokens[0]: tail}
        leaf = Node(list(seq[shared:]))
        children[id(node)][leaf.tokens[0]] = leaf
        children[id(leaf)] = {}
        stack.append((leaf, shared))
        prev = seq
    _freeze(root, children)


def _freeze(root: Node, children: dict[int, dict[int, Node]]) -> None:
    stack = [root]
    while stack:
        node = stack.pop()
        node.children = list(children[id(node)].values())
        stack.extend(node.children)


def _path(
    index: dict[int, dict[int, Node]], root: Node, seq: tuple[int, ...]
) -> list[tuple[Node, int]]:
    """The nodes (with start positions) that spell ``seq``, which must be in the tree."""
    path, node, start = [], root, 0
    while True:
        end = start + len(node.tokens)
        if node is not root:
            path.append((node, start))
        if end >= len(seq):
            return path
        node, start = index[id(node)][seq[end]], end


def _attach_needs(
    tree: PrefixTree, full: list[list[int]], context_lengths: list[int], flat: bool
) -> None:
    """Register each request's needs; count the distinct prefixes of the full sequences
    (the input tree's tokens, plus each final token that extends no input)."""
    by_input: dict[tuple[int, ...], list[int]] = {}
    for i, seq in enumerate(full):
        by_input.setdefault(tuple(seq[:-1]), []).append(i)
    if flat:
        own = {tuple(node.tokens): node for node in tree.root.children}
        tree.unique_tokens = distinct_prefixes(full)
    else:
        nodes = tree.nodes()
        index = {id(n): {c.tokens[0]: c for c in n.children} for n in [tree.root, *nodes]}
        tree.unique_tokens = sum(len(n.tokens) for n in nodes)
    tree.requests = [[] for _ in full]
    for inp, members in by_input.items():
        path = [(own[inp], 0)] if flat else _path(index, tree.root, inp)
        if not flat:
            end, start = path[-1]
            last = len(inp) - start  # position in `end` just after the input
            grows = {end.tokens[last]} if last < len(end.tokens) else set(index[id(end)])
            tree.unique_tokens += len({full[i][-1] for i in members} - grows)
        for i in members:
            seq = full[i]
            for pos in range(context_lengths[i] - 1, len(seq) - 1):
                node, start = next((n, s) for n, s in reversed(path) if s <= pos)
                key = (pos - start, seq[pos + 1])
                need = node.needs.get(key)
                if need is None:
                    need = node.needs[key] = Need(*key)
                tree.requests[i].append(need)


def _merge_into_children(node: Node) -> list[Node]:
    """Copy ``node``'s tokens (and needs) into each child; the children replace it."""
    shift = len(node.tokens)
    for child in node.children:
        child.tokens = node.tokens + child.tokens
        for need in child.needs.values():
            need.offset += shift
        child.needs = {(n.offset, n.target): n for n in child.needs.values()}
    node.children[0].needs.update(node.needs)  # offsets below `shift`: no clash
    return node.children


def _merge_short(root: Node, min_shared: int) -> None:
    """Post-order: a shared run shorter than ``min_shared`` is copied into its children."""
    order, stack = [], [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(node.children)
    replacement: dict[int, list[Node]] = {}
    for node in reversed(order):  # children before parents
        node.children = [n for c in node.children for n in replacement.get(id(c), [c])]
        if node is not root and node.children and len(node.tokens) < min_shared:
            replacement[id(node)] = _merge_into_children(node)


def _detach_long(root: Node, max_steps: int) -> None:
    """A child longer than ``max_steps`` below the root becomes a root child that carries
    its whole prefix, so it is scanned in parallel instead of stepped."""
    detached: list[Node] = []
    stack = [(child, list(child.tokens)) for child in root.children]
    while stack:
        node, prefix = stack.pop()
        stay = []
        for child in node.children:
            if len(child.tokens) > max_steps:
                for need in child.needs.values():
                    need.offset += len(prefix)
                child.needs = {(n.offset, n.target): n for n in child.needs.values()}
                child.tokens = prefix + child.tokens
                detached.append(child)
                stack.append((child, list(child.tokens)))
            else:
                stay.append(child)
                stack.append((child, prefix + child.tokens))
        node.children = stay
    root.children.extend(detached)


def build_tree(
    contexts: Sequence[list[int]],
    continuations: Sequence[list[int]],
    share: bool = True,
    min_shared: int = 16,
    max_steps: int | None = None,
) -> PrefixTree:
    """The radix tree for requests ``(contexts[i], continuations[i])`` (each non-empty).

    ``share=False`` gives one root child per distinct input: a plain forward of each.
    ``max_steps`` is set for models that step one token at a time on top of a state.
    """
    full = [list(c) + list(k) for c, k in zip(contexts, continuations, strict=True)]
    inputs = sorted({tuple(seq[:-1]) for seq in full})
    root = Node([])
    tree = PrefixTree(root)
    if share:
        _insert_sorted(root, inputs)
    else:
        root.children = [Node(list(seq)) for seq in inputs]
    _attach_needs(tree, full, [len(c) for c in contexts], flat=not share)
    if share:
        _merge_short(root, min_shared)
        if max_steps is not None:
            _detach_long(root, max_steps)
    return tree
