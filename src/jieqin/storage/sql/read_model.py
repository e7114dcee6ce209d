"""The SQL backend's read model: what reports and the overdue scan read, kept by the storage.

Three parts, each in its own module and written once in SQLAlchemy Core for SQLite
and PostgreSQL:

- :mod:`~jieqin.storage.sql.tallies`: activities, needs, referrals and grants
  counted per month, county and codes (the report's figures);
- :mod:`~jieqin.storage.sql.spans`: who was paired when (the report's helpers and
  households);
- :mod:`~jieqin.storage.sql.follow_up`: every pairing with its household's latest
  duty days (the overdue scan).

No trigger keeps them. The repositories call the functions below in the same
transaction (and savepoint) as each batch they write, with the batch's stored
records before the write (``old``) and the records written (``new``); each function
runs a few set-based statements for the batch (pairings only added extend their
spans; activities only added raise their households' days; a replacement recounts
the ids it touched). :func:`rebuild` counts everything
again from the rows (after a migration, or to repair), and the stateful tests prove
the kept tables equal to that count after any sequence of writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from jieqin.model import Activity, Pairing
from jieqin.storage.sql import follow_up, spans, tallies
from jieqin.storage.sql.tables import GRIEVANCES, HOUSEHOLDS, METADATA, STATUS_HISTORY

if TYPE_CHECKING:
    from jieqin.activities.overdue import FollowUpArrays
    from jieqin.storage.base import (
        ActivityKey,
        EliminationKey,
        GrantKey,
        GrievanceKey,
        MonitoredKey,
        NeedKey,
        PaymentKey,
        WarningKey,
    )

__all__ = [
    "READ_MODEL_STATE",
    "READ_MODEL_VERSION",
    "SqlReadModel",
    "activities_replacing",
    "activities_written",
    "counted_replacing",
    "counted_written",
    "is_current",
    "pairings_written",
    "rebuild",
    "relabelled",
    "relabelling",
]

#: The version of the read model's layout; a database whose read model was built
#: for another is refused until ``jieqin db upgrade`` rebuilds it.
READ_MODEL_VERSION = 3

READ_MODEL_STATE = sa.Table(
    "read_model_state",
    METADATA,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)
"""One row, ``name='read_model'``: the version the kept tables were last built for."""


class SqlReadModel:
    """The :class:`~jieqin.storage.base.ReadModel` of a SQL unit of work."""

    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    @property
    def _conn(self) -> sa.Connection:
        return self._connection()

    def helpers(self, first: date, last: date) -> dict[tuple[str, str], int]:
        return spans.paired(self._conn, "helper", first, last)

    def households(self, first: date, last: date) -> dict[str, int]:
        return {
            county: n
            for (county, _), n in spans.paired(self._conn, "household", first, last).items()
        }

    def activities(self, first: date, last: date) -> dict[ActivityKey, int]:
        rows = tallies.counts(self._conn, "activities", first, last, by_month=True)
        return {(month, county, kind, tier): int(n) for month, county, kind, tier, n in rows}

    def needs(self, first: date, last: date) -> dict[NeedKey, int]:
        rows = tallies.counts(self._conn, "needs", first, last)
        return {(county, kind, route): int(n) for county, kind, route, n in rows}

    def referrals(self, first: date, last: date) -> dict[tuple[str, str], int]:
        rows = tallies.counts(self._conn, "referrals", first, last)
        return {(county, agency): int(n) for county, agency, _, n in rows}

    def grants(self, first: date, last: date) -> dict[GrantKey, tuple[int, Decimal]]:
        return tallies.grants(self._conn, first, last)

    def payments(self, first: date, last: date) -> dict[PaymentKey, tuple[int, Decimal]]:
        return tallies.payments(self._conn, first, last)

    def grievances(self, first: date, last: date) -> dict[GrievanceKey, int]:
        return grievance_counts(self._conn, first, last)

    def monitored_households(
        self, first: date, last: date, monitored: frozenset[str]
    ) -> dict[MonitoredKey, int]:
        return monitored_counts(self._conn, first, last, monitored)

    def warnings(self, first: date, last: date) -> dict[WarningKey, int]:
        return warning_counts(self._conn, first, last)

    def eliminations(self, first: date, last: date) -> dict[EliminationKey, int]:
        return elimination_counts(self._conn, first, last)

    def latest_activity_day(self) -> date | None:
        return follow_up.latest_activity_day(self._conn)

    def follow_up(
        self, as_of: date, kind_sets: Iterable[frozenset[str]], monitored: frozenset[str]
    ) -> FollowUpArrays:
        return follow_up.follow_up_arrays(self._conn, as_of, kind_sets, monitored)


def grievance_counts(conn: sa.Connection, first: date, last: date) -> dict[GrievanceKey, int]:
    """Grievances received in the range by county, category and answer, counted in the
    database from their rows (one grouped query over ``received_on``'s index): a
    grievance's answer changes as it moves on, and a year holds few, so no tally is
    kept for them."""
    g, h = GRIEVANCES, HOUSEHOLDS
    county = sa.func.coalesce(sa.func.substr(h.c.region, 1, 6), tallies.UNKNOWN)
    answer = sa.case(
        (g.c.answered_on.is_(None), "unanswered"),
        (g.c.answered_on <= g.c.due_on, "on_time"),
        else_="late",
    )
    query = (
        sa.select(county, g.c.category, answer, sa.func.count())
        .select_from(g.outerjoin(h, h.c.household_id == g.c.household_id))
        .where(g.c.received_on.between(first, last))
        .group_by(county, g.c.category, answer)
    )
    return {(str(c), str(k), str(a)): int(n) for c, k, a, n in conn.execute(query)}


def _county(h: sa.Table) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(sa.func.substr(h.c.region, 1, 6), tallies.UNKNOWN)


def monitored_counts(
    conn: sa.Connection, first: date, last: date, monitored: frozenset[str]
) -> dict[MonitoredKey, int]:
    """Households monitored on a day of the range, by county, their last monitored
    status in the range and whether they still had one on its last day. Read from
    the status histories of the households that ever had a monitored status (a few
    in a hundred), each history in order, and counted as the memory backends count."""
    from jieqin.storage.counted import last_monitored

    if not monitored:
        return {}
    s, h = STATUS_HISTORY, HOUSEHOLDS
    ever = sa.select(s.c.household_id).where(s.c.status.in_(sorted(monitored)))
    query = (
        sa.select(s.c.household_id, _county(h), s.c.status, s.c.since)
        .select_from(s.join(h, h.c.household_id == s.c.household_id))
        .where(s.c.household_id.in_(ever.scalar_subquery()))
        .order_by(s.c.household_id, s.c.position)
    )
    histories: dict[str, tuple[str, list[tuple[str, date]]]] = {}
    for household_id, county, status, since in conn.execute(query):
        histories.setdefault(str(household_id), (str(county), []))[1].append((str(status), since))
    out: dict[MonitoredKey, int] = {}
    for county, history in histories.values():
        category = last_monitored(history, first, last, monitored)
        if category is None:
            continue
        on_last = [status for status, since in history if since <= last]
        at_end = "at_end" if on_last and on_last[-1] in monitored else "left"
        key = (county, category, at_end)
        out[key] = out.get(key, 0) + 1
    return out


def _table(name: str) -> sa.Table | None:
    return METADATA.tables.get(name)


def warning_counts(conn: sa.Connection, first: date, last: date) -> dict[WarningKey, int]:
    """Warnings raised in the range by county, home check and outcome, counted in the
    database from their rows (one grouped query over ``raised_on``): a warning moves
    on after it is raised, and a year holds few, so no tally is kept for them."""
    w = _table("risk_warnings")
    if w is None:
        return {}
    h = HOUSEHOLDS
    check = sa.case(
        (w.c.checked_on.is_(None), "unchecked"),
        (w.c.checked_on <= w.c.check_due, "on_time"),
        else_="late",
    )
    outcome = sa.case(
        (w.c.status.in_(("confirmed", "dismissed")), w.c.status),
        else_="open",
    )
    county = _county(h)
    query = (
        sa.select(county, check, outcome, sa.func.count())
        .select_from(w.outerjoin(h, h.c.household_id == w.c.household_id))
        .where(w.c.raised_on.between(first, last))
        .group_by(county, check, outcome)
    )
    return {(str(c), str(k), str(o)): int(n) for c, k, o, n in conn.execute(query)}


def elimination_counts(conn: sa.Connection, first: date, last: date) -> dict[EliminationKey, int]:
    """Eliminations committed in the range, by county and the category left."""
    e = _table("eliminations")
    if e is None:
        return {}
    h = HOUSEHOLDS
    county = _county(h)
    query = (
        sa.select(county, e.c.from_status, sa.func.count())
        .select_from(e.outerjoin(h, h.c.household_id == e.c.household_id))
        .where(e.c.status == "committed", e.c.committed_on.between(first, last))
        .group_by(county, e.c.from_status)
    )
    return {(str(c), str(f)): int(n) for c, f, n in conn.execute(query)}


# -- maintenance, called by the repositories -------------------------------------------


def activities_replacing(conn: sa.Connection, old: Sequence[Activity]) -> None:
    """Before stored activities are replaced: take them off the tallies."""
    if old:
        tallies.count(conn, "activities", tallies.entries("activities", old), -1)


def activities_written(
    conn: sa.Connection, old: Sequence[Activity], new: Sequence[Activity]
) -> None:
    """After activities were written: count them, and follow their households' days
    (a voided activity counts in neither; voiding one recounts its household)."""
    tallies.count(conn, "activities", tallies.entries("activities", new), 1)
    if old:
        follow_up.recount_days(conn, {a.household_id for a in (*old, *new)})
    else:
        follow_up.raise_days(
            conn, ((a.household_id, a.kind, a.on) for a in new if a.voided_on is None)
        )


def counted_replacing(conn: sa.Connection, figure: str, old: Sequence[Any]) -> None:
    """Before stored needs, referrals or grants are replaced: take them off the tallies."""
    if old:
        tallies.count(conn, figure, tallies.entries(figure, old), -1)


def counted_written(conn: sa.Connection, figure: str, new: Sequence[Any]) -> None:
    """After needs, referrals or grants were written: count them."""
    if new:
        tallies.count(conn, figure, tallies.entries(figure, new), 1)


def pairings_written(conn: sa.Connection, old: Sequence[Pairing], new: Sequence[Pairing]) -> None:
    """After pairings were written (or ended): their spans and follow-up rows."""
    if old:
        spans.recount(
            conn,
            households={p.household_id for p in (*old, *new)},
            helpers={p.helper_id for p in (*old, *new)},
        )
    else:
        spans.extend(conn, ((p.household_id, p.helper_id, p.start, p.end) for p in new))
    follow_up.write_pairings(
        conn, [(p.household_id, p.helper_id, p.start, p.end) for p in new], replacing=bool(old)
    )


def relabelling(
    conn: sa.Connection, *, households: Sequence[str] = (), helpers: Sequence[str] = ()
) -> None:
    """Before households move county (helpers change tier or county): take their
    records off the tallies, under the labels they had."""
    tallies.remove_for(conn, households=households, helpers=helpers)


def relabelled(
    conn: sa.Connection, *, households: Sequence[str] = (), helpers: Sequence[str] = ()
) -> None:
    """After: count their records again under the new labels, and their spans."""
    tallies.add_for(conn, households=households, helpers=helpers)
    spans.recount(conn, households=households, helpers=helpers)


# -- the whole of it -----------------------------------------------------------------


def rebuild(conn: sa.Connection) -> None:
    """Count the whole read model again from the rows, and mark it current."""
    tallies.rebuild(conn)
    spans.rebuild(conn)
    follow_up.rebuild(conn)
    state = READ_MODEL_STATE
    conn.execute(state.delete())
    conn.execute(state.insert().values(name="read_model", version=READ_MODEL_VERSION))


def is_current(conn: sa.Connection) -> bool:
    """Whether the kept tables were built for this jieqin's read model."""
    state = READ_MODEL_STATE
    version: Any = conn.execute(
        sa.select(state.c.version).where(state.c.name == "read_model")
    ).scalar()
    return bool(version == READ_MODEL_VERSION)
