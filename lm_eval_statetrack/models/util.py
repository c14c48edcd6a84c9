"""What every part of the adapter shares: its logger and the optional-package probe."""

from __future__ import annotations

import importlib
import logging

# Under lm-eval's logger, so lm-eval's --verbosity applies to our messages too.
logger = logging.getLogger("lm_eval.statetrack")


def importable(package: str) -> bool:
    """Whether ``package`` imports; a broken build (e.g. mamba_ssm without its CUDA ops)
    counts as absent."""
    try:
        importlib.import_module(package)
    except Exception:
        return False
    return True
