"""Writing a large, valid households CSV quickly (for the import benchmark)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from stdnum.cn import ric

from jieqin.io.kinds import HOUSEHOLDS

#: County codes that are valid birth places for every birth year used here.
BIRTH_PLACES = ("610322", "610323", "610324", "610326", "610327", "610328", "610329")
HEADER = [c.name for c in HOUSEHOLDS.all_columns()]
_COLUMN = {name: i for i, name in enumerate(HEADER)}
_EPOCH = date(1940, 1, 1)


def _resident_id(place: str, born: date, serial: int) -> str:
    first17 = f"{place}{born:%Y%m%d}{serial:03d}"
    return first17 + str(ric.calc_check_digit(first17 + "0"))


def _row(**cells: str) -> list[str]:
    row = [""] * len(HEADER)
    for name, value in cells.items():
        row[_COLUMN[name]] = value
    return row


def household_rows(households: int) -> Iterator[list[str]]:
    """Three member rows per household: a head, a spouse and a schoolchild."""
    for i in range(households):
        hid = f"h{i:07d}"
        region = f"6102020{i % 30 + 1:02d}{i % 200 + 1:03d}"
        history = "poor@2016-01-01;lifted_out@2020-06-30"
        place = BIRTH_PLACES[i % len(BIRTH_PLACES)]
        serial = (i // 7) % 1000
        head_born = _EPOCH + timedelta(days=(i * 37) % 12000)
        spouse_born = head_born + timedelta(days=400)
        child_born = date(2005 + i % 10, 1 + i % 12, 1 + i % 28)
        common = {"household_id": hid, "region": region, "status_history": history}
        yield _row(
            **common,
            member_id=f"{hid}-1",
            name="王建国",
            sex="male",
            birth_date=head_born.isoformat(),
            resident_id=_resident_id(place, head_born, serial),
            relation="head",
            employment="migrant_worker",
            phone="13900000001",
        )
        yield _row(
            **common,
            member_id=f"{hid}-2",
            name="李秀英",
            sex="female",
            birth_date=spouse_born.isoformat(),
            resident_id=_resident_id(place, spouse_born, serial),
            relation="spouse",
            health_condition="chronic_illness" if i % 5 == 0 else "healthy",
            disability_grade="3" if i % 11 == 0 else "",
            employment="farming",
        )
        yield _row(
            **common,
            member_id=f"{hid}-3",
            name="王磊",
            sex="male",
            birth_date=child_born.isoformat(),
            resident_id=_resident_id(place, child_born, serial),
            relation="child",
            school_level="primary",
            school_year_of_entry=str(child_born.year + 6),
            employment="student",
        )


def write_households_csv(path: Path, households: int) -> None:
    """Write ``households`` households (three members each) as the import CSV."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(household_rows(households))
