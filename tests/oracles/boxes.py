"""Replays box operations and bag trades on sets of objects, then reads the choices as
sets, so a choice is correct when it names exactly the right objects."""

from __future__ import annotations

from oracles.common import OracleError, english_list, match, only_index, sentences


def contents(text: str) -> frozenset:
    """``nothing`` or ``the a, the b and the c`` -> a set of object names."""
    if text == "nothing":
        return frozenset()
    items = [match(r"the (\w+)", part, "object").group(1) for part in english_list(text)]
    if len(set(items)) != len(items):
        raise OracleError(f"object listed twice: {text!r}")
    return frozenset(items)


def _boxes(prompt: str) -> frozenset:
    m = match(
        r"There are (\d+) boxes\. (.+?) Then, in order:\n(.+)\n"
        r"Question: What does Box (\d+) contain now\?\nAnswer: Box (\d+) contains",
        prompt,
        "boxes prompt",
    )
    n, start, steps, asked, asked_again = m.groups()
    if asked != asked_again:
        raise OracleError(f"question names Box {asked}, answer stem Box {asked_again}")
    box = {}
    for sentence in sentences(start):
        name, stuff = match(r"Box (\d+) contains (.+)\.", sentence, "initial contents").groups()
        box[name] = set(contents(stuff))
    if sorted(box, key=int) != [str(i) for i in range(int(n))]:
        raise OracleError(f"initial contents do not list boxes 0..{int(n) - 1}: {start!r}")
    for sentence in sentences(steps):
        if sentence.startswith("Move"):
            obj, src, dst = match(
                r"Move the (\w+) from Box (\d+) to Box (\d+)\.", sentence, "move"
            ).groups()
            _take(box, obj, src, sentence)
            box[dst].add(obj)
        elif sentence.startswith("Remove"):
            obj, src = match(r"Remove the (\w+) from Box (\d+)\.", sentence, "remove").groups()
            _take(box, obj, src, sentence)
        else:
            obj, dst = match(r"Put the (\w+) into Box (\d+)\.", sentence, "put").groups()
            if any(obj in b for b in box.values()):
                raise OracleError(f"{sentence!r}: the {obj} is already in a box")
            box[dst].add(obj)
    return frozenset(box[asked])


def _take(box: dict, obj: str, src: str, sentence: str) -> None:
    if obj not in box[src]:
        raise OracleError(f"{sentence!r}: Box {src} holds {sorted(box[src])}")
    box[src].remove(obj)


def _bags(prompt: str) -> frozenset:
    m = match(
        r"(.+?) each carry a bag\. (.+?) Then, in order:\n(.+)\n"
        r"Question: What is in (\w+)'s bag now\?\nAnswer: (\w+)'s bag holds",
        prompt,
        "trade prompt",
    )
    people, start, steps, asked, asked_again = m.groups()
    if asked != asked_again:
        raise OracleError(f"question names {asked}, answer stem {asked_again}")
    bag = {}
    for sentence in sentences(start):
        name, stuff = match(r"(\w+)'s bag holds (.+)\.", sentence, "initial bag").groups()
        bag[name] = contents(stuff)
    if sorted(bag) != sorted(english_list(people)):
        raise OracleError(f"bags {sorted(bag)} do not match people {people!r}")
    for sentence in sentences(steps):
        a, b = match(r"(\w+) and (\w+) trade bags\.", sentence, "trade").groups()
        if a == b:
            raise OracleError(f"{sentence!r}: trading with oneself")
        bag[a], bag[b] = bag[b], bag[a]
    return bag[asked]


def solve(docs: list[dict]) -> list[int]:
    out = []
    for doc in docs:
        prompt = doc["prompt"]
        truth = _boxes(prompt) if prompt.startswith("There are") else _bags(prompt)
        out.append(only_index(doc["choices"], lambda c, t=truth: contents(c) == t))
    return out
