"""Runs the generated programs in a child Python interpreter and keeps the choice whose
completed ``assert`` passes.

Safety: before anything runs, every line must match the small grammar the ``code`` family
writes (list/variable assignments of digits, swaps, one final ``assert``): anything else is
refused, so only our generated snippets are ever executed. The child is ``python -I -S``
(isolated: no site, no environment, no working directory on the path), gets the programs on
stdin, executes each in a fresh namespace without builtins (no ``open``, no ``__import__``)
and is killed after ``timeout`` seconds. One child runs all the docs of a task.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

from oracles.common import OracleError

BODY_LINE = re.compile(
    r"x = \[\d(?:, \d)*\]"  # x = [7, 2, 9, 4, 1]
    r"|[a-e] = \d"  # a = 7
    r"|x\[\d\], x\[\d\] = x\[\d\], x\[\d\]"  # x[0], x[3] = x[3], x[0]
    r"|[a-e], [a-e] = [a-e], [a-e]"  # a, c = c, a
    r"|t = [a-e]|[a-e] = [a-e]|[a-e] = t"  # a swap through a temporary
)
LAST_LINE = re.compile(r"assert (?:x\[\d\]|[a-e]) ==")
CHOICE = re.compile(r"\d")

RUNNER = """
import json, sys
results = []
for program, choices in json.load(sys.stdin):
    *body, last = program.split("\\n")
    namespace = {"__builtins__": {}}
    exec("\\n".join(body), namespace)
    passed = []
    for i, choice in enumerate(choices):
        try:
            exec(last + " " + choice, namespace)
        except AssertionError:
            continue
        passed.append(i)
    results.append(passed)
json.dump(results, sys.stdout)
"""


def check_grammar(program: str, choices: list[str]) -> None:
    """Refuse (OracleError) anything the ``code`` family does not generate."""
    *body, last = program.split("\n")
    for n, line in enumerate(body, 1):
        if not BODY_LINE.fullmatch(line):
            raise OracleError(f"line {n} is not a generated statement, refusing to run: {line!r}")
    if not LAST_LINE.fullmatch(last):
        raise OracleError(f"last line is not `assert <expr> ==`, refusing to run: {last!r}")
    for choice in choices:
        if not CHOICE.fullmatch(choice):
            raise OracleError(f"choice {choice!r} is not a digit, refusing to run")


def run_programs(pairs: list[tuple[str, list[str]]], timeout: float = 60.0) -> list[list[int]]:
    """Run (program, choices) pairs in one isolated child; the passing choices of each.

    Only for programs that passed :func:`check_grammar` (``solve`` checks them first).
    """
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", RUNNER],
        input=json.dumps(pairs),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd="/",
    )
    if proc.returncode != 0:
        raise OracleError(f"the programs failed to run:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def solve(docs: list[dict], timeout: float = 60.0) -> list[int]:
    """Check every doc's grammar, then run them all in one child; each passing choice."""
    for doc in docs:
        check_grammar(doc["prompt"], doc["choices"])
    passed = run_programs([(d["prompt"], d["choices"]) for d in docs], timeout)
    out = []
    for doc, hits in zip(docs, passed):
        if len(hits) != 1:
            raise OracleError(f"{len(hits)} choices pass for program:\n{doc['prompt']}")
        out.append(hits[0])
    return out
