"""Every pairing with its household's latest duty days: what the overdue scan reads.

``pairing_follow_up`` has one row per pairing (its ids, span and start as a day
number) carrying its household's latest day of each standing duty (contact, visit,
policy explanation, warmth, practical help) and ``any_duty_day``, the latest of
them. The overdue scan of a million pairings then reads one table in key order,
household then helper, with no join and nothing to sort. Other activity kinds (a
plugin's) keep their latest day per household in ``activity_latest``.

The storage keeps both in the same transaction as the writes they follow,
set-based per batch: new activities raise their households' days
(:func:`raise_days`), corrected ones recount their households from the activities
(:func:`recount_days`), written pairings get their rows (:func:`write_pairings`).
A voided activity counts nowhere here: voiding one recounts its household, whose
days fall back to its latest activities that stand.
"""

from __future__ import annotations

import operator
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from itertools import islice, repeat
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from jieqin.errors import StorageError
from jieqin.model.people import HealthCondition
from jieqin.model.vocab import ActivityKind
from jieqin.storage.sql.bulk import bulk_insert
from jieqin.storage.sql.functions import (
    among,
    concatenated,
    day_number,
    greatest,
    insert_for,
    run_many,
)
from jieqin.storage.sql.tables import (
    ACTIVITIES,
    CODE,
    ID,
    MEMBERS,
    METADATA,
    PAIRINGS,
    STATUS_HISTORY,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from jieqin.activities.overdue import FollowUpArrays

__all__ = [
    "ACTIVITY_LATEST",
    "DUTIES",
    "PAIRING_FOLLOW_UP",
    "follow_up_arrays",
    "latest_activity_day",
    "raise_days",
    "rebuild",
    "recount_days",
    "write_pairings",
]

#: The five standing duties, each with a column in ``pairing_follow_up``.
DUTIES: tuple[str, ...] = tuple(kind.value for kind in ActivityKind)
_DAYS = tuple(f"{kind}_day" for kind in DUTIES)
_CHUNK = 5000

#: The activities that count: a voided one is kept but counts as no contact at all.
_STANDING = ACTIVITIES.c.voided_on.is_(None)

PAIRING_FOLLOW_UP = sa.Table(
    "pairing_follow_up",
    METADATA,
    sa.Column("household_id", ID, primary_key=True),
    sa.Column("helper_id", ID, primary_key=True),
    sa.Column("start", sa.Date, primary_key=True),
    sa.Column("end", sa.Date),
    sa.Column("start_day", sa.Integer, nullable=False),
    *(sa.Column(day, sa.Integer) for day in _DAYS),
    sa.Column("any_duty_day", sa.Integer),
    sqlite_with_rowid=False,
)
"""One row per pairing: its span, ``start_day`` (``date.toordinal()`` of its start),
its household's latest day of each standing duty and ``any_duty_day``, the latest
of them (``NULL``: none)."""

ACTIVITY_LATEST = sa.Table(
    "activity_latest",
    METADATA,
    sa.Column("household_id", ID, primary_key=True),
    sa.Column("kind", CODE, primary_key=True),
    sa.Column("last_on", sa.Date, nullable=False),
    sqlite_with_rowid=False,
)
"""The latest day per household of each activity kind that is not a standing duty."""

#: A household's latest day (ordinal) of each duty, in ``DUTIES`` order (``None``: none).
Days = tuple[int | None, ...]
_NONE: Days = (None,) * len(DUTIES)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _latest(days: Days) -> int | None:
    return max((d for d in days if d is not None), default=None)


def _raise_statement() -> Any:
    """``UPDATE pairing_follow_up``: each of a household's days raised to the given one."""
    pf = PAIRING_FOLLOW_UP
    values: dict[str, Any] = {}
    for column in (*_DAYS, "any_duty_day"):
        given = sa.bindparam(f"n_{column}", type_=sa.Integer)
        current = pf.c[column]
        values[column] = sa.case((given > sa.func.coalesce(current, 0), given), else_=current)
    return pf.update().where(pf.c.household_id == sa.bindparam("h")).values(values)


def _set_statement() -> Any:
    pf = PAIRING_FOLLOW_UP
    values = {
        column: sa.bindparam(f"n_{column}", type_=sa.Integer) for column in (*_DAYS, "any_duty_day")
    }
    return pf.update().where(pf.c.household_id == sa.bindparam("h")).values(values)


_RAISE = _raise_statement()
_SET = _set_statement()


def _parameters(household_id: str, days: Days) -> dict[str, Any]:
    values: dict[str, Any] = {"h": household_id, "n_any_duty_day": _latest(days)}
    values.update({f"n_{column}": day for column, day in zip(_DAYS, days, strict=True)})
    return values


def _later_kinds(
    conn: sa.Connection, latest: dict[tuple[str, str], date], *, replace: bool
) -> None:
    """Upsert ``activity_latest``: the later day wins, or the given one if ``replace``."""
    if not latest:
        return
    t = ACTIVITY_LATEST
    insert = insert_for(conn, t)
    given = insert.excluded.last_on
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=["household_id", "kind"],
            set_={
                "last_on": given
                if replace
                else sa.case((given > t.c.last_on, given), else_=t.c.last_on)
            },
        ),
        [{"household_id": h, "kind": k, "last_on": d} for (h, k), d in latest.items()],
    )


def raise_days(conn: sa.Connection, activities: Iterable[tuple[str, str, date]]) -> None:
    """New activities ``(household_id, kind, on)``: raise their households' latest days."""
    duty = {kind: i for i, kind in enumerate(DUTIES)}
    per_household: dict[str, list[int | None]] = {}
    others: dict[tuple[str, str], date] = {}
    for household_id, kind, on in activities:
        slot = duty.get(kind)
        if slot is None:
            key = (household_id, kind)
            if key not in others or others[key] < on:
                others[key] = on
            continue
        days = per_household.setdefault(household_id, [None] * len(DUTIES))
        day = on.toordinal()
        current = days[slot]
        if current is None or current < day:
            days[slot] = day
    if per_household:
        run_many(conn, _RAISE, [_parameters(h, tuple(days)) for h, days in per_household.items()])
    _later_kinds(conn, others, replace=False)


def household_days(conn: sa.Connection, household_ids: Sequence[str]) -> dict[str, Days]:
    """Each household's latest day of each duty, counted from its activities."""
    a = ACTIVITIES
    day = day_number(a.c.on)
    out: dict[str, Days] = {}
    for chunk in _chunks(household_ids):
        query = (
            sa.select(
                a.c.household_id, *(sa.func.max(sa.case((a.c.kind == k, day))) for k in DUTIES)
            )
            .where(among(conn, a.c.household_id, chunk), a.c.kind.in_(DUTIES), _STANDING)
            .group_by(a.c.household_id)
        )
        for household_id, *days in conn.execute(query):
            out[household_id] = tuple(None if d is None else int(d) for d in days)
    return out


def _kept_days(conn: sa.Connection, household_ids: Sequence[str]) -> dict[str, Days]:
    """Each household's latest duty days as its other follow-up rows carry them (every
    row of a household carries the same), counted from the activities for a household
    with no row yet."""
    pf = PAIRING_FOLLOW_UP
    out: dict[str, Days] = {}
    for chunk in _chunks(household_ids):
        query = sa.select(pf.c.household_id, *(pf.c[d] for d in _DAYS)).where(
            among(conn, pf.c.household_id, chunk)
        )
        for household_id, *kept in conn.execute(query).all():
            out[household_id] = tuple(kept)
    rest = [h for h in household_ids if h not in out]
    if rest:
        out.update(household_days(conn, rest))
    return out


def recount_days(conn: sa.Connection, household_ids: Iterable[str]) -> None:
    """Corrected activities: count these households' latest days again from the activities."""
    ids = sorted(set(household_ids))
    if not ids:
        return
    days = household_days(conn, ids)
    run_many(conn, _SET, [_parameters(h, days.get(h, _NONE)) for h in ids])
    a, t = ACTIVITIES, ACTIVITY_LATEST
    latest: dict[tuple[str, str], date] = {}
    for chunk in _chunks(ids):
        conn.execute(t.delete().where(among(conn, t.c.household_id, chunk)))
        query = (
            sa.select(a.c.household_id, a.c.kind, sa.func.max(a.c.on))
            .where(among(conn, a.c.household_id, chunk), a.c.kind.not_in(DUTIES), _STANDING)
            .group_by(a.c.household_id, a.c.kind)
        )
        latest.update({(h, k): d for h, k, d in conn.execute(query)})
    _later_kinds(conn, latest, replace=True)


def write_pairings(
    conn: sa.Connection,
    pairings: Sequence[tuple[str, str, date, date | None]],
    *,
    replacing: bool,
) -> None:
    """Written pairings ``(household_id, helper_id, start, end)`` get their rows, with
    their households' latest days; ``replacing``: rows for these keys may exist."""
    if not pairings:
        return
    pf = PAIRING_FOLLOW_UP
    if replacing:
        key = sa.and_(
            pf.c.household_id == sa.bindparam("k_h"),
            pf.c.helper_id == sa.bindparam("k_p"),
            pf.c.start == sa.bindparam("k_s"),
        )
        conn.execute(
            pf.delete().where(key), [{"k_h": h, "k_p": p, "k_s": s} for h, p, s, _ in pairings]
        )
    days = _kept_days(conn, sorted({h for h, _, _, _ in pairings}))
    rows = []
    for household_id, helper_id, start, end in pairings:
        household = days.get(household_id, _NONE)
        row: dict[str, Any] = {
            "household_id": household_id,
            "helper_id": helper_id,
            "start": start,
            "end": end,
            "start_day": start.toordinal(),
            "any_duty_day": _latest(household),
        }
        row.update(zip(_DAYS, household, strict=True))
        rows.append(row)
    bulk_insert(conn, pf, rows)


def rebuild(conn: sa.Connection) -> None:
    """Fill both tables again from the pairings and the activities, set-based: one
    pass over the activities groups each household's latest duty days, joined to
    every pairing (per household lookups would read ten million activities at
    random)."""
    conn.execute(PAIRING_FOLLOW_UP.delete())
    conn.execute(ACTIVITY_LATEST.delete())
    a, p, pf = ACTIVITIES, PAIRINGS, PAIRING_FOLLOW_UP
    day = day_number(a.c.on)
    days = (
        sa.select(
            a.c.household_id,
            *(sa.func.max(sa.case((a.c.kind == k, day))).label(f"{k}_day") for k in DUTIES),
            sa.func.max(day).label("any_duty_day"),
        )
        .where(a.c.kind.in_(DUTIES), _STANDING)
        .group_by(a.c.household_id)
        .subquery("days")
    )
    rows = sa.select(
        p.c.household_id,
        p.c.helper_id,
        p.c.start,
        p.c.end,
        day_number(p.c.start),
        *(days.c[column] for column in _DAYS),
        days.c.any_duty_day,
    ).select_from(p.outerjoin(days, days.c.household_id == p.c.household_id))
    columns = ["household_id", "helper_id", "start", "end", "start_day", *_DAYS, "any_duty_day"]
    conn.execute(pf.insert().from_select(columns, rows))
    latest = {
        (h, k): d
        for h, k, d in conn.execute(
            sa.select(a.c.household_id, a.c.kind, sa.func.max(a.c.on))
            .where(a.c.kind.not_in(DUTIES), _STANDING)
            .group_by(a.c.household_id, a.c.kind)
        )
    }
    _later_kinds(conn, latest, replace=True)


# -- the overdue scan ----------------------------------------------------------------


def latest_activity_day(conn: sa.Connection) -> date | None:
    """The day of the latest activity on record that was not voided, read down the
    index on the day to the first row that stands."""
    a = ACTIVITIES
    query = sa.select(a.c.on).where(_STANDING).order_by(a.c.on.desc()).limit(1)
    value = conn.execute(query).scalar()
    return value if isinstance(value, date) or value is None else date.fromisoformat(str(value))


def _household_flags(
    conn: sa.Connection, as_of: date, monitored: Iterable[str]
) -> tuple[list[str], list[str], list[str]]:
    """Households with a major illness, with a disability, and under monitoring on ``as_of``.

    Each is read from an index alone (a few tens of thousands of ids in a million
    households), not from a scan of the members."""
    m, s = MEMBERS, STATUS_HISTORY
    current = m.c.departed_on.is_(None)
    # No DISTINCT: it would make SQLite walk a whole index in household order; a
    # household listed twice just sets its bit twice.
    ill = sa.select(m.c.household_id).where(
        m.c.health_condition == HealthCondition.MAJOR_ILLNESS.value, current
    )
    disabled = sa.select(m.c.household_id).where(m.c.disability_grade.is_not(None), current)
    later = s.alias("later")
    newer = (
        sa.select(sa.literal(1))
        .where(
            later.c.household_id == s.c.household_id,
            later.c.since > s.c.since,
            later.c.since <= as_of,
        )
        .exists()
    )
    statuses = sorted(monitored)
    under = sa.select(s.c.household_id).where(s.c.status.in_(statuses), s.c.since <= as_of, ~newer)
    return _ids(conn, ill), _ids(conn, disabled), _ids(conn, under) if statuses else []


#: Separates ids in a concatenated column (ids are letters, digits and ``_.:-``).
_ID_SEPARATOR = "\x1f"


def _ids(conn: sa.Connection, query: Any) -> list[str]:
    """The ids ``query`` selects, fetched as one concatenated string."""
    rows = query.subquery("ids")
    text = conn.execute(sa.select(concatenated(rows.c[0], _ID_SEPARATOR))).scalar()
    return [] if text is None else str(text).split(_ID_SEPARATOR)


def follow_up_arrays(
    conn: sa.Connection, as_of: date, kind_sets: Iterable[Iterable[str]], monitored: Iterable[str]
) -> FollowUpArrays:
    """Pairings in force on ``as_of`` with, per set of kinds, the latest activity day.

    One query over ``pairing_follow_up`` read in its key order, household then helper,
    so there is no join and nothing to sort; any other kind joins ``activity_latest``.
    Each set of kinds (one per cadence: "any duty", "a visit") becomes one column, the
    greatest of its kinds' days, so a million pairings cross over as a few concatenated
    columns. For a day before the newest activity, the latest days up to it are first
    aggregated from the activities in one pivoting ``GROUP BY``.
    """
    from jieqin.activities.overdue import FollowUpArrays

    sets = sorted({frozenset(s) for s in kind_sets}, key=sorted)
    pf = PAIRING_FOLLOW_UP
    newest = latest_activity_day(conn)
    current = newest is None or newest <= as_of
    joined, day_of = _day_columns(conn, as_of, sorted(set().union(*sets)), current)
    columns = [
        # The standing duties together (the default contact cadence) are kept reduced.
        sa.func.coalesce(pf.c.any_duty_day, 0)
        if current and s == set(DUTIES)
        else _greatest([day_of[kind] for kind in sorted(s)])
        for s in sets
    ]
    query = (
        sa.select(pf.c.household_id, pf.c.helper_id, pf.c.start_day, *columns)
        .select_from(joined)
        .where(pf.c.start <= as_of, sa.or_(pf.c.end.is_(None), pf.c.end >= as_of))
        # The key's order: nothing to sort. Its collation may not be Python's
        # (PostgreSQL sorts by locale), so the order is checked, and put right if not.
        .order_by(pf.c.household_id, pf.c.helper_id)
    )
    households, helpers, numbers = _in_id_order(*_concatenated_columns(conn, query, 1 + len(sets)))
    return FollowUpArrays(
        helper_ids=helpers,
        household_ids=households,
        start=numbers[0],
        facts=_facts(households, *_household_flags(conn, as_of, monitored)),
        last_by_kinds={s: numbers[1 + i] for i, s in enumerate(sets)},
        in_id_order=True,
    )


def _day_columns(
    conn: sa.Connection, as_of: date, kinds: list[str], current: bool
) -> tuple[Any, dict[str, Any]]:
    """What to join to ``pairing_follow_up``, and each kind's day column."""
    pf = PAIRING_FOLLOW_UP
    joined: Any = pf
    day_of: dict[str, Any] = {}
    if current:
        for i, kind in enumerate(kinds):
            if kind in DUTIES:
                day_of[kind] = sa.func.coalesce(pf.c[f"{kind}_day"], 0)
                continue
            latest = ACTIVITY_LATEST.alias(f"l{i}")
            joined = joined.outerjoin(
                latest, sa.and_(latest.c.household_id == pf.c.household_id, latest.c.kind == kind)
            )
            day_of[kind] = sa.func.coalesce(day_number(latest.c.last_on), 0)
        return joined, day_of
    if not kinds:
        return joined, day_of
    a = ACTIVITIES
    day = day_number(a.c.on)
    then = (
        sa.select(
            a.c.household_id,
            *(
                sa.func.max(sa.case((a.c.kind == kind, day))).label(f"k{i}")
                for i, kind in enumerate(kinds)
            ),
        )
        .where(a.c.on <= as_of, a.c.kind.in_(kinds), _STANDING)
        .group_by(a.c.household_id)
        .subquery("latest_then")
    )
    joined = joined.outerjoin(then, then.c.household_id == pf.c.household_id)
    return joined, {kind: sa.func.coalesce(then.c[f"k{i}"], 0) for i, kind in enumerate(kinds)}


def _greatest(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else greatest(*values)


Columns = tuple[list[str], list[str], "list[npt.NDArray[np.int64]]"]


def _concatenated_columns(conn: sa.Connection, query: Any, numbers: int) -> Columns:
    """The two id columns and ``numbers`` integer columns of ``query``, column-wise.

    The database concatenates each column into one string (``group_concat`` on
    SQLite, ``string_agg`` on PostgreSQL), which costs far less than a Python tuple
    per row and an object per cell: a million rows arrive as a few strings, split
    by ``str.split`` and parsed by numpy. No value may be ``NULL`` (the query
    coalesces them), or a column would come out short; the lengths are checked.
    """
    import numpy as np

    rows = query.subquery("follow_up_rows")
    texts: Any = conn.execute(
        sa.select(
            concatenated(rows.c[0], _ID_SEPARATOR),
            concatenated(rows.c[1], _ID_SEPARATOR),
            *(concatenated(rows.c[2 + i], ",") for i in range(numbers)),
        )
    ).one()
    if texts[0] is None:
        return [], [], [np.zeros(0, dtype=np.int64) for _ in range(numbers)]
    first, second = texts[0].split(_ID_SEPARATOR), texts[1].split(_ID_SEPARATOR)
    parsed = [np.fromstring(str(t), dtype=np.int64, sep=",") for t in texts[2:]]
    if any(len(column) != len(first) for column in (second, *parsed)):
        raise StorageError("the follow-up columns came back with different lengths")
    return first, second, parsed


def _facts(
    households: list[str], ill: list[str], disabled: list[str], monitored: list[str]
) -> npt.NDArray[np.int64]:
    """:attr:`HouseholdFacts.bits` per row, set from the (small) flagged lists.

    The rows are in household order, so each flagged household's first row is found
    by bisection; a household's further rows (rare) copy its first."""
    import numpy as np

    facts = np.zeros(len(households), dtype=np.int64)
    n = len(households)
    for bit, flagged in ((1, ill), (2, disabled), (4, monitored)):
        found = map(bisect_left, repeat(households), flagged)
        rows = [i for i, h in zip(found, flagged, strict=True) if i < n and households[i] == h]
        facts[np.array(rows, dtype=np.int64)] |= bit
    for i in _repeats(households):
        facts[i + 1] = facts[i]
    return facts


def _in_id_order(
    households: list[str], helpers: list[str], numbers: list[npt.NDArray[np.int64]]
) -> Columns:
    """The rows sorted by household id, then helper id, as Python compares strings.

    They normally arrive so (checked in C, in a few hundredths of a second for a
    million rows); a database whose collation sorts otherwise costs a sort here."""
    import numpy as np

    if all(map(operator.le, households, islice(households, 1, None))) and all(
        helpers[i] <= helpers[i + 1] for i in _repeats(households)
    ):
        return households, helpers, numbers
    order = sorted(range(len(households)), key=lambda i: (households[i], helpers[i]))
    index = np.array(order, dtype=np.int64)
    return (
        [households[i] for i in order],
        [helpers[i] for i in order],
        [column[index] for column in numbers],
    )


def _repeats(households: list[str]) -> list[int]:
    """The rows whose household is also the next row's (none, usually: checked in C)."""
    if all(map(operator.ne, households, islice(households, 1, None))):
        return []
    return [i for i in range(len(households) - 1) if households[i] == households[i + 1]]
