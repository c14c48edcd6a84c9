"""``statetrack leaderboard init DIR``: a leaderboard repository, ready to push.

The CI workflow pins the suite and lm-eval versions installed here, the ones submissions
are validated against; on a pull request it runs ``statetrack validate`` on every added
or changed submission and builds the page, on ``main`` it publishes the page.
"""

from __future__ import annotations

from importlib.metadata import version as installed_package_version
from pathlib import Path

from lm_eval_statetrack import __version__

WORKFLOW = ".github/workflows/leaderboard.yml"

WORKFLOW_TEXT = """\
# Validates submissions on pull requests and publishes the leaderboard page from main.
# Written by `statetrack leaderboard init`. The versions below are the ones every
# submission is validated against: a submission made with others is rejected.
name: leaderboard

on:
  pull_request:
    paths: ["submissions/**"]
  push:
    branches: [main]
  workflow_dispatch:

env:
  STATETRACK: "{suite_requirement}"
  LM_EVAL: "lm-eval[hf]=={lm_eval}"
  TORCH_INDEX: "https://download.pytorch.org/whl/cpu"

jobs:
  validate:
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install the suite
        run: |
          pip install torch --index-url "$TORCH_INDEX"
          pip install "$LM_EVAL" "$STATETRACK"
      - name: Validate each added or changed submission
        run: |
          status=0
          changed=$(git diff --name-only --diff-filter=AM \
            "origin/$GITHUB_BASE_REF...HEAD" -- submissions)
          for f in $changed; do
            statetrack validate "$f" || status=1
          done
          exit $status
      - name: Build the page
        run: statetrack leaderboard submissions --out site

  publish:
    if: github.event_name != 'pull_request'
    runs-on: ubuntu-latest
    permissions:
      pages: write
      id-token: write
    environment:
      name: github-pages
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install the suite
        run: |
          pip install torch --index-url "$TORCH_INDEX"
          pip install "$LM_EVAL" "$STATETRACK"
      - name: Build the page
        run: statetrack leaderboard submissions --out site
      - uses: actions/upload-pages-artifact@v3
        with:
          path: site
      - uses: actions/deploy-pages@v4
"""

README_TEXT = """\
# State-tracking leaderboard

Models ranked on the state-tracking suite lm-eval-statetrack {suite}, with lm-eval
{lm_eval}. The page is
built from the files in `submissions/` by `statetrack leaderboard submissions --out site`
and published by the workflow in `{workflow}`.

## Submit a model

1. Install the versions above: `pip install "lm-eval[hf]=={lm_eval}" "{suite_requirement}"`.
2. Evaluate with per-sample evidence (`--log_samples`), every length of each variant you
   run and no `--limit` (a partial run is shown, not ranked):

       lm_eval --model hf --model_args pretrained=ORG/MODEL --tasks 'statetrack_*' \\
           --log_samples --output_path runs

3. Make the submission and check it as CI will:

       statetrack submit runs --out submissions/ORG--MODEL.json.gz --model-id ORG/MODEL \\
           --architecture transformer      # or ssm, rnn, hybrid, other
       statetrack validate submissions/ORG--MODEL.json.gz

4. Open a pull request that adds the file. CI runs `statetrack validate` on it: documents
   rebuilt, hashes, doc counts, scores, standard errors and horizons recomputed.

A newer submission of the same model and suite version replaces the older one on the
page. The score, horizons and hard-vs-control gaps are defined on the page itself.

## Maintain

- `statetrack leaderboard submissions --out site` builds `site/index.html`, plus
  `leaderboard.md`, `.csv` and `.json`; invalid files are listed as rejected with their
  reasons.
- To move to a new suite version, change `STATETRACK` and `LM_EVAL` in the workflow and ask
  submitters to re-run: versions are never mixed in one ranking.
- Enable GitHub Pages with "GitHub Actions" as the source.
"""


def suite_requirement() -> str:
    return f"lm-eval-statetrack=={__version__}"


def init(folder: Path) -> list[Path]:
    """Write the skeleton into ``folder`` (new or empty); returns the files written."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(f"{folder} exists and is not an empty folder; name a new one")
    versions = {
        "suite": __version__,
        "lm_eval": installed_package_version("lm_eval"),
        "suite_requirement": suite_requirement(),
        "workflow": WORKFLOW,
    }
    files = {
        WORKFLOW: WORKFLOW_TEXT.format(**versions),
        "README.md": README_TEXT.format(**versions),
        "submissions/.gitkeep": "",
        ".gitignore": "site/\n",
    }
    written = []
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
