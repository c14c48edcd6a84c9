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


def solve(docs: list[dict], timeout: float = 60.0) -> list[int]:
    """One isolated child process for all ``docs``; the index of each doc's passing choice."""
    for doc in docs:
        check_grammar(doc["prompt"], doc["choices"])
    payload = json.dumps([[d["prompt"], d["choices"]] for d in docs])
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", RUNNER],
        input=payload,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd="/",
    )
    if proc.returncode != 0:
        raise OracleError(f"the programs failed to run:\n{proc.stderr[-2000:]}")
    out = []
    for doc, passed in zip(docs, json.loads(proc.stdout)):
        if len(passed) != 1:
            raise OracleError(f"{len(passed)} choices pass for program:\n{doc['prompt']}")
        out.append(passed[0])
    return out
