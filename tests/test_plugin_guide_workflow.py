"""The plugin guide's aid-workflow section runs as written: its plugin and its property
tests are copied into a test module and run by pytest with jieqin's plugin (the
``new_campaign`` fixture) on memory, SQLite and, where the server answers, PostgreSQL.
The plugin part stays within the 40 lines the guide promises."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADING = "## 7. The aid workflow"


def _blocks() -> list[str]:
    page = (ROOT / "docs" / "plugin-guide.md").read_text(encoding="utf-8")
    start = page.index(HEADING)
    section = page[start : page.index("\n## ", start + 1)]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_plugin_fits_in_forty_lines() -> None:
    plugin = _blocks()[0]
    lines = [line for line in plugin.splitlines() if line.strip()]
    assert len(lines) <= 40, len(lines)


def test_the_guide_examples_pass_on_every_backend(tmp_path: Path) -> None:
    plugin, tests = _blocks()
    (tmp_path / "test_guide.py").write_text(plugin + "\n\n" + tests, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            "-rs",
            "test_guide.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    # two tests on memory and SQLite, and on PostgreSQL where it answers
    assert re.search(r"\b(4|6) passed", summary), summary
