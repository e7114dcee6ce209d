# ruff: noqa: PT017  (the checks run on the error a whole import raised, inside one helper)
"""Malformed CSV and JSON Lines into every importer: a clean JieqinError, nothing written.

Hypothesis starts from valid files of every kind and format and breaks them: wrong
types, missing columns and keys, bad encodings (GBK, BOMs, stray bytes), huge
fields, bad resident ID numbers, dates out of range, truncated and garbled lines.
Whatever happens, the import either succeeds or raises a
:class:`~jieqin.errors.JieqinError` whose every problem names the file and a line of
it (and the field, when one value is at fault); a failed import writes nothing, and
no message repeats a resident ID number or a phone number.

``JIEQIN_FUZZ_EXAMPLES`` sets how many files each test generates (CI default 150;
the nightly run uses 34000 per test: over 100,000 cases in all).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.errors import InvalidInput, InvalidValue, JieqinError, Problem
from jieqin.io.exporter import write_records
from jieqin.io.kinds import KINDS
from jieqin.privacy import find_sensitive
from jieqin.storage._common import ENTITIES

from . import _world

EXAMPLES = int(os.environ.get("JIEQIN_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KIND_NAMES = ("helpers", "households", "pairings", "needs", "activities", "observations")
FORMATS = ("csv", "jsonl")
RECORDS = _world.every_kind()
SENSITIVE = _world.sensitive_values(RECORDS)


def _valid_text(kind: str, fmt: str) -> str:
    out = io.StringIO()
    write_records(RECORDS[kind], kind, out, format=fmt, include_sensitive=True)
    return out.getvalue()


VALID = {(k, f): _valid_text(k, f) for k in KIND_NAMES for f in FORMATS}

_bad_id = st.sampled_from(
    RECORDS["households"][0].members
).map(  # type: ignore[attr-defined]
    lambda m: m.resident_id[:10] + str((int(m.resident_id[10]) + 1) % 10) + m.resident_id[11:]
)
bad_cells = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "abc",
            "-1",
            "0",
            "1.5",
            "1e400",
            "NaN",
            "99999999999999999999999",
            "2021-13-01",
            "2021-02-30",
            "1899-12-31",
            "0001-01-01",
            "9999-12-31",
            "10000-01-01",
            "2021Q5",
            "true",
            "null",
            "[]",
            "{}",
            "\x00",
            "６１０２０２",
            "11010519491231002",
            "11010519491231002Y",
            "110105194913310029",
            "lifted_out@2021-02-30",
            "@",
            ";;;",
            "💥" * 300,
        ]
    ),
    _bad_id,
    st.integers(201, 140_000).map(lambda n: "x" * n),
    st.text(max_size=30),
)
bad_json_values = st.one_of(
    bad_cells,
    st.sampled_from([None, True, 0, -5, 1.5, 10**30, -(10**30), [], {}, [1, 2], {"a": 1}]),
    st.lists(st.text(max_size=5), max_size=3),
)


@attrs.frozen
class Case:
    """A broken file, and what a failure must then say about it."""

    kind: str
    fmt: str
    data: bytes
    line: int | None = None
    """The line that was broken, when only one was."""
    field: str | None = None
    """The field that was broken, when only one value was."""
    must_succeed: bool = False

    def __repr__(self) -> str:
        head = self.data[:160] + (b"..." if len(self.data) > 160 else b"")
        return (
            f"Case({self.kind}.{self.fmt}, {len(self.data)} bytes, line={self.line}, "
            f"field={self.field!r}, data={head!r})"
        )


def _rows(text: str) -> list[str]:
    return text.splitlines(keepends=True)


@st.composite
def value_cases(draw: st.DrawFn) -> Case:
    """One value of one record replaced by a bad one."""
    kind = draw(st.sampled_from(KIND_NAMES))
    fmt = draw(st.sampled_from(FORMATS))
    lines = _rows(VALID[kind, fmt])
    if fmt == "csv":
        header = next(iter(_csv_rows(lines[0])))
        row_at = draw(st.integers(1, len(lines) - 1))
        cells = next(iter(_csv_rows(lines[row_at])))
        col = draw(st.integers(0, len(header) - 1))
        cells[col] = draw(bad_cells)
        lines[row_at] = _csv_line(cells)
        return Case(kind, fmt, "".join(lines).encode(), row_at + 1, header[col])
    row_at = draw(st.integers(0, len(lines) - 1))
    record = json.loads(lines[row_at])
    key = draw(st.sampled_from(sorted(record)))
    if kind == "households" and key == "members" and draw(st.booleans()):
        member = record["members"][0]
        sub = draw(st.sampled_from(sorted(member)))
        member[sub] = draw(bad_json_values)
        key = f"members[0].{sub}"
    else:
        record[key] = draw(bad_json_values)
    lines[row_at] = json.dumps(record, ensure_ascii=False) + "\n"
    return Case(kind, fmt, "".join(lines).encode(), row_at + 1, key)


@st.composite
def missing_cases(draw: st.DrawFn) -> Case:
    """A column dropped from a CSV file, or a key from a JSON record."""
    kind = draw(st.sampled_from(KIND_NAMES))
    fmt = draw(st.sampled_from(FORMATS))
    lines = _rows(VALID[kind, fmt])
    if fmt == "csv":
        rows = [next(iter(_csv_rows(line))) for line in lines]
        col = draw(st.integers(0, len(rows[0]) - 1))
        text = "".join(_csv_line(r[:col] + r[col + 1 :]) for r in rows)
        return Case(kind, fmt, text.encode(), None, rows[0][col])
    row_at = draw(st.integers(0, len(lines) - 1))
    record = json.loads(lines[row_at])
    key = draw(st.sampled_from(sorted(record)))
    del record[key]
    lines[row_at] = json.dumps(record, ensure_ascii=False) + "\n"
    return Case(kind, fmt, "".join(lines).encode(), row_at + 1, key)


@st.composite
def byte_cases(draw: st.DrawFn) -> Case:
    """Bytes broken anywhere: cut short, stray bytes, garbled quotes and brackets."""
    kind = draw(st.sampled_from(KIND_NAMES))
    fmt = draw(st.sampled_from(FORMATS))
    data = VALID[kind, fmt].encode()
    at = draw(st.integers(0, len(data)))
    how = draw(st.sampled_from(["cut", "insert", "overwrite"]))
    junk = draw(
        st.binary(min_size=1, max_size=8)
        | st.sampled_from([b'"', b",", b"\n", b"\r", b"{", b"}", b"\xff\xfe", b"\xef\xbb\xbf"])
    )
    if how == "cut":
        data = data[:at]
    elif how == "insert":
        data = data[:at] + junk + data[at:]
    else:
        data = data[:at] + junk + data[at + len(junk) :]
    return Case(kind, fmt, data)


@st.composite
def encoding_cases(draw: st.DrawFn) -> Case:
    """Whole files in GBK, GB18030 or UTF-8 with a BOM must import; UTF-16 must fail cleanly."""
    kind = draw(st.sampled_from(KIND_NAMES))
    fmt = draw(st.sampled_from(FORMATS))
    encoding = draw(st.sampled_from(["gbk", "gb18030", "utf-8-sig", "utf-16", "utf-32"]))
    data = VALID[kind, fmt].encode(encoding)
    return Case(kind, fmt, data, must_succeed=encoding in ("gbk", "gb18030", "utf-8-sig"))


def _csv_rows(line: str) -> Iterator[list[str]]:
    import csv

    return csv.reader([line])


def _csv_line(cells: list[str]) -> str:
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


# --- running a case ----------------------------------------------------------------


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[jieqin.Campaign]:
    """A SQLite campaign holding valid records, shared by the examples of this module."""
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    with jieqin.connect(f"sqlite:///{path}") as connected:
        with connected.unit_of_work(actor="test:setup") as uow:
            for kind in KIND_NAMES:
                getattr(uow, kind).add_many(RECORDS[kind])
            uow.commit()
        yield connected


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("files")


def _snapshot(campaign: jieqin.Campaign) -> dict[str, Any]:
    with campaign.unit_of_work() as uow:
        state: dict[str, Any] = {k: getattr(uow, k).list() for k in KIND_NAMES}
        state["audit"] = uow.audit.count()
    return state


def _problems(error: JieqinError) -> list[Problem]:
    if isinstance(error, InvalidInput):
        return list(error.problems)
    if isinstance(error, InvalidValue):
        return [error.problem]
    return []


def run_case(campaign: jieqin.Campaign, folder: Path, case: Case) -> JieqinError | None:
    """Import the case's file and check the outcome; returns the error, if it failed."""
    path = folder / f"{case.kind}.{case.fmt}"
    path.write_bytes(case.data)
    lines = case.data.count(b"\n") + 1
    before = _snapshot(campaign)
    try:
        campaign.import_file(case.kind, path, actor="test:fuzz")
    except JieqinError as error:
        assert not case.must_succeed, f"a valid file failed to import: {error}"
        problems = _problems(error)
        assert problems, f"{type(error).__name__} lists no problem: {error}"
        for problem in problems:
            assert problem.source == path.name, str(problem)
            assert problem.line is not None, str(problem)
            assert 1 <= problem.line <= lines, str(problem)
        if case.field is not None and not any(_whole_row(p) for p in problems):
            assert any(p.field for p in problems), f"no problem names a field: {error}"
            if case.line is not None:
                assert any(p.line == case.line for p in problems), str(error)
        assert find_sensitive(str(error), **SENSITIVE, patterns=False) == [], str(error)
        assert str(_world.MEDICAL_AMOUNT) not in str(error), "a medical amount was shown"
        assert _snapshot(campaign) == before, "a failed import wrote something"
        return error
    if case.must_succeed:
        with campaign.unit_of_work() as uow:
            repository = getattr(uow, case.kind)
            stored = [repository.get(ENTITIES[case.kind].key(r)) for r in RECORDS[case.kind]]
        assert stored == RECORDS[case.kind]
    return None


def _whole_row(problem: Problem) -> bool:
    """A problem with a row as a whole: unreadable CSV, or a clash with stored records."""
    return problem.reason.startswith("malformed CSV") or "conflict with stored" in problem.reason


@FUZZ
@given(case=value_cases())
def test_a_bad_value(campaign: jieqin.Campaign, folder: Path, case: Case) -> None:
    run_case(campaign, folder, case)


@FUZZ
@given(case=missing_cases())
def test_a_missing_column_or_key(campaign: jieqin.Campaign, folder: Path, case: Case) -> None:
    run_case(campaign, folder, case)


@FUZZ
@given(case=byte_cases())
def test_broken_bytes(campaign: jieqin.Campaign, folder: Path, case: Case) -> None:
    run_case(campaign, folder, case)


@settings(FUZZ, max_examples=min(EXAMPLES, 40))
@given(case=encoding_cases())
def test_other_encodings(campaign: jieqin.Campaign, folder: Path, case: Case) -> None:
    run_case(campaign, folder, case)


def test_every_importer_is_covered() -> None:
    # the kinds applied to stored records (referral outcomes) are fuzzed against a
    # store holding those records: tests/reliability/test_bad_input_applied.py
    assert set(KINDS) == set(KIND_NAMES) | {k for k, spec in KINDS.items() if spec.applied}


INTEGER_FIELDS = [
    ("helpers", "csv", "capacity", None),
    ("helpers", "jsonl", "capacity", None),
    ("households", "csv", "disability_grade", None),
    ("households", "csv", "school_year_of_entry", None),
    ("households", "jsonl", "members", "disability_grade"),
]


@pytest.mark.parametrize(("kind", "fmt", "key", "sub"), INTEGER_FIELDS)
@pytest.mark.parametrize("number", [10**30, -(10**30), 2**31, 2**63])
def test_a_number_too_large_for_the_database(
    campaign: jieqin.Campaign,
    folder: Path,
    kind: str,
    fmt: str,
    key: str,
    sub: str | None,
    number: int,
) -> None:
    lines = _rows(VALID[kind, fmt])
    if fmt == "csv":
        header = next(iter(_csv_rows(lines[0])))
        cells = next(iter(_csv_rows(lines[1])))
        cells[header.index(key)] = str(number)
        lines[1] = _csv_line(cells)
        case = Case(kind, fmt, "".join(lines).encode(), 2, key)
    else:
        record = json.loads(lines[0])
        if sub is None:
            record[key] = number
        else:
            record[key][0][sub] = number
        lines[0] = json.dumps(record) + "\n"
        case = Case(kind, fmt, "".join(lines).encode(), 1, key)
    error = run_case(campaign, folder, case)
    assert isinstance(error, InvalidInput)
