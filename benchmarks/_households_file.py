"""Writing a large, valid households CSV quickly (for the import benchmark)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from stdnum.cn import ric

from jieqin.io.kinds import HOUSEHOLDS

#: County codes that are valid birth places for every birth year used here.
BIRTH_PLACES = ("610322", "610323", "610324", "610326", "610327", "610328", "610329")
HEADER = [c.name for c in HOUSEHOLDS.all_columns()]
_EPOCH = date(1940, 1, 1)
_CHILD_EPOCH = date(2005, 1, 1)
_HISTORY = "poor@2016-01-01;lifted_out@2020-06-30"
# The member columns after ``resident_id``, per member (none of the values need quoting).
_HEAD = "head,,,,,,,migrant_worker,13900000001"
_SPOUSE = "spouse,{health},,{grade},,,,farming,"
_CHILD = "child,,,,primary,{entry},,student,"


def _resident_id(place: str, born: str, serial: int) -> str:
    first17 = f"{place}{born.replace('-', '')}{serial:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")


def household_lines(households: int) -> Iterator[str]:
    """Three member rows per household (a head, a spouse and a schoolchild), as CSV lines."""
    assert HEADER[:8] == [
        "household_id",
        "region",
        "status_history",
        "member_id",
        "name",
        "sex",
        "birth_date",
        "resident_id",
    ]
    for i in range(households):
        hid = f"h{i:07d}"
        common = f"{hid},6102020{i % 30 + 1:02d}{i % 200 + 1:03d},{_HISTORY}"
        # Every number distinct: (place, birth date, sequence) names one household and
        # member, the sequence modulo 3 the role (head, spouse, child).
        k, at = divmod(i, len(BIRTH_PLACES))
        day, serial = divmod(k, 333)
        place = BIRTH_PLACES[at]
        head_born = _EPOCH + timedelta(days=(day * 37) % 12000)
        head = head_born.isoformat()
        spouse = (head_born + timedelta(days=400)).isoformat()
        child_born = _CHILD_EPOCH + timedelta(days=(day * 13) % 3650)
        child_year = child_born.year
        child = child_born.isoformat()
        spouse_tail = _SPOUSE.format(
            health="chronic_illness" if i % 5 == 0 else "healthy",
            grade="3" if i % 11 == 0 else "",
        )
        yield (
            f"{common},{hid}-1,王建国,male,{head},{_resident_id(place, head, 3 * serial)},{_HEAD}\n"
            f"{common},{hid}-2,李秀英,female,{spouse},{_resident_id(place, spouse, 3 * serial + 1)},"
            f"{spouse_tail}\n"
            f"{common},{hid}-3,王磊,male,{child},{_resident_id(place, child, 3 * serial + 2)},"
            f"{_CHILD.format(entry=child_year + 6)}\n"
        )


def write_households_csv(path: Path, households: int) -> None:
    """Write ``households`` households (three members each) as the import CSV."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\n")
        out.writelines(household_lines(households))
