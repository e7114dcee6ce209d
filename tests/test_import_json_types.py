"""JSON values of the wrong JSON type are refused with their field path, never coerced.

``"active": "false"`` is not false and ``"sectors": "medical"`` is not seven one-letter
sectors: each is refused, saying what was expected and what was given. Region codes
and periods may also be given as whole numbers, which spell them exactly.
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.errors import InvalidInput, Problem
from jieqin.io import structure, to_json
from jieqin.io.converter import converter, problems_from
from jieqin.io.importer import load_records, parse_file
from jieqin.io.kinds import KINDS, Column, ColumnType
from jieqin.model import MODEL_TYPES, RegionCode
from jieqin.model.periods import Month, Quarter, Year
from jieqin.testing.contract import make_decision

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def _example(kind: str, line: int = 1) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (EXAMPLES / f"{kind}.jsonl").read_text(encoding="utf-8").splitlines()[line - 1]
    )
    return data


def _problems(tmp_path: Path, kind: str, records: list[dict[str, Any]]) -> list[Problem]:
    """The problems of a JSON Lines file of ``records``; a refused record has no value."""
    path = tmp_path / f"{kind}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    parsed = list(parse_file(path, kind))
    assert all(p.value is None for p in parsed if p.problems)
    return [problem for p in parsed for problem in p.problems]


def _refusal(tmp_path: Path, kind: str, record: dict[str, Any]) -> str:
    """The one problem of a one-record file, as printed."""
    problems = _problems(tmp_path, kind, [record])
    assert len(problems) == 1, problems
    return str(problems[0])


def _value(kind: str, record: dict[str, Any]) -> Any:
    return structure(record, KINDS[kind].cls, source=f"{kind}.jsonl", line=1)


# --- one rule at a time, through the importer --------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [("false", "the string 'false'"), (0, "the number 0"), (1, "the number 1"), (None, "null")],
)
def test_a_bool_takes_only_true_or_false(tmp_path: Path, value: object, shown: str) -> None:
    good = _example("helpers", 3)
    assert good["active"] is False
    records = [_example("helpers", 1), _example("helpers", 2), good, {**good, "active": value}]
    records[3]["helper_id"] = "hp-004"
    (problem,) = _problems(tmp_path, "helpers", records)
    assert str(problem) == f"helpers.jsonl line 4: active: expected true or false, got {shown}"


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("helper_id", 1001, "the number 1001"),
        ("name", 12, "the number 12"),
        ("tier", True, "true"),
        ("phone", 13800000001, "the number '138******01'"),
    ],
)
def test_a_string_takes_only_a_json_string(
    tmp_path: Path, field: str, value: object, shown: str
) -> None:
    record = {**_example("helpers"), field: value}
    assert _refusal(tmp_path, "helpers", record) == (
        f"helpers.jsonl line 1: {field}: expected a string, got {shown}"
    )


def test_a_note_and_a_nested_name_are_not_turned_into_text(tmp_path: Path) -> None:
    activity = {**_example("activities"), "note": 1.5}
    assert _refusal(tmp_path, "activities", activity).endswith(
        "note: expected a string, got the number 1.5"
    )
    household = _example("households")
    household["members"][1]["name"] = ["王", "秀英"]
    assert _refusal(tmp_path, "households", household).endswith(
        "members[1].name: expected a string, got a list"
    )


def test_an_enum_value_takes_only_a_json_string(tmp_path: Path) -> None:
    household = _example("households")
    household["members"][0]["sex"] = 1
    assert _refusal(tmp_path, "households", household).endswith(
        "members[0].sex: expected a string (one of: male, female), got the number 1"
    )
    household["members"][0]["sex"] = "unknown"
    assert _refusal(tmp_path, "households", household).endswith(
        "members[0].sex: 'unknown' is not one of: male, female"
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [("medical", "a string"), ({"medical": True}, "an object"), (7, "a number"), (None, "null")],
)
def test_a_collection_takes_only_a_json_array(tmp_path: Path, value: object, shown: str) -> None:
    record = {**_example("helpers"), "sectors": value}
    assert _refusal(tmp_path, "helpers", record) == (
        f"helpers.jsonl line 1: sectors: expected a list of codes, got {shown}"
    )


def test_a_list_of_records_takes_only_a_json_array(tmp_path: Path) -> None:
    household = _example("households")
    household["status_history"] = "poor@2016-01-01"
    household["members"] = {"0": household["members"][0]}
    reasons = sorted(p.reason for p in _problems(tmp_path, "households", [household]))
    assert reasons == [
        "expected a list of objects, got a string",
        "expected a list of objects, got an object",
    ]


def test_an_element_of_the_wrong_type_is_named_by_its_index(tmp_path: Path) -> None:
    record = {**_example("helpers"), "sectors": ["medical", 3]}
    assert _refusal(tmp_path, "helpers", record).endswith(
        "sectors[1]: expected a string, got the number 3"
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [("3", "the string '3'"), (True, "true"), (3.5, "the number 3.5"), ([3], "a list")],
)
def test_an_int_takes_only_a_whole_json_number(tmp_path: Path, value: object, shown: str) -> None:
    record = {**_example("helpers"), "capacity": value}
    assert _refusal(tmp_path, "helpers", record) == (
        f"helpers.jsonl line 1: capacity: expected a whole number, got {shown}"
    )


def test_a_whole_number_written_with_a_point_is_still_whole() -> None:
    helper = _value("helpers", {**_example("helpers"), "capacity": 3.0})
    assert helper.capacity == 3
    assert type(helper.capacity) is int


@pytest.mark.parametrize("number", [2**31, -(2**31) - 1])
def test_the_range_check_stays(tmp_path: Path, number: int) -> None:
    record = {**_example("helpers"), "capacity": number}
    assert _refusal(tmp_path, "helpers", record).endswith(f"capacity: {number} is out of range")


def test_a_nested_int_is_named_by_its_whole_path(tmp_path: Path) -> None:
    household = _example("households")
    student = household["members"][2]
    assert student["schooling"]["year_of_entry"] == 2021
    student["schooling"]["year_of_entry"] = "2021"
    assert _refusal(tmp_path, "households", household) == (
        "households.jsonl line 1: members[2].schooling.year_of_entry: "
        "expected a whole number, got the string '2021'"
    )


def test_a_nested_object_takes_only_a_json_object(tmp_path: Path) -> None:
    household = _example("households")
    household["members"][1]["health"] = "major_illness"
    assert _refusal(tmp_path, "households", household).endswith(
        "members[1].health: expected an object, got a string"
    )
    need = {**_example("needs"), "route": ["referral", "epc"]}
    assert _refusal(tmp_path, "needs", need).endswith("route: expected an object, got a list")


@pytest.mark.parametrize(
    ("value", "shown"), [(20210211, "the number '202***11'"), (None, "null"), ([], "a list")]
)
def test_a_date_takes_only_a_string(tmp_path: Path, value: object, shown: str) -> None:
    record = {**_example("activities"), "on": value}
    assert _refusal(tmp_path, "activities", record).endswith(
        f"on: expected a date as YYYY-MM-DD, got {shown}"
    )


def test_money_is_a_string_or_a_whole_number() -> None:
    fund = {"fund_id": "f1", "program_id": "p1", "period": "2021", "budget": "70000.00"}
    assert structure(fund, jieqin.Fund).budget == Decimal("70000.00")
    assert structure({**fund, "budget": 70000}, jieqin.Fund).budget == Decimal("70000.00")
    for value, reason in [
        (70000.5, 'budget: amount must be written as a string such as "5000.00", not 70000.5'),
        (True, 'budget: amount must be written as a string such as "5000.00", not True'),
        (["70000"], 'budget: expected an amount written as a string such as "5000.00", got a list'),
    ]:
        with pytest.raises(InvalidInput) as info:
            structure({**fund, "budget": value}, jieqin.Fund)
        assert str(info.value) == reason


def test_a_region_code_may_be_a_string_or_a_whole_number(tmp_path: Path) -> None:
    helper = _value("helpers", {**_example("helpers"), "home_region": 610202})
    assert helper.home_region == RegionCode("610202")
    household = _value("households", {**_example("households"), "region": 610202001001})
    assert household.region == RegionCode("610202001001")
    for value, shown in [(610202.0, "the number 610202.0"), (True, "true"), ([], "a list")]:
        record = {**_example("helpers"), "home_region": value}
        assert _refusal(tmp_path, "helpers", record).endswith(
            f"home_region: expected a region code (a string of 6, 9 or 12 digits), got {shown}"
        )


def test_a_period_may_be_a_string_or_a_year_as_a_whole_number(tmp_path: Path) -> None:
    assert _value("needs", {**_example("needs"), "period": 2021}).period == Year(2021)
    assert _value("needs", {**_example("needs"), "period": "2021Q1"}).period == Quarter(2021, 1)
    for value, shown in [(2021.1, "the number 2021.1"), (False, "false"), ({}, "an object")]:
        record = {**_example("needs"), "period": value}
        assert _refusal(tmp_path, "needs", record).endswith(
            f'period: expected a period such as "2021", "2021Q1" or "2021-03", got {shown}'
        )


def test_a_mapping_takes_only_an_object_of_strings() -> None:
    decision = json.loads(to_json(make_decision()))
    for field, value, reason in [
        ("parameters", [["amount", "5000.00"]], "parameters: expected an object, got a list"),
        ("inputs", {"year_of_entry": 2021}, "inputs[year_of_entry]: expected a string, got"),
    ]:
        with pytest.raises(InvalidInput) as info:
            structure({**decision, field: value}, jieqin.Decision)
        assert str(info.value).startswith(reason)


def test_a_float_field_takes_only_a_number() -> None:
    pairing = {"helper_id": "hp-1", "household_id": "hh-1", "start": "2021-01-01"}
    built = structure({**pairing, "costs": [{"name": "distance", "value": 2}]}, jieqin.Pairing)
    assert built.costs[0].value == 2.0
    with pytest.raises(InvalidInput) as info:
        structure({**pairing, "costs": [{"name": "distance", "value": "2"}]}, jieqin.Pairing)
    assert str(info.value) == "costs[0].value: expected a number, got the string '2'"


def test_values_quoted_in_a_refusal_are_masked(tmp_path: Path) -> None:
    household = _example("households")
    resident_id = household["members"][0]["resident_id"]
    household["members"][0]["resident_id"] = int(resident_id)
    household["members"][1]["relation"] = resident_id
    household["members"][2]["disability_grade"] = resident_id
    household["members"][2]["health"]["diagnosis"] = 13800000001
    text = "\n".join(str(p) for p in _problems(tmp_path, "households", [household]))
    assert text.count("\n") == 3, text
    assert resident_id not in text
    assert resident_id[:10] not in text
    assert "13800000001" not in text


# --- CSV cells are parsed to the JSON type the converter wants -----------------------


def _field_type(cls: type, path: tuple[str, ...]) -> Any:
    """The model type at ``path`` (``schooling.year_of_entry``), without ``| None``."""
    kind: Any = cls
    for name in path:
        kind = _without_none(attrs.fields_dict(attrs.resolve_types(kind))[name].type)
    return kind


def _without_none(kind: Any) -> Any:
    if get_origin(kind) in (Union, types.UnionType) and type(None) in get_args(kind):
        (kind,) = (arg for arg in get_args(kind) if arg is not type(None))
    return kind


#: What each CSV column type parses a cell to, and a cell to parse.
CELLS = {
    ColumnType.TEXT: "x",
    ColumnType.INTEGER: "1",
    ColumnType.BOOLEAN: "true",
    ColumnType.LIST: "medical;law",
    ColumnType.STATUS_HISTORY: "poor@2016-01-01",
}


def _columns() -> Iterator[tuple[type, Column]]:
    """Each CSV column with the class its path starts from (a member's, on member rows)."""
    for kind in KINDS.values():
        for column in kind.group_columns:
            yield kind.cls, column
        for column in kind.columns:
            yield (jieqin.Member if kind.group_columns else kind.cls), column


@pytest.mark.parametrize(
    ("cls", "column"), list(_columns()), ids=[f"{c.__name__}-{col.name}" for c, col in _columns()]
)
def test_every_csv_column_yields_the_json_type_its_field_takes(cls: type, column: Column) -> None:
    field_type = _field_type(cls, column.path)
    cell = column.parse(CELLS[column.type])
    hook = converter.get_structure_hook(field_type)
    try:
        hook(cell, field_type)
    except Exception as exc:  # a bad value ("x" is no date) is fine; a wrong type is not
        reasons = [p.reason for p in problems_from(exc)]
        assert not any(r.startswith("expected ") for r in reasons), (column.name, reasons)


def test_the_csv_examples_still_import_as_the_json_lines_ones() -> None:
    for kind in KINDS:
        from_csv = [p.value for p in parse_file(EXAMPLES / f"{kind}.csv", kind)]
        from_jsonl = [p.value for p in parse_file(EXAMPLES / f"{kind}.jsonl", kind)]
        assert None not in from_csv
        assert from_csv == from_jsonl


# --- any wrong JSON type anywhere is refused with its path ---------------------------

#: Model classes whose JSON form is a code, not an object.
CODES = (RegionCode, Year, Quarter, Month)
#: Record classes with a JSON object form.
RECORD_TYPES = [t for t in MODEL_TYPES if t not in CODES]

#: The JSON types: how hypothesis makes a value of each.
JSON_VALUES: Mapping[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "bool": st.booleans(),
    "int": st.integers(),
    "fraction": st.floats().filter(lambda x: not x.is_integer()),
    "string": st.text(max_size=20),
    "array": st.lists(st.none() | st.booleans() | st.integers() | st.text(max_size=5), max_size=3),
    "object": st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
}
NUMBER = frozenset({"int"})
TEXT = frozenset({"string"})
CODE = frozenset({"string", "int"})


def _accepted(kind: Any) -> frozenset[str]:
    """The JSON types a value of model type ``kind`` may be given as."""
    if get_origin(kind) in (Union, types.UnionType):
        return frozenset().union(*(_accepted(arg) for arg in get_args(kind)))
    simple = {
        type(None): frozenset({"null"}),
        bool: frozenset({"bool"}),
        int: NUMBER,
        float: NUMBER | {"fraction"},
        str: TEXT,
        date: TEXT,
        Decimal: CODE,
        RegionCode: CODE,
        Year: CODE,
        Quarter: CODE,
        Month: CODE,
    }
    if kind in simple:
        return simple[kind]
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return TEXT
    if get_origin(kind) in (frozenset, tuple, list):
        return frozenset({"array"})
    assert attrs.has(kind) or get_origin(kind) is Mapping, kind
    return frozenset({"object"})


#: A place in a record's JSON form: its path, its model type, its container and key.
Slot = tuple[str, Any, Any, Any]


def _slots(data: Any, kind: Any, path: str = "") -> Iterator[Slot]:
    """Every value in ``data`` (the JSON form of a ``kind``), nested ones too."""
    kind = _without_none(kind)
    if data is None or kind in CODES:
        return
    if attrs.has(kind):
        for field in attrs.fields(attrs.resolve_types(kind)):
            at = f"{path}.{field.name}" if path else field.name
            yield at, field.type, data, field.name
            yield from _slots(data[field.name], field.type, at)
    elif get_origin(kind) in (frozenset, tuple, list, Mapping):
        element = get_args(kind)[-1] if get_origin(kind) is Mapping else get_args(kind)[0]
        keys = data if isinstance(data, dict) else range(len(data))
        for key in keys:
            yield f"{path}[{key}]", element, data, key
            yield from _slots(data[key], element, f"{path}[{key}]")


@st.composite
def broken_records(draw: st.DrawFn, cls: type) -> tuple[dict[str, Any], str]:
    """The JSON form of a ``cls`` with one value, anywhere in it, of a wrong JSON type."""
    data = json.loads(to_json(draw(st.from_type(cls))))
    path, kind, container, key = draw(st.sampled_from(list(_slots(data, cls))))
    wrong = sorted(set(JSON_VALUES) - _accepted(kind))
    container[key] = draw(st.sampled_from(wrong).flatmap(JSON_VALUES.__getitem__))
    return data, path


def _names(path: str) -> str | None:
    """``path`` as a problem shows it (masked and cut short, like any field name)."""
    return Problem("", field=path).field


@pytest.mark.parametrize("cls", RECORD_TYPES, ids=lambda c: c.__name__)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_value_of_a_wrong_json_type_is_refused_with_its_path(
    cls: type, data: st.DataObject
) -> None:
    record, path = data.draw(broken_records(cls))
    with pytest.raises(InvalidInput) as info:
        structure(record, cls, source="records.jsonl", line=1)
    assert _names(path) in [p.field for p in info.value.problems], str(info.value)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("json-types")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_record_with_a_value_of_a_wrong_json_type_is_never_stored(
    folder: Path, data: st.DataObject
) -> None:
    kind = data.draw(st.sampled_from(sorted(KINDS)))
    others = data.draw(st.lists(st.from_type(KINDS[kind].cls), max_size=3))
    good = [json.loads(to_json(r)) for r in others]
    broken, path = data.draw(broken_records(KINDS[kind].cls))
    at = data.draw(st.integers(0, len(good)))
    records = [*good[:at], broken, *good[at:]]
    file = folder / f"{kind}.jsonl"
    file.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    parsed = [p for p in parse_file(file, kind) if p.line == at + 1]
    written: list[Any] = []
    with pytest.raises(InvalidInput):
        load_records(parse_file(file, kind), written.extend)
    assert parsed[0].value is None
    assert _names(path) in [p.field for p in parsed[0].problems]
    assert written == []
