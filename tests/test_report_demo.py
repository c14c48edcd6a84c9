"""``statetrack demo`` through the installed command: one progress line per model with its
elapsed time, and no temporary folder left behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def test_demo_prints_progress_and_cleans_up(tmp_path):
    tmp, cwd = tmp_path / "tmp", tmp_path / "cwd"
    tmp.mkdir()
    cwd.mkdir()
    proc = subprocess.run(
        [Path(sys.executable).with_name("statetrack"), "demo", "--only", "ids4-1l-z60"]
        + ["--limit", "2"],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp)},
        cwd=cwd,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert "results JSON in a temporary folder, removed at the end" in lines[0]
    assert re.fullmatch(r"\[1/1\] ids4-1l-z60 \(Z60\): \d+ s \(total \d+ s\)", lines[1]), lines
    assert re.search(r"\| ids4-1l-z60 +\| Z60 +\| +0\.017 \|( [01]\.\d\d \|){7}$", proc.stdout)
    # lm_eval's results went into a temporary folder that is gone (torch may leave its
    # own compile cache in TMPDIR), and nothing was written where the command ran
    assert list(tmp.glob("statetrack-demo-*")) == [] and list(cwd.iterdir()) == []

    kept = tmp_path / "kept"
    proc = subprocess.run(
        [Path(sys.executable).with_name("statetrack"), "demo", "--only", "ids4-1l-z60"]
        + ["--limit", "1", "--output", str(kept)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0 and f"kept in {kept}" in proc.stdout
    assert len(list(kept.rglob("results_*.json"))) == 1
