"""The package as a user meets it: installed from a wheel, found by lm-eval with no
``--include_path``, harmless at interpreter start, and switchable off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import REPO, run_lm_eval, run_lm_eval_logged

from lm_eval_statetrack.tasks import task_manager
from lm_eval_statetrack.training.references import REFERENCE_DIR

WORDPROBLEM_LEAVES = {
    f"statetrack_wordproblem_{g}_len{n}"
    for g in ("s5", "a5", "a4xz5", "z60", "s3", "z2")
    for n in (4, 8, 16, 32, 64, 128, 256)
}
WORDPROBLEM_GROUPS = {"statetrack-wordproblem"} | {
    f"statetrack-wordproblem-{g}" for g in ("s5", "a5", "a4xz5", "z60", "s3", "z2")
}


def hf_args(pretrained: str | Path, tasks: str, limit: int) -> list[str]:
    """``lm_eval`` arguments: lm-eval's own ``hf`` model in float32 on ``tasks``."""
    model_args = f"pretrained={pretrained},dtype=float32"
    return ["--model", "hf", "--model_args", model_args, "--tasks", tasks, "--limit", str(limit)]


def python_in(env_overrides: dict | None, code: str, cwd: Path = REPO, exe=sys.executable) -> str:
    env = {**os.environ, **(env_overrides or {})}
    proc = subprocess.run(
        [exe, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    """A fresh venv holding only our wheel; the heavy dependencies are borrowed from the
    test environment through a path entry (its .pth files, and so our editable install,
    are not processed)."""
    root = tmp_path_factory.mktemp("wheel_install")
    dist = root / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("lm_eval_statetrack-*.whl"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.check_output(
            [
                venv / "bin/python",
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            text=True,
        ).strip()
    )
    (site / "zz_borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return venv


def test_wheel_ships_tasks_and_hook(wheel_venv, tmp_path):
    out = python_in(
        None,
        "import lm_eval_statetrack.tasks as t, lm_eval_statetrack as p; "
        "print(p.__file__); print(t.task_dir())",
        cwd=tmp_path,
        exe=wheel_venv / "bin/python",
    )
    package_file, task_dir = out.splitlines()
    assert str(wheel_venv) in package_file, "the wheel, not the checkout, must be imported"
    assert task_dir.startswith(str(wheel_venv))
    assert (Path(task_dir) / "wordproblem/a5/statetrack_wordproblem_a5_len16.yaml").is_file()


def test_wheel_install_runs_group_through_lm_eval_cli(wheel_venv, tiny_llama, tmp_path):
    results = run_lm_eval(
        hf_args(tiny_llama, "statetrack-wordproblem", limit=3),
        tmp_path / "out",
        cmd=[str(wheel_venv / "bin/python"), "-m", "lm_eval"],
    )
    assert set(results["results"]) == WORDPROBLEM_LEAVES | WORDPROBLEM_GROUPS
    for group in WORDPROBLEM_GROUPS:
        assert 0.0 <= results["results"][group]["acc,none"] <= 1.0
    assert results["versions"]["statetrack_wordproblem_a5_len16"] == 1
    assert results["configs"]["statetrack_wordproblem_a5_len16"]["metadata"]["chance"] == (
        pytest.approx(1 / 60, abs=1e-6)
    )


def test_leaf_glob_runs_every_leaf_once_and_no_group(tiny_llama, tmp_path):
    results = run_lm_eval(
        hf_args(tiny_llama, "statetrack_wordproblem_*", limit=2),
        tmp_path / "out",
    )
    assert set(results["results"]) == WORDPROBLEM_LEAVES
    assert all(results["n-samples"][t]["effective"] <= 2 for t in WORDPROBLEM_LEAVES)


def test_lm_eval_run_prints_no_metadata_warning_per_task(tmp_path):
    """lm-eval warns "Custom kwargs can be passed to `--metadata`" for every task whose docs
    come from a ``custom_dataset`` callable; ours come from StateTrackTask, so the log of a
    run keeps only warnings that mean something."""
    results, log = run_lm_eval_logged(
        hf_args(REFERENCE_DIR / "ids4-1l-a5", "statetrack-wordproblem-a5", limit=2),
        tmp_path / "out",
    )
    assert len(results["results"]) == 8  # the group and its seven leaves ran
    assert "--limit SHOULD ONLY BE USED FOR TESTING" in log  # lm-eval's warnings do show
    assert "Custom kwargs" not in log and "--metadata" not in log


def test_python_api_simple_evaluate(tiny_llama):
    from lm_eval import simple_evaluate

    results = simple_evaluate(
        model="hf",
        model_args=f"pretrained={tiny_llama},dtype=float32",
        tasks=["statetrack-wordproblem-z2"],
        limit=2,
        device="cpu",
    )
    leaves = {f"statetrack_wordproblem_z2_len{n}" for n in (4, 8, 16, 32, 64, 128, 256)}
    assert set(results["results"]) == leaves | {"statetrack-wordproblem-z2"}


LIST_OURS = (
    "from lm_eval.tasks import TaskManager; from lm_eval.api.registry import model_registry;"
    "import lm_eval.models, json;"
    "tm = TaskManager({defaults});"
    "print(json.dumps([sorted(t for t in tm.all_tasks if 'statetrack' in t),"
    " 'statetrack' in model_registry, 'hf' in model_registry, 'mamba_ssm' in model_registry]))"
)


def test_hook_registers_tasks_and_model_and_keeps_lm_evals_own_models():
    listed = python_in({"LM_EVAL_STATETRACK_DISABLE": ""}, LIST_OURS.format(defaults=""))
    tasks, ours, hf, mamba = json.loads(listed)
    assert WORDPROBLEM_LEAVES | WORDPROBLEM_GROUPS | {"statetrack"} <= set(tasks)
    assert ours and hf and mamba


N_OURS = len(task_manager(include_defaults=False).all_tasks)
ENTRY_POINT_FOLDER = (
    "from importlib.metadata import entry_points; from pathlib import Path;"
    "module = entry_points(group='lm_eval.tasks')['statetrack'].load();"
    "print(Path(*module.__path__))"
)
COUNT_INDEXED = (
    "import io, json, logging, sys; from lm_eval.tasks import TaskManager;"
    "log = io.StringIO(); logging.getLogger('lm_eval').addHandler(logging.StreamHandler(log));"
    "tm = TaskManager(include_defaults=False, include_path=json.loads(sys.argv[1]));"
    "print(json.dumps([len(tm.all_tasks), log.getvalue().count('overrides existing task')]))"
)


def test_tasks_entry_point_folder_holds_exactly_the_task_yamls():
    """lm-eval's proposed task plugins (PR #4015) scan the entry point's module folder."""
    folder = Path(python_in(None, ENTRY_POINT_FOLDER))
    assert folder.resolve() == REPO / "task_yamls"  # the checkout's live tree (editable)
    files = [p for p in folder.resolve().rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert {p.name for p in files if p.suffix != ".yaml"} == {
        "README.md",
        "_template_yaml",
        "utils.py",
    }
    code = f"import sys; sys.argv[1:] = [{json.dumps(json.dumps([str(folder)]))}]; {COUNT_INDEXED}"
    n_ours, overrides = json.loads(python_in({"LM_EVAL_STATETRACK_DISABLE": "1"}, code))
    assert (n_ours, overrides) == (N_OURS, 0)  # every statetrack name, from that folder alone


def test_a_folder_listed_twice_is_indexed_once():
    """Where lm-eval already lists our folder (its plugin loading, or --include_path), the
    hook's copy is dropped: no task is indexed twice and none "overrides" itself."""
    folder = python_in(None, ENTRY_POINT_FOLDER)
    twice = json.dumps([folder, folder + "/"])
    code = f"import sys; sys.argv[1:] = [{json.dumps(twice)}]; {COUNT_INDEXED}"
    assert json.loads(python_in(None, code)) == [N_OURS, 0]


def test_hook_can_be_disabled():
    listed = python_in(
        {"LM_EVAL_STATETRACK_DISABLE": "1"}, LIST_OURS.format(defaults="include_defaults=False")
    )
    tasks, ours, hf, _ = json.loads(listed)
    assert tasks == [] and not ours and hf


def test_model_registered_even_when_registry_was_imported_first():
    code = (
        "from lm_eval.api.registry import get_model;"
        "print(get_model('hf').__name__, get_model('statetrack').__name__)"
    )
    hf_name, ours_name = python_in(None, code).split()
    assert hf_name == "HFLM" and ours_name == "StateTrackLM"


def test_interpreter_start_imports_nothing_heavy():
    code = (
        "import sys; heavy = {'torch', 'lm_eval', 'transformers', 'datasets', 'yaml'};"
        "print(sorted(heavy & set(sys.modules)), 'lm_eval_statetrack._hook' in sys.modules)"
    )
    assert python_in(None, code, cwd=Path("/")) == "[] True"
