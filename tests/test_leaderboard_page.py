"""The committed example page in a real browser: Debian's Chromium driven by Playwright.

It opens ``docs/leaderboard/site/index.html`` from disk (built from real submissions; a
test in test_leaderboard.py rebuilds it byte for byte), sorts by a click on a column
header, filters by architecture kind and by family, and checks what the page shows and
that the console stayed free of errors. ``make test`` installs chromium where it runs as
root (CI); elsewhere without chromium the test is skipped, saying so.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import REPO

from lm_eval_statetrack import __version__

PAGE = REPO / "docs" / "leaderboard" / "site" / "index.html"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def page():
    if not Path(CHROMIUM).exists():
        if os.geteuid() == 0:
            pytest.fail("chromium is missing: `make test` installs it (apt-get install chromium)")
        pytest.skip("needs Debian's chromium: `apt-get install chromium` as root (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        view = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        view.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        view.on("pageerror", lambda e: errors.append(str(e)))
        view.on("request", lambda r: errors.append(f"network: {r.url}")
                if not r.url.startswith(("file:", "data:", "about:")) else None)  # fmt: skip
        view.goto(PAGE.as_uri())
        yield view, errors
        browser.close()


def _column(view, table: str, header: str) -> list[str]:
    """The visible cells of one column, top to bottom."""
    index = view.eval_on_selector(
        f"#{table} thead tr",
        "(tr, name) => Array.from(tr.children).findIndex(th => th.textContent.trim() === name)",
        header,
    )
    assert index >= 0, f"no column {header!r}"
    return view.eval_on_selector_all(
        f"#{table} tbody tr",
        "(rows, i) => rows.filter(r => !r.hidden).map(r => r.children[i].textContent.trim())",
        index,
    )


def test_the_page_shows_the_board_sorts_and_filters(page):
    view, errors = page
    assert view.text_content("#suite-version").strip() == f"lm-eval-statetrack {__version__}"
    models = _column(view, "ranked", "model")
    assert len(models) >= 4
    rows = view.eval_on_selector_all("table.board tr[data-families]", "r => r.length")
    assert view.text_content("#shown").strip() == f"{rows} of {rows} models shown"

    view.click("#ranked th:text-is('score')")  # numbers sort high to low first
    scores = [float(s) for s in _column(view, "ranked", "score")]
    assert scores == sorted(scores, reverse=True)
    view.click("#ranked th:text-is('score')")
    scores = [float(s) for s in _column(view, "ranked", "score")]
    assert scores == sorted(scores)
    view.click("#ranked th:text-is('model')")
    assert _column(view, "ranked", "model") == sorted(models, key=str.lower)
    assert view.get_attribute("#ranked th:text-is('model')", "aria-sort") == "ascending"

    kinds = _column(view, "ranked", "architecture")
    view.select_option("#arch-filter", "rnn")
    shown = _column(view, "ranked", "architecture")
    assert shown == ["rnn"] * kinds.count("rnn") and 0 < len(shown) < len(kinds)
    sections = view.eval_on_selector_all(
        "section.model", "s => s.filter(x => !x.hidden).map(x => x.getAttribute('data-arch'))"
    )
    assert set(sections) == {"rnn"}  # the curves follow the filter
    view.select_option("#arch-filter", "")
    assert len(_column(view, "ranked", "model")) == len(models)

    families = view.eval_on_selector_all("#family-filter option", "o => o.map(x => x.value)")
    assert "wordproblem" in families
    for family in filter(None, families):
        view.select_option("#family-filter", family)
        for row in view.eval_on_selector_all(
            "tr[data-families]", "r => r.filter(x => !x.hidden).map(x => x.dataset.families)"
        ):
            assert family in row.split()
    view.select_option("#family-filter", "")
    assert errors == []


def test_each_model_has_curves_with_chance_and_a_hard_vs_control_view(page):
    view, errors = page
    first = view.query_selector("section.model")
    assert first.query_selector("svg polyline") and first.query_selector("svg line.chance")
    pairs = view.eval_on_selector_all(
        "#gaps tbody tr",
        "rows => rows.map(r => [r.children[2].textContent, r.children[3].textContent])",
    )
    assert ["a5", "z60"] in pairs  # A5 (hard) against Z60 (its control)
    link = first.query_selector("a[href^='submissions/']").get_attribute("href")
    assert (PAGE.parent / link).is_file()
    assert errors == []
