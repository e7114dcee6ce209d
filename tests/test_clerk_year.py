"""The clerk's year of ``docs/clerk-year.md`` runs as written and prints what it shows.

Every ``$ jieqin …`` line of the page's console blocks is run in order, in one
folder holding the example files, and its output must equal the lines the page shows
under it (audit hashes aside, which differ from run to run): a command that changed
what it prints, or a correction whose figures moved, fails here until the page says
so too.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from jieqin.cli import cli
from jieqin.cli._common import run_cli

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGE = DOCS / "clerk-year.md"
HASH = re.compile(r"sha256:[0-9a-f]{64}")


def _steps(text: str) -> list[tuple[str, list[str]]]:
    """Each command of the page's console blocks with the output lines shown under it."""
    steps: list[tuple[str, list[str]]] = []
    in_console = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_console = line.strip() == "```console"
            continue
        if not in_console:
            continue
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line.rstrip())
    return steps


def test_the_page_has_the_whole_year() -> None:
    commands = [command.split()[1] for command, _ in _steps(PAGE.read_text(encoding="utf-8"))]
    for needed in ("init", "import", "pair", "funds", "aid", "log", "activities", "grants"):
        assert needed in commands, needed
    assert commands.count("report") == 2


def test_the_clerk_year_runs_as_the_page_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("helpers.csv", "households.csv"):
        shutil.copy(DOCS / "examples" / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("JIEQIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("JIEQIN_LANG", "en")  # the page shows the English outputs
    for command, shown in _steps(PAGE.read_text(encoding="utf-8")):
        args = shlex.split(command)
        assert args[0] == "jieqin", command
        code = run_cli(cli, args[1:])
        captured = capsys.readouterr()
        output = captured.out + captured.err
        printed = [HASH.sub("sha256:…", line.rstrip()) for line in output.splitlines()]
        expected_code = 1 if shown and shown[0].startswith("Error:") else 0
        assert code == expected_code, (command, output)
        assert printed == shown, command
