"""``hf`` model_args that ``--model statetrack`` does not take are refused by name, with
what to do instead (nothing is silently ignored); ``parallelize=False``, the default,
is accepted."""

from __future__ import annotations

import pytest

from lm_eval_statetrack.models.adapter import StateTrackLM
from lm_eval_statetrack.models.options import UNSUPPORTED, parse_options


@pytest.mark.parametrize(
    ("arg", "fix"),
    [
        ("parallelize=True", "torchrun --nproc_per_node"),
        ("gguf_file=model.gguf", "save_pretrained"),
        ("peft=some/adapter", "merge_and_unload"),
    ],
)
def test_unsupported_hf_args_are_refused_with_the_fix(arg, fix):
    with pytest.raises(ValueError) as err:
        StateTrackLM.create_from_arg_string(f"pretrained=unused,{arg}")
    key = arg.split("=")[0]
    assert f"does not take {key}=" in str(err.value) and fix in str(err.value)
    assert key in UNSUPPORTED


def test_parallelize_false_is_the_default_and_accepted():
    assert parse_options({"pretrained": "x", "parallelize": "False"}).pretrained == "x"
