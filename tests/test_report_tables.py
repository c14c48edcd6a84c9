"""Report tables keyed by the full task identity, with labels and each model's own figures.

Two real ``lm_eval`` CLI runs (``--limit 3``): a tiny random Llama on the A5 word problem
and the A5 shuffle (two families that share the variant name ``a5``), and a tiny random
Mamba on the A5 word problem only.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import run_lm_eval

from lm_eval_statetrack.cli import main

LENGTHS = (4, 8)
WORD = [f"statetrack_wordproblem_a5_len{n}" for n in LENGTHS]
SHUFFLE = [f"statetrack_shuffle_a5_len{n}" for n in LENGTHS]


@pytest.fixture(scope="module")
def results(tmp_path_factory, tiny_llama, tiny_mamba) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("runs")
    files = {}
    for name, model, tasks in (("llama", tiny_llama, WORD + SHUFFLE), ("mamba", tiny_mamba, WORD)):
        run_lm_eval(
            [
                *("--model", "hf", "--model_args", f"pretrained={model},dtype=float32"),
                *("--tasks", ",".join(tasks), "--limit", "3", "--device", "cpu"),
            ],
            out / name,
        )
        files[name] = next((out / name).rglob("results_*.json"))
    return files


def _report(files: list[Path], out: Path, *labels: str) -> str:
    args = [str(f) for f in files] + [x for label in labels for x in ("--label", label)]
    assert main(["report", *args, "--out", str(out), "--no-plots"]) == 0
    return (out / "report.md").read_text()


def _row(markdown: str, family: str, first_cell: str) -> list[str]:
    """The cells of the row starting with ``first_cell`` in ``family``'s horizon table."""
    section = markdown.split(f"### {family}\n", 1)[1].split("\n### ", 1)[0]
    line = next(x for x in section.splitlines() if x.startswith(f"| {first_cell} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def _horizons(out: Path) -> dict[tuple[str, str, str], str]:
    with (out / "horizons.csv").open() as f:
        return {
            (r["model"], r["family"], r["variant"]): r["horizon_text"] for r in csv.DictReader(f)
        }


def test_two_families_sharing_a_variant_name(results, tmp_path):
    out = tmp_path / "report"
    md = _report([results["llama"], results["mamba"]], out, "L", "M")
    horizons = _horizons(out)
    assert set(horizons) == {
        ("L", "wordproblem", "a5"),
        ("L", "shuffle", "a5"),
        ("M", "wordproblem", "a5"),
    }
    header = _row(md, "wordproblem", "variant")
    assert header[-2:] == ["L", "M"]
    for family in ("wordproblem", "shuffle"):
        cells = _row(md, family, "`a5`")
        for label, cell in zip(("L", "M"), cells[-2:]):
            if (label, family, "a5") in horizons:
                assert cell.split(" ")[0] == horizons[(label, family, "a5")], (family, label)
            else:
                assert cell == "-", (family, label)  # M never ran the shuffle


def test_a_model_that_ran_only_one_family(results, tmp_path):
    out = tmp_path / "report"
    md = _report([results["mamba"]], out)
    assert "### shuffle" not in md and "### wordproblem" in md
    assert {key[1] for key in _horizons(out)} == {"wordproblem"}


def test_labels_not_paths_and_each_models_own_figures(results, tmp_path):
    out = tmp_path / "report"
    md = _report([results["llama"], results["mamba"]], out, "both", "both")
    configs = [json.loads(results[m].read_text())["config"] for m in ("llama", "mamba")]
    paths = [c["model_args"]["pretrained"] for c in configs]
    params = [c["model_num_parameters"] for c in configs]
    assert params[0] != params[1]
    line = next(x for x in md.splitlines() if x.startswith("| `both` |"))
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    assert cells[1] == " / ".join(f"`{Path(p).name}`" for p in paths)
    assert cells[5] == " / ".join(f"{n:,}" for n in params)
    for path in paths:
        assert path not in md
        assert path not in (out / "report.json").read_text()
    report = json.loads((out / "report.json").read_text())
    assert [m["num_parameters"] for m in report["runs"][0]["models"]] == params
