"""The testing page's example of property-testing an allocation runs as written: its
code block is copied into a test module and run by pytest with jieqin's plugin (the
``new_campaign`` fixture) on every backend."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _example() -> str:
    page = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    section = page[page.index("## Property-testing an allocation") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "the section has no python example"
    return match.group(1)


def test_the_allocation_example_passes_on_every_backend(tmp_path: Path) -> None:
    (tmp_path / "test_example.py").write_text(_example(), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "test_example.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    # memory and SQLite always; PostgreSQL where the server answers
    assert re.search(r"\b[23] passed", summary), summary


def test_the_example_checks_something() -> None:
    # a test that cannot fail is a defect: the example's assertions are really there
    code = _example()
    assert code.count("assert ") >= 4
    assert "new_campaign(" in code
