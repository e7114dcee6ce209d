"""Repositories over the Core tables: the SQL side of :mod:`jieqin.storage.base`.

Every write first passes the unit of work's write checks (:meth:`admit`), then runs
in a savepoint with the statements that keep the read model
(:mod:`jieqin.storage.sql.read_model`) and its audit entry, so a refused write (a
duplicate id, a second grant for a member in a programme period, a record naming
one that is not stored, a fund overspent) raises
:class:`~jieqin.errors.ConflictError` and leaves the unit of work usable with none
of that call's rows written.
"""

from __future__ import annotations

import builtins
import enum
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from itertools import groupby
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
import sqlalchemy as sa

from jieqin.errors import (
    ConflictError,
    FundClosed,
    GrantRevoked,
    NotFound,
    PaymentRefused,
    StorageError,
)
from jieqin.model import (
    Activity,
    Fund,
    FundChange,
    FundChangeKind,
    Grant,
    Handover,
    Helper,
    Household,
    Member,
    MemberMove,
    Pairing,
    RegionCode,
    Relation,
)
from jieqin.model.payments import PAYMENT_FIELDS, PaymentState
from jieqin.model.periods import Month, Quarter, Year
from jieqin.model.plans import RESERVING
from jieqin.privacy import mask_text
from jieqin.storage._common import (
    ENTITIES,
    GRANT_PAYMENTS,
    EntitySpec,
    check_filters,
    closed_message,
    describe,
    difference,
    handover_batch,
    paid_message,
    payment_changes,
    revoked_message,
    unique_by_key,
)
from jieqin.storage.base import AuditEntry, PairingKey
from jieqin.storage.rows import HouseholdRows, rows_of
from jieqin.storage.sql import encryption, mappers, read_model
from jieqin.storage.sql.audit import entry_from_row
from jieqin.storage.sql.bulk import bulk_insert, insert_values, upsert_values
from jieqin.storage.sql.functions import among
from jieqin.storage.sql.mappers import Row
from jieqin.storage.sql.tables import (
    ACTIVITIES,
    AUDIT_LOG,
    CONSENTS,
    DECISIONS,
    FUND_CHANGES,
    FUNDS,
    GRANTS,
    GRIEVANCES,
    HANDOVERS,
    HOUSEHOLDS,
    MEMBER_MOVES,
    MEMBERS,
    NEEDS,
    OBJECTIONS,
    OBSERVATIONS,
    PLAN_ITEMS,
    REFERRALS,
    STATUS_HISTORY,
    TABLES,
)

if TYPE_CHECKING:
    from jieqin.storage.sql.backend import SqlUnitOfWork

__all__ = ["AuditLogRepository", "SqlRepository", "repositories_for"]

T = TypeVar("T")

#: Ids per ``IN (...)`` list, below every database's limit on bound parameters.
CHUNK = 5000


def db_value(column: sa.Column[Any], value: object) -> object:
    """A filter value as the column stores it."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, (Year, Quarter, Month)):
        return str(value)
    if isinstance(value, RegionCode):
        return value.code
    if isinstance(column.type, sa.Date) and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


#: A batch of at least this many new households into an empty table is a bulk load.
BULK_LOAD_HOUSEHOLDS = 1000

#: The household tables' indexes that enforce nothing: a bulk load builds them at the end.
DEFERRABLE_INDEXES: tuple[sa.Index, ...] = tuple(
    index
    for table in (HOUSEHOLDS, MEMBERS, STATUS_HISTORY)
    for index in table.indexes
    if not index.unique
)


def _rows_among(
    conn: sa.Connection, table: sa.Table, selected: Sequence[str], values: Sequence[str]
) -> Iterator[Sequence[Any]]:
    """The ``selected`` columns of the rows whose first selected column is one of
    ``values`` (text). On SQLite the values go as one JSON array (``json_each``), so
    a batch's thousands of ids cost one bound parameter and no statement compiling."""
    if not values:
        return
    if conn.dialect.name == "sqlite":
        columns = ", ".join(f'"{c}"' for c in selected)
        sql = (
            f'SELECT {columns} FROM "{table.name}" '
            f'WHERE "{selected[0]}" IN (SELECT value FROM json_each(?))'
        )
        for chunk in _chunks(values, 10 * CHUNK):
            yield from conn.exec_driver_sql(sql, (json.dumps(list(chunk), ensure_ascii=False),))
        return
    for chunk in _chunks(values):
        query = sa.select(*(table.c[c] for c in selected)).where(
            among(conn, table.c[selected[0]], chunk)
        )
        yield from conn.execute(query)


def _detail(exc: sa.exc.IntegrityError) -> str:
    """The database's reason, its first line, with anything sensitive masked."""
    text = str(exc.orig).strip().splitlines()[0] if exc.orig else "constraint violated"
    return mask_text(text)


def conflict(entity: str, exc: sa.exc.IntegrityError) -> ConflictError:
    """What a refused write means, in words a clerk can act on."""
    text = str(exc.orig) if exc.orig else ""
    lowered = text.lower()
    if "foreign key" in lowered:
        reason = (
            "it names a record that is not stored (a helper, household, member, need or "
            f"fund) or one that other records still name ({_detail(exc)})"
        )
    elif "resident_id" in lowered:
        reason = "a resident ID number belongs to one person, and another member holds it"
    elif "within_budget" in lowered:
        reason = "it would take a fund past its budget"
    else:
        reason = f"it conflicts with stored data ({_detail(exc)})"
    return ConflictError(f"{entity}: the write was refused: {reason}")


class SqlRepository(Generic[T]):
    """A keyed repository over one table, with hand-written row mappers.

    Subclasses keep the read model in step by overriding :meth:`_replacing` (called
    with the stored versions of the records about to be replaced) and
    :meth:`_written` (called with those and the records written).
    """

    def __init__(
        self,
        uow: SqlUnitOfWork,
        spec: EntitySpec,
        table: sa.Table,
        to_row: Callable[[Any], dict[str, Any]],
        from_row: Callable[[Row], Any],
    ) -> None:
        self._uow = uow
        self._spec = spec
        self._table = table
        self._to_row = to_row
        self._from_row = from_row
        self._keys = [table.c[name] for name in spec.key_fields]

    # -- plumbing ---------------------------------------------------------------

    @property
    def _conn(self) -> sa.Connection:
        return self._uow.connection

    def _conflict(self, exc: sa.exc.IntegrityError) -> ConflictError:
        return conflict(self._spec.name, exc)

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        conn = self._conn
        try:
            with conn.begin_nested():
                yield conn
        except sa.exc.IntegrityError as exc:
            raise self._conflict(exc) from exc

    def _check_type(self, item: object) -> None:
        if not isinstance(item, self._spec.cls):
            raise StorageError(
                f"{self._spec.name} stores {self._spec.cls.__name__}, not {type(item).__name__}"
            )

    def _key_clause(self, key: Any) -> sa.ColumnElement[bool]:
        values = key if isinstance(key, tuple) else (key,)
        if len(values) != len(self._keys):
            raise StorageError(f"{self._spec.name} ids have {len(self._keys)} parts")
        return sa.and_(*(c == v for c, v in zip(self._keys, values, strict=True)))

    def _keys_in(self, keys: Sequence[Any]) -> sa.ColumnElement[bool]:
        if len(self._keys) == 1:
            return among(self._conn, self._keys[0], keys)
        return sa.tuple_(*self._keys).in_([tuple(k) for k in keys])

    def _filters(self, filters: Mapping[str, object]) -> list[sa.ColumnElement[bool]]:
        check_filters(self._spec.cls, filters)
        clauses: list[sa.ColumnElement[bool]] = []
        for name, value in filters.items():
            if name not in self._table.c:
                raise StorageError(f"cannot filter {self._spec.name} by {name} in SQL")
            column = self._table.c[name]
            if value is None:
                clauses.append(column.is_(None))
            else:
                clauses.append(column == db_value(column, value))
        return clauses

    def _audit_batch(self, action: str, items: Sequence[Any]) -> None:
        if len(items) == 1 and action in ("add", "upsert_many"):
            item = items[0]
            self._uow.record(
                "add" if action == "add" else "upsert",
                self._spec.name,
                self._spec.key_text(self._spec.key(item)),
                describe(item),
            )
            return
        ids = [self._spec.key_text(self._spec.key(item)) for item in items]
        self._uow.record(action, self._spec.name, None, {"count": len(ids), "ids": ids})

    # -- the read model --------------------------------------------------------------

    def _replacing(self, conn: sa.Connection, old: Sequence[Any], new: Sequence[Any]) -> None:
        """Before ``old`` (stored) are replaced by ``new``."""

    def _written(self, conn: sa.Connection, old: Sequence[Any], new: Sequence[Any]) -> None:
        """After ``new`` were written (replacing ``old``, if any)."""

    # -- writes -----------------------------------------------------------------

    def _insert(self, conn: sa.Connection, items: Sequence[Any]) -> None:
        bulk_insert(conn, self._table, [self._to_row(item) for item in items])

    def _upsert(self, conn: sa.Connection, items: Sequence[Any]) -> None:
        rows = [self._to_row(item) for item in items]
        if rows:
            upsert_values(conn, self._table, list(rows[0]), [tuple(r.values()) for r in rows])

    def add(self, item: T) -> None:
        self.add_many([item], _action="add")

    def add_many(self, items: Iterable[T], *, _action: str = "add_many") -> int:
        batch = list(items)
        if not batch:
            return 0
        for item in batch:
            self._check_type(item)
        self._uow.admit(self._spec.name, batch)
        with self._writing() as conn:
            self._insert(conn, batch)
            self._written(conn, [], batch)
            self._audit_batch(_action, batch)
        return len(batch)

    def upsert_many(self, items: Iterable[T]) -> int:
        unique = unique_by_key(self._spec, items)
        if not unique:
            return 0
        batch = list(unique.values())
        self._uow.admit(self._spec.name, batch)
        with self._writing() as conn:
            old = list(self.find_many(unique).values())
            self._replacing(conn, old, batch)
            self._upsert(conn, batch)
            self._written(conn, old, batch)
            self._audit_batch("upsert_many", batch)
        return len(batch)

    def update(self, item: T) -> None:
        self._check_type(item)
        key = self._spec.key(item)
        old = self.get(key)
        self._uow.admit(self._spec.name, [item])
        with self._writing() as conn:
            self._replacing(conn, [old], [item])
            self._replace(conn, item)
            self._written(conn, [old], [item])
            self._uow.record(
                "update", self._spec.name, self._spec.key_text(key), difference(old, item)
            )

    def _replace(self, conn: sa.Connection, item: Any) -> None:
        row = self._to_row(item)
        conn.execute(self._table.update().where(self._key_clause(self._spec.key(item))).values(row))

    # -- reads ------------------------------------------------------------------

    def get(self, key: Any) -> T:
        found = self.find(key)
        if found is None:
            raise NotFound(f"no {self._spec.cls.__name__.lower()} {self._spec.key_text(key)}")
        return found

    def find(self, key: Any) -> T | None:
        row = (
            self._conn.execute(sa.select(self._table).where(self._key_clause(key)))
            .mappings()
            .first()
        )
        return None if row is None else self._from_row(row)

    def find_many(self, keys: Iterable[Any]) -> dict[Any, T]:
        wanted = list(dict.fromkeys(keys))
        found: dict[Any, T] = {}
        for chunk in _chunks(wanted):
            query = sa.select(self._table).where(self._keys_in(chunk))
            for row in self._conn.execute(query).mappings():
                item = self._from_row(row)
                found[self._spec.key(item)] = item
        return found

    def stored(self, keys: Iterable[Any]) -> set[Any]:
        wanted = list(dict.fromkeys(keys))
        found: set[Any] = set()
        for chunk in _chunks(wanted):
            query = sa.select(*self._keys).where(self._keys_in(chunk))
            for row in self._conn.execute(query):
                found.add(row[0] if len(self._keys) == 1 else tuple(row))
        return found

    def list(self, **filters: object) -> builtins.list[T]:
        query = sa.select(self._table).where(*self._filters(filters)).order_by(*self._keys)
        return [self._from_row(row) for row in self._conn.execute(query).mappings()]

    def count(self, **filters: object) -> int:
        query = sa.select(sa.func.count()).select_from(self._table)
        query = query.where(*self._filters(filters))
        return int(self._conn.execute(query).scalar_one())

    def iter_batches(self, size: int = 1000) -> Iterator[builtins.list[T]]:
        """Every record in id order, ``size`` at a time: keyset pagination over the ids
        (each page starts after the last id of the one before), then :meth:`find_many`,
        so memory stays flat however many records there are (an export streams)."""
        keys = self._keys
        after: tuple[Any, ...] | None = None
        while True:
            query = sa.select(*keys).order_by(*keys).limit(size)
            if after is not None:
                query = query.where(
                    keys[0] > after[0] if len(keys) == 1 else sa.tuple_(*keys) > sa.tuple_(*after)
                )
            page = [tuple(row) for row in self._conn.execute(query)]
            if not page:
                return
            ids = [row[0] if len(keys) == 1 else row for row in page]
            found = self.find_many(ids)
            yield [found[i] for i in ids if i in found]
            after = page[-1]


class HelperRepository(SqlRepository[Helper]):
    """Helpers; a new tier or home county relabels their activities and spans."""

    @staticmethod
    def _relabelled(old: Sequence[Helper], new: Sequence[Helper]) -> list[str]:
        before = {h.helper_id: (h.tier, h.home_region.code[:6]) for h in old}
        return sorted(
            h.helper_id
            for h in new
            if h.helper_id in before and before[h.helper_id] != (h.tier, h.home_region.code[:6])
        )

    def _replacing(self, conn: sa.Connection, old: Sequence[Any], new: Sequence[Any]) -> None:
        changed = self._relabelled(old, new)
        if changed:
            read_model.relabelling(conn, helpers=changed)

    def _written(self, conn: sa.Connection, old: Sequence[Any], new: Sequence[Any]) -> None:
        changed = self._relabelled(old, new)
        if changed:
            read_model.relabelled(conn, helpers=changed)


class ActivityRepository(SqlRepository[Activity]):
    """Activities, counted in the report tallies and the follow-up rows."""

    def _replacing(self, conn: sa.Connection, old: Sequence[Any], new: Sequence[Any]) -> None:
        read_model.activities_replacing(conn, old)

    def _written(self, conn: sa.Connection, old: Sequence[Any], new: Sequence[Any]) -> None:
        read_model.activities_written(conn, old, new)


class CountedRepository(SqlRepository[Any]):
    """Needs and referrals, counted in the report tallies."""

    figure = ""

    def _replacing(self, conn: sa.Connection, old: Sequence[Any], new: Sequence[Any]) -> None:
        read_model.counted_replacing(conn, self.figure, old)

    def _written(self, conn: sa.Connection, old: Sequence[Any], new: Sequence[Any]) -> None:
        read_model.counted_written(conn, self.figure, new)


class NeedRepository(CountedRepository):
    figure = "needs"


class ReferralRepository(CountedRepository):
    figure = "referrals"


class PairingRepository(SqlRepository[Pairing]):
    """Pairings, which end rather than disappear; their spans and follow-up rows."""

    def _written(self, conn: sa.Connection, old: Sequence[Any], new: Sequence[Any]) -> None:
        read_model.pairings_written(conn, old, new)

    def active_on(self, day: date, **filters: object) -> builtins.list[Pairing]:
        t = self._table
        query = (
            sa.select(t)
            .where(*self._filters(filters))
            .where(t.c.start <= day, sa.or_(t.c.end.is_(None), t.c.end >= day))
            .order_by(*self._keys)
        )
        return [mappers.pairing_from(row) for row in self._conn.execute(query).mappings()]

    def of_households(self, household_ids: Iterable[str]) -> dict[str, builtins.list[Pairing]]:
        t = self._table
        wanted = sorted(set(household_ids))
        out: dict[str, builtins.list[Pairing]] = {h: [] for h in wanted}
        for chunk in _chunks(wanted):
            query = (
                sa.select(t).where(among(self._conn, t.c.household_id, chunk)).order_by(*self._keys)
            )
            for row in self._conn.execute(query).mappings():
                out[row["household_id"]].append(mappers.pairing_from(row))
        return out

    def end(self, key: PairingKey, on: date, *, reason: str | None = None) -> Pairing:
        pairing = self.get(key)
        name = self._spec.key_text(key)
        if pairing.end is not None:
            raise ConflictError(f"pairings: {name} already ended on {pairing.end}")
        if on < pairing.start:
            raise ConflictError(f"pairings: cannot end {name} before it started")
        changes: dict[str, Any] = {"end": on}
        if reason is not None:
            changes["reason"] = reason
        ended = attrs.evolve(pairing, **changes)
        self._uow.admit(self._spec.name, [ended])
        with self._writing() as conn:
            self._replace(conn, ended)
            self._written(conn, [pairing], [ended])
            self._uow.record("end", self._spec.name, name, difference(pairing, ended))
        return ended


class FundRepository(SqlRepository[Fund]):
    """Funds, with what each has granted kept beside its budget (never above it)."""

    def _conflict(self, exc: sa.exc.IntegrityError) -> ConflictError:
        if "within_budget" in str(exc.orig):
            return ConflictError(
                "funds: a budget cannot be set below what the fund has already granted"
            )
        return super()._conflict(exc)

    def lock(self, fund_id: str) -> Fund:
        self._uow.require_writable()
        conn = self._conn
        t = self._table
        if conn.dialect.name == "sqlite":
            # A writing unit of work holds SQLite's write lock from its first statement.
            return self.get(fund_id)
        row = (
            conn.execute(sa.select(t).where(t.c.fund_id == fund_id).with_for_update())
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"no fund {fund_id}")
        return mappers.fund_from(row)

    def spent(self, fund_id: str) -> Decimal:
        granted = self._conn.execute(
            sa.select(FUNDS.c.granted_fen).where(FUNDS.c.fund_id == fund_id)
        ).scalar()
        spent = mappers.from_fen(int(granted or 0))
        assert spent is not None
        return spent

    def reserved(self, fund_id: str) -> Decimal:
        i = PLAN_ITEMS
        fen = self._conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(i.c.amount_fen), 0)).where(
                i.c.fund_id == fund_id, i.c.status.in_(sorted(s.value for s in RESERVING))
            )
        ).scalar_one()
        reserved = mappers.from_fen(int(fen))
        assert reserved is not None
        return reserved

    def top_up(self, fund_id: str, amount: Decimal, on: date, *, reason: str) -> FundChange:
        return self._change(fund_id, FundChangeKind.TOP_UP, on, reason, amount)

    def close(self, fund_id: str, on: date, *, reason: str) -> FundChange:
        return self._change(fund_id, FundChangeKind.CLOSE, on, reason, None)

    def _change(
        self, fund_id: str, kind: FundChangeKind, on: date, reason: str, amount: Decimal | None
    ) -> FundChange:
        """Append a change to the fund (locked first) and keep its budget or closing."""
        fund = self.lock(fund_id)
        if fund.closed_on is not None:
            raise FundClosed(closed_message(fund))
        conn = self._conn
        c, f = FUND_CHANGES, FUNDS
        number = conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(c.c.number), 0) + 1).where(
                c.c.fund_id == fund_id
            )
        ).scalar_one()
        change = FundChange(fund_id, int(number), kind, on, reason, amount, self._uow.actor)
        self._uow.admit("fund_changes", [change])
        values: dict[str, Any] = {"closed_on": on}
        if kind is FundChangeKind.TOP_UP:
            fen = mappers.to_fen(amount) or 0
            values = {"budget_fen": f.c.budget_fen + fen, "topped_up_fen": f.c.topped_up_fen + fen}
        with self._writing() as conn:
            conn.execute(c.insert().values(mappers.fund_change_row(change)))
            conn.execute(f.update().where(f.c.fund_id == fund_id).values(values))
            self._uow.record(kind.value, self._spec.name, fund_id, describe(change))
        return change

    def changes(self, **filters: object) -> builtins.list[FundChange]:
        check_filters(FundChange, filters)
        t = FUND_CHANGES
        clauses = [t.c[name] == db_value(t.c[name], value) for name, value in filters.items()]
        query = sa.select(t).where(*clauses).order_by(t.c.fund_id, t.c.number)
        return [mappers.fund_change_from(row) for row in self._conn.execute(query).mappings()]


class GrantRepository(SqlRepository[Grant]):
    """Grants: one in force per member (household grants: per household) per programme
    period, never past their fund's budget."""

    def _conflict(self, exc: sa.exc.IntegrityError) -> ConflictError:
        text = str(exc.orig)
        if "uq_grants_household" in text or ("UNIQUE" in text and "grants.household_id" in text):
            return ConflictError(
                "grants: a household can get only one household grant per programme period "
                "(program_id, period, household_id already granted)"
            )
        if "program_id" in text or "uq_grants" in text:
            return ConflictError(
                "grants: a member can get only one grant per programme period "
                "(program_id, period, member_id already granted)"
            )
        return super()._conflict(exc)

    def _replacing(self, conn: sa.Connection, old: Sequence[Any], new: Sequence[Any]) -> None:
        read_model.counted_replacing(conn, "grants", old)

    def _written(self, conn: sa.Connection, old: Sequence[Any], new: Sequence[Any]) -> None:
        self._spend(conn, old, new)
        read_model.counted_written(conn, "grants", new)

    def _spend(self, conn: sa.Connection, old: Sequence[Grant], new: Sequence[Grant]) -> None:
        """Move what each fund has granted by the grants of the batch that hold money;
        refuse going past a budget, and any more from a closed fund."""
        delta: defaultdict[str, int] = defaultdict(int)
        for grant in new:
            if grant.holds_money:
                delta[grant.fund_id] += mappers.to_fen(grant.amount) or 0
        for grant in old:
            if grant.holds_money:
                delta[grant.fund_id] -= mappers.to_fen(grant.amount) or 0
        changed = sorted(f for f, d in delta.items() if d)
        if not changed:
            return
        f = FUNDS
        query = sa.select(f.c.fund_id, f.c.budget_fen, f.c.granted_fen, f.c.closed_on).where(
            f.c.fund_id.in_(changed)
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        stored = {row[0]: row[1:] for row in conn.execute(query)}
        for fund_id in changed:
            if fund_id not in stored:
                raise ConflictError(f"grants: no fund {fund_id}; store the fund first")
            budget, granted, closed_on = stored[fund_id]
            if closed_on is not None and delta[fund_id] > 0:
                raise FundClosed(
                    f"grants: fund {fund_id} was closed on {closed_on}; it grants nothing more"
                )
            if granted + delta[fund_id] > budget:
                raise ConflictError(
                    f"grants: fund {fund_id} has {mappers.from_fen(budget - granted)} yuan left "
                    f"of its budget of {mappers.from_fen(budget)}; these grants need "
                    f"{mappers.from_fen(delta[fund_id])}"
                )
        conn.execute(
            f.update()
            .where(f.c.fund_id == sa.bindparam("f"))
            .values(granted_fen=f.c.granted_fen + sa.bindparam("delta", type_=sa.BigInteger)),
            [{"f": fund_id, "delta": delta[fund_id]} for fund_id in changed],
        )

    def revoke(self, grant_id: str, on: date, *, reason: str) -> Grant:
        grant = self.get(grant_id)
        if grant.revoked_on is not None:
            raise GrantRevoked(revoked_message(grant))
        if grant.payment_state is PaymentState.PAID:
            raise PaymentRefused(paid_message(grant))
        revoked = attrs.evolve(grant, revoked_on=on, revoke_reason=reason)
        self._uow.admit(self._spec.name, [revoked])
        with self._writing() as conn:
            self._replacing(conn, [grant], [revoked])
            self._replace(conn, revoked)
            self._written(conn, [grant], [revoked])
            self._uow.record("revoke", self._spec.name, grant_id, difference(grant, revoked))
        return revoked

    def record_payments(self, grants: Iterable[Grant]) -> int:
        changed, stored = payment_changes(self._spec, grants, self.find_many)
        if not changed:
            return 0
        new = [g for _, g in changed]
        old = [stored[g.grant_id] for g in new]
        self._uow.admit(GRANT_PAYMENTS, new)
        t = self._table
        columns = ("grant_id", *PAYMENT_FIELDS)
        rows = [{f"k_{c}": v for c, v in self._to_row(g).items() if c in columns} for g in new]
        statement = (
            t.update()
            .where(t.c.grant_id == sa.bindparam("k_grant_id"))
            .values({c: sa.bindparam(f"k_{c}") for c in PAYMENT_FIELDS})
        )
        with self._writing() as conn:
            self._replacing(conn, old, new)
            conn.execute(statement, rows)
            self._written(conn, old, new)
            for (step, grant), before in zip(changed, old, strict=True):
                self._uow.record(step, self._spec.name, grant.grant_id, difference(before, grant))
        return len(new)

    def lock_programs(self, program_ids: Iterable[str]) -> None:
        self._uow.require_writable()
        conn = self._conn
        if conn.dialect.name != "postgresql":
            return  # SQLite: a writing unit of work already holds the database write lock
        for program_id in sorted(set(program_ids)):
            conn.execute(
                sa.select(
                    sa.func.pg_advisory_xact_lock(
                        sa.func.hashtext(sa.func.current_schema()),
                        sa.func.hashtext(sa.literal(f"program:{program_id}")),
                    )
                )
            )


#: Tables whose rows name a member: a member they name is kept, as a former member.
_NAMING_MEMBERS = (
    ACTIVITIES,
    NEEDS,
    REFERRALS,
    GRANTS,
    DECISIONS,
    MEMBER_MOVES,
    CONSENTS,
    PLAN_ITEMS,
    OBJECTIONS,
    GRIEVANCES,
    OBSERVATIONS,
)


class HouseholdRepository(SqlRepository[Household]):
    """Households across three tables: households, their members, their status history.

    A household is written as rows (:mod:`jieqin.storage.rows`): its members are
    updated in place by member id, members it no longer lists are deleted, or kept
    as former members when other records name them, and its status history is
    replaced. A household that moves county relabels everything counted under it.
    """

    def add_many(self, items: Iterable[Household], *, _action: str = "add_many") -> int:
        batch = list(items)
        for item in batch:
            self._check_type(item)
        if not batch:
            return 0
        ids = [h.household_id for h in batch]
        if len(set(ids)) != len(ids):
            raise ConflictError("households: a batch names a household twice")
        self._uow.admit(self._spec.name, batch)
        with self._writing() as conn:
            rows = [rows_of(h) for h in batch]
            insert_values(conn, HOUSEHOLDS, mappers.HOUSEHOLD_COLUMNS, [r.household for r in rows])
            self._insert_children(conn, rows)
            self._audit_batch(_action, batch)
        return len(batch)

    def upsert_many(self, items: Iterable[Household]) -> int:
        unique = unique_by_key(self._spec, items)
        if not unique:
            return 0
        batch = list(unique.values())
        self._uow.admit(self._spec.name, batch)
        return self._write([rows_of(h) for h in batch], batch)

    def update(self, item: Household) -> None:
        self._check_type(item)
        old = self.get(item.household_id)
        self._uow.admit(self._spec.name, [item])
        with self._writing():
            self._store([rows_of(item)])
            self._uow.record("update", self._spec.name, item.household_id, difference(old, item))

    def upsert_rows(self, rows: Sequence[HouseholdRows]) -> int:
        batch = list(rows)
        if not batch:
            return 0
        if len({r.household_id for r in batch}) != len(batch):
            raise StorageError("households: a batch of rows names a household twice")
        self._uow.admit(self._spec.name, batch)
        return self._write(batch, None)

    def _write(self, rows: Sequence[HouseholdRows], households: Sequence[Household] | None) -> int:
        with self._writing():
            self._store(rows)
            if len(rows) == 1:
                single = households[0] if households else rows[0].to_household()
                self._uow.record("upsert", self._spec.name, single.household_id, describe(single))
            else:
                ids = [r.household_id for r in rows]
                self._uow.record(
                    "upsert_many", self._spec.name, None, {"count": len(ids), "ids": ids}
                )
        return len(rows)

    # -- storing rows --------------------------------------------------------------

    def _store(self, rows: Sequence[HouseholdRows]) -> None:
        """Write households given as rows, replacing stored ones (inside a savepoint)."""
        conn = self._conn
        ids = [r.household_id for r in rows]
        regions = self._regions(conn, ids)
        if not regions:
            self._defer_indexes(conn, rows)
            if self._inserted_new(conn, rows):
                return
        self._refuse_members_of_others(conn, rows)
        moved = sorted(
            r.household_id
            for r in rows
            if r.household_id in regions and regions[r.household_id][:6] != str(r.household[1])[:6]
        )
        if moved:
            read_model.relabelling(conn, households=moved)
        upsert_values(conn, HOUSEHOLDS, mappers.HOUSEHOLD_COLUMNS, [r.household for r in rows])
        self._leave(conn, rows)
        upsert_values(conn, MEMBERS, *self._member_rows(rows))
        self._delete_statuses(conn, ids)
        insert_values(
            conn, STATUS_HISTORY, mappers.STATUS_COLUMNS, [s for r in rows for s in r.statuses]
        )
        if moved:
            read_model.relabelled(conn, households=moved)

    def _defer_indexes(self, conn: sa.Connection, rows: Sequence[HouseholdRows]) -> None:
        """On a first load (no household stored yet, a batch of a bulk import), drop the
        household tables' indexes that are no constraint; the unit of work builds them
        again before it commits (:meth:`SqlUnitOfWork.build_deferred_indexes`), which is
        far cheaper than keeping them row by row. Every key and unique constraint stays
        in force throughout."""
        uow = self._uow
        if uow.deferred_indexes or len(rows) < BULK_LOAD_HOUSEHOLDS:
            return
        if conn.execute(sa.select(HOUSEHOLDS.c.household_id).limit(1)).first() is not None:
            return
        preparer = conn.dialect.identifier_preparer
        for index in DEFERRABLE_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {preparer.quote(str(index.name))}")
        uow.deferred_indexes.extend(DEFERRABLE_INDEXES)

    def _insert_children(self, conn: sa.Connection, rows: Sequence[HouseholdRows]) -> None:
        if self._uow.sealer is None:
            # new rows in clear: ``sealed`` and the blind index are NULL by default
            members = [m for r in rows for m in r.members]
            insert_values(conn, MEMBERS, mappers.MEMBER_COLUMNS, members)
        else:
            insert_values(conn, MEMBERS, *self._member_rows(rows))
        insert_values(
            conn, STATUS_HISTORY, mappers.STATUS_COLUMNS, [s for r in rows for s in r.statuses]
        )

    def _member_rows(
        self, rows: Sequence[HouseholdRows]
    ) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        """The member rows of ``rows`` as written: sealed at rest with a key provider."""
        return encryption.seal_member_rows(
            self._uow.sealer, mappers.MEMBER_COLUMNS, (m for r in rows for m in r.members)
        )

    def _inserted_new(self, conn: sa.Connection, rows: Sequence[HouseholdRows]) -> bool:
        """Insert households none of which is stored (plain inserts, COPY on PostgreSQL);
        ``False`` (nothing written) if another transaction stored one in the meantime."""
        try:
            with conn.begin_nested():
                insert_values(
                    conn, HOUSEHOLDS, mappers.HOUSEHOLD_COLUMNS, [r.household for r in rows]
                )
                self._insert_children(conn, rows)
        except sa.exc.IntegrityError as exc:
            text = str(exc.orig)
            if "households.household_id" in text or "pk_households" in text:
                return False
            raise
        return True

    @staticmethod
    def _regions(conn: sa.Connection, ids: Sequence[str]) -> dict[str, str]:
        selected = ("household_id", "region")
        return {str(k): str(v) for k, v in _rows_among(conn, HOUSEHOLDS, selected, list(ids))}

    def _refuse_members_of_others(self, conn: sa.Connection, rows: Sequence[HouseholdRows]) -> None:
        """A member id stored in another household is refused: moving is explicit."""
        wanted = {m[0]: r.household_id for r in rows for m in r.members}
        for member_id, owner in self.owners(wanted).items():
            if owner != wanted[member_id]:
                raise ConflictError(
                    f"households: member {member_id} of {wanted[member_id]} already belongs to "
                    f"household {owner}; move them with households.move_member"
                )

    def _leave(self, conn: sa.Connection, rows: Sequence[HouseholdRows]) -> None:
        """Members the new rows leave out: deleted, or kept as former members (departed
        today) when other records name them."""
        m = MEMBERS
        kept = {row[0] for r in rows for row in r.members}
        stored: list[tuple[str, date | None]] = []
        for chunk in _chunks([r.household_id for r in rows]):
            stored += conn.execute(
                sa.select(m.c.member_id, m.c.departed_on).where(
                    among(conn, m.c.household_id, chunk)
                )
            ).all()
        leaving = [member_id for member_id, _ in stored if member_id not in kept]
        if not leaving:
            return
        named = self._named(conn, leaving)
        departed = {member_id for member_id, on in stored if on is not None}
        today = self._uow.today
        gone = [member_id for member_id in leaving if member_id not in named]
        staying = [
            member_id for member_id in leaving if member_id in named and member_id not in departed
        ]
        for chunk in _chunks(gone):
            conn.execute(m.delete().where(among(conn, m.c.member_id, chunk)))
        for chunk in _chunks(staying):
            conn.execute(
                m.update()
                .where(among(conn, m.c.member_id, chunk))
                .values(departed_on=today, position=m.c.position + 100000)
            )

    @staticmethod
    def _named(conn: sa.Connection, member_ids: Sequence[str]) -> set[str]:
        """The members among these that some record names."""
        named: set[str] = set()
        for chunk in _chunks(list(member_ids)):
            for table in _NAMING_MEMBERS:
                column = table.c.member_id
                named.update(
                    conn.execute(
                        sa.select(column).where(among(conn, column, chunk)).distinct()
                    ).scalars()
                )
        return named

    @staticmethod
    def _delete_statuses(conn: sa.Connection, ids: Sequence[str]) -> None:
        s = STATUS_HISTORY
        for chunk in _chunks(list(ids)):
            conn.execute(s.delete().where(among(conn, s.c.household_id, chunk)))

    # -- moving a member -----------------------------------------------------------

    def move_member(
        self,
        member_id: str,
        to_household_id: str,
        on: date,
        *,
        relation: Relation = Relation.OTHER,
        reason: str = "",
    ) -> MemberMove:
        move = MemberMove(member_id, self.household_of(member_id), to_household_id, on, reason)
        self._uow.admit("member_moves", [move])
        m = MEMBERS
        with self._writing() as conn:
            position = conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(m.c.position), -1) + 1).where(
                    m.c.household_id == to_household_id
                )
            ).scalar_one()
            conn.execute(
                m.update()
                .where(m.c.member_id == member_id)
                .values(
                    household_id=to_household_id,
                    relation=Relation(relation).value,
                    position=position,
                )
            )
            conn.execute(MEMBER_MOVES.insert().values(mappers.move_row(move)))
            self._uow.record("move", "member_moves", member_id, describe(move))
        return move

    def moves(self, **filters: object) -> builtins.list[MemberMove]:
        check_filters(MemberMove, filters)
        t = MEMBER_MOVES
        clauses = [t.c[name] == db_value(t.c[name], value) for name, value in filters.items()]
        query = sa.select(t).where(*clauses).order_by(t.c.move_id)
        return [mappers.move_from(row) for row in self._conn.execute(query).mappings()]

    # -- reads -------------------------------------------------------------------

    def _assemble(self, rows: Sequence[Row]) -> builtins.list[Household]:
        if not rows:
            return []
        ids = [row["household_id"] for row in rows]
        members: dict[str, list[Row]] = {}
        history: dict[str, list[Row]] = {}
        conn = self._conn
        for chunk in _chunks(ids):
            query = (
                sa.select(MEMBERS)
                .where(among(conn, MEMBERS.c.household_id, chunk))
                .order_by(MEMBERS.c.household_id, MEMBERS.c.position)
            )
            sealer = self._uow.sealer
            for key, group in groupby(conn.execute(query).mappings(), lambda r: r["household_id"]):
                members[key] = [encryption.open_member(sealer, row) for row in group]
            query = (
                sa.select(STATUS_HISTORY)
                .where(among(conn, STATUS_HISTORY.c.household_id, chunk))
                .order_by(STATUS_HISTORY.c.household_id, STATUS_HISTORY.c.position)
            )
            for key, group in groupby(conn.execute(query).mappings(), lambda r: r["household_id"]):
                history[key] = list(group)
        return [
            mappers.household_from(
                row, members.get(row["household_id"], []), history.get(row["household_id"], [])
            )
            for row in rows
        ]

    def iter_rows(self, size: int = 1000) -> Iterator[builtins.list[HouseholdRows]]:
        """Every household as rows (:class:`~jieqin.storage.rows.HouseholdRows`, sealed
        values opened) in id order, ``size`` at a time: keyset pagination over the ids,
        each page's members and statuses read by id range. No model object is built, so
        an export of a million households streams at the speed of the rows."""
        conn, sealer = self._conn, self._uow.sealer
        head = [HOUSEHOLDS.c[name] for name in mappers.HOUSEHOLD_COLUMNS]
        member = [MEMBERS.c[name] for name in (*mappers.MEMBER_COLUMNS, "sealed")]
        status = [STATUS_HISTORY.c[name] for name in mappers.STATUS_COLUMNS]
        after: str | None = None
        while True:
            query = sa.select(*head).order_by(HOUSEHOLDS.c.household_id).limit(size)
            if after is not None:
                query = query.where(HOUSEHOLDS.c.household_id > after)
            page = [tuple(row) for row in conn.execute(query).all()]
            if not page:
                return
            first, after = page[0][0], page[-1][0]
            members: dict[str, builtins.list[tuple[Any, ...]]] = defaultdict(builtins.list)
            query = (
                sa.select(*member)
                .where(MEMBERS.c.household_id.between(first, after))
                .order_by(MEMBERS.c.household_id, MEMBERS.c.position)
            )
            width = len(mappers.MEMBER_COLUMNS)
            for row in conn.execute(query).all():
                if row[width] is None:
                    values = tuple(row)[:width]
                else:
                    opened = encryption.open_member(sealer, row._mapping)
                    values = tuple(opened[name] for name in mappers.MEMBER_COLUMNS)
                members[values[1]].append(values)
            statuses: dict[str, builtins.list[tuple[Any, ...]]] = defaultdict(builtins.list)
            query = (
                sa.select(*status)
                .where(STATUS_HISTORY.c.household_id.between(first, after))
                .order_by(STATUS_HISTORY.c.household_id, STATUS_HISTORY.c.position)
            )
            for row in conn.execute(query).all():
                statuses[row[0]].append(tuple(row))
            yield [
                HouseholdRows(hid, row, tuple(members.get(hid, ())), tuple(statuses.get(hid, ())))
                for row in page
                for hid in (row[0],)
            ]

    def find(self, key: Any) -> Household | None:
        row = (
            self._conn.execute(sa.select(HOUSEHOLDS).where(self._key_clause(key)))
            .mappings()
            .first()
        )
        return None if row is None else self._assemble([row])[0]

    def find_many(self, keys: Iterable[Any]) -> dict[Any, Household]:
        wanted = list(dict.fromkeys(keys))
        rows: list[Row] = []
        for chunk in _chunks(wanted):
            rows += (
                self._conn.execute(
                    sa.select(HOUSEHOLDS).where(among(self._conn, HOUSEHOLDS.c.household_id, chunk))
                )
                .mappings()
                .all()
            )
        return {h.household_id: h for h in self._assemble(rows)}

    def list(self, **filters: object) -> builtins.list[Household]:
        query = sa.select(HOUSEHOLDS).where(*self._filters(filters)).order_by(*self._keys)
        return self._assemble(list(self._conn.execute(query).mappings()))

    def household_of(self, member_id: str) -> str:
        owner = self._conn.execute(
            sa.select(MEMBERS.c.household_id).where(MEMBERS.c.member_id == member_id)
        ).scalar_one_or_none()
        if owner is None:
            raise NotFound(f"no member {member_id}")
        return str(owner)

    def owners(self, member_ids: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(member_ids))
        selected = ("member_id", "household_id")
        return {str(k): str(v) for k, v in _rows_among(self._conn, MEMBERS, selected, wanted)}

    def holders(self, resident_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        m = MEMBERS
        wanted = sorted({r for r in resident_ids if r})
        sealer = self._uow.sealer
        if sealer is not None:
            return self._sealed_holders(sealer, wanted)
        selected = ("resident_id", "member_id", "household_id")
        return {
            resident_id: (member_id, household_id)
            for resident_id, member_id, household_id in _rows_among(self._conn, m, selected, wanted)
        }

    def _sealed_holders(
        self, sealer: encryption.Sealer, wanted: Sequence[str]
    ) -> dict[str, tuple[str, str]]:
        """:meth:`holders` with encryption at rest: numbers looked up by their blind
        index (and in clear, for rows not sealed yet)."""
        m = MEMBERS
        by_index = {sealer.index(r): r for r in wanted}
        found: dict[str, tuple[str, str]] = {}
        for chunk in _chunks(wanted):
            indexes = [sealer.index(r) for r in chunk]
            query = sa.select(
                m.c.resident_id, m.c.resident_id_index, m.c.member_id, m.c.household_id
            ).where(
                sa.or_(
                    among(self._conn, m.c.resident_id_index, indexes),
                    among(self._conn, m.c.resident_id, chunk),
                )
            )
            for resident_id, index, member_id, household_id in self._conn.execute(query):
                number = resident_id if resident_id is not None else by_index[index]
                found[number] = (member_id, household_id)
        return found

    def member(self, member_id: str) -> Member:
        row = (
            self._conn.execute(sa.select(MEMBERS).where(MEMBERS.c.member_id == member_id))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"no member {member_id}")
        return mappers.member_from(encryption.open_member(self._uow.sealer, row))


class HandoverRepository:
    """Handovers, appended and read in the order they were recorded."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def add(self, item: Handover) -> None:
        self.add_many([item], _action="add")

    def add_many(self, items: Iterable[Handover], *, _action: str = "add_many") -> int:
        batch = handover_batch(items)
        if not batch:
            return 0
        self._uow.admit("handovers", batch)
        conn: sa.Connection = self._uow.connection
        try:
            with conn.begin_nested():
                bulk_insert(conn, HANDOVERS, [mappers.handover_row(h) for h in batch])
                if _action == "add":
                    self._uow.record("add", "handovers", batch[0].household_id, describe(batch[0]))
                else:
                    ids = [h.household_id for h in batch]
                    self._uow.record(_action, "handovers", None, {"count": len(ids), "ids": ids})
        except sa.exc.IntegrityError as exc:
            raise conflict("handovers", exc) from exc
        return len(batch)

    def _where(self, filters: Mapping[str, object]) -> list[sa.ColumnElement[bool]]:
        check_filters(Handover, filters)
        clauses = []
        for name, value in filters.items():
            column = HANDOVERS.c[name]
            clauses.append(column.is_(None) if value is None else column == db_value(column, value))
        return clauses

    def list(self, **filters: object) -> list[Handover]:
        conn: sa.Connection = self._uow.connection
        query = sa.select(HANDOVERS).where(*self._where(filters)).order_by(HANDOVERS.c.handover_id)
        return [mappers.handover_from(row) for row in conn.execute(query).mappings()]

    def count(self, **filters: object) -> int:
        conn: sa.Connection = self._uow.connection
        query = sa.select(sa.func.count()).select_from(HANDOVERS).where(*self._where(filters))
        return int(conn.execute(query).scalar_one())


_AUDIT_FILTERS = ("actor", "entity", "entity_id", "action")


class AuditLogRepository:
    """Read-only view of the audit log; there is no method to change an entry."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def _where(self, filters: Mapping[str, object]) -> list[sa.ColumnElement[bool]]:
        unknown = sorted(set(filters) - set(_AUDIT_FILTERS))
        if unknown:
            raise StorageError(f"cannot filter the audit log by {', '.join(unknown)}")
        return [AUDIT_LOG.c[name] == value for name, value in filters.items()]

    def entries(self, **filters: object) -> list[AuditEntry]:
        """Entries in id order, this unit of work's own included (they are chained and
        inserted first, see :meth:`SqlUnitOfWork.flush_audit`)."""
        where = self._where(filters)
        self._uow.flush_audit()
        conn: sa.Connection = self._uow.connection
        query = sa.select(AUDIT_LOG).where(*where).order_by(AUDIT_LOG.c.entry_id)
        return [entry_from_row(row) for row in conn.execute(query).mappings()]

    def count(self, **filters: object) -> int:
        where = self._where(filters)
        self._uow.flush_audit()
        conn: sa.Connection = self._uow.connection
        query = sa.select(sa.func.count()).select_from(AUDIT_LOG).where(*where)
        return int(conn.execute(query).scalar_one())


_CLASSES: dict[str, type[SqlRepository[Any]]] = {
    "helpers": HelperRepository,
    "pairings": PairingRepository,
    "needs": NeedRepository,
    "referrals": ReferralRepository,
    "activities": ActivityRepository,
    "funds": FundRepository,
    "grants": GrantRepository,
}


def _sealed_helpers(
    sealer: encryption.Sealer | None,
) -> tuple[Callable[[Helper], dict[str, Any]], Callable[[Row], Helper]]:
    """The helper mappers, with the phone sealed at rest when there is a sealer."""

    def to_row(h: Helper) -> dict[str, Any]:
        return encryption.seal_helper_row(sealer, mappers.helper_row(h))

    def from_row(r: Row) -> Helper:
        return mappers.helper_from(encryption.open_helper(sealer, r))

    return to_row, from_row


def repositories_for(uow: SqlUnitOfWork) -> dict[str, Any]:
    """Every repository of a SQL unit of work, by attribute name."""
    from jieqin.storage.sql import monitoring

    classes: dict[str, type[SqlRepository[Any]]] = {
        **_CLASSES,
        "observations": monitoring.ObservationRepository,
        "warnings": monitoring.WarningRepository,
    }
    repos: dict[str, Any] = {}
    for name, (to_row, from_row) in mappers.SIMPLE.items():
        cls = classes.get(name, SqlRepository)
        if name == "helpers":
            to_row, from_row = _sealed_helpers(uow.sealer)
        if name == "observations":
            to_row, from_row = monitoring.sealed_observations(uow.sealer)
        repos[name] = cls(uow, ENTITIES[name], TABLES[name], to_row, from_row)
    repos["households"] = HouseholdRepository(
        uow, ENTITIES["households"], HOUSEHOLDS, mappers.household_row, lambda row: row
    )
    repos["handovers"] = HandoverRepository(uow)
    repos["audit"] = AuditLogRepository(uow)
    return repos
