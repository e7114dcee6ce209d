"""The warning rules' read on a SQL backend: the database sums the observations.

The monitoring facts read a few sums per household (income over the twelve months,
over the evaluated period and the one before; medical expenditure over the twelve
months; whether an event was observed: :func:`jieqin.rules.observations.needed`).
Here one query computes them for every household, with its region and its number
of current members, in household order; the rows become numpy columns and an
:class:`~jieqin.rules.observations.ObservationTable` built
:meth:`~jieqin.rules.observations.ObservationTable.from_sums`. An observation counts
for a window when its whole period lies inside it: the periods that do are listed
(months, quarters, years), so the database compares period codes, not dates.

When an amount the sums need is sealed (encryption at rest keeps a medical amount
only sealed), :func:`read` returns ``None`` and the caller reads the observations as
records, unsealed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from jieqin.model import Month, Quarter, Year
from jieqin.rules.facts import Context, Population
from jieqin.rules.observations import INCOME, MEDICAL, ObservationTable, needed

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = ["periods_between", "periods_inside", "read"]


def _month(index: int) -> Month:
    return Month(index // 12, index % 12 + 1)


def periods_inside(lo: int, hi: int) -> list[str]:
    """The codes of the months, quarters and years wholly inside months ``lo..hi``."""
    out = [str(_month(m)) for m in range(lo, hi + 1)]
    for m in range(lo, hi + 1):
        if m % 3 == 0 and m + 2 <= hi:
            out.append(str(Quarter(m // 12, m % 12 // 3 + 1)))
        if m % 12 == 0 and m + 11 <= hi:
            out.append(str(Year(m // 12)))
    return out


def periods_between(since: int, hi: int) -> list[str]:
    """The codes of the periods ending on day ``since`` (an ordinal) or later and
    starting by month ``hi``."""
    day = date.fromordinal(since)
    first = day.year * 12 + day.month - 1
    out = []
    for year in range(day.year, hi // 12 + 1):
        if year * 12 <= hi and date(year, 12, 31).toordinal() >= since:
            out.append(str(Year(year)))
        for q in range(4):
            start = year * 12 + 3 * q
            quarter = Quarter(year, q + 1)
            if start <= hi and quarter.end.toordinal() >= since:
                out.append(str(quarter))
    out.extend(str(_month(m)) for m in range(first, hi + 1))
    return out


def _in(column: str, values: Sequence[str], names: dict[str, Any], prefix: str) -> str:
    if not values:
        return "1 = 0"
    keys = []
    for i, value in enumerate(values):
        key = f"{prefix}{i}"
        names[key] = value
        keys.append(f":{key}")
    return f"{column} IN ({', '.join(keys)})"


_MONTHS = "CASE length(o.period) WHEN 7 THEN 1 WHEN 6 THEN 3 ELSE 12 END"


def read(
    uow: UnitOfWork, context: Context, *, statuses: bool = False
) -> tuple[Population, ObservationTable] | None:
    """Every household as a one-row-per-household population and the sums its facts
    read in ``context``; ``None`` when ``uow`` is not a SQL unit of work or an amount
    is sealed. ``statuses``: read the status histories too (for rules that read them)."""
    from jieqin.storage.sql.backend import SqlUnitOfWork

    if not isinstance(uow, SqlUnitOfWork):
        return None
    windows, events = needed(context)
    names: dict[str, Any] = {}
    columns = []
    everything: set[str] = set()
    for n, (kind, lo, hi) in enumerate(windows):
        inside = periods_inside(lo, hi)
        everything.update(inside)
        names[f"k{n}"] = kind
        test = f"o.kind = :k{n} AND {_in('o.period', inside, names, f'w{n}_')}"
        columns.append(f"SUM(CASE WHEN {test} THEN o.amount_fen ELSE 0 END) AS s{n}")
        columns.append(f"SUM(CASE WHEN {test} THEN {_MONTHS} ELSE 0 END) AS m{n}")
    for n, (kinds, since, hi) in enumerate(events):
        between = periods_between(since, hi)
        everything.update(between)
        kind_test = _in("o.kind", sorted(kinds), names, f"e{n}k")
        period_test = _in("o.period", between, names, f"e{n}p")
        columns.append(f"MAX(CASE WHEN {kind_test} AND {period_test} THEN 1 ELSE 0 END) AS e{n}")
    # a sealed amount among the rows read: the caller reads them as records instead
    columns.append("SUM(CASE WHEN o.amount_fen IS NULL THEN 1 ELSE 0 END) AS sealed")
    kinds_read = sorted({INCOME, MEDICAL} | set().union(*(k for k, _, _ in events)))
    where = (
        _in("o.kind", kinds_read, names, "r")
        + " AND "
        + _in("o.period", sorted(everything), names, "p")
    )
    sums = f"SELECT o.household_id, {', '.join(columns)} FROM observations o WHERE {where} GROUP BY o.household_id"
    query = (
        "SELECT h.household_id, h.region, "
        "(SELECT COUNT(*) FROM household_members m WHERE m.household_id = h.household_id "
        "AND m.departed_on IS NULL) AS size, s.* "
        f"FROM households h LEFT JOIN ({sums}) s ON s.household_id = h.household_id "
        "ORDER BY h.household_id"
    )
    rows = uow.connection.execute(sa.text(query), names).fetchall()
    n_windows = len(windows)
    if not rows:
        data: list[Sequence[Any]] = [[] for _ in range(3 + 1 + 2 * n_windows + len(events) + 1)]
    else:
        data = list(zip(*rows, strict=True))
    household_ids = tuple(data[0])
    region_of = data[1]
    size = np.asarray(data[2], dtype=np.int32)

    def column(i: int, dtype: Any) -> Any:
        values = data[4 + i]
        return np.fromiter((v or 0 for v in values), dtype=dtype, count=len(values))

    if column(2 * n_windows + len(events), np.int64).any():
        return None
    window_sums = {
        key: (column(2 * n, np.int64), column(2 * n + 1, np.int64)) for n, key in enumerate(windows)
    }
    event_hits = {key: column(2 * n_windows + n, np.int64) > 0 for n, key in enumerate(events)}
    regions = tuple(sorted(set(region_of)))
    code = {r: i for i, r in enumerate(regions)}
    household_region = np.fromiter(
        (code[r] for r in region_of), dtype=np.int32, count=len(region_of)
    )
    population = _population(uow, household_ids, size, regions, household_region, statuses)
    table = ObservationTable.from_sums(household_ids, window_sums, event_hits)
    return population, table


def _population(
    uow: Any,
    household_ids: tuple[str, ...],
    size: Any,
    regions: tuple[str, ...],
    household_region: Any,
    statuses: bool,
) -> Population:
    """One row per household; the member columns are the defaults (warning rules read
    household facts only), the status history read when asked for."""
    n = len(household_ids)
    zeros = np.zeros(n, dtype=np.int32)
    if statuses:
        history = uow.connection.execute(
            sa.text(
                "SELECT household_id, status, since FROM household_status "
                "ORDER BY household_id, position"
            )
        ).fetchall()
        codes = tuple(sorted({r[1] for r in history}))
        status_code = {s: i for i, s in enumerate(codes)}
        index = {h: i for i, h in enumerate(household_ids)}
        rows = np.asarray([index[r[0]] for r in history], dtype=np.int64)
        since = [r[2] if isinstance(r[2], date) else date.fromisoformat(r[2]) for r in history]
        history_since = [d.toordinal() for d in since]
        history_status = [status_code[r[1]] for r in history]
        history_start = np.searchsorted(rows, np.arange(n))
    else:
        codes = ("unknown",)
        history_since = [1] * n
        history_status = [0] * n
        history_start = np.arange(n)
    return Population.from_arrays(
        member_ids=household_ids,
        household_ids=household_ids,
        member_household=np.arange(n),
        birth_year=zeros,
        birth_mmdd=zeros,
        sex=zeros,
        relation=zeros,
        health=zeros,
        disability_grade=zeros,
        school_level=zeros,
        year_of_entry=zeros,
        employment=zeros,
        household_size=size,
        history_since=history_since,
        history_status=history_status,
        history_start=history_start,
        status_codes=codes,
        region_codes=regions,
        household_region=household_region,
    )
