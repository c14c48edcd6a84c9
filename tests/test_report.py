"""Reports, plots and leaderboard submissions, from results files written by a real lm-eval run.

The results come from ``lm_eval.simple_evaluate`` in-process (the CLI's own code path:
EvaluationTracker writes ``results_<date>.json``) on two tiny random Llama checkpoints:
both on the A5 and Z60 ladders with ``limit=3`` (a partial run), and the first one also on
the full Z2 ladder (a complete run, 1,516 docs of 2 choices). About 35 s on 2 cores.
Malformed, foreign and partial files are derived from those real files.
"""

from __future__ import annotations

import copy
import csv
import gzip
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import save_tiny_model

from lm_eval_statetrack.cli import main
from lm_eval_statetrack.datasets import docs_sha256
from lm_eval_statetrack.families import get_family
from lm_eval_statetrack.report.horizon import Horizon, Point, gap, horizon, horizon_range, threshold
from lm_eval_statetrack.report.load import load_runs
from lm_eval_statetrack.report.plots import family_figure
from lm_eval_statetrack.report.readme import replace_section
from lm_eval_statetrack.report.submission import build
from lm_eval_statetrack.report.summary import summarize
from lm_eval_statetrack.tasks import task_manager

WP = get_family("wordproblem")
LIMITED = [WP.task_name(v, n) for v in ("a5", "z60") for n in WP.variant(v).lengths]
FULL = [WP.task_name("z2", n) for n in WP.variant("z2").lengths]
CATALOG = get_family("catalog")
OPT_IN = CATALOG.task_name(next(iter(CATALOG.variants)), 16)  # statetrack-catalog_<group>_len16


def _evaluate(
    model_dir: Path, tasks: list[str], limit: int | None, out: Path, manager, model: str = "hf"
) -> Path:
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker

    tracker = EvaluationTracker(output_path=str(out))
    results = simple_evaluate(
        model=model,
        model_args=f"pretrained={model_dir},dtype=float32",
        tasks=tasks,
        limit=limit,
        batch_size=64,
        device="cpu",
        evaluation_tracker=tracker,
        task_manager=manager,
        log_samples=False,  # as the CLI without --log_samples
    )
    tracker.save_results_aggregated(results=results, samples=None)
    return max(out.rglob("results_*.json"), key=lambda p: p.stat().st_mtime)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tiny_llama) -> dict[str, Path]:
    """name -> results file: 'a' and 'b' (A5 + Z60, limit 3), 'a_full' (the Z2 group, all
    docs), 'adapter' (our ``statetrack`` model on an A5 and a catalog task, limit 2)."""
    other = save_tiny_model(tmp_path_factory.mktemp("tiny_llama_seed1"), "llama", seed=1)
    out = tmp_path_factory.mktemp("results")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TOKENIZERS_PARALLELISM", "false")
        manager = task_manager(include_defaults=False)  # index our tasks only, once
        return {
            "a": _evaluate(tiny_llama, LIMITED, 3, out / "a", manager),
            "b": _evaluate(other, LIMITED, 3, out / "b", manager),
            # run as a group: its aggregate row must not be mistaken for a task
            "a_full": _evaluate(
                tiny_llama, ["statetrack-wordproblem-z2"], None, out / "f", manager
            ),
            "adapter": _evaluate(
                tiny_llama, [LIMITED[0], OPT_IN], 2, out / "st", manager, "statetrack"
            ),
        }


def _raw(path: Path) -> dict:
    return json.loads(path.read_text())


def _csv(path: Path) -> list[dict]:
    with path.open() as f:
        return list(csv.DictReader(f))


def _plain_horizon(values: dict[int, float], chance: float, frac: float = 0.9) -> str:
    """The horizon definition written out independently of lm_eval_statetrack.report.horizon."""
    t = chance + frac * (1 - chance)
    passed = None
    for length in sorted(values):
        if values[length] < t - 1e-9:
            return str(passed) if passed else "none"
        passed = length
    return f">={passed}"


def test_report_from_real_runs(runs, tmp_path, capsys):
    out = tmp_path / "report"
    files = [runs["a"], runs["b"], runs["a_full"].parent]  # a folder works too
    rc = main(["report", *map(str, files), "--out", str(out), "--label", "A", "--label", "B"])
    err = capsys.readouterr().err
    assert rc == 0 and "statetrack-wordproblem-z2" in _raw(runs["a_full"])["results"]
    assert "not statetrack leaf tasks" not in err  # the group's row is no foreign task
    for name in ("wordproblem.png", "wordproblem.svg", "report.md", "report.json"):
        assert (out / name).stat().st_size > 0, name

    # every score in scores.csv is the one in the results file it came from
    scores = _csv(out / "scores.csv")
    assert len(scores) == 2 * len(LIMITED) + len(FULL)
    raw = {"A": {**_raw(runs["a"])["results"], **_raw(runs["a_full"])["results"]}}
    raw["B"] = _raw(runs["b"])["results"]
    for row in scores:
        assert float(row["value"]) == raw[row["model"]][row["task"]]["acc,none"]
        assert row["partial"] == str(row["task"] in LIMITED)

    # horizons follow the stated definition, with chance from the task metadata
    configs = _raw(runs["a"])["configs"] | _raw(runs["a_full"])["configs"]
    horizons = _csv(out / "horizons.csv")
    assert {(h["model"], h["variant"]) for h in horizons} == {
        ("A", "a5"),
        ("A", "z60"),
        ("A", "z2"),
        ("B", "a5"),
        ("B", "z60"),
    }
    for h in horizons:
        task0 = WP.task_name(h["variant"], 4)
        chance = configs[task0]["metadata"]["chance"]
        values = {
            int(r["length"]): float(r["value"])
            for r in scores
            if r["model"] == h["model"] and r["variant"] == h["variant"]
        }
        assert h["horizon_text"] == _plain_horizon(values, chance)
        assert float(h["chance"]) == chance

    md = (out / "report.md").read_text()
    assert "![wordproblem: score vs length](wordproblem.png)" in md
    assert "| `z2` | TC0 | acc | 0.500 | 0.950 |" in md
    assert "none *" in md or "* |" in md  # partial runs are marked
    assert "| wordproblem | `a5` | `z60` |" in md  # hard vs its same-chance control
    report = json.loads((out / "report.json").read_text())
    assert {r["model"] for r in report["runs"]} == {"A", "B"}
    assert len(report["runs"][0]["files"]) == 2  # the limited and the full run merged


def test_backend_recorded_by_the_statetrack_adapter(runs):
    (run,) = load_runs([runs["adapter"]]).runs
    config = _raw(runs["adapter"])["config"]
    assert run.model.adapter == "statetrack"
    assert (run.model.backend, run.model.kernels) == (
        config["statetrack_backend"],
        config["statetrack_kernels"],
    )
    assert "unknown" not in (run.model.backend, run.model.kernels)
    assert sorted(run.scores) == sorted([LIMITED[0], OPT_IN])
    recorded = {k: v for k, v in config.items() if k.startswith("statetrack_")}
    assert recorded and build(run, samples=False)["model"]["adapter_info"] == recorded
    assert run.scores[OPT_IN].family == "catalog"
    (plain,) = load_runs([runs["a"]]).runs  # lm-eval's own hf model records no kernels
    assert (plain.model.backend, plain.model.kernels) == ("transformers", "unknown")


def test_labels_name_and_merge_models(runs):
    loaded = load_runs([runs["a"], runs["b"], runs["adapter"]], ["x", "x", "st"])
    assert [r.label for r in loaded.runs] == ["x", "st"]
    assert loaded.runs[0].paths == [str(runs["a"]), str(runs["b"])]
    assert any("label 'x' names several models" in note for note in loaded.notes)
    loaded = load_runs([runs["a"], runs["b"]], ["only-one"])
    assert any("--label given 1 time(s) for 2 model(s)" in n for n in loaded.notes)
    assert [r.label for r in loaded.runs] == [Path(r.model.model_id).name for r in loaded.runs]


def test_plot_structure(runs, tmp_path):
    from matplotlib.image import imread

    summary = summarize(load_runs([runs["a"], runs["b"], runs["a_full"]], ["A", "B"]))
    fig = family_figure(summary, "wordproblem")
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == ["a5 (NC1-complete)", "z60 (TC0)", "z2 (TC0)"]
    expected_models = {"a5": ["A", "B"], "z60": ["A", "B"], "z2": ["A"]}
    for ax, variant in zip(axes, ("a5", "z60", "z2")):
        spec = WP.variant(variant)
        # one error-bar line per model, with that model's scores in length order
        assert [c.get_label() for c in ax.containers] == expected_models[variant]
        for container in ax.containers:
            run = next(r for r in summary.runs if r.label == container.get_label())
            want = [run.scores[WP.task_name(variant, n)].value for n in spec.lengths]
            assert list(container.lines[0].get_ydata()) == want
        assert ax.get_xscale() == "log"
        assert [t.get_text() for t in ax.get_xticklabels()] == [str(n) for n in spec.lengths]
        ticks = list(ax.get_xticks())
        assert all(math.log2(t).is_integer() for t in ticks)  # powers of two, evenly spaced
        dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        assert len(dashed) == 1 and dashed[0].get_ydata()[0] == pytest.approx(spec.chance, 1e-4)
        assert ax.get_ylim()[0] < 0 and ax.get_ylim()[1] > 1
    assert axes[0].get_ylabel() == "acc" and axes[-1].get_xlabel().startswith("length")
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["A", "B", "chance", "horizon threshold", "hollow: partial run (--limit)"]

    png = tmp_path / "wordproblem.png"
    fig.savefig(png, dpi=100)
    image = imread(png)
    assert image.shape[0] > 300 and image.shape[1] > 900 and image.std() > 0.05


def test_horizon_definition():
    t = threshold(0.5)  # 0.5 + 0.9 * 0.5
    assert t == pytest.approx(0.95)
    pts = [Point(4, 1.0), Point(8, 0.95), Point(16, 0.5), Point(32, 1.0)]
    h = horizon(pts, 0.5)
    assert (h.length, h.censored, str(h)) == (8, False, "8")  # 32 passes again: not counted
    assert str(horizon([Point(4, 0.96), Point(8, 1.0)], 0.5)) == ">=8"
    assert str(horizon([Point(4, 0.9), Point(8, 1.0)], 0.5)) == "none"
    assert str(horizon([Point(4, 0.9), Point(8, 1.0)], 0.5, frac=0.5)) == ">=8"
    low, high = horizon_range([Point(4, 1.0), Point(8, 0.96, 0.02), Point(16, 0.9, 0.03)], 0.5)
    assert (str(low), str(high)) == ("4", ">=16")
    with pytest.raises(ValueError, match="threshold fraction"):
        threshold(0.5, 1.5)
    none, full = Horizon(None, False, t, 4), Horizon(256, True, t, 4)
    assert str(gap(none, full)) == ">+6"  # the hard variant fails below 4: more than 2^6 apart
    assert str(gap(Horizon(16, False, t, 4), Horizon(64, False, t, 4))) == "+2"
    assert str(gap(Horizon(16, False, t, 4), full)) == ">=+4"
    assert str(gap(full, full)) == "?"


def _write(path: Path, data) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_bad_inputs_give_notes_and_still_report(runs, tmp_path, capsys):
    real = _raw(runs["a"])
    truncated = _write(tmp_path / "truncated.json", runs["a"].read_text()[:5000])
    listing = _write(tmp_path / "list.json", [1, 2])
    foreign = copy.deepcopy(real)
    foreign["results"] = {"hellaswag": {"acc,none": 0.3}, "arc_easy": {"acc,none": 0.5}}
    foreign = _write(tmp_path / "foreign.json", foreign)
    partial = copy.deepcopy(real)
    partial["config"]["model_args"] = "pretrained=partial-model"  # the string form
    for name in LIMITED:
        if name.endswith(("_len128", "_len256")):
            del partial["results"][name]
    del partial["results"][WP.task_name("z60", 4)]["acc,none"]  # a task without a score
    del partial["configs"]  # chance must come from the installed suite
    partial["results"]["hellaswag"] = {"acc,none": 0.25}
    partial = _write(tmp_path / "partial.json", partial)
    missing = tmp_path / "missing.json"
    empty = tmp_path / "empty"
    empty.mkdir()

    out = tmp_path / "out"
    args = [str(p) for p in (truncated, listing, foreign, partial, missing, empty)]
    assert main(["report", *args, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"{truncated}: not valid JSON" in err
    assert f"{listing}: not an lm-eval results file" in err
    assert (
        f"{foreign}: skipped 2 task(s) that are not statetrack leaf tasks (arc_easy, hellaswag)"
        in err
    )
    assert f"{foreign}: no statetrack_<family>_<variant>_len<L> task" in err
    assert f"{partial}: statetrack_wordproblem_z60_len4 has no numeric score" in err
    assert "wordproblem/a5 has no score at length(s) 128, 256" in err
    assert f"{missing}: no such file" in err
    assert f"{empty}: folder holds no results_*.json" in err
    horizons = {h["variant"]: h for h in _csv(out / "horizons.csv")}
    assert set(horizons) == {"a5", "z60"} and {h["model"] for h in horizons.values()} == {
        "partial-model"
    }
    assert float(horizons["a5"]["chance"]) == pytest.approx(1 / 60)
    assert (
        horizons["a5"]["lengths"] == "4 8 16 32 64" and horizons["z60"]["lengths"] == "8 16 32 64"
    )
    assert "## Notes" in (out / "report.md").read_text()

    # nothing usable at all: a clear error and exit status 2, through the installed command
    proc = subprocess.run(
        [Path(sys.executable).with_name("statetrack"), "report", *args[:3], "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "error: nothing to report" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    proc = subprocess.run(
        [
            Path(sys.executable).with_name("statetrack"),
            "report",
            str(partial),
            "--out",
            str(out),
            "--threshold-frac",
            "2",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "--threshold-frac: must be a number in (0, 1]" in proc.stderr


def _validate(path: Path, capsys, *extra: str) -> tuple[int, str]:
    """Validate a submission made without samples (tests/test_submission.py has them)."""
    rc = main(["validate", str(path), "--no-samples", *extra])
    return rc, capsys.readouterr().out


def test_submit_and_validate(runs, tmp_path, capsys):
    full = tmp_path / "full.json.gz"
    args = ["--out", str(full), "--model-id", "tiny/a", "--no-samples"]
    assert main(["submit", str(runs["a_full"]), *args]) == 0
    capsys.readouterr()
    sub = json.loads(gzip.decompress(full.read_bytes()))
    raw = _raw(runs["a_full"])
    assert sub["model"]["id"] == "tiny/a" and sub["model"]["adapter"] == "hf"
    assert (sub["model"]["backend"], sub["model"]["dtype"]) == ("transformers", "float32")
    assert set(sub["tasks"]) == set(FULL) and sub["partial_reasons"] == []
    for name, task in sub["tasks"].items():
        assert task["docs_sha256"] == docs_sha256("wordproblem", "z2", task["length"])
        assert task["version"] == raw["versions"][name]
        assert task["value"] == raw["results"][name]["acc,none"]
        assert task["n"] == task["n_original"] == raw["n-samples"][name]["original"]
    rc, out = _validate(full, capsys)
    assert rc == 0 and out.startswith(f"{full}: ACCEPTED\n  not checked: 7 task(s)")

    def tampered(name: str, change) -> Path:
        data = copy.deepcopy(sub)
        change(data)
        return _write(tmp_path / name, data)

    first = FULL[0]
    cases = {
        "sha": (lambda d: d["tasks"][first].update(docs_sha256="0" * 64), f"{first}: docs_sha256"),
        "version": (lambda d: d["tasks"][first].update(version=0), "ran version 0"),
        "value": (
            lambda d: [t.update(value=1.0) for t in d["tasks"].values()],
            "wordproblem/z2: horizon 'none' does not follow from the scores",
        ),
        "count": (lambda d: d["tasks"][first].update(n_original=999), "the task has 16 docs"),
        "gone": (lambda d: d["tasks"].pop(FULL[-1]), "no score at length(s) 256"),
        "metric": (lambda d: d["tasks"][first].update(metric="f1"), "scored with 'f1'"),
        "format": (lambda d: d.update(format="other"), "not a submission"),
    }
    for name, (change, reason) in cases.items():
        rc, out = _validate(tampered(f"{name}.json", change), capsys)
        assert rc == 1 and "REJECTED" in out and reason in out, (name, out)
    rc, out = _validate(_write(tmp_path / "broken.json", "{"), capsys)
    assert rc == 1 and "cannot read it as a submission" in out

    # a --limit run becomes a partial submission: rejected unless partial is allowed
    limited = tmp_path / "limited.json.gz"
    args = ["--out", str(limited), "--model-id", "tiny/b", "--no-samples"]
    assert main(["submit", str(runs["b"]), *args]) == 0
    assert "this submission is partial" in capsys.readouterr().err
    rc, out = _validate(limited, capsys)
    assert rc == 1 and "wordproblem/a5: scored 3 of 250 docs at length(s) 4, 8" in out
    assert _validate(limited, capsys, "--allow-partial")[0] == 0

    # results the installed suite cannot vouch for, or of two models, are refused
    other_version = copy.deepcopy(raw)
    other_version["versions"][first] = 99
    other_version = _write(tmp_path / "v99.json", other_version)
    assert main(["submit", str(other_version), "--out", str(tmp_path / "x.json")]) == 2
    assert f"{first}: ran version 99, the installed suite has version 1" in capsys.readouterr().err
    assert main(["submit", str(runs["a"]), str(runs["b"]), "--out", str(tmp_path / "y.json")]) == 2
    assert "exactly one model" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists() and not (tmp_path / "y.json").exists()


def test_readme_section(runs, tmp_path, capsys):
    readme = tmp_path / "docs" / "README.md"
    readme.parent.mkdir()
    before = "# Title\n\n```bash\n# a comment, not a heading\n```\n\n## Results\n\nold text\n"
    after = "## Next\n\nkept\n"
    readme.write_text(before + after)
    intro = _write(tmp_path / "intro.md", "These are tiny random models.\n")
    out = tmp_path / "figures"
    args = [str(runs["a_full"]), "--out", str(out), "--readme", str(readme)]
    assert main(["report", *args, "--readme-intro", str(intro)]) == 0
    text = readme.read_text()
    assert text.startswith(before.split("old text")[0]) and text.endswith(after)
    assert "old text" not in text and "### Horizons" in text
    assert text.index("These are tiny random models.") < text.index("### Horizons")
    link = "../figures/wordproblem.png"
    assert f"]({link})" in text and (readme.parent / link).is_file()
    assert f"\nstatetrack report {' '.join(args)} --readme-intro {intro}\n```" in text
    with pytest.raises(ValueError, match="no line equal to '## Missing'"):
        replace_section(text, "## Missing", "body")
