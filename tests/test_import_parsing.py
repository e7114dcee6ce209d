"""Parsing CSV and JSON Lines input: columns, encodings, and problems that name file, line, field."""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path

import pytest

import jieqin
from jieqin.errors import InvalidInput, InvalidValue
from jieqin.io.importer import format_for, load_records, parse_file

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
KINDS = ["helpers", "households", "pairings", "needs", "activities"]


def _values(path: Path, kind: str, **kwargs: object) -> list[object]:
    parsed = list(parse_file(path, kind, **kwargs))  # type: ignore[arg-type]
    assert all(p.ok for p in parsed), [p.problems for p in parsed if not p.ok]
    return [p.value for p in parsed]


@pytest.mark.parametrize("kind", KINDS)
def test_the_documented_examples_parse_the_same_from_csv_and_jsonl(kind: str) -> None:
    from_csv = _values(EXAMPLES / f"{kind}.csv", kind)
    from_jsonl = _values(EXAMPLES / f"{kind}.jsonl", kind)
    assert from_csv
    assert from_csv == from_jsonl


def test_households_group_member_rows_in_order() -> None:
    households = _values(EXAMPLES / "households.csv", "households")
    assert [h.household_id for h in households] == ["hh-001", "hh-002"]  # type: ignore[attr-defined]
    first = households[0]
    assert isinstance(first, jieqin.Household)
    assert [m.member_id for m in first.members] == ["hh-001-1", "hh-001-2", "hh-001-3"]
    assert first.status == "lifted_out"
    student = first.member("hh-001-3")
    assert student.schooling is not None
    assert student.schooling.level is jieqin.SchoolLevel.COLLEGE
    assert student.schooling.year_of_entry == 2021
    assert first.member("hh-001-2").health.major_illness


def test_helper_cells_of_every_type() -> None:
    helpers = _values(EXAMPLES / "helpers.csv", "helpers")
    first, _, third = helpers
    assert isinstance(first, jieqin.Helper)
    assert first.sectors == frozenset({"medical", "education"})
    assert first.capacity == 2
    assert isinstance(third, jieqin.Helper)
    assert third.active is False


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _csv_with(tmp_path: Path, kind: str, line: int, old: str, new: str) -> Path:
    lines = (EXAMPLES / f"{kind}.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return _write(tmp_path, f"{kind}.csv", "".join(lines))


def _problems(path: Path, kind: str) -> list[jieqin.errors.Problem]:
    return [pr for p in parse_file(path, kind) for pr in p.problems]


def test_a_bad_member_cell_names_file_line_and_column(tmp_path: Path) -> None:
    path = _csv_with(tmp_path, "households", 3, "1970-05-06", "1970-13-06")
    (problem,) = _problems(path, "households")
    assert problem.source == "households.csv"
    assert problem.line == 3
    assert problem.field == "birth_date"
    assert "1970-13-06" in problem.reason


def test_a_wrong_resident_id_is_reported_masked(tmp_path: Path) -> None:
    path = _csv_with(tmp_path, "households", 4, "610201200309150312", "610201200309150313")
    (problem,) = _problems(path, "households")
    assert (problem.line, problem.field) == (4, "resident_id")
    assert "check digit" in problem.reason
    assert "610201200309150313" not in str(problem)


def test_household_columns_must_agree_across_member_rows(tmp_path: Path) -> None:
    path = _csv_with(tmp_path, "households", 3, "610202001001", "610202001002")
    (problem,) = _problems(path, "households")
    assert (problem.line, problem.field) == (3, "region")
    assert "line 2" in problem.reason


def test_a_household_split_over_the_file_is_refused(tmp_path: Path) -> None:
    text = (EXAMPLES / "households.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    moved = [text[0], text[1], text[4], text[2], text[3], text[5], text[6]]
    path = _write(tmp_path, "households.csv", "".join(moved))
    problems = _problems(path, "households")
    assert any(p.line == 4 and "consecutive" in p.reason for p in problems)


def test_household_level_problems_point_at_the_first_row(tmp_path: Path) -> None:
    path = _csv_with(tmp_path, "households", 3, ",spouse,", ",head,")
    (problem,) = _problems(path, "households")
    assert problem.line == 2
    assert "exactly one head" in problem.reason


def test_bad_status_history_cell(tmp_path: Path) -> None:
    text = (EXAMPLES / "households.csv").read_text(encoding="utf-8")
    path = _write(tmp_path, "households.csv", text.replace("unstable@2021-03-01", "unstable"))
    problems = _problems(path, "households")
    assert [(p.line, p.field) for p in problems] == [(5, "status_history")]
    assert "status@YYYY-MM-DD" in problems[0].reason


def test_unknown_and_missing_columns_are_reported_on_line_1(tmp_path: Path) -> None:
    path = _write(tmp_path, "helpers.csv", "name,nickname\nx,y\n")
    problems = _problems(path, "helpers")
    assert [(p.line, p.field) for p in problems] == [(1, "nickname")]
    path = _write(tmp_path, "helpers.csv", "name,tier\nx,city_member\n")
    (problem,) = _problems(path, "helpers")
    assert (problem.line, problem.field, problem.reason) == (
        1,
        "helper_id",
        "required column is missing",
    )


def test_an_integer_column_with_text(tmp_path: Path) -> None:
    path = _csv_with(tmp_path, "helpers", 3, ",1,true,", ",one,true,")
    (problem,) = _problems(path, "helpers")
    assert (problem.line, problem.field) == (3, "capacity")
    assert "whole number" in problem.reason


def test_a_nested_field_is_named_by_its_column(tmp_path: Path) -> None:
    path = _csv_with(tmp_path, "needs", 2, ",referral,", ",agency,")
    (problem,) = _problems(path, "needs")
    assert (problem.line, problem.field) == (2, "route_kind")


def test_quoted_cells_spanning_lines_keep_the_starting_line(tmp_path: Path) -> None:
    header = (EXAMPLES / "activities.csv").read_text(encoding="utf-8").splitlines()[0]
    text = (
        f"{header}\n"
        'ac-1,visit,2021-02-11,hp-001,hh-001,,,"two\nlines",\n'
        "ac-2,visit,2021-02-31,hp-001,hh-001,,,,\n"
    )
    path = _write(tmp_path, "activities.csv", text)
    parsed = list(parse_file(path, "activities"))
    assert parsed[0].ok
    assert parsed[0].value.note == "two\nlines"  # type: ignore[union-attr]
    (problem,) = parsed[1].problems
    assert (problem.line, problem.field) == (4, "on")


def test_jsonl_problems_name_the_line_and_the_path(tmp_path: Path) -> None:
    lines = (EXAMPLES / "households.jsonl").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace('"1975-01-08"', '"1975-01-32"', 1)
    path = _write(tmp_path, "households.jsonl", "\n\n".join(lines) + "\n")
    problems = _problems(path, "households")
    assert [(p.source, p.line, p.field) for p in problems] == [
        ("households.jsonl", 3, "members[1].birth_date")
    ]


def test_jsonl_syntax_errors_and_non_objects(tmp_path: Path) -> None:
    path = _write(tmp_path, "needs.jsonl", '{"need_id": \n[1, 2]\n')
    problems = _problems(path, "needs")
    assert [p.line for p in problems] == [1, 2]
    assert "not valid JSON" in problems[0].reason
    assert "expected a JSON object" in problems[1].reason


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_utf8_with_or_without_bom_and_gbk_are_detected(tmp_path: Path, encoding: str) -> None:
    text = (EXAMPLES / "households.csv").read_text(encoding="utf-8")
    path = _write(tmp_path, "households.csv", text, encoding)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(codecs.BOM_UTF8)
    assert _values(path, "households") == _values(EXAMPLES / "households.csv", "households")


def test_an_explicit_encoding_is_used(tmp_path: Path) -> None:
    text = (EXAMPLES / "helpers.csv").read_text(encoding="utf-8")
    path = _write(tmp_path, "helpers.csv", text, "gbk")
    assert _values(path, "helpers", encoding="gbk") == _values(EXAMPLES / "helpers.csv", "helpers")


def test_undecodable_bytes_name_the_line(tmp_path: Path) -> None:
    good = (EXAMPLES / "helpers.csv").read_bytes()
    lines = good.splitlines(keepends=True)
    lines[2] = lines[2].replace("刘芳".encode(), "刘芳".encode("gbk"))
    path = tmp_path / "helpers.csv"
    path.write_bytes(b"".join(lines))
    with pytest.raises(InvalidInput, match=r"helpers\.csv line 3: cannot decode") as info:
        list(parse_file(path, "helpers", encoding="utf-8"))
    assert "--encoding" in str(info.value)


def test_an_unknown_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "helpers.csv"
    shutil.copy(EXAMPLES / "helpers.csv", path)
    with pytest.raises(InvalidInput, match="unknown encoding"):
        list(parse_file(path, "helpers", encoding="klingon"))


def test_format_comes_from_the_suffix_or_the_option() -> None:
    assert format_for("a.csv") == "csv"
    assert format_for("a.JSONL") == "jsonl"
    assert format_for("a.txt", "csv") == "csv"
    with pytest.raises(InvalidValue, match="--format"):
        format_for("a.txt")
    assert format_for("a.XLSX") == "xlsx"
    with pytest.raises(InvalidValue, match="unknown format"):
        format_for("a.csv", "ods")
    with pytest.raises(InvalidValue, match=r"save it as \.xlsx"):
        format_for("ledger.xls")


def test_load_records_stops_at_the_first_problem(tmp_path: Path) -> None:
    path = _csv_with(tmp_path, "activities", 3, "2021-03-05", "2021-03-35")
    written: list[list[object]] = []
    with pytest.raises(InvalidInput) as info:
        load_records(parse_file(path, "activities"), written.append, batch_size=1)
    assert [(p.line, p.field) for p in info.value.problems] == [(3, "on")]


def _many_bad_activities(tmp_path: Path, bad: int) -> Path:
    header = (EXAMPLES / "activities.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = [f"ac-{i},visit,2021-02-{30 if i % 2 else 11},hp-1,hh-1,,,," for i in range(2 * bad)]
    return _write(tmp_path, "activities.csv", "\n".join([header, *rows]) + "\n")


def test_report_errors_lists_every_bad_row(tmp_path: Path) -> None:
    path = _many_bad_activities(tmp_path, 5)
    with pytest.raises(InvalidInput) as info:
        load_records(parse_file(path, "activities"), lambda batch: None, report_errors=True)
    assert [p.line for p in info.value.problems] == [3, 5, 7, 9, 11]
    assert not info.value.truncated


def test_report_errors_stops_at_the_limit(tmp_path: Path) -> None:
    path = _many_bad_activities(tmp_path, 50)
    with pytest.raises(InvalidInput) as info:
        load_records(
            parse_file(path, "activities"), lambda batch: None, report_errors=True, max_errors=7
        )
    assert len(info.value.problems) == 7
    assert info.value.truncated
    assert "more not shown" in str(info.value)


def test_batches_are_bounded(tmp_path: Path) -> None:
    header = (EXAMPLES / "activities.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = [f"ac-{i},visit,2021-02-11,hp-1,hh-1,,,," for i in range(25)]
    path = _write(tmp_path, "activities.csv", "\n".join([header, *rows]) + "\n")
    batches: list[list[object]] = []
    count = load_records(parse_file(path, "activities"), batches.append, batch_size=10)
    assert count == 25
    assert [len(b) for b in batches] == [10, 10, 5]


def test_an_id_given_twice_in_one_file_is_refused(tmp_path: Path) -> None:
    lines = (EXAMPLES / "helpers.csv").read_text(encoding="utf-8").splitlines()
    lines.append(lines[1].replace("张志明", "张志明二"))
    path = _write(tmp_path, "helpers.csv", "\n".join(lines) + "\n")
    (problem,) = _problems(path, "helpers")
    assert (problem.line, problem.field) == (5, "helper_id")
    assert "first given on line 2" in problem.reason


def test_a_household_given_twice_in_json_lines_is_refused(tmp_path: Path) -> None:
    lines = (EXAMPLES / "households.jsonl").read_text(encoding="utf-8").splitlines()
    path = _write(tmp_path, "households.jsonl", "\n".join([*lines, lines[0]]) + "\n")
    (problem,) = _problems(path, "households")
    assert (problem.line, problem.field) == (3, "household_id")
