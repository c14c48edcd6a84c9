"""``statetrack demo`` through the installed command: one progress line per model with its
elapsed time, no temporary folder left behind, and kept results (and the report made from
them) that hold no absolute path of the machine."""

from __future__ import annotations

import json
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
    (results,) = kept.rglob("results_*.json")
    assert results.parent == kept / "ids4-1l-z60"  # not lm_eval's folder named after a path
    run = json.loads(results.read_text())
    assert run["config"]["model_args"]["pretrained"] == (
        "./lm_eval_statetrack/reference_models/ids4-1l-z60"
    )

    report = tmp_path / "report"
    proc = subprocess.run(
        [Path(sys.executable).with_name("statetrack"), "report", str(kept), "--out", str(report)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((report / "report.json").read_text())["runs"][0]["files"] == [
        "../kept/ids4-1l-z60/" + results.relative_to(kept / "ids4-1l-z60").as_posix()
    ]
    machine = (str(tmp_path), str(Path(__file__).resolve().parents[1]), str(Path.home()))
    for written in [results, *report.iterdir()]:
        if written.suffix in (".json", ".md", ".csv"):
            text = written.read_text()
            assert not [m for m in machine if m in text], written.name
