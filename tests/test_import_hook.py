"""The import hook never breaks the program that triggered it, and does only what the
``TaskManager`` it patches was asked for. Each case runs in a fresh interpreter, where the
hook is installed by ``lm_eval_statetrack.pth`` as in any user's program."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import REPO


def python_in(code: str) -> tuple[str, str]:
    """Run ``code`` in a fresh interpreter with the hook on: (stdout, stderr)."""
    env = {**os.environ, "LM_EVAL_STATETRACK_DISABLE": ""}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout.strip(), proc.stderr


# A hook action whose import fails, as when a transformers release renames a class our
# models use: the module the action imports is replaced by one that raises.
BREAK = """
import sys, types, warnings
warnings.simplefilter("always")
broken = types.ModuleType({module!r})

def fail(*args):
    raise ImportError("cannot import name LinearAttentionLayer")

broken.{names} = fail
sys.modules[broken.__name__] = broken
"""


@pytest.mark.parametrize(
    "module, names, host_import",
    [
        (
            "lm_eval_statetrack.training.auto_classes",
            "register_auto_configs = broken.register_auto_classes",
            "from transformers import AutoConfig, AutoModelForCausalLM;"
            "print(AutoModelForCausalLM.from_config.__name__)",
        ),
        (
            "lm_eval_statetrack.models",
            "register_model",
            "import lm_eval.models\nfrom lm_eval.api.registry import model_registry;"
            "print('hf' in model_registry)",
        ),
    ],
    ids=["transformers", "lm_eval"],
)
def test_a_failing_hook_action_warns_once_and_the_import_succeeds(module, names, host_import):
    code = BREAK.format(module=module, names=names) + host_import.replace(";", "\n")
    out, err = python_in(code)
    assert out.splitlines()[-1] in ("from_config", "True")
    warnings = [line for line in err.splitlines() if "RuntimeWarning" in line]
    assert len(warnings) == len({w.split(" could not hook into ")[1][:30] for w in warnings})
    assert warnings and "LM_EVAL_STATETRACK_DISABLE=1" in warnings[0]
    assert "LinearAttentionLayer" in warnings[0] and "upgrade" in warnings[0]


def test_task_manager_without_defaults_lists_only_what_it_was_given():
    code = (
        "import json; from lm_eval.tasks import TaskManager;"
        "print(json.dumps(len([t for t in TaskManager(include_defaults=False).all_tasks"
        " if 'statetrack' in t])))"
    )
    assert json.loads(python_in(code)[0]) == 0
