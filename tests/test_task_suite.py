"""Properties every family must have: pinned docs, fresh YAML, clean errors, disjoint splits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pin_hashes import PIN_DIR, family_pins

from lm_eval_statetrack.datasets import build_dataset, docs
from lm_eval_statetrack.families import FAMILY_MODULES, get_family
from lm_eval_statetrack.tasks._generate_configs import all_files

REPO = Path(__file__).resolve().parents[1]
TASKS = REPO / "task_yamls"
FAMILIES = list(FAMILY_MODULES)
REQUIRED = {"prompt", "choices", "answer", "length", "variant", "chance", "trace"}


@pytest.mark.parametrize("name", FAMILIES)
def test_docs_match_pinned_hashes(name):
    pinned = json.loads((PIN_DIR / f"{name}.json").read_text())
    current = family_pins(name)
    changed = sorted(t for t in current if current[t] != pinned.get(t))
    assert not changed, (
        f"docs changed for {changed[:5]}...: bump {name}'s version and run tests/pin_hashes.py"
    )
    assert set(pinned) == set(current)


def test_generated_yaml_is_up_to_date():
    fresh = {Path(k): v for k, v in all_files().items()}
    committed = {
        p.relative_to(TASKS): p.read_text()
        for p in TASKS.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    stale = sorted(str(k) for k in set(fresh) | set(committed) if fresh.get(k) != committed.get(k))
    assert not stale, f"{TASKS.name} is stale, run `make tasks`: {stale[:10]}"


SEED_CHECK_LENGTHS = 16  # the same generator code at every length; longer ones cost minutes


def test_docs_in_a_process_with_another_hash_seed_match_the_pins():
    """This process hashes strings with a random seed (so test_docs_match_pinned_hashes
    meets a new one each run); a second process with a fixed other seed must rebuild the
    pinned documents of every variant up to length 16 byte for byte."""
    code = (
        "import json, sys; sys.path.insert(0, 'tests'); from pin_hashes import family_pins;"
        f"print(json.dumps({{n: family_pins(n, {SEED_CHECK_LENGTHS}) for n in {FAMILIES!r}}}))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    fresh = json.loads(proc.stdout)
    for name in FAMILIES:
        pinned = json.loads((PIN_DIR / f"{name}.json").read_text())
        assert fresh[name] and fresh[name] == {t: pinned[t] for t in fresh[name]}, name


@pytest.mark.parametrize("name", FAMILIES)
def test_every_doc_is_well_formed(name):
    family = get_family(name)
    for variant in family.variants.values():
        for length in variant.lengths:
            test_docs = docs(name, variant.name, length, "test")
            assert test_docs, (name, variant.name, length)
            for doc in test_docs:
                assert REQUIRED <= set(doc)
                assert 0 <= doc["answer"] < len(doc["choices"])
                assert len(set(doc["choices"])) == len(doc["choices"])
                assert doc["length"] == length and doc["variant"] == variant.name
                assert doc["chance"] == pytest.approx(variant.chance)


@pytest.mark.parametrize("name", FAMILIES)
def test_train_split_never_contains_a_test_prompt(name):
    family = get_family(name)
    for variant in family.variants.values():
        for length in variant.lengths:
            test_prompts = {d["prompt"] for d in docs(name, variant.name, length, "test")}
            train_prompts = {d["prompt"] for d in docs(name, variant.name, length, "train")}
            assert not test_prompts & train_prompts, (name, variant.name, length)


def test_unknown_family_lists_valid_ones():
    with pytest.raises(ValueError, match="valid families: .*wordproblem"):
        build_dataset("nosuchfamily", "a5", 16)


def test_unknown_variant_lists_valid_ones():
    with pytest.raises(ValueError, match="valid variants: s5, a5"):
        docs("wordproblem", "q8", 16)


def test_unknown_length_lists_valid_ones():
    with pytest.raises(ValueError, match="valid lengths: 4, 8, 16, 32, 64, 128, 256"):
        docs("wordproblem", "a5", 17)


def test_unknown_split_lists_valid_ones():
    with pytest.raises(ValueError, match="valid splits: test, train"):
        docs("wordproblem", "a5", 16, "validation")


def test_dataset_has_both_splits_with_the_same_columns():
    ds = build_dataset("wordproblem", "z2", 4)
    assert set(ds) == {"test", "train"}
    assert ds["test"].column_names == ds["train"].column_names
    assert ds["test"].num_rows == 16  # every distinct parity word of length 4, once
