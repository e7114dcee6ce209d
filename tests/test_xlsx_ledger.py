"""The village register's own shape (台账): household cells merged over the members' rows,
Chinese words for the codes (男, 户主), Chinese dates (1968年3月2日), villages by name
(所在村), and the records it gives back after an export with Chinese headers."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import jieqin
from jieqin import hookimpl
from jieqin.errors import InvalidInput, InvalidValue, JieqinError
from jieqin.io.headers import CHINESE
from jieqin.io.values import SPELLINGS, code_of, parse_date, spellings
from jieqin.model import EmploymentStatus, HealthCondition, Relation, SchoolLevel, Sex
from jieqin.model.monitoring import ObservationKind, ObservationSource

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


class Villages:
    """Region names as a region's plugin registers them: two villages called 新村."""

    @hookimpl
    def jieqin_register_region_names(self, register: Any) -> None:
        register("610200", "铜川市")
        register("610202", "王益区")
        register("610202001", "城关街道")
        register("610202001001", "新村")
        register("610202002", "黄堡镇")
        register("610202002003", "新村")
        register("610202002001", "书院村")


def _connect(**options: Any) -> jieqin.Campaign:
    return jieqin.connect(f"memory://ledger-{uuid.uuid4().hex}", plugins=[Villages()], **options)


@pytest.fixture
def campaign() -> Iterator[jieqin.Campaign]:
    with _connect() as opened:
        yield opened


def _households(campaign: jieqin.Campaign) -> list[Any]:
    with campaign.unit_of_work(actor="test", read_only=True) as uow:
        return sorted(uow.households.list(), key=lambda h: h.household_id)


@pytest.fixture(scope="module")
def examples() -> list[Any]:
    """The example households, imported from the English CSV."""
    with _connect() as opened:
        opened.import_file("households", EXAMPLES / "households.csv")
        return _households(opened)


def _example_rows() -> list[list[str]]:
    with open(EXAMPLES / "households.csv", encoding="utf-8") as text:
        return list(csv.reader(text))


#: How the ledger writes the example households' codes and dates.
_SAID = {
    "sex": {"male": "男", "female": "女"},
    "relation": {"head": "户主", "spouse": "妻", "child": "长子", "grandchild": "孙女"},
    "health_condition": {
        "healthy": "健康",
        "chronic_illness": "长期慢性病",
        "major_illness": "大病",
    },
    "school_level": {"college": "大学", "primary": "小学"},
    "employment": {
        "migrant_worker": "外出务工",
        "farming": "务农",
        "student": "在校生",
        "unable_to_work": "无劳动能力",
        "unemployed_seeking": "失业",
        "child": "未成年",
    },
}
_VILLAGES = {"610202001001": "城关街道新村", "610202002003": "王益区黄堡镇新村"}
_DATE_SHAPES = ("{y}年{m}月{d}日", "{y}.{m:02d}.{d:02d}", "{y}/{m}/{d}")


def _ledger_rows(*, chinese_values: bool = True) -> list[list[Any]]:
    """The example households as a ledger writes them: Chinese headers, 户主姓名 after
    户编号, 所在村 by name, Chinese words and dates."""
    rows = _example_rows()
    names = rows[0]
    header = [CHINESE["households"][name][0] for name in names]
    header[names.index("region")] = "所在村"
    out: list[list[Any]] = [[header[0], "户主姓名", *header[1:]]]
    for number, row in enumerate(rows[1:]):
        cells = dict(zip(names, row, strict=True))
        if chinese_values:
            for column, words in _SAID.items():
                cells[column] = words.get(cells[column], cells[column])
            born = date.fromisoformat(cells["birth_date"])
            shape = _DATE_SHAPES[number % len(_DATE_SHAPES)]
            cells["birth_date"] = shape.format(y=born.year, m=born.month, d=born.day)
            cells["region"] = _VILLAGES[cells["region"]]
        head = "王建国" if cells["household_id"] == "hh-001" else "陈桂兰"
        values = [cells[name] for name in names]
        out.append([values[0], head, *values[1:]])
    return out


def _merged_ledger(path: Path, rows: list[list[Any]], title: str = "台账") -> Path:
    """``rows`` on one sheet under a title row, each household's own cells (户编号,
    户主姓名, 所在村, 户状态记录) written once and merged over its members' rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(["2021年王益区结亲戚帮扶台账"])
    sheet.merge_cells("A1:H1")
    sheet.append(rows[0])
    household = [0, 1, 2, 3]  # 户编号, 户主姓名, 所在村, 户状态记录
    start = 3
    data = rows[1:]
    for at, row in enumerate(data):
        first = at == 0 or row[0] != data[at - 1][0]
        sheet.append([v if first or i not in household else None for i, v in enumerate(row)])
    groups: list[tuple[int, int]] = []
    for at, row in enumerate(data):
        if at == 0 or row[0] != data[at - 1][0]:
            groups.append((start + at, start + at))
        else:
            groups[-1] = (groups[-1][0], start + at)
    for first, last in groups:
        for column in household:
            letter = "ABCD"[column]
            sheet.merge_cells(f"{letter}{first}:{letter}{last}")
    book.save(path)
    return path


def _error(campaign: jieqin.Campaign, path: Path, **options: Any) -> JieqinError:
    with pytest.raises(JieqinError) as caught:
        campaign.import_file("households", path, **options)
    assert _households(campaign) == [], "a refused import wrote"
    return caught.value


# --- merged household cells ---------------------------------------------------------------


def test_household_cells_merged_over_the_members_rows_are_filled_down(
    campaign: jieqin.Campaign, examples: list[Any], tmp_path: Path
) -> None:
    path = _merged_ledger(tmp_path / "台账.xlsx", _ledger_rows(chinese_values=False))
    result = campaign.import_file("households", path)
    assert result.records == 2
    assert _households(campaign) == examples


def test_two_sheets_with_the_household_id_merged_on_the_members_sheet(
    campaign: jieqin.Campaign, examples: list[Any], tmp_path: Path
) -> None:
    rows = _ledger_rows()
    book = openpyxl.Workbook()
    homes = book.active
    assert homes is not None
    homes.title = "户"
    homes.append([rows[0][0], rows[0][1], rows[0][2], rows[0][3]])
    people = book.create_sheet("成员")
    people.append([rows[0][0], *rows[0][4:]])
    for at, row in enumerate(rows[1:], start=2):
        if at == 2 or row[0] != rows[at - 2][0]:
            homes.append(row[:4])
            people.append([row[0], *row[4:]])
        else:
            people.append([None, *row[4:]])
    people.merge_cells("A2:A4")
    people.merge_cells("A5:A7")
    path = tmp_path / "ledger.xlsx"
    book.save(path)
    campaign.import_file("households", path)
    assert _households(campaign) == examples


@pytest.mark.parametrize(
    ("merge", "row", "field", "says"),
    [
        ("A3:B3", 3, "户编号", "cells A3:B3 are merged across columns; unmerge them"),
        ("F3:F4", 3, "姓名", "cells F3:F4 are merged in a member column; unmerge them"),
        ("A2:A5", 2, "户编号", "cells A2:A5 are merged; unmerge them and fill in every cell"),
    ],
)
def test_any_other_merge_is_refused_naming_its_cells(
    campaign: jieqin.Campaign, tmp_path: Path, merge: str, row: int, field: str, says: str
) -> None:
    rows = _ledger_rows(chinese_values=False)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "台账"
    sheet.append(["2021年台账"])
    for values in rows:
        sheet.append(values)
    sheet.merge_cells(merge)
    path = tmp_path / "台账.xlsx"
    book.save(path)
    error = _error(campaign, path)
    assert str(error).startswith(f"台账.xlsx, sheet 台账, row {row}, {field}: {says}")


def test_a_merge_on_a_sheet_of_one_row_per_record_is_refused(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    with open(EXAMPLES / "helpers.csv", encoding="utf-8") as text:
        helpers = list(csv.reader(text))
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for values in helpers:
        sheet.append(values)
    sheet.merge_cells("D2:D3")
    path = tmp_path / "helpers.xlsx"
    book.save(path)
    with pytest.raises(InvalidInput) as caught:
        campaign.import_file("helpers", path)
    assert "row 2, home_region: cells D2:D3 are merged; unmerge them" in str(caught.value)


# --- Chinese values -----------------------------------------------------------------------


def test_chinese_words_and_dates_read_as_the_codes_and_days(
    campaign: jieqin.Campaign, examples: list[Any], tmp_path: Path
) -> None:
    path = _merged_ledger(tmp_path / "台账.xlsx", _ledger_rows())
    campaign.import_file("households", path)
    assert _households(campaign) == examples


def test_a_chinese_csv_ledger_reads_the_same(
    campaign: jieqin.Campaign, examples: list[Any], tmp_path: Path
) -> None:
    """A CSV goes through the households fast path: it reads the words and names too."""
    path = tmp_path / "台账.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(_ledger_rows())
    campaign.import_file("households", path)
    assert _households(campaign) == examples


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("1980年5月3日", date(1980, 5, 3)),
        ("1980 年 05 月 03 日", date(1980, 5, 3)),
        ("1980年5月3号", date(1980, 5, 3)),
        ("1980.05.03", date(1980, 5, 3)),
        ("1980/5/3", date(1980, 5, 3)),
        ("1980-5-3", date(1980, 5, 3)),
        ("１９８０／５／３", date(1980, 5, 3)),  # full-width digits
        ("1980.5/3", None),
        ("5/3/1980", None),
        ("1980年5月", None),
    ],
)
def test_the_date_shapes_of_a_ledger(text: str, day: date | None) -> None:
    assert parse_date(text) == day


def test_a_day_that_does_not_exist_is_named() -> None:
    with pytest.raises(InvalidValue, match="there is no day 1980-02-30"):
        parse_date("1980年2月30日")


def test_a_bad_chinese_value_is_refused_at_its_row_and_header(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    rows = _ledger_rows()
    rows[2][rows[0].index("性别")] = "未知"
    rows[3][rows[0].index("出生日期")] = "2003年2月30日"
    path = _merged_ledger(tmp_path / "台账.xlsx", rows)
    error = _error(campaign, path, report_errors=True)
    lines = str(error).splitlines()
    assert (
        "  台账.xlsx, sheet 台账, row 4, 性别: <text of 2 characters> is not one of: male, female"
        in lines
    )
    assert (
        "  台账.xlsx, sheet 台账, row 5, 出生日期: invalid date: there is no day 2003-02-30"
        in lines
    )


@pytest.mark.parametrize(
    ("vocabulary", "said", "code"),
    [
        (Sex, "男", Sex.MALE),
        (Sex, "女性", Sex.FEMALE),
        (Relation, "户主", Relation.HEAD),
        (Relation, "配偶", Relation.SPOUSE),
        (Relation, "子女", Relation.CHILD),
        (Relation, "父母", Relation.PARENT),
        (Relation, "孙子女", Relation.GRANDCHILD),
        (Relation, "外孙子女", Relation.GRANDCHILD),
        (Relation, "兄弟姐妹", Relation.SIBLING),
        (Relation, "儿媳", Relation.CHILD_IN_LAW),
        (Relation, "祖父母", Relation.GRANDPARENT),
        (Relation, "其他", Relation.OTHER),
        (HealthCondition, "大病", HealthCondition.MAJOR_ILLNESS),
        (SchoolLevel, "大学（含大专）", SchoolLevel.COLLEGE),
        (SchoolLevel, "大专", SchoolLevel.COLLEGE),
        (EmploymentStatus, "外出务工", EmploymentStatus.MIGRANT_WORKER),
    ],
)
def test_the_words_of_the_fixed_codes(vocabulary: Any, said: str, code: str) -> None:
    assert code_of(vocabulary, said) == code


def test_every_label_of_the_reference_tables_is_read() -> None:
    from jieqin.model import reference

    for vocabulary, table in (
        (Relation, reference.RELATIONS),
        (HealthCondition, reference.HEALTH_CONDITIONS),
        (SchoolLevel, reference.SCHOOL_LEVELS),
        (EmploymentStatus, reference.EMPLOYMENT_STATUSES),
    ):
        words = spellings(vocabulary)
        for entry in table:
            assert code_of(vocabulary, entry.label) == entry.code
        assert len(set(words.values())) == len(table)  # every code has its words
    # the monitoring vocabularies have no reference table: their words are all there is
    for vocabulary in (ObservationKind, ObservationSource):
        assert set(spellings(vocabulary).values()) == {str(code) for code in vocabulary}
    assert set(SPELLINGS) == {
        Sex,
        Relation,
        HealthCondition,
        SchoolLevel,
        EmploymentStatus,
        ObservationKind,
        ObservationSource,
    }


# --- villages by name ---------------------------------------------------------------------


def _one_village(campaign: jieqin.Campaign, tmp_path: Path, village: str) -> JieqinError:
    rows = _ledger_rows()
    for row in rows[1:]:
        row[rows[0].index("所在村")] = village
    return _error(campaign, _merged_ledger(tmp_path / "台账.xlsx", rows))


def test_an_ambiguous_village_name_is_refused_naming_the_candidates(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    error = _one_village(campaign, tmp_path, "新村")
    assert str(error) == (
        "台账.xlsx, sheet 台账, row 3, 所在村: 新村 names 2 regions: 610202001001 "
        "(铜川市王益区城关街道新村), 610202002003 (铜川市王益区黄堡镇新村); write the "
        "township (or county) before it, or give the code"
    )


def test_an_unknown_village_name_is_refused_without_repeating_it(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    error = _one_village(campaign, tmp_path, "尿毒症")  # a value in the wrong column
    assert "尿毒症" not in str(error)
    assert str(error).startswith(
        "台账.xlsx, sheet 台账, row 3, 所在村: is neither a region code nor the name of a "
        "registered region"
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("书院村", "610202002001"),
        ("黄堡镇新村", "610202002003"),
        ("黄堡镇 新村", "610202002003"),
        ("王益区新村", None),  # both are in 王益区
        ("王益区城关街道新村", "610202001001"),
        ("城关街道新村村民委员会", "610202001001"),
        ("书院村委会", "610202002001"),
        ("城关街道书院村", None),  # 书院村 is in 黄堡镇
        ("610202002003", "610202002003"),
    ],
)
def test_a_village_is_named_by_its_name_after_those_above_it(
    campaign: jieqin.Campaign, text: str, code: str | None
) -> None:
    from jieqin.io.importer import header_table

    table = header_table(campaign)
    if code is None:
        with pytest.raises(InvalidValue):
            table.regions.code(text)
    else:
        assert table.regions.code(text) == code


# --- back out and in again ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_chinese_ledger_exported_with_chinese_headers_imports_back(
    campaign: jieqin.Campaign, examples: list[Any], tmp_path: Path, fmt: str
) -> None:
    campaign.import_file("households", _merged_ledger(tmp_path / "台账.xlsx", _ledger_rows()))
    exported = tmp_path / f"export.{fmt}"
    if fmt == "xlsx":
        with open(exported, "wb") as binary:
            campaign.export(
                "households",
                binary,
                format=fmt,
                include_sensitive=True,
                purpose="backup",
                headers="zh",
            )
    else:
        with open(exported, "w", encoding="utf-8", newline="") as text:
            campaign.export(
                "households",
                text,
                format=fmt,
                include_sensitive=True,
                purpose="backup",
                headers="zh",
            )
    with _connect() as fresh:
        fresh.import_file("households", exported)
        assert _households(fresh) == _households(campaign) == examples


def test_a_helpers_home_region_may_be_named_too(campaign: jieqin.Campaign, tmp_path: Path) -> None:
    with open(EXAMPLES / "helpers.csv", encoding="utf-8") as text:
        rows = list(csv.reader(text))
    at = rows[0].index("home_region")
    codes = [row[at] for row in rows[1:]]
    for row in rows[1:]:
        row[at] = "王益区" if row[at] == "610202" else row[at]
    path = tmp_path / "帮扶人.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    campaign.import_file("helpers", path)
    with campaign.unit_of_work(actor="test", read_only=True) as uow:
        stored = [str(h.home_region) for h in uow.helpers.list()]
    assert sorted(stored) == sorted(codes)
    assert "王益区" in {row[at] for row in rows[1:]}
