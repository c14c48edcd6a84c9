"""``statetrack leaderboard`` on real submissions: the committed example rebuilt byte for
byte, and a folder of edited copies (tampered, truncated, other version, partial, a newer
duplicate) where each is rejected, set apart or reconciled as documented."""

from __future__ import annotations

import copy
import filecmp
import gzip
import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import REPO

from lm_eval_statetrack.cli import build_parser, main
from lm_eval_statetrack.report.submission import horizon_entry

EXAMPLE = REPO / "docs" / "leaderboard"
SUBMISSIONS = EXAMPLE / "submissions"
SOURCE = SUBMISSIONS / "ids4-1l-a5.json.gz"  # complete: A5 and Z60, every length


def _load(path: Path) -> dict:
    return json.loads(gzip.decompress(path.read_bytes()))


def _save(path: Path, data: dict) -> Path:
    path.write_bytes(gzip.compress(json.dumps(data).encode(), mtime=0))
    return path


def _build(capsys, *args: str) -> tuple[int, str]:
    rc = main(["leaderboard", *args])
    captured = capsys.readouterr()
    return rc, captured.out + captured.err


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    """The committed example, rebuilt as the README says (from the repository root)."""
    out = tmp_path_factory.mktemp("rebuilt") / "site"
    assert main(["leaderboard", str(SUBMISSIONS), "--out", str(out)]) == 0
    return out


def test_the_committed_example_is_rebuilt_byte_for_byte(rebuilt):
    committed = EXAMPLE / "site"
    names = sorted(p.relative_to(committed).as_posix() for p in committed.rglob("*"))
    assert names == sorted(p.relative_to(rebuilt).as_posix() for p in rebuilt.rglob("*"))
    files = [n for n in names if (committed / n).is_file()]
    match, mismatch, errors = filecmp.cmpfiles(committed, rebuilt, files, shallow=False)
    assert (mismatch, errors) == ([], []), "run: python benchmarks/leaderboard_example.py"


def test_the_tampered_example_is_listed_as_rejected_naming_file_and_field(rebuilt):
    board = json.loads((rebuilt / "leaderboard.json").read_text())
    tampered = [r for r in board["rejected"] if r["file"].startswith("tampered-")]
    assert len(tampered) == 1
    assert any(": value: says " in reason for reason in tampered[0]["reasons"])
    assert board["ranked"], "the board still builds from the valid ones"
    assert tampered[0]["file"] not in {r["file"] for r in board["ranked"]}
    page = (rebuilt / "index.html").read_text()
    assert f"{tampered[0]['file']}: " in page
    ranks = [r["rank"] for r in board["ranked"]]
    assert ranks == list(range(1, len(ranks) + 1))
    scores = [r["score"] for r in board["ranked"]]
    assert scores == sorted(scores, reverse=True)
    for row in board["ranked"]:  # the evidence each row links to is the validated file
        assert (rebuilt / row["evidence"]).read_bytes() == (SUBMISSIONS / row["file"]).read_bytes()


def _variant(sub: dict, keep) -> dict:
    """``sub`` with only the tasks ``keep(task)`` accepts, its horizons recomputed as
    ``statetrack submit`` would from such a run."""
    out = copy.deepcopy(sub)
    out["tasks"] = {k: t for k, t in sub["tasks"].items() if keep(t)}
    horizons = []
    for h in sub["horizons"]:
        tasks = [
            t
            for t in out["tasks"].values()
            if (t["family"], t["variant"]) == (h["family"], h["variant"])
        ]
        if tasks:
            from lm_eval_statetrack.report.horizon import Point

            points = [Point(t["length"], t["value"], t["stderr"]) for t in tasks]
            horizons.append(
                horizon_entry(h["family"], h["variant"], h["metric"], points, out["threshold_frac"])
            )
    out["horizons"] = horizons
    return out


@pytest.fixture(scope="module")
def edited(tmp_path_factory) -> tuple[Path, dict, str]:
    """A folder of copies of one real submission, each edited one way; the board built
    from it (its leaderboard.json) and what the command printed."""
    folder = tmp_path_factory.mktemp("subs")
    sub = _load(SOURCE)
    shutil.copy(SOURCE, folder / "a-original.json.gz")
    newer = copy.deepcopy(sub)
    newer["run"]["date"] = "2099-01-01 00:00 UTC"
    _save(folder / "b-newer.json.gz", newer)
    other = copy.deepcopy(sub)
    other["suite"]["version"] = "0.0.1"
    _save(folder / "c-other-version.json.gz", other)
    (folder / "d-truncated.json.gz").write_bytes(SOURCE.read_bytes()[:500])
    arch = copy.deepcopy(sub)
    arch["model"]["architecture"] = "banana"
    _save(folder / "e-architecture.json.gz", arch)
    partial = _variant(sub, lambda t: t["length"] != 256)
    partial["model"]["id"] = "partial-model"
    _save(folder / "f-partial.json.gz", partial)
    some = _variant(sub, lambda t: t["variant"] == "z60")  # the control only
    some["model"]["id"] = "control-only"
    _save(folder / "g-control-only.json.gz", some)
    out = tmp_path_factory.mktemp("board") / "site"
    rc = main(["leaderboard", str(folder), "--out", str(out)])
    assert rc == 0
    return out, json.loads((out / "leaderboard.json").read_text()), folder


def _reasons(board: dict, file: str) -> list[str]:
    return next(r["reasons"] for r in board["rejected"] if r["file"] == file)


def test_bad_submissions_are_rejected_with_a_reason_naming_the_field(edited):
    _, board, _ = edited
    assert sorted(r["file"] for r in board["rejected"]) == [
        "c-other-version.json.gz",
        "d-truncated.json.gz",
        "e-architecture.json.gz",
    ]
    assert any(
        r.startswith("suite.version: '0.0.1'") for r in _reasons(board, "c-other-version.json.gz")
    )
    assert any(
        "cannot read it as a submission" in r for r in _reasons(board, "d-truncated.json.gz")
    )
    assert any(
        r.startswith("model.architecture: 'banana'")
        for r in _reasons(board, "e-architecture.json.gz")
    )
    for r in board["rejected"]:
        assert all("\n" not in reason for reason in r["reasons"])


def test_the_newest_of_two_submissions_of_a_model_wins(edited):
    _, board, _ = edited
    ranked = {r["file"]: r for r in board["ranked"]}
    assert "b-newer.json.gz" in ranked and "a-original.json.gz" not in ranked
    assert [s["file"] for s in board["superseded"]] == ["a-original.json.gz"]
    assert "b-newer.json.gz" in board["superseded"][0]["reasons"][0]


def test_a_partial_run_is_shown_apart_never_ranked(edited):
    out, board, _ = edited
    assert [r["model"] for r in board["partial"]] == ["partial-model"]
    assert "partial-model" not in {r["model"] for r in board["ranked"]}
    assert board["partial"][0]["rank"] is None
    assert any("no score at length(s) 256" in p for p in board["partial"][0]["partial"])
    assert "Partial runs (not ranked)" in (out / "leaderboard.md").read_text()


def test_a_model_with_fewer_hard_variants_ranks_below_on_missing_data(edited):
    _, board, _ = edited
    order = [r["model"] for r in board["ranked"]]
    assert order.index("ids4-1l-a5") < order.index("control-only")
    control = next(r for r in board["ranked"] if r["model"] == "control-only")
    assert control["score"] == 0.0 and control["coverage"][0] == 0
    assert control["gaps"] == []


def test_every_row_names_its_suite_version_and_the_formats_agree(edited):
    out, board, _ = edited
    from lm_eval_statetrack import __version__

    rows = board["ranked"] + board["partial"]
    assert {r["suite_version"] for r in rows} == {board["suite_version"]} == {__version__}
    csv_lines = (out / "leaderboard.csv").read_text().splitlines()
    assert len(csv_lines) == 1 + len(rows)
    assert csv_lines[0].startswith("status,rank,model,score")
    md = (out / "leaderboard.md").read_text()
    for r in rows:
        assert f"`{r['model']}`" in md and f"{r['score']:.3f}" in md


def test_out_is_replaced_whole_and_a_foreign_folder_is_refused(edited, tmp_path, capsys):
    out, _, folder = edited
    (out / "stale.txt").write_text("from an older board")
    files = [str(folder / "a-original.json.gz"), str(folder / "d-truncated.json.gz")]
    rc, text = _build(capsys, *files, "--out", str(out))
    assert rc == 0 and not (out / "stale.txt").exists()
    assert "REJECTED d-truncated.json.gz: cannot read it as a submission" in text
    assert "  1. ids4-1l-a5: score " in text
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"]  # no temporary left
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep me")
    rc, text = _build(capsys, str(folder / "a-original.json.gz"), "--out", str(foreign))
    assert rc == 2 and "--out" in text and "refusing to replace" in text
    assert [p.name for p in foreign.iterdir()] == ["mine.txt"]
    rc, text = _build(capsys, str(out / "submissions"), "--out", str(out))
    assert rc == 2 and "would delete" in text
    rc, text = _build(capsys, str(folder))
    assert rc == 2 and "--out DIR is required" in text


def _commands(workflow: dict) -> list[str]:
    lines = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            lines += [line.strip() for line in step.get("run", "").splitlines()]
    return [line for line in lines if line.startswith("statetrack ")]


def test_init_writes_a_repository_whose_workflow_runs_the_real_cli(tmp_path, capsys):
    repo = tmp_path / "board"
    rc, text = _build(capsys, "init", str(repo))
    assert rc == 0, text
    workflow = yaml.safe_load((repo / ".github/workflows/leaderboard.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert {"pull_request", "push"} <= set(triggers)
    commands = _commands(workflow)
    assert any(c.startswith("statetrack validate ") for c in commands)
    assert any(c.startswith("statetrack leaderboard submissions --out ") for c in commands)
    parser = build_parser()
    for command in commands:  # each parses with our CLI, "$f" standing for a file
        words = command.split("||")[0].replace('"$f"', "submissions/x.json.gz").split()[1:]
        parser.parse_args(words)
    from lm_eval_statetrack import __version__

    assert (
        f"lm-eval-statetrack=={__version__}"
        in (repo / ".github/workflows/leaderboard.yml").read_text()
    )
    assert (repo / "submissions").is_dir() and "statetrack submit" in (
        repo / "README.md"
    ).read_text()
    build = next(c for c in commands if c.startswith("statetrack leaderboard"))
    rc = main(build.split()[1:2] + [str(repo / "submissions"), "--out", str(repo / "site")])
    assert rc == 0 and (repo / "site" / "index.html").is_file()  # an empty board builds
    rc, text = _build(capsys, "init", str(repo))
    assert rc == 2 and "not an empty folder" in text
