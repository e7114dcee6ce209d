"""The households export fast path: from storage rows straight to the JSON form.

Exporting a million households spent a third of its time building
:class:`~jieqin.model.Household` objects only for the converter to take them apart
again. A backend whose household repository offers ``iter_rows(size)`` (the SQL
backend) hands the export its rows (:class:`~jieqin.storage.rows.HouseholdRows`),
and :func:`household_json` builds from them the very JSON form the converter gives
the household they store (``tests/test_export_fast_path.py`` holds the two equal),
which then goes through the same masking and writers as every other record.

The rows were checked by the model when they were written (the one write path), so
reading them back needs no second check.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from jieqin.storage.rows import HouseholdRows

__all__ = ["household_json"]


def _day(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _member(row: tuple[Any, ...]) -> dict[str, Any]:
    (member_id, _, _, name, sex, birth_date, resident_id, relation, condition, diagnosis,
     grade, level, year, institution, employment, phone, departed_on) = row  # fmt: skip
    schooling = (
        None
        if level is None
        else {"level": level, "year_of_entry": year, "institution": institution}
    )
    return {
        "member_id": member_id,
        "name": name,
        "sex": sex,
        "birth_date": _day(birth_date),
        "resident_id": resident_id,
        "relation": relation,
        "health": {"condition": condition, "diagnosis": diagnosis},
        "disability_grade": grade,
        "schooling": schooling,
        "employment": employment,
        "phone": phone,
        "departed_on": _day(departed_on),
    }


def household_json(rows: HouseholdRows) -> dict[str, Any]:
    """The JSON form of the household ``rows`` store, as ``unstructure`` gives it:
    current members (in position order), status history, former members."""
    household_id, region, _ = rows.household
    members = [_member(row) for row in rows.members]
    return {
        "household_id": household_id,
        "region": region,
        "members": [m for m in members if m["departed_on"] is None],
        "status_history": [
            {"status": status, "since": _day(since), "note": note}
            for _, _, status, since, note in rows.statuses
        ],
        "former_members": [m for m in members if m["departed_on"] is not None],
    }
