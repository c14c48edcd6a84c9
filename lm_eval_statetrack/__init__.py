"""State-tracking tasks and a prefix-state-reusing model adapter for lm-evaluation-harness.

Kept import-free on purpose: the ``.pth`` hook imports this package at every interpreter
start, so anything heavy here would slow down every Python process.
"""

__version__ = "0.1.0"
