"""``statetrack tasks`` through the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from lm_eval_statetrack.families import FAMILY_MODULES, get_family

STATETRACK = shutil.which("statetrack", path=str(Path(sys.executable).parent))


def statetrack(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([STATETRACK, *args], capture_output=True, text=True, timeout=120)


def test_lists_every_default_variant_with_its_chance():
    rows = json.loads(statetrack("tasks", "--json").stdout)
    listed = {(r["family"], r["variant"]): r for r in rows}
    for name in FAMILY_MODULES:
        family = get_family(name)
        for v in family.variants.values():
            key = (name, v.name)
            if family.opt_in:
                assert key not in listed
                continue
            assert listed[key]["chance"] == round(v.chance, 4)
            assert listed[key]["lengths"] == list(v.lengths)
            assert listed[key]["complexity"] == v.complexity


def test_all_includes_opt_in_catalog():
    rows = json.loads(statetrack("tasks", "--all", "--json").stdout)
    assert any(r["family"] == "catalog" and r["variant"] == "m12" for r in rows)


def test_text_table_names_the_glob():
    out = statetrack("tasks").stdout
    assert "wordproblem  a5" in out and "--tasks 'statetrack_*'" in out


def test_unknown_family_is_refused_with_the_valid_ones():
    proc = statetrack("tasks", "--family", "nosuch")
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr and "wordproblem" in proc.stderr
