"""Bounded memory on any input: a huge JSON Lines or CSV value is refused in one line, cheaply.

The import runs in a fresh interpreter whose address space is capped (so that a
regression fails fast instead of taking the machine's memory), started by a small
parent that reports the peak resident memory of its only child.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

import jieqin
from jieqin.errors import MAX_REASON, Problem, _masked
from jieqin.io.jsonl_format import MAX_DEPTH, MAX_LINE, MAX_STRING, read_jsonl
from jieqin.io.kinds import kind_named

#: The peak the refusal of a 300 MiB value must stay under.
LIMIT_MB = 300

#: Runs ``jieqin ARGS`` with its address space capped; prints its peak RSS in MB.
MEASURE = """
import json, resource, subprocess, sys

def cap():
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

done = subprocess.run(
    [sys.executable, "-c", "from jieqin.cli import main; main()", *sys.argv[1:]],
    capture_output=True, text=True, preexec_fn=cap, check=False,
)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"code": done.returncode, "err": done.stderr, "peak_mb": peak}))
"""


def _huge_value_file(path: Path, mebibytes: int) -> None:
    """A helpers file whose one record holds a name of ``mebibytes`` MiB (written in
    chunks): JSON Lines or CSV by the file's suffix."""
    chunk = "王" * (1 << 20)  # 3 MiB of UTF-8
    with path.open("w", encoding="utf-8") as out:
        if path.suffix == ".csv":
            out.write("helper_id,name,home_region,tier\np1,")
        else:
            out.write(
                '{"helper_id": "p1", "home_region": "610202", "tier": "city_member", "name": "'
            )
        for _ in range(mebibytes // 3):
            out.write(chunk)
        out.write(",610202,city_member\n" if path.suffix == ".csv" else '"}\n')


@pytest.mark.parametrize(("name", "line"), [("helpers.jsonl", 1), ("helpers.csv", 2)])
def test_a_300_mib_value_is_refused_in_one_line_under_300_mb(
    tmp_path: Path, name: str, line: int
) -> None:
    db = tmp_path / "campaign.db"
    jieqin.connect(f"sqlite:///{db}").close()
    path = tmp_path / name
    _huge_value_file(path, 300)
    assert path.stat().st_size >= 300 << 20
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, "import", "helpers", str(path), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "JIEQIN_TRACEBACK": ""},
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["code"] == 1
    lines = result["err"].splitlines()
    assert len(lines) == 1, result["err"]
    assert f"{name} line {line}" in lines[0]
    assert f"at most {MAX_LINE}" in lines[0]
    assert result["peak_mb"] < LIMIT_MB, result


def test_limits_are_problems_of_their_line() -> None:
    helpers = kind_named("helpers")
    lines = [
        json.dumps({"helper_id": "p1", "name": "x" * (MAX_STRING + 1)}),
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        '{"helper_id": "p1", "capacity": ' + "9" * 5000 + "}",
        " " * (MAX_LINE + 1) + "{}",
    ]
    parsed = list(read_jsonl(lines, helpers, source="h.jsonl"))
    reasons = [(p.line, p.problems[0].field, p.problems[0].reason) for p in parsed]
    assert [line for line, _, _ in reasons] == [1, 2, 3, 4]
    assert reasons[0][1] == "name"
    assert f"over {MAX_STRING} characters" in reasons[0][2]
    assert f"over {MAX_DEPTH} levels" in reasons[1][2]
    assert "5000 digits" in reasons[2][2]
    assert f"at most {MAX_LINE}" in reasons[3][2]


@pytest.mark.parametrize(
    "value",
    ["x" * (8 << 20), "\\n" * (4 << 20), "王" * (8 << 20)],
    ids=["plain", "escapes", "chinese"],
)
def test_masking_a_quoted_8_mib_value_takes_little_memory(value: str) -> None:
    reason = f"expected a whole number, got the string '{value}'"
    tracemalloc.start()
    try:
        masked = _masked(reason)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert masked == f"expected a whole number, got the string <text of {len(value)} characters>"
    assert peak < 1 << 20, peak  # the scan keeps no entry per character


def test_a_long_reason_is_cut_without_leaving_part_of_a_number() -> None:
    number = "610220196803020118"
    reason = "x" * (MAX_REASON - 8) + number + " and more" * 1000
    shown = str(Problem(reason))
    assert len(shown) < MAX_REASON + 100
    assert "61022019" not in shown
    assert shown.endswith(f"({len(reason)} characters in all)")
