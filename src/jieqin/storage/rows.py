"""Households as rows: the storage-neutral form the households CSV reader builds.

Building and validating a :class:`~jieqin.model.Household` with its members only to
take it apart again into table rows is most of the cost of a large import, so the
CSV reader (:mod:`jieqin.io.household_rows`) checks the cells and builds these rows
directly, and every backend's ``households.upsert_rows`` takes them: the SQL backend
writes them as they are, the memory backends build the households back
(:meth:`HouseholdRows.to_household`). The column orders are the SQL tables'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from jieqin.model import Health, Household, Member, RegionCode, Schooling, StatusChange

__all__ = [
    "HOUSEHOLD_COLUMNS",
    "MEMBER_COLUMNS",
    "STATUS_COLUMNS",
    "HouseholdRows",
    "household_from",
    "household_values",
    "member_from",
    "member_values",
    "rows_of",
    "status_values",
]

Row = tuple[Any, ...]

#: The columns :func:`household_values` fills, in order.
HOUSEHOLD_COLUMNS = ("household_id", "region", "status")

#: The columns :func:`member_values` fills, in order.
MEMBER_COLUMNS = (
    "member_id",
    "household_id",
    "position",
    "name",
    "sex",
    "birth_date",
    "resident_id",
    "relation",
    "health_condition",
    "diagnosis",
    "disability_grade",
    "school_level",
    "school_year_of_entry",
    "school_institution",
    "employment",
    "phone",
    "departed_on",
)

#: The columns :func:`status_values` fills, in order.
STATUS_COLUMNS = ("household_id", "position", "status", "since", "note")

#: Where a member row holds its id, birth date and resident ID number.
MEMBER_ID, BIRTH_DATE, RESIDENT_ID = 0, 5, 6


class HouseholdRows(NamedTuple):
    """One household as the rows storage keeps: ``household`` (its ``households`` row),
    ``members`` and ``statuses`` in the column orders above. Tuples of plain values
    all the way down, so the garbage collector stops tracking a batch after a look."""

    household_id: str
    household: Row
    members: tuple[Row, ...]
    statuses: tuple[Row, ...]

    def to_household(self) -> Household:
        """The model object these rows store."""
        return household_from(
            dict(zip(HOUSEHOLD_COLUMNS, self.household, strict=True)),
            [dict(zip(MEMBER_COLUMNS, row, strict=True)) for row in self.members],
            [dict(zip(STATUS_COLUMNS, row, strict=True)) for row in self.statuses],
        )


def household_values(h: Household) -> Row:
    """The ``households`` row as a tuple (bulk loads build millions of these)."""
    return (h.household_id, h.region.code, h.status_history[-1].status)


def member_values(h: Household) -> list[Row]:
    """The member rows of a household (current members, then former ones), in
    ``MEMBER_COLUMNS`` order."""
    hid = h.household_id
    rows = []
    for position, m in enumerate(h.people):
        school = m.schooling
        health = m.health
        rows.append(
            (
                m.member_id,
                hid,
                position,
                m.name,
                m.sex.value,
                m.birth_date,
                m.resident_id,
                m.relation.value,
                health.condition.value,
                health.diagnosis,
                m.disability_grade,
                school.level.value if school else None,
                school.year_of_entry if school else None,
                school.institution if school else None,
                m.employment.value,
                m.phone,
                m.departed_on,
            )
        )
    return rows


def status_values(h: Household) -> list[Row]:
    """The ``household_status`` rows of a household, in ``STATUS_COLUMNS`` order."""
    hid = h.household_id
    return [
        (hid, position, change.status, change.since, change.note)
        for position, change in enumerate(h.status_history)
    ]


def rows_of(h: Household) -> HouseholdRows:
    """A household as rows."""
    return HouseholdRows(
        h.household_id, household_values(h), tuple(member_values(h)), tuple(status_values(h))
    )


def member_from(r: Mapping[Any, Any]) -> Member:
    """A member from a row mapping."""
    schooling = None
    if r["school_level"] is not None:
        schooling = Schooling(
            level=r["school_level"],
            year_of_entry=r["school_year_of_entry"],
            institution=r["school_institution"],
        )
    return Member(
        member_id=r["member_id"],
        name=r["name"],
        sex=r["sex"],
        birth_date=r["birth_date"],
        resident_id=r["resident_id"],
        relation=r["relation"],
        health=Health(condition=r["health_condition"], diagnosis=r["diagnosis"]),
        disability_grade=r["disability_grade"],
        schooling=schooling,
        employment=r["employment"],
        phone=r["phone"],
        departed_on=r.get("departed_on"),
    )


def household_from(
    r: Mapping[Any, Any], members: Sequence[Mapping[Any, Any]], history: Sequence[Mapping[Any, Any]]
) -> Household:
    """A household from its row, its member rows (in position order) and status rows."""
    people = [member_from(m) for m in members]
    return Household(
        household_id=r["household_id"],
        region=RegionCode(r["region"]),
        members=tuple(m for m in people if m.departed_on is None),
        status_history=tuple(
            StatusChange(status=s["status"], since=s["since"], note=s["note"]) for s in history
        ),
        former_members=tuple(m for m in people if m.departed_on is not None),
    )
