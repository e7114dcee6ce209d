"""Safe CSV cells: formulas neutralised on export, restored on import, exactly.

A text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
a leading ``'`` (OWASP's advice against CSV injection); the CSV reader removes
exactly that quote again, so export then import gives back every string.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jieqin.io.cells import TRIGGERS, neutralise_cell, restore_cell
from jieqin.io.csv_format import read_csv, write_csv
from jieqin.io.exporter import write_records
from jieqin.io.kinds import ACTIVITIES, Column, ColumnType, Kind
from jieqin.model import Activity

FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(A1:A2)",
    "-2+3",
    "\t=1",
    "\r=1",
]

#: Text made mostly of the characters that matter here, and anything else.
TEXT = st.text(alphabet=st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "a", "1", "表"]))


@given(text=st.one_of(TEXT, st.text()))
def test_restore_undoes_neutralise_for_every_string(text: str) -> None:
    assert restore_cell(neutralise_cell(text)) == text


@given(text=st.one_of(TEXT, st.text()))
def test_a_neutralised_cell_never_starts_a_formula(text: str) -> None:
    assert neutralise_cell(text)[:1] not in TRIGGERS


def test_a_quote_a_person_typed_is_kept() -> None:
    assert neutralise_cell("'=1") == "''=1"
    assert restore_cell("''=1") == "'=1"
    assert neutralise_cell("'abc") == "'abc"
    assert restore_cell("'abc") == "'abc"
    assert restore_cell("'") == "'"


def _activity(note: str) -> Activity:
    return Activity("a-1", "contact", date(2021, 4, 1), "hp-1", "h-1", note=note)


def _cells(text: str, column: str) -> list[str]:
    return [row[column] for row in csv.DictReader(io.StringIO(text, newline="\n"))]


@pytest.mark.parametrize("include_sensitive", [False, True])
def test_formulas_in_notes_are_neutralised_in_csv(include_sensitive: bool) -> None:
    out = io.StringIO()
    write_records(
        [_activity(f) for f in FORMULAS], "activities", out, include_sensitive=include_sensitive
    )
    for cell in _cells(out.getvalue(), "note"):
        assert cell.startswith("'"), cell


@settings(max_examples=200, deadline=None)
@given(note=st.one_of(TEXT, st.text(max_size=40)).filter(lambda t: t == t.strip() and t))
def test_a_note_round_trips_through_csv(note: str) -> None:
    out = io.StringIO()
    write_records([_activity(note)], "activities", out, include_sensitive=True)
    parsed = list(read_csv(io.StringIO(out.getvalue(), newline="\n"), ACTIVITIES, source="a.csv"))
    assert [p.ok for p in parsed] == [True], parsed
    assert parsed[0].value.note == note


def test_numbers_stay_numbers() -> None:
    kind = Kind(
        name="amounts",
        cls=object,
        id_attribute="t",
        repository="x",
        columns=(
            Column("t", ("t",)),
            Column("amount", ("amount",), ColumnType.INTEGER),
        ),
    )
    out = io.StringIO()
    write_csv(kind, [{"t": "-5", "amount": -5}], out)
    assert out.getvalue().splitlines()[1] == "'-5,-5"
