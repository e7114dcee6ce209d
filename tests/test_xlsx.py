"""XLSX workbooks: export -> import round trips, the ledger shapes, Excel-typed cells,
problems that name the sheet, row and header, and nothing written on any problem."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.errors import InvalidInput, InvalidValue, JieqinError
from jieqin.io.exporter import write_records
from jieqin.io.importer import parse_file
from jieqin.io.kinds import KINDS as KIND_SPECS
from jieqin.io.sensitive import MASKED
from jieqin.io.xlsx_format import escape_text, unescape_text
from jieqin.testing import strategies as js

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
KINDS = ["helpers", "households", "pairings", "needs", "activities"]
FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(A1:A2)", "-2+3"]


def _values(path: Path, kind: str) -> list[object]:
    parsed = list(parse_file(path, kind))
    assert all(p.ok for p in parsed), [p.problems for p in parsed if not p.ok]
    return [p.value for p in parsed]


def _stored(campaign: jieqin.Campaign, kind: str) -> list[Any]:
    with campaign.unit_of_work(actor="test") as uow:
        return list(getattr(uow, kind).list())


@pytest.fixture(params=["memory", "sqlite"])
def campaign(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[jieqin.Campaign]:
    url = (
        f"memory://xlsx-{uuid.uuid4().hex}"
        if request.param == "memory"
        else f"sqlite:///{tmp_path / 'campaign.db'}"
    )
    with jieqin.connect(url) as opened:
        for kind in KINDS:
            opened.import_file(kind, EXAMPLES / f"{kind}.csv")
        yield opened


@pytest.fixture
def fresh() -> Iterator[jieqin.Campaign]:
    with jieqin.connect(f"memory://fresh-{uuid.uuid4().hex}") as opened:
        yield opened


def _export(campaign: jieqin.Campaign, kind: str, path: Path, **options: Any) -> int:
    with open(path, "wb") as out:
        return campaign.export(kind, out, format="xlsx", **options)


# --- round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("headers", ["en", "zh"])
@pytest.mark.parametrize("kind", KINDS)
def test_export_then_import_of_every_kind_gives_the_records(
    campaign: jieqin.Campaign, fresh: jieqin.Campaign, tmp_path: Path, kind: str, headers: str
) -> None:
    path = tmp_path / f"{kind}.xlsx"
    count = _export(campaign, kind, path, include_sensitive=True, purpose="backup", headers=headers)
    stored = _stored(campaign, kind)
    assert count == len(stored) > 0
    for earlier in KINDS[: KINDS.index(kind)]:  # what the records name
        fresh.import_file(earlier, EXAMPLES / f"{earlier}.csv")
    result = fresh.import_file(kind, path)
    assert result.records == count
    assert _stored(fresh, kind) == stored
    fresh.import_file(kind, path)  # again: the same records, none duplicated
    assert _stored(fresh, kind) == stored


def test_the_reliability_world_round_trips_with_its_health_facts_and_phones(
    tmp_path: Path,
) -> None:
    import importlib.util

    where = Path(__file__).parent / "reliability" / "_world.py"
    spec = importlib.util.spec_from_file_location("_reliability_world", where)
    assert spec is not None
    assert spec.loader is not None
    _world = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(_world)
    for kind, records in _world.every_kind().items():
        if kind not in KINDS:
            continue
        path = tmp_path / f"{kind}.xlsx"
        with open(path, "wb") as out:
            write_records(records, kind, out, format="xlsx", include_sensitive=True)
        assert _values(path, kind) == records


def _through(fmt: str, records: list[Any], kind: str, folder: Path, headers: str) -> list[Any]:
    path = folder / f"r.{fmt}"
    if fmt == "xlsx":
        with open(path, "wb") as out:
            write_records(records, kind, out, format=fmt, include_sensitive=True, headers=headers)
    else:
        with open(path, "w", encoding="utf-8", newline="") as text:
            write_records(records, kind, text, format=fmt, include_sensitive=True, headers=headers)
    return _values(path, kind)


PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(
    households=st.lists(
        js.households(max_members=4), min_size=1, max_size=3, unique_by=lambda h: h.household_id
    ),
    headers=st.sampled_from(["en", "zh"]),
)
def test_any_households_read_back_from_a_workbook_as_from_csv(
    tmp_path_factory: pytest.TempPathFactory, households: list[Any], headers: str
) -> None:
    folder = tmp_path_factory.mktemp("hh")
    records = js.one_number_each(households)
    assert _through("xlsx", records, "households", folder, headers) == _through(
        "csv", records, "households", folder, headers
    )


@PROPERTY
@given(
    activities=st.lists(js.activities(), min_size=1, max_size=4, unique_by=lambda a: a.activity_id)
)
def test_any_activities_read_back_from_a_workbook_as_from_csv(
    tmp_path_factory: pytest.TempPathFactory, activities: list[Any]
) -> None:
    folder = tmp_path_factory.mktemp("ac")
    assert _through("xlsx", activities, "activities", folder, "en") == _through(
        "csv", activities, "activities", folder, "en"
    )


@given(
    text=st.text(alphabet=st.sampled_from(["_", "x", "0", "D", "F", "5", "\r", "\x01", "a", "表"]))
    | st.text()
)
def test_what_xml_cannot_hold_is_escaped_and_read_back(text: str) -> None:
    assert unescape_text(escape_text(text)) == text


def test_a_carriage_return_and_a_control_character_survive_a_workbook(tmp_path: Path) -> None:
    from jieqin.model import Activity

    notes = ["line\rbreak", "bell\x07here", "_x000D_ typed as it is"]
    records = [
        Activity(f"a-{i}", "contact", date(2021, 4, 1), "hp-1", "h-1", note=note)
        for i, note in enumerate(notes)
    ]
    path = tmp_path / "a.xlsx"
    with open(path, "wb") as out:
        write_records(records, "activities", out, format="xlsx")
    assert [a.note for a in _values(path, "activities")] == notes  # type: ignore[attr-defined]


# --- exports: masked and neutralised exactly as CSV ----------------------------------


def _sheet_texts(path: Path) -> list[list[str]]:
    """Every row of a workbook's first sheet as CSV would hold it."""

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.date().isoformat()
        return str(value)

    book = openpyxl.load_workbook(path, read_only=True)
    rows = [[text(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return _padded(rows)


def _padded(rows: list[list[str]]) -> list[list[str]]:
    """The rows as wide as the header (a sheet leaves out empty cells at a row's end)."""
    width = len(rows[0])
    return [row + [""] * (width - len(row)) for row in rows]


@pytest.mark.parametrize("kind", KINDS)
def test_a_masked_workbook_holds_exactly_the_cells_of_a_masked_csv(
    campaign: jieqin.Campaign, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / f"{kind}.xlsx"
    _export(campaign, kind, path)
    text = io.StringIO()
    campaign.export(kind, text)
    rows = list(csv.reader(io.StringIO(text.getvalue())))
    assert _sheet_texts(path) == _padded(rows)
    if kind == "households":
        assert MASKED in {cell for row in rows for cell in row}


def test_formulas_are_neutralised_and_no_cell_is_a_formula(tmp_path: Path) -> None:
    from jieqin.model import Activity

    records = [
        Activity(f"a-{i}", "contact", date(2021, 4, 1), "hp-1", "h-1", note=f)
        for i, f in enumerate(FORMULAS)
    ]
    path = tmp_path / "a.xlsx"
    with open(path, "wb") as out:
        write_records(records, "activities", out, format="xlsx", include_sensitive=True)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    note_at = [c.value for c in sheet[1]].index("note")
    notes = [row[note_at] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" and str(cell.value).startswith("'") for cell in notes)
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert [a.note for a in _values(path, "activities")] == FORMULAS  # type: ignore[attr-defined]


def test_dates_are_written_as_dates_and_numbers_as_numbers(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    path = tmp_path / "households.xlsx"
    _export(campaign, "households", path, include_sensitive=True, purpose="backup")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    header = [c.value for c in sheet[1]]
    row = [c.value for c in sheet[2]]
    assert isinstance(row[header.index("birth_date")], datetime)
    assert isinstance(row[header.index("resident_id")], str)
    grades = [r[header.index("school_year_of_entry")] for r in sheet.iter_rows(values_only=True)]
    assert 2021 in grades


# --- the ledger shapes ------------------------------------------------------------------


def _csv_rows(kind: str) -> list[list[str]]:
    with open(EXAMPLES / f"{kind}.csv", encoding="utf-8") as text:
        return list(csv.reader(text))


def _book(sheets: dict[str, list[list[Any]]], path: Path) -> Path:
    book = openpyxl.Workbook()
    first = True
    for title, rows in sheets.items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        first = False
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _two_sheets(
    household_title: str = "户", member_title: str = "成员", zh: bool = True
) -> dict[str, list[list[Any]]]:
    """The example households on a households sheet and a members sheet."""
    rows = _csv_rows("households")
    header, data = rows[0], rows[1:]
    if zh:
        from jieqin.io.headers import CHINESE

        header = [CHINESE["households"][name][0] for name in header]
    homes: list[list[Any]] = [[header[0], "户主姓名", *header[1:3]]]
    members: list[list[Any]] = [[header[0], *header[3:]]]
    seen: set[str] = set()
    for row in data:
        if row[0] not in seen:
            seen.add(row[0])
            homes.append([row[0], "王建国", *row[1:3]])
        members.append([row[0], *row[3:]])
    return {household_title: homes, member_title: members}


@pytest.mark.parametrize(
    ("homes", "people", "zh"),
    [("户", "成员", True), ("households", "members", False), ("家庭", "家庭成员", True)],
)
def test_households_on_two_sheets_linked_by_the_household_id(
    tmp_path: Path, homes: str, people: str, zh: bool
) -> None:
    path = _book(_two_sheets(homes, people, zh), tmp_path / "ledger.xlsx")
    assert _values(path, "households") == _values(EXAMPLES / "households.csv", "households")


def test_a_ledger_with_title_rows_a_help_row_and_chinese_headers(tmp_path: Path) -> None:
    from jieqin.io.headers import CHINESE

    rows: list[list[Any]] = [list(r) for r in _csv_rows("households")]
    rows[0] = [CHINESE["households"][name][0] for name in rows[0]]
    rows[0].insert(1, "户主姓名")
    for row in rows[1:]:
        row.insert(1, "王建国")
    sheet = [["2021年王益区结亲戚台账"], [], rows[0], ["# 说明", "户主", "12位代码"], *rows[1:]]
    path = _book({"台账": sheet}, tmp_path / "ledger.xlsx")
    book = openpyxl.load_workbook(path)
    book.worksheets[0].merge_cells("A1:F1")  # a merged title above the header is fine
    book.save(path)
    assert _values(path, "households") == _values(EXAMPLES / "households.csv", "households")


def test_the_sheet_named_for_the_kind_is_read(tmp_path: Path) -> None:
    helpers = _csv_rows("helpers")
    path = _book({"notes": [["nothing here"]], "帮扶人": helpers}, tmp_path / "h.xlsx")
    assert _values(path, "helpers") == _values(EXAMPLES / "helpers.csv", "helpers")


# --- Excel-typed cells ------------------------------------------------------------------


def _one_sheet(tmp_path: Path, change: Callable[[Any], None], kind: str = "households") -> Path:
    rows = _csv_rows(kind)
    path = _book({kind: rows}, tmp_path / f"{kind}.xlsx")
    book = openpyxl.load_workbook(path)
    change(book.worksheets[0])
    book.save(path)
    return path


def _error(
    campaign: jieqin.Campaign, path: Path, kind: str = "households", **options: Any
) -> JieqinError:
    before = {k: _stored(campaign, k) for k in KINDS}
    with pytest.raises(JieqinError) as caught:
        campaign.import_file(kind, path, **options)
    assert {k: _stored(campaign, k) for k in KINDS} == before, "a failed import wrote"
    return caught.value


def _column(kind: str, name: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(_csv_rows(kind)[0].index(name) + 1)


def test_dates_as_dates_and_as_serial_numbers_are_read(tmp_path: Path) -> None:
    from openpyxl.utils.datetime import to_excel

    col = _column("households", "birth_date")
    rows = _csv_rows("households")
    born = [date.fromisoformat(rows[i][rows[0].index("birth_date")]) for i in (1, 2)]

    def change(sheet: Any) -> None:
        sheet[f"{col}2"].value = datetime.combine(born[0], datetime.min.time())
        sheet[f"{col}3"].value = int(to_excel(born[1]))  # the day as Excel counts days
        sheet[f"{col}3"].number_format = "General"

    path = _one_sheet(tmp_path, change)
    assert isinstance(openpyxl.load_workbook(path).worksheets[0][f"{col}3"].value, int)
    assert _values(path, "households") == _values(EXAMPLES / "households.csv", "households")


def test_an_id_number_stored_as_a_number_is_refused(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    col = _column("households", "resident_id")
    path = _one_sheet(tmp_path, lambda s: setattr(s[f"{col}3"], "value", 6.10220196803021e17))
    error = _error(campaign, path)
    assert str(error).startswith("households.xlsx, sheet households, row 3, resident_id: ")
    assert "format the column as text" in str(error)
    assert "61022019680302" not in str(error)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("=B2", "is a formula"),
        ("=SUM(1,2)", "is a formula"),
    ],
)
def test_a_formula_cell_is_refused_naming_it(
    campaign: jieqin.Campaign, tmp_path: Path, value: str, says: str
) -> None:
    col = _column("households", "name")
    path = _one_sheet(tmp_path, lambda s: setattr(s[f"{col}4"], "value", value))
    error = _error(campaign, path)
    assert str(error).startswith(f"households.xlsx, sheet households, row 4, name: {says}")


def test_an_excel_error_cell_is_refused(campaign: jieqin.Campaign, tmp_path: Path) -> None:
    path = tmp_path / "h.xlsx"
    _one_sheet(tmp_path, lambda s: None)
    text = (tmp_path / "households.xlsx").read_bytes()
    assert text  # an error cell is written by hand below: openpyxl writes '#N/A' as text
    book = openpyxl.load_workbook(tmp_path / "households.xlsx")
    cell = book.worksheets[0]["E2"]
    cell.value = "#N/A"
    cell.data_type = "e"
    book.save(path)
    error = _error(campaign, path)
    assert "row 2, name: holds the Excel error #N/A" in str(error)


def test_a_date_in_a_column_that_holds_none_is_refused(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    col = _column("needs", "period")
    path = _one_sheet(
        tmp_path, lambda s: setattr(s[f"{col}2"], "value", datetime(2021, 3, 1)), "needs"
    )
    error = _error(campaign, path, "needs")
    assert str(error).startswith("needs.xlsx, sheet needs, row 2, period: is a date to Excel")


def test_merged_cells_of_a_members_column_are_refused(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    """A household's columns may be merged over its members' rows (test_xlsx_ledger.py);
    a member's own may not."""
    col = _column("households", "name")
    path = _one_sheet(tmp_path, lambda s: s.merge_cells(f"{col}2:{col}4"))
    error = _error(campaign, path)
    assert str(error).startswith(
        f"households.xlsx, sheet households, row 2, name: cells {col}2:{col}4 are merged in a "
        "member column"
    )


def test_an_empty_sheet_and_an_empty_workbook_are_refused(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    path = _book({"helpers": []}, tmp_path / "helpers.xlsx")
    assert str(_error(campaign, path, "helpers")) == (
        "helpers.xlsx, sheet helpers, row 1: the sheet is empty"
    )
    homes = _two_sheets()
    homes["成员"] = []
    path = _book(homes, tmp_path / "households.xlsx")
    assert "sheet 成员, row 1: the sheet is empty" in str(_error(campaign, path))


def test_a_file_that_is_no_workbook_is_refused(campaign: jieqin.Campaign, tmp_path: Path) -> None:
    path = tmp_path / "helpers.xlsx"
    path.write_bytes(b"helper_id,name\n")
    assert "helpers.xlsx: is not an Excel workbook" in str(_error(campaign, path, "helpers"))
    with pytest.raises(InvalidValue, match=r"save it as \.xlsx"):
        campaign.import_file("helpers", tmp_path / "old.xls")


# --- problems name the sheet, the row and the header ------------------------------------


def test_repeated_household_columns_must_agree(campaign: jieqin.Campaign, tmp_path: Path) -> None:
    col = _column("households", "region")
    path = _one_sheet(tmp_path, lambda s: setattr(s[f"{col}3"], "value", "610202001002"))
    assert str(_error(campaign, path)) == (
        "households.xlsx, sheet households, row 3, region: differs from the household's "
        "first row (row 2)"
    )


def test_two_sheet_problems_name_the_sheet_of_the_cell(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    sheets = _two_sheets()
    sheets["户"][1][2] = "6102020010"  # hh-001's region: not a village or township code
    sheets["户"].append(["hh-009", "", "610202001001", "poor@2016-01-01"])  # no members
    sheets["成员"][-1][0] = "hh-404"  # a member of no household
    sheets["成员"][1][4] = "1990-02-30"  # a birth date
    path = _book(sheets, tmp_path / "households.xlsx")
    error = _error(campaign, path, report_errors=True)
    assert isinstance(error, InvalidInput)
    lines = str(error).splitlines()[1:]
    assert any(
        line.startswith("  households.xlsx, sheet 户, row 2, 行政区划代码: ") for line in lines
    )
    assert (
        "  households.xlsx, sheet 户, row 4, 户编号: household 'hh-009' has no members in sheet 成员"
        in lines
    )
    assert (
        f"  households.xlsx, sheet 成员, row {len(sheets['成员'])}, 户编号: no household "
        "'hh-404' in sheet 户" in lines
    )
    assert any(
        line.startswith("  households.xlsx, sheet 成员, row 2, 出生日期: ") for line in lines
    )
    assert len(lines) == 4


def test_a_household_given_twice_on_the_households_sheet(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    sheets = _two_sheets()
    sheets["户"].append(list(sheets["户"][1]))
    path = _book(sheets, tmp_path / "households.xlsx")
    assert str(_error(campaign, path)) == (
        "households.xlsx, sheet 户, row 4, 户编号: 'hh-001' appears again; "
        "it was first given on row 2"
    )


def test_a_column_on_the_wrong_sheet(campaign: jieqin.Campaign, tmp_path: Path) -> None:
    sheets = _two_sheets()
    sheets["户"][0][1] = "姓名"
    path = _book(sheets, tmp_path / "households.xlsx")
    assert str(_error(campaign, path)).startswith(
        "households.xlsx, sheet 户, row 1, 姓名: not a column of this sheet"
    )


def test_an_unknown_header_is_named_by_its_column_letter(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    path = _one_sheet(tmp_path, lambda s: setattr(s["C1"], "value", "李秀英"), "helpers")
    assert str(_error(campaign, path, "helpers")).startswith(
        "helpers.xlsx, sheet helpers, row 1, column C: unknown column"
    )


def test_write_checks_name_the_row_too(campaign: jieqin.Campaign, tmp_path: Path) -> None:
    col = _column("activities", "kind")
    path = _one_sheet(tmp_path, lambda s: setattr(s[f"{col}3"], "value", "vist"), "activities")
    message = str(_error(campaign, path, "activities"))
    assert message.startswith("activities.xlsx, sheet activities, row 3, kind: unknown activity")


# --- the report as a workbook -----------------------------------------------------------


def _report_rows(sheet: Any) -> list[tuple[Any, ...]]:
    rows = list(sheet.iter_rows(min_row=3, max_col=5, values_only=True))
    return [tuple("" if v is None else v for v in (*row, *[None] * (5 - len(row)))) for row in rows]


@pytest.mark.parametrize("k", [None, 2])
def test_the_report_workbook_holds_the_figures_of_the_json_report(
    campaign: jieqin.Campaign, tmp_path: Path, k: int | None
) -> None:
    import json

    from jieqin.reports.render import to_json
    from jieqin.reports.xlsx import write_workbook

    report = campaign.report("2021", by_region=True, k=k)
    path = tmp_path / "report.xlsx"
    write_workbook(report, path)
    data = json.loads(to_json(report))
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["totals", "610202 王益区", "610203 印台区"]

    def expected(figures: dict[str, Any]) -> list[tuple[Any, ...]]:
        def n(count: int | None) -> Any:
            return f"<{k}" if count is None else count

        rows: list[tuple[Any, ...]] = [("helpers", "", "", n(figures["helpers"]), "")]
        rows += [
            ("helpers_by_tier", t, "", n(c), "") for t, c in figures["helpers_by_tier"].items()
        ]
        rows.append(("households", "", "", n(figures["households"]), ""))
        rows += [("activities", a, "", n(c), "") for a, c in figures["activities"].items()]
        rows += [
            ("activities_by_tier", t, "", n(c), "")
            for t, c in figures["activities_by_tier"].items()
        ]
        rows += [("needs", x["kind"], x["route"], n(x["count"]), "") for x in figures["needs"]]
        rows += [("referrals", x["agency"], "", n(x["count"]), "") for x in figures["referrals"]]
        rows += [
            (
                "grants",
                g["program"],
                g["funder"],
                n(g["count"]),
                "withheld" if g["amount"] is None else float(g["amount"]),
            )
            for g in figures["grants"]
        ]
        m = figures.get("monitoring")
        if m is not None:
            for figure, per in (
                ("monitored_households", "monitored"),
                ("monitored_at_end", "at_end"),
            ):
                total = m["households"] if per == "monitored" else m["at_end"]
                rows.append((figure, "", "", n(total), ""))
                rows += [(figure, c["category"], "", n(c[per]), "") for c in m["categories"]]
            rows += [
                ("warnings", key, "", n(m["warnings" if key == "raised" else key]), "")
                for key in (
                    "raised",
                    "checked_on_time",
                    "checked_late",
                    "unchecked",
                    "confirmed",
                    "dismissed",
                    "open",
                )
            ]
            rows.append(("risk_eliminated", "", "", n(m["eliminated"]), ""))
            rows += [
                ("risk_eliminated", c["category"], "", n(c["eliminated"]), "")
                for c in m["categories"]
            ]
        return rows

    totals = expected(data)
    totals += [
        ("activities_by_month", m, kind, f"<{k}" if c is None else c, "")
        for m, kinds in data["activities_by_month"].items()
        for kind, c in kinds.items()
    ]
    assert _report_rows(book["totals"]) == totals
    for region, title in zip(data["regions"], book.sheetnames[1:], strict=True):
        assert _report_rows(book[title]) == expected(region)
    book.close()


# --- templates --------------------------------------------------------------------------


def _validations(path: Path) -> dict[str, tuple[list[str], str]]:
    """Header -> (the codes its drop-down offers, its error style)."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    out: dict[str, tuple[list[str], str]] = {}
    for validation in sheet.data_validations.dataValidation:
        column = str(validation.sqref).split(":")[0].rstrip("0123456789")
        from openpyxl.utils import column_index_from_string

        name = header[column_index_from_string(column) - 1]
        target, cells = str(validation.formula1).split("!")
        first, last = cells.replace("$", "").split(":")
        codes = [c[0].value for c in book[target.strip("'")][f"{first}:{last}"]]
        out[name] = ([str(c) for c in codes], str(validation.errorStyle))
    return out


@pytest.mark.parametrize("headers", ["en", "zh"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_template_offers_the_registry_codes_of_every_code_column(
    campaign: jieqin.Campaign, tmp_path: Path, kind: str, headers: str
) -> None:
    from jieqin.codes import registered_codes
    from jieqin.io.headers import heading
    from jieqin.io.template import CODE_COLUMNS, write_template

    spec = KIND_SPECS[kind]
    path = tmp_path / f"{kind}.xlsx"
    write_template(spec, path, registry=campaign.registry, headers=headers)
    found = _validations(path)
    registry = campaign.registry

    def codes(what: str) -> list[str]:
        return [c.code for c in registered_codes(registry, what)]

    wanted: dict[str, dict[str, list[str]]] = {
        "helpers": {
            "tier": codes("tiers"),
            "sectors": codes("sectors"),
            "active": ["true", "false"],
        },
        "households": {
            "sex": ["male", "female"],
            "relation": codes("relations"),
            "health_condition": codes("health_conditions"),
            "disability_grade": ["1", "2", "3", "4"],
            "school_level": codes("school_levels"),
            "employment": codes("employment"),
        },
        "pairings": {"role": ["primary", "secondary"]},
        "needs": {
            "kind": codes("need_kinds"),
            "source": ["survey", "visit", "rule"],
            "status": [s.value for s in jieqin.model.needs.NeedStatus],
            "route_kind": ["program", "referral", "helper"],
            "route_target": codes("programs") + codes("agencies"),
        },
        "activities": {"kind": codes("activity_kinds")},
    }
    assert set(CODE_COLUMNS[kind]) == set(wanted[kind])
    titles = {heading(spec, c, headers): c.name for c in spec.all_columns()}
    assert {titles[h]: v[0] for h, v in found.items()} == wanted[kind]
    assert "social_work" in codes("sectors")
    strictness = {titles[h]: v[1] for h, v in found.items()}
    assert strictness.get("sectors", "information") == "information"
    assert strictness.get("kind", "stop") == "stop"


@pytest.mark.parametrize("headers", ["en", "zh"])
def test_a_filled_template_imports(
    campaign: jieqin.Campaign, fresh: jieqin.Campaign, tmp_path: Path, headers: str
) -> None:
    from jieqin.io.template import write_template

    for kind in KINDS:
        path = tmp_path / f"{kind}-{headers}.xlsx"
        write_template(KIND_SPECS[kind], path, registry=campaign.registry, headers=headers)
        book = openpyxl.load_workbook(path)
        sheet = book.worksheets[0]
        assert str(sheet["A2"].value).startswith("#")
        for row in _csv_rows(kind)[1:]:
            sheet.append(row)
        book.save(path)
        fresh.import_file(kind, path)
        assert _stored(fresh, kind) == _stored(campaign, kind)


def test_a_filled_csv_template_imports(
    campaign: jieqin.Campaign, fresh: jieqin.Campaign, tmp_path: Path
) -> None:
    from jieqin.io.template import write_template

    out = io.StringIO()
    write_template(
        KIND_SPECS["helpers"], out, registry=campaign.registry, format="csv", headers="zh"
    )
    lines = out.getvalue().splitlines()
    assert lines[1].startswith("# ")
    assert "social_work" in lines[1]
    path = tmp_path / "helpers.csv"
    path.write_text("\n".join(lines + _csv_lines("helpers")[1:]) + "\n", "utf-8")
    fresh.import_file("helpers", path)
    assert _stored(fresh, "helpers") == _stored(campaign, "helpers")


def _csv_lines(kind: str) -> list[str]:
    return (EXAMPLES / f"{kind}.csv").read_text("utf-8").splitlines()


# --- the commands -----------------------------------------------------------------------


def test_the_commands_write_and_read_workbooks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert run_cli(cli, ["init", "--url", url]) == 0
    for kind in KINDS:
        assert run_cli(cli, ["import", kind, str(EXAMPLES / f"{kind}.csv"), "--url", url]) == 0
    target = tmp_path / "户.xlsx"
    args = ["export", "households", "-o", str(target), "--headers", "zh", "--url", url]
    assert run_cli(cli, [*args, "--include-sensitive", "--purpose", "backup"]) == 0
    assert "Exported 2 households" in capsys.readouterr().err
    assert [c.value for c in openpyxl.load_workbook(target).worksheets[0][1]][:2] == [
        "户编号",
        "行政区划代码",
    ]
    assert run_cli(cli, ["import", "households", str(target), "--url", url]) == 0
    assert "Imported 2 households from 户.xlsx." in capsys.readouterr().out
    assert run_cli(cli, ["export", "helpers", "--format", "xlsx", "--url", url]) == 2
    assert "give -o FILE.xlsx" in capsys.readouterr().err
    report = tmp_path / "report.xlsx"
    assert (
        run_cli(
            cli, ["report", "--period", "2021", "--format", "xlsx", "-o", str(report), "--url", url]
        )
        == 0
    )
    assert openpyxl.load_workbook(report).sheetnames == ["totals", "610202 王益区", "610203 印台区"]
    template = tmp_path / "template.xlsx"
    assert run_cli(cli, ["template", "needs", "--headers", "zh", "-o", str(template)]) == 0
    assert openpyxl.load_workbook(template).sheetnames == ["需求", "代码"]
    assert run_cli(cli, ["template", "activities"]) == 0
    assert capsys.readouterr().out.startswith("activity_id,kind,on,")
    assert list(tmp_path.glob(".*.tmp")) == []
