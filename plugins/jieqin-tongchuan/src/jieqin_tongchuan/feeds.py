"""The city medical-insurance settlement feed (医保结算): what patients paid themselves.

The medical insurance bureau (医疗保障局) exports one CSV row per settlement: its
serial number, the patient's resident ID number, the settlement day, the total cost
and what the patient paid out of pocket. Each row of a patient who belongs to a
household of the campaign becomes a ``medical`` observation of the settlement's month
(the amount paid out of pocket); a row of anyone else is counted and dropped. The
file covers everyone the bureau serves, so most rows are not the campaign's.

Medical expenditure is a health fact: jieqin masks it in every output, and this
reader's errors never repeat an amount or a resident ID number.

Columns (Chinese or English headers)::

    结算流水号 settlement_id   the bureau's record id (the feed's record id)
    身份证号   resident_id     the patient's resident ID number
    结算日期   settled_on      YYYY-MM-DD
    医疗总费用 total_cost      yuan (read, not kept)
    个人自付   out_of_pocket   yuan, not negative
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from jieqin import (
    FeedContext,
    InvalidInput,
    Month,
    Observation,
    ObservationKind,
    ObservationSource,
    validate_resident_id,
)
from jieqin.errors import InvalidValue, Problem

__all__ = ["COLUMNS", "MEDICAL_SETTLEMENT", "read_medical_settlements"]

#: The feed's name.
MEDICAL_SETTLEMENT = "tc_medical_settlement"

#: Column -> its Chinese header.
COLUMNS = {
    "settlement_id": "结算流水号",
    "resident_id": "身份证号",
    "settled_on": "结算日期",
    "total_cost": "医疗总费用",
    "out_of_pocket": "个人自付",
}
_BY_HEADER = {**{v: k for k, v in COLUMNS.items()}, **{k: k for k in COLUMNS}}
_REQUIRED = ("settlement_id", "resident_id", "settled_on", "out_of_pocket")


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise InvalidInput([Problem("the file is empty", source=path.name)])
        names = [_BY_HEADER.get(h.strip(), h.strip()) for h in header]
        missing = [COLUMNS[c] for c in _REQUIRED if c not in names]
        if missing:
            raise InvalidInput(
                [Problem(f"missing column(s) {', '.join(missing)}", source=path.name, line=1)]
            )
        for line, cells in enumerate(reader, start=2):
            if any(c.strip() for c in cells):
                yield line, {n: c.strip() for n, c in zip(names, cells, strict=False)}


def _money(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise InvalidValue("is not an amount in yuan") from None
    if not value.is_finite() or value < 0:
        raise InvalidValue(
            "must be an amount of at least 0 (a reversal is delivered as a correction of "
            "the settlement it reverses)"
        )
    return value


def read_medical_settlements(path: Path, context: FeedContext) -> list[Observation]:
    """The settlements of ``path`` as ``medical`` observations (see the module)."""
    problems: list[Problem] = []
    parsed: list[tuple[int, str, str, date, Decimal]] = []
    for line, row in _rows(path):
        column = "settlement_id"
        try:
            record = row.get("settlement_id", "")
            if not record:
                raise InvalidValue("is empty")
            column = "resident_id"
            resident = validate_resident_id(row.get("resident_id", ""), field=COLUMNS[column])
            column = "settled_on"
            try:
                day = date.fromisoformat(row.get("settled_on", ""))
            except ValueError:
                raise InvalidValue("is not a day (YYYY-MM-DD)") from None
            column = "out_of_pocket"
            amount = _money(row.get("out_of_pocket", ""))
        except InvalidValue as exc:
            problems.append(Problem(exc.reason, field=COLUMNS[column], source=path.name, line=line))
            continue
        parsed.append((line, record, resident, day, amount))
    if problems:
        raise InvalidInput(problems)
    members = context.members(r[2] for r in parsed)
    out: list[Observation] = []
    for _line, record, resident, day, amount in parsed:
        found = members.get(resident)
        if found is None:
            context.unmatched()
            continue
        household_id, member_id = found
        out.append(
            Observation(
                observation_id=context.observation_id(record),
                household_id=household_id,
                kind=ObservationKind.MEDICAL,
                period=Month(day.year, day.month),
                amount=amount,
                source=ObservationSource.FEED,
                recorded_on=context.recorded_on,
                member_id=member_id,
                feed=context.feed,
                feed_record=record,
            )
        )
    return out
