"""The households CSV fast path agrees with the object path, record for record.

The fast path (:mod:`jieqin.io.household_rows`) checks cells and builds storage rows
without model objects. For any file, it must accept and refuse the same households,
with the same problems, and an accepted household must give the same rows as the
model object through the storage mappers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.errors import InvalidInput
from jieqin.io.csv_format import read_csv
from jieqin.io.household_rows import HouseholdRecord, read_household_rows
from jieqin.io.importer import _once_each, parse_file
from jieqin.io.kinds import HOUSEHOLDS
from jieqin.io.records import Parsed
from jieqin.model import Household
from jieqin.model.identity import check_digit
from jieqin.storage.sql.mappers import household_values, member_values, status_values

HEADER = [c.name for c in HOUSEHOLDS.all_columns()]
SOURCE = "households.csv"

HOUSEHOLD_IDS = ["h1", "h2", "h3", " h2", "h2 ", "", "h 4", "h-5"]
REGIONS = [
    "610202001001",
    "610202001",
    "610202",
    " 610202001001",
    "990202001001",
    "61020200100",
    "",
]
HISTORIES = [
    "poor@2016-01-01;lifted_out@2020-06-30",
    "poor@2016-01-01",
    " poor@2016-01-01 ; lifted_out@2020-06-30 ",
    "lifted_out@2020-06-30;poor@2016-01-01",
    "poor@2016-01-01;poor@2016-01-01",
    "Poor@2016-01-01",
    "poor@2016-13-01",
    "poor",
    "poor@1899-12-31",
    "",
]
MEMBER_IDS = ["m1", "m2", "m3", " m1", "m 1", "", "m.4"]
NAMES = ["王建国", " 李秀英 ", "", "  ", "x" * 200, "x" * 201]
SEXES = ["male", "female", " female", "Male", "", "other"]
BIRTHS = ["1950-03-04", "1985-12-31", "2010-02-28", "19850101", "1899-12-31", "1985-02-30", ""]
PLACES = ["610322", "610323", "110101", "999999"]
RELATIONS = ["", "head", "spouse", "child", " child", "HEAD", "friend"]
CONDITIONS = ["", "healthy", "chronic_illness", "major_illness", "ill"]
DIAGNOSES = ["", "糖尿病", " 高血压 "]
GRADES = ["", "1", "4", " 2", "5", "0", "03", "+2", "x", "٣"]
LEVELS = ["", "primary", "college", " college", "kinder"]
YEARS = ["", "2015", "1950", "1949", "20x", "٢٠١٥", "02015", "99999999999"]
INSTITUTIONS = ["", "第一小学"]
EMPLOYMENTS = ["", "farming", "student", "astronaut"]
PHONES = ["", "13900000001", "+86 139-0000-0001", "12", "phone", " 13900000001"]


#: Values for each member column (in ``HEADER`` order after the household columns).
MEMBER_POOLS = [
    MEMBER_IDS,
    NAMES,
    SEXES,
    BIRTHS,
    None,  # resident_id: see _resident_id
    RELATIONS,
    CONDITIONS,
    DIAGNOSES,
    GRADES,
    LEVELS,
    YEARS,
    INSTITUTIONS,
    EMPLOYMENTS,
    PHONES,
]
RESIDENT_ID = MEMBER_POOLS.index(None)


def _resident_id(draw: st.DrawFn, birth: str) -> str:
    """A number for the birth-date cell ``birth``: usually right, sometimes not."""
    try:
        born = date.fromisoformat(birth.strip())
    except ValueError:
        born = date(1985, 1, 1)
    if draw(st.integers(0, 5)) == 0:
        born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)))
    first17 = f"{draw(st.sampled_from(PLACES))}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    number = first17 + check_digit(first17)
    mutation = draw(st.integers(0, 12))
    if mutation == 0:
        number = number[:17] + ("0" if number[17] != "0" else "1")
    elif mutation == 1:
        number = number.lower() + " "
    elif mutation == 2:
        number = number[:16]
    elif mutation == 3:
        number = " " + number
    elif mutation == 4:
        number = number[:3] + "a" + number[4:]
    return number


def _good_member(draw: st.DrawFn, n: int, head: bool) -> list[str]:
    """A member row the model accepts."""
    birth = draw(st.sampled_from(["1950-03-04", "1985-12-31", "2010-02-28"]))
    born = date.fromisoformat(birth)
    first17 = f"{draw(st.sampled_from(PLACES[:2]))}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    level = draw(st.sampled_from(["", "primary"]))
    return [
        f"m{n}",
        draw(st.sampled_from(NAMES[:2])),
        draw(st.sampled_from(SEXES[:3])),
        birth,
        first17 + check_digit(first17),
        "head" if head else draw(st.sampled_from(["spouse", "child"])),
        draw(st.sampled_from(CONDITIONS[:4])),
        draw(st.sampled_from(DIAGNOSES)),
        draw(st.sampled_from(GRADES[:4])),
        level,
        "2015" if level else "",
        draw(st.sampled_from(INSTITUTIONS)) if level else "",
        draw(st.sampled_from(EMPLOYMENTS[:3])),
        draw(st.sampled_from(PHONES[:3])),
    ]


def _mutate(draw: st.DrawFn, rows: list[list[str]]) -> None:
    """Change a cell to a value from its column's pool (good, odd or bad)."""
    row = rows[draw(st.integers(0, len(rows) - 1))]
    column = draw(st.integers(0, len(HEADER) - 1))
    if column < 3:  # a household cell: in one row, or in all of them
        value = draw(st.sampled_from([HOUSEHOLD_IDS, REGIONS, HISTORIES][column]))
        for other in rows if draw(st.booleans()) else [row]:
            other[column] = value
    elif column - 3 == RESIDENT_ID:
        row[column] = _resident_id(draw, row[column - 1])
    else:
        pool = MEMBER_POOLS[column - 3]
        assert pool is not None
        row[column] = draw(st.sampled_from(pool))


@st.composite
def households_csv(draw: st.DrawFn) -> str:
    """A households CSV: good households with a few changed cells, odd rows, any column order."""
    order = draw(st.permutations(range(len(HEADER))))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([HEADER[i] for i in order])
    for number in range(draw(st.integers(1, 5))):
        household = [
            f"g{number}" if draw(st.integers(0, 4)) else draw(st.sampled_from(HOUSEHOLD_IDS)),
            draw(st.sampled_from(REGIONS[:2])),
            draw(st.sampled_from(HISTORIES[:3])),
        ]
        size = draw(st.integers(1, 4))
        rows = [household + _good_member(draw, m, m == 0) for m in range(size)]
        for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2, 3]))):
            _mutate(draw, rows)
        for row in rows:
            shape = draw(st.integers(0, 29))
            if shape == 0:
                row = row[:-1]
            elif shape == 1:
                row = [*row, "extra"]
            writer.writerow([row[i] for i in order if i < len(row)] + row[len(HEADER) :])
        if draw(st.integers(0, 9)) == 0:
            out.write("\n")
    return out.getvalue()


def _rows(value: object) -> tuple[Any, ...]:
    if isinstance(value, HouseholdRecord):
        return value.household, list(value.members), list(value.statuses)
    assert isinstance(value, Household)
    return household_values(value), member_values(value), status_values(value)


def _object_path(text: str) -> list[Parsed]:
    records = read_csv(io.StringIO(text), HOUSEHOLDS, source=SOURCE)
    return list(_once_each(records, HOUSEHOLDS, SOURCE))


def _fast_path(text: str) -> list[Parsed]:
    records = read_household_rows(io.StringIO(text), source=SOURCE)
    return list(_once_each(records, HOUSEHOLDS, SOURCE))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(households_csv())
def test_the_fast_path_accepts_refuses_and_stores_as_the_object_path(text: str) -> None:
    expected, actual = _object_path(text), _fast_path(text)
    assert len(actual) == len(expected)
    for ours, theirs in zip(actual, expected, strict=True):
        assert ours.line == theirs.line
        assert ours.problems == theirs.problems
        assert (ours.value is None) == (theirs.value is None)
        if theirs.value is not None:
            assert _rows(ours.value) == _rows(theirs.value)
            if isinstance(ours.value, HouseholdRecord):
                assert ours.value.to_household() == theirs.value


def _household_rows() -> list[list[str]]:
    """A good household: a head, a spouse with a grade and a phone, a schoolchild."""

    def rid(born: str, serial: str) -> str:
        first17 = f"610323{born.replace('-', '')}{serial}"
        return first17 + check_digit(first17)

    common = ["h1", "610202001001", "poor@2016-01-01;lifted_out@2020-06-30"]
    head = ["m1", "王建国", "male", "1970-05-06", rid("1970-05-06", "011"), "head"]
    spouse = ["m2", "李秀英", "female", "1972-01-31", rid("1972-01-31", "022"), "spouse"]
    child = ["m3", "王磊", "male", "2012-09-01", rid("2012-09-01", "031"), "child"]
    return [
        [*common, *head, "", "", "", "", "", "", "migrant_worker", "13900000001"],
        [
            *common,
            *spouse,
            "chronic_illness",
            "糖尿病",
            "2",
            "",
            "",
            "",
            "farming",
            "+86 139-0000-0002",
        ],
        [*common, *child, "", "", "", "primary", "2018", "第一小学", "student", ""],
    ]


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


def _changed_cells() -> Iterator[tuple[int, int | None, str]]:
    """(column, row or None for every row, value): every value of every pool, in turn."""
    for column, pool in enumerate([HOUSEHOLD_IDS, REGIONS, HISTORIES]):
        for value in pool:
            yield column, None, value
            yield column, 1, value
    for offset, pool in enumerate(MEMBER_POOLS):
        column = offset + 3
        if pool is None:
            pool = [
                "61032319720131022x",
                "61032319720131022Y",
                "6103231972013102",
                "610323197201310220",
                "999999197201310224",
                "61032319720131023X",
                "610323197201300228",
                "61032319720131022X ",
                "６10323197201310228",
            ]
        for value in pool:
            for row in range(3):
                yield column, row, value


def test_every_single_changed_cell_gets_the_same_answer() -> None:
    assert _fast_path(_csv(_household_rows()))[0].value.__class__ is HouseholdRecord
    for column, row, value in _changed_cells():
        rows = _household_rows()
        for number in range(3) if row is None else [row]:
            rows[number][column] = value
        text = _csv(rows)
        expected, actual = _object_path(text), _fast_path(text)
        assert [(p.line, p.problems) for p in actual] == [(p.line, p.problems) for p in expected], (
            column,
            row,
            value,
        )
        for ours, theirs in zip(actual, expected, strict=True):
            if theirs.value is not None:
                assert _rows(ours.value) == _rows(theirs.value), (column, row, value)


def _typical(households: int) -> str:
    """``households`` of a head and a child, every resident ID number its own."""
    out = io.StringIO()
    out.write(",".join(HEADER) + "\n")
    for i in range(households):
        for m, (relation, born) in enumerate([("head", "1950-03-04"), ("child", "2010-02-28")]):
            place = ("610322", "610323", "610324")[i // 1000]
            first17 = f"{place}{born.replace('-', '')}{i % 1000:03d}"
            rid = first17 + check_digit(first17)
            out.write(
                f"h{i},610202001001,poor@2016-01-01,h{i}-{m},王建国,male,{born},{rid},"
                f"{relation},,,,,,,farming,\n"
            )
    return out.getvalue()


def _with_grade_plus_3(text: str, hid: str) -> str:
    """``text`` with grade ``+3`` for the child of ``hid``: good, but not in the fast path."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(f"{hid},") and ",child,,,," in line:
            lines[i] = line.replace(",child,,,,", ",child,,,+3,")
    return "".join(lines)


def test_ordinary_households_take_the_fast_path() -> None:
    records = _fast_path(_typical(20))
    assert len(records) == 20
    assert all(isinstance(r.value, HouseholdRecord) for r in records)


def test_a_doubtful_but_good_household_is_built_by_the_model() -> None:
    text = _with_grade_plus_3(_typical(2), "h1")
    records = _fast_path(text)
    assert isinstance(records[0].value, HouseholdRecord)
    assert isinstance(records[1].value, Household)
    assert records[1].value.members[1].disability_grade == 3
    assert _rows(records[1].value) == _rows(_object_path(text)[1].value)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgresql_url"))
    return f"sqlite:///{tmp_path / 'campaign.db'}"


@pytest.fixture
def campaign(sql_url: str) -> Iterator[jieqin.Campaign]:
    with jieqin.connect(sql_url) as opened:
        yield opened


def _stored(campaign: jieqin.Campaign) -> list[Household]:
    with campaign.unit_of_work(actor="test:reader") as uow:
        return list(uow.households.list())


def test_rows_and_objects_store_the_same_households(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    # 1,001 households in batches of 500: a batch of rows, a mixed one, a last one of one.
    text = _with_grade_plus_3(_typical(1001), "h700")
    path = tmp_path / "households.csv"
    path.write_text(text, encoding="utf-8")
    result = campaign.import_file("households", path, actor="clerk:wang", batch_size=500)
    assert result.records == 1001
    expected = [p.value for p in parse_file(path, "households")]
    assert _stored(campaign) == sorted(expected, key=lambda h: h.household_id)  # type: ignore[union-attr]
    with campaign.unit_of_work(actor="test:reader") as uow:
        entries = uow.audit.entries(entity="households")
    assert [e.action for e in entries] == ["upsert_many", "upsert_many", "upsert"]
    assert entries[0].changes["count"] == 500
    assert entries[0].changes["ids"][:2] == ["h0", "h1"]
    assert entries[2].entity_id == "h1000"


def test_a_reimport_replaces_the_members_of_each_household(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    path = tmp_path / "households.csv"
    path.write_text(_typical(30), encoding="utf-8")
    campaign.import_file("households", path)
    lines = _typical(30).splitlines(keepends=True)
    fewer = [line for line in lines if not line.startswith("h3,") or "h3-0" in line]
    path.write_text("".join(fewer).replace("王建国", "王建军"), encoding="utf-8")
    campaign.import_file("households", path)
    stored = {h.household_id: h for h in _stored(campaign)}
    assert len(stored) == 30
    assert [m.member_id for m in stored["h3"].members] == ["h3-0"]
    assert {m.name for h in stored.values() for m in h.members} == {"王建军"}


def test_one_bad_household_writes_nothing_and_every_bad_row_is_listed(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    text = _typical(1200)
    text = text.replace("h1100-0,王建国,male", "h1100-0,王建国,man")
    text = text.replace("h150-1,王建国,male,2010-02-28", "h150-1,王建国,male,2010-02-27")
    path = tmp_path / "households.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        campaign.import_file("households", path, batch_size=100, report_errors=True)
    problems = raised.value.problems
    assert [(p.line, p.field) for p in problems] == [(303, "resident_id"), (2202, "sex")]
    assert "6103" in problems[0].reason
    assert "2010022" not in str(raised.value)
    assert _stored(campaign) == []


@pytest.mark.parametrize("missing", HEADER[1:])
def test_a_file_without_a_column_is_read_the_ordinary_way(missing: str) -> None:
    rows = [[c for i, c in enumerate(row) if HEADER[i] != missing] for row in _household_rows()]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name in HEADER if name != missing])
    writer.writerows(rows)
    text = out.getvalue()
    expected, actual = _object_path(text), _fast_path(text)
    assert [(p.line, p.problems) for p in actual] == [(p.line, p.problems) for p in expected]
    assert [type(r.value) for r in actual] == [type(r.value) for r in expected]
    if expected[0].value is not None:
        assert _rows(actual[0].value) == _rows(expected[0].value)


def test_households_stored_meanwhile_by_another_writer_are_replaced_not_refused(
    campaign: jieqin.Campaign, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New households go in by plain insert; if one is found stored after all (another
    transaction stored it between the check and the insert), the batch is upserted."""
    from jieqin.storage.sql.repositories import HouseholdRepository

    path = tmp_path / "households.csv"
    path.write_text(_typical(30), encoding="utf-8")
    campaign.import_file("households", path)
    changed = _typical(30).replace("王建国", "王建军")
    path.write_text(changed, encoding="utf-8")
    monkeypatch.setattr(HouseholdRepository, "_regions", staticmethod(lambda conn, ids: {}))
    assert campaign.import_file("households", path).records == 30
    stored = _stored(campaign)
    assert len(stored) == 30
    assert {m.name for h in stored for m in h.members} == {"王建军"}
    assert stored == sorted(
        (p.value for p in parse_file(path, "households")),  # type: ignore[misc]
        key=lambda h: h.household_id,  # type: ignore[union-attr]
    )
