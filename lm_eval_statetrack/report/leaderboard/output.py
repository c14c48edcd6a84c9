"""Write a board whole or not at all: everything goes into a temporary folder beside
``--out``, which replaces the old board only once complete."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

MARKER = "leaderboard.json"  # what marks a folder as a board this command may replace


class OutputError(ValueError):
    """``--out`` cannot take the board; the message says why and what to do."""


def check_out(out: Path, inputs: list[Path]) -> None:
    """Refuse an ``--out`` that is a file, a folder of something else, or holds inputs."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out}: exists and is not a folder; name a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise OutputError(
            f"--out {out}: a non-empty folder without {MARKER}, not a board this command "
            "built; refusing to replace it: name a new or empty folder"
        )
    root = out.resolve()
    for path in inputs:
        if path.resolve().is_relative_to(root):
            raise OutputError(
                f"--out {out}: holds the submission {path}, which replacing the folder would "
                "delete; write the board elsewhere"
            )


def write_board(texts: Mapping[str, str], copies: Mapping[str, Path], out: Path) -> None:
    """``texts`` (relative path -> text) and ``copies`` (relative path -> file) become
    the folder ``out``, replacing a previous board there in one rename."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    try:
        for rel, text in texts.items():
            (tmp / rel).write_text(text, encoding="utf-8")
        for rel, source in copies.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, tmp / rel)
        tmp.chmod(0o755)  # mkdtemp's 0o700 would hide the page from a web server
        if out.exists():
            out.rename(old)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not out.exists():
            old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)
