# ruff: noqa: PT017  (the checks run on the error a whole import raised, inside one helper)
"""Broken workbooks into every importer: one clean JieqinError naming sheet, row and
column, and nothing written.

Hypothesis starts from valid workbooks of every kind (the records of ``_world``,
exported with ``--headers en`` and ``zh``) and breaks them the ways Excel files are
broken: a cell of the wrong type (a number, a date, a time, a boolean where text
belongs, an ID number stored as a number), a formula, an Excel error value, merged
cells, an empty sheet, a header replaced, and bytes damaged anywhere in the file.
Whatever happens, the import either succeeds or raises one
:class:`~jieqin.errors.JieqinError` whose every problem names the file (and, for a
problem of a sheet, the sheet and a row of it); when one cell was broken, a problem
names its sheet, row and header; a failed import writes nothing, and no message
repeats a resident ID number or a phone number.

``JIEQIN_FUZZ_EXAMPLES`` sets how many workbooks each test generates (default 150).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import attrs
import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.errors import JieqinError, Problem
from jieqin.io.exporter import write_records
from jieqin.io.headers import heading
from jieqin.io.kinds import KINDS
from jieqin.privacy import find_sensitive

from . import _world
from .test_bad_input import _problems, _snapshot

EXAMPLES = int(os.environ.get("JIEQIN_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KIND_NAMES = ("helpers", "households", "pairings", "needs", "activities", "observations")
HEADERS = ("en", "zh")
RECORDS = _world.every_kind()
SENSITIVE = _world.sensitive_values(RECORDS)


def _valid(kind: str, headers: str) -> bytes:
    out = io.BytesIO()
    write_records(RECORDS[kind], kind, out, format="xlsx", include_sensitive=True, headers=headers)
    return out.getvalue()


VALID = {(k, h): _valid(k, h) for k in KIND_NAMES for h in HEADERS}
#: The sheet, header row and data rows of each valid workbook, to break.
SHEETS: dict[tuple[str, str], list[list[Any]]] = {}
for _key, _data in VALID.items():
    _book = openpyxl.load_workbook(io.BytesIO(_data))
    SHEETS[_key] = [[c.value for c in row] for row in _book.worksheets[0].iter_rows()]


def _texts(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    """Text a worksheet can hold (openpyxl refuses control characters in a cell)."""
    return st.text(
        st.characters(blacklist_categories=("Cs", "Cc")), min_size=min_size, max_size=max_size
    )


_ID = _world.household(1).members[0].resident_id
bad_values = st.one_of(
    st.sampled_from(
        [
            None,
            "",
            "abc",
            "2021-13-01",
            "=1+1",
            "=A2",
            "=SUM(A1:A3)",
            "#N/A",
            "６１０２０２",
            "💥" * 300,
            True,
            False,
            0,
            -1,
            1.5,
            2021,
            10**15,
            10**30,
            6.10220196803021e17,
            float(int(_ID[:17])),
            date(2021, 3, 1),
            datetime(2021, 3, 1, 14, 30),
            datetime(1899, 12, 31),
            time(8, 30),
        ]
    ),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(date(1900, 1, 1), date(2100, 1, 1)),
    _texts(30),
)


@attrs.frozen
class Case:
    """A broken workbook, and what a failure must then say about it."""

    kind: str
    headers: str
    data: bytes
    sheet: str | None = None
    row: int | None = None
    """The row that was broken, when only one cell was."""
    column: str | None = None
    """The header of the broken cell, when only one was."""

    def __repr__(self) -> str:
        return (
            f"Case({self.kind}, {self.headers}, {len(self.data)} bytes, sheet={self.sheet!r}, "
            f"row={self.row}, column={self.column!r})"
        )


def _workbook(rows: list[list[Any]], title: str) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    return book


def _saved(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _title(kind: str, headers: str) -> str:
    return openpyxl.load_workbook(io.BytesIO(VALID[kind, headers])).worksheets[0].title


@st.composite
def cell_cases(draw: st.DrawFn) -> Case:
    """One cell of a data row given a value of another type, a formula or an error."""
    kind = draw(st.sampled_from(KIND_NAMES))
    headers = draw(st.sampled_from(HEADERS))
    rows = [list(r) for r in SHEETS[kind, headers]]
    title = _title(kind, headers)
    row_at = draw(st.integers(1, len(rows) - 1))
    col = draw(st.integers(0, len(rows[0]) - 1))
    value = draw(bad_values)
    book = _workbook(rows, title)
    sheet = book.worksheets[0]
    cell = sheet.cell(row=row_at + 1, column=col + 1)
    if value == "#N/A":
        cell.value = value
        cell.data_type = "e"
    else:
        cell.value = value
    return Case(kind, headers, _saved(book), title, row_at + 1, str(rows[0][col]))


@st.composite
def merged_cases(draw: st.DrawFn) -> Case:
    """Cells merged at or below the header; not a household column merged over member
    rows below the header (the ledger's shape: filled down, tests/test_xlsx_ledger.py)."""
    kind = draw(st.sampled_from(KIND_NAMES))
    headers = draw(st.sampled_from(HEADERS))
    rows = [list(r) for r in SHEETS[kind, headers]]
    title = _title(kind, headers)
    top = draw(st.integers(1, len(rows)))
    bottom = draw(st.integers(top, len(rows) + 1))
    left = draw(st.integers(1, len(rows[0])))
    right = draw(st.integers(left, len(rows[0])))
    if (top, left) == (bottom, right):
        bottom += 1
    household = len(KINDS["households"].group_columns)
    assume(not (kind == "households" and left == right <= household and top > 1))
    book = _workbook(rows, title)
    book.worksheets[0].merge_cells(
        start_row=top, start_column=left, end_row=bottom, end_column=right
    )
    return Case(kind, headers, _saved(book), title, top)


@st.composite
def sheet_cases(draw: st.DrawFn) -> Case:
    """Sheets emptied, cut to the header, given titles, headers lost or renamed."""
    kind = draw(st.sampled_from(KIND_NAMES))
    headers = draw(st.sampled_from(HEADERS))
    rows = [list(r) for r in SHEETS[kind, headers]]
    title = _title(kind, headers)
    how = draw(
        st.sampled_from(
            ["empty", "header only", "no header", "titles", "header cell", "blank rows", "wide row"]
        )
    )
    if how == "empty":
        rows = []
    elif how == "header only":
        rows = rows[:1]
    elif how == "no header":
        rows = rows[1:]
    elif how == "titles":
        rows = [[draw(_texts(20))] for _ in range(draw(st.integers(1, 12)))] + rows
    elif how == "header cell":
        rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(bad_values)
    elif how == "blank rows":
        at = draw(st.integers(1, len(rows)))
        rows[at:at] = [[None] * len(rows[0])] * draw(st.integers(1, 3))
    else:
        rows[-1] = [*rows[-1], *[None] * 3, draw(_texts(5, min_size=1))]
    book = _workbook(rows, draw(st.sampled_from([title, "Sheet1", "成员"])))
    if draw(st.booleans()):
        book.create_sheet(draw(st.sampled_from(["codes", "户", "members", "说明"])))
    return Case(kind, headers, _saved(book))


@st.composite
def byte_cases(draw: st.DrawFn) -> Case:
    """The workbook's bytes cut short, overwritten or added to anywhere."""
    kind = draw(st.sampled_from(KIND_NAMES))
    headers = draw(st.sampled_from(HEADERS))
    data = VALID[kind, headers]
    at = draw(st.integers(0, len(data)))
    junk = draw(st.binary(min_size=1, max_size=16))
    how = draw(st.sampled_from(["cut", "insert", "overwrite"]))
    if how == "cut":
        data = data[:at]
    elif how == "insert":
        data = data[:at] + junk + data[at:]
    else:
        data = data[:at] + junk + data[at + len(junk) :]
    return Case(kind, headers, data)


# --- running a case ----------------------------------------------------------------


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[jieqin.Campaign]:
    """A SQLite campaign holding valid records, shared by the examples of this module."""
    path = tmp_path_factory.mktemp("fuzz-xlsx") / "fuzz.db"
    with jieqin.connect(f"sqlite:///{path}") as connected:
        with connected.unit_of_work(actor="test:setup") as uow:
            for kind in KIND_NAMES:
                getattr(uow, kind).add_many(RECORDS[kind])
            uow.commit()
        yield connected


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workbooks")


def run_case(campaign: jieqin.Campaign, folder: Path, case: Case) -> JieqinError | None:
    """Import the case's workbook and check the outcome; returns the error, if it failed."""
    path = folder / f"{case.kind}.xlsx"
    path.write_bytes(case.data)
    before = _snapshot(campaign)
    try:
        campaign.import_file(case.kind, path, actor="test:fuzz")
    except JieqinError as error:
        problems = _problems(error)
        assert problems, f"{type(error).__name__} lists no problem: {error}"
        for problem in problems:
            assert problem.source == path.name, str(problem)
            if problem.line is not None:
                assert problem.sheet is not None, str(problem)
                assert problem.line >= 1, str(problem)
        if case.row is not None and case.column is not None:
            located = [p for p in problems if p.sheet == case.sheet and p.line is not None]
            assert located, f"no problem names a sheet and row: {error}"
            if not any(_whole_record(p) for p in problems):
                assert any(p.field for p in problems), f"no problem names a column: {error}"
        assert find_sensitive(str(error), **SENSITIVE, patterns=False) == [], str(error)
        assert _snapshot(campaign) == before, "a failed import wrote something"
        return error
    return None


def _whole_record(problem: Problem) -> bool:
    """A problem with a record as a whole: a clash with stored records, a repeat."""
    return "conflict with stored" in problem.reason or "appears again" in problem.reason


@FUZZ
@given(case=cell_cases())
def test_a_cell_of_the_wrong_type(campaign: jieqin.Campaign, folder: Path, case: Case) -> None:
    run_case(campaign, folder, case)


@FUZZ
@given(case=merged_cases())
def test_merged_cells(campaign: jieqin.Campaign, folder: Path, case: Case) -> None:
    error = run_case(campaign, folder, case)
    assert error is not None, "merged cells were imported"
    assert any("are merged" in p.reason for p in _problems(error)), str(error)


@FUZZ
@given(case=sheet_cases())
def test_sheets_emptied_or_rearranged(campaign: jieqin.Campaign, folder: Path, case: Case) -> None:
    run_case(campaign, folder, case)


@FUZZ
@given(case=byte_cases())
def test_damaged_bytes(campaign: jieqin.Campaign, folder: Path, case: Case) -> None:
    run_case(campaign, folder, case)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_a_formula_anywhere_is_refused_naming_sheet_row_and_header(
    campaign: jieqin.Campaign, folder: Path, kind: str
) -> None:
    for headers in HEADERS:
        rows = [list(r) for r in SHEETS[kind, headers]]
        title = _title(kind, headers)
        for col in range(len(rows[0])):
            book = _workbook(rows, title)
            book.worksheets[0].cell(row=2, column=col + 1).value = "=1+1"
            case = Case(kind, headers, _saved(book), title, 2, str(rows[0][col]))
            error = run_case(campaign, folder, case)
            assert error is not None
            where = f"{kind}.xlsx, sheet {title}, row 2, {rows[0][col]}: is a formula"
            assert where in str(error), str(error)


def test_every_importer_is_covered() -> None:
    # the kinds applied to stored records (referral outcomes) are fuzzed against a
    # store holding those records: tests/reliability/test_bad_input_applied.py
    assert set(KINDS) == set(KIND_NAMES) | {k for k, spec in KINDS.items() if spec.applied}
    for kind in KIND_NAMES:
        spec = KINDS[kind]
        assert SHEETS[kind, "zh"][0] == [heading(spec, c, "zh") for c in spec.all_columns()]
