"""The README's promises: its API example runs, and its test command is the one CI runs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_readme_starts_with_the_demo_and_the_test_commands() -> None:
    demo, tests = _blocks("console")[:2]
    assert README.index(demo) < README.index("## What and why")
    assert demo.strip().endswith(".venv/bin/jieqin demo")
    assert "-e plugins/jieqin-tongchuan" in demo
    assert tests.strip().endswith(".venv/bin/pytest")


def test_readme_test_command_installs_what_ci_installs() -> None:
    tests = _blocks("console")[1]
    readme_install = shlex.split(tests.split("&&")[1])
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_line = next(line for line in ci.splitlines() if "pip install -q -e" in line)
    ci_install = [arg for arg in shlex.split(ci_line) if arg != "-q"]
    assert readme_install == ci_install


def test_readme_api_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("jieqin_tongchuan", reason="the example uses the Tongchuan programme")
    (example,) = _blocks("python")
    assert len(example.strip().splitlines()) <= 24
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {"__name__": "readme_example"})
    assert capsys.readouterr().out.split() == ["1", "1", "5000.00"]
    assert (tmp_path / "example.db").exists()
