"""Repositories over the Core tables: the SQL side of :mod:`jieqin.storage.base`.

Each write runs in a savepoint, so a refused write (a duplicate id, a second grant
for a member in a programme period) raises :class:`~jieqin.errors.ConflictError`
and leaves the unit of work usable with none of that call's rows written. Every
write appends an audit entry in the same transaction.
"""

from __future__ import annotations

import builtins
import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import groupby
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
import sqlalchemy as sa

from jieqin.errors import ConflictError, NotFound, StorageError
from jieqin.model import Fund, Handover, Household, Member, Pairing, RegionCode
from jieqin.model.periods import Month, Quarter, Year
from jieqin.storage._common import (
    ENTITIES,
    EntitySpec,
    check_filters,
    describe,
    difference,
    handover_batch,
    unique_by_key,
)
from jieqin.storage.base import AuditEntry, PairingKey
from jieqin.storage.sql import mappers
from jieqin.storage.sql.bulk import Values, bulk_insert, bulk_upsert, insert_values, upsert_values
from jieqin.storage.sql.mappers import Row
from jieqin.storage.sql.tables import (
    AUDIT_LOG,
    GRANTS,
    HANDOVERS,
    HOUSEHOLDS,
    MEMBERS,
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


class SqlRepository(Generic[T]):
    """A keyed repository over one table, with hand-written row mappers."""

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
        conn: sa.Connection = self._uow.connection
        return conn

    def _conflict(self, exc: sa.exc.IntegrityError) -> ConflictError:
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else "constraint violated"
        return ConflictError(f"{self._spec.name}: the write conflicts with stored data ({detail})")

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

    # -- writes -----------------------------------------------------------------

    def _insert(self, conn: sa.Connection, items: Sequence[Any]) -> None:
        bulk_insert(conn, self._table, [self._to_row(item) for item in items])

    def _upsert(self, conn: sa.Connection, items: Sequence[Any]) -> None:
        bulk_upsert(conn, self._table, [self._to_row(item) for item in items])

    def add(self, item: T) -> None:
        self.add_many([item], _action="add")

    def add_many(self, items: Iterable[T], *, _action: str = "add_many") -> int:
        batch = list(items)
        if not batch:
            return 0
        for item in batch:
            self._check_type(item)
        with self._writing() as conn:
            self._insert(conn, batch)
            self._audit_batch(_action, batch)
        return len(batch)

    def upsert_many(self, items: Iterable[T]) -> int:
        unique = unique_by_key(self._spec, items)
        if not unique:
            return 0
        batch = list(unique.values())
        with self._writing() as conn:
            self._upsert(conn, batch)
            self._audit_batch("upsert_many", batch)
        return len(batch)

    def update(self, item: T) -> None:
        self._check_type(item)
        key = self._spec.key(item)
        old = self.get(key)
        with self._writing() as conn:
            self._replace(conn, item)
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

    def list(self, **filters: object) -> builtins.list[T]:
        query = sa.select(self._table).where(*self._filters(filters)).order_by(*self._keys)
        return [self._from_row(row) for row in self._conn.execute(query).mappings()]

    def count(self, **filters: object) -> int:
        query = sa.select(sa.func.count()).select_from(self._table)
        query = query.where(*self._filters(filters))
        return int(self._conn.execute(query).scalar_one())


class HouseholdRepository(SqlRepository[Household]):
    """Households across three tables: households, their members, their status history."""

    def _rows(
        self, items: Sequence[Household]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        households, members, history = [], [], []
        household_values = mappers.household_values
        member_values = mappers.member_values
        status_values = mappers.status_values
        for h in items:
            households.append(household_values(h))
            members.extend(member_values(h))
            history.extend(status_values(h))
        return households, members, history

    def _insert_children(self, conn: sa.Connection, members: Values, history: Values) -> None:
        insert_values(conn, MEMBERS, mappers.MEMBER_COLUMNS, members)
        insert_values(conn, STATUS_HISTORY, mappers.STATUS_COLUMNS, history)

    def _insert(self, conn: sa.Connection, items: Sequence[Household]) -> None:
        households, members, history = self._rows(items)
        insert_values(conn, HOUSEHOLDS, mappers.HOUSEHOLD_COLUMNS, households)
        self._insert_children(conn, members, history)

    def _delete_children(self, conn: sa.Connection, ids: Sequence[str]) -> None:
        """Delete the members and status rows of these households (plain SQL: a bulk
        re-import sends many thousands of ids)."""
        preparer = conn.dialect.identifier_preparer
        for table in (MEMBERS, STATUS_HISTORY):
            name = preparer.format_table(table)
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(
                    f"DELETE FROM {name} WHERE household_id = ANY(%s)", (list(ids),)
                )
                continue
            for chunk in _chunks(ids, 500):
                marks = ", ".join("?" for _ in chunk)
                conn.exec_driver_sql(
                    f"DELETE FROM {name} WHERE household_id IN ({marks})", tuple(chunk)
                )

    def _upsert(self, conn: sa.Connection, items: Sequence[Household]) -> None:
        households, members, history = self._rows(items)
        upsert_values(conn, HOUSEHOLDS, mappers.HOUSEHOLD_COLUMNS, households)
        self._delete_children(conn, [h.household_id for h in items])
        self._insert_children(conn, members, history)

    def _replace(self, conn: sa.Connection, item: Household) -> None:
        self._upsert(conn, [item])

    def upsert_rows(self, households: Values, members: Values, statuses: Values) -> int:
        """:meth:`upsert_many` for households given as rows of the three tables.

        The rows are those of :func:`~jieqin.storage.sql.mappers.household_values`,
        :func:`~jieqin.storage.sql.mappers.member_values` and
        :func:`~jieqin.storage.sql.mappers.status_values`, validated by the caller
        (the import fast path); each household id at most once. Same writes and the
        same audit entry as ``upsert_many`` of a batch of several households.
        """
        ids = [row[0] for row in households]
        if not ids:
            return 0
        if len(set(ids)) != len(ids):
            raise StorageError("households: a batch of rows names a household twice")
        with self._writing() as conn:
            # The usual first import has nothing to replace: plain inserts (COPY on
            # PostgreSQL) instead of an upsert through a staging table and deletes.
            if self._any_stored(conn, ids) or not self._inserted_new(conn, households):
                upsert_values(conn, HOUSEHOLDS, mappers.HOUSEHOLD_COLUMNS, households)
                self._delete_children(conn, ids)
            self._insert_children(conn, members, statuses)
            self._uow.record("upsert_many", self._spec.name, None, {"count": len(ids), "ids": ids})
        return len(ids)

    @staticmethod
    def _inserted_new(conn: sa.Connection, households: Values) -> bool:
        """Insert households none of which is stored; ``False`` (nothing written) if
        another transaction stored one of them in the meantime."""
        try:
            with conn.begin_nested():
                insert_values(conn, HOUSEHOLDS, mappers.HOUSEHOLD_COLUMNS, households)
        except sa.exc.IntegrityError:
            return False
        return True

    def _any_stored(self, conn: sa.Connection, ids: Sequence[str]) -> bool:
        """Whether any of these households is stored already."""
        name = conn.dialect.identifier_preparer.format_table(HOUSEHOLDS)
        if conn.dialect.name == "postgresql":
            query = f"SELECT 1 FROM {name} WHERE household_id = ANY(%s) LIMIT 1"
            return conn.exec_driver_sql(query, (list(ids),)).first() is not None
        for chunk in _chunks(ids, 500):
            marks = ", ".join("?" for _ in chunk)
            query = f"SELECT 1 FROM {name} WHERE household_id IN ({marks}) LIMIT 1"
            if conn.exec_driver_sql(query, tuple(chunk)).first() is not None:
                return True
        return False

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
                .where(MEMBERS.c.household_id.in_(chunk))
                .order_by(MEMBERS.c.household_id, MEMBERS.c.position)
            )
            for key, group in groupby(conn.execute(query).mappings(), lambda r: r["household_id"]):
                members[key] = list(group)
            query = (
                sa.select(STATUS_HISTORY)
                .where(STATUS_HISTORY.c.household_id.in_(chunk))
                .order_by(STATUS_HISTORY.c.household_id, STATUS_HISTORY.c.position)
            )
            for key, group in groupby(conn.execute(query).mappings(), lambda r: r["household_id"]):
                history[key] = list(group)
        return [
            mappers.household_from(row, members[row["household_id"]], history[row["household_id"]])
            for row in rows
        ]

    def find(self, key: Any) -> Household | None:
        row = (
            self._conn.execute(sa.select(HOUSEHOLDS).where(self._key_clause(key)))
            .mappings()
            .first()
        )
        return None if row is None else self._assemble([row])[0]

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

    def member(self, member_id: str) -> Member:
        row = (
            self._conn.execute(sa.select(MEMBERS).where(MEMBERS.c.member_id == member_id))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"no member {member_id}")
        return mappers.member_from(row)


class PairingRepository(SqlRepository[Pairing]):
    def active_on(self, day: date, **filters: object) -> builtins.list[Pairing]:
        t = self._table
        query = (
            sa.select(t)
            .where(*self._filters(filters))
            .where(t.c.start <= day, sa.or_(t.c.end.is_(None), t.c.end >= day))
            .order_by(*self._keys)
        )
        return [mappers.pairing_from(row) for row in self._conn.execute(query).mappings()]

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
        with self._writing() as conn:
            self._replace(conn, ended)
            self._uow.record("end", self._spec.name, name, difference(pairing, ended))
        return ended


class FundRepository(SqlRepository[Fund]):
    def lock(self, fund_id: str) -> Fund:
        conn = self._conn
        t = self._table
        if conn.dialect.name == "sqlite":
            # A no-op write takes SQLite's write lock now, as BEGIN IMMEDIATE would.
            conn.execute(t.update().where(t.c.fund_id == fund_id).values(fund_id=t.c.fund_id))
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
        total = self._conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(GRANTS.c.amount_fen), 0)).where(
                GRANTS.c.fund_id == fund_id
            )
        ).scalar_one()
        spent = mappers.from_fen(int(total))
        assert spent is not None
        return spent


class GrantRepository(SqlRepository[Any]):
    def _conflict(self, exc: sa.exc.IntegrityError) -> ConflictError:
        text = str(exc.orig)
        if "program_id" in text or "uq_grants" in text:
            return ConflictError(
                "grants: a member can get only one grant per programme period "
                "(program_id, period, member_id already granted)"
            )
        return super()._conflict(exc)


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
        conn: sa.Connection = self._uow.connection
        with conn.begin_nested():
            bulk_insert(conn, HANDOVERS, [mappers.handover_row(h) for h in batch])
            if _action == "add":
                self._uow.record("add", "handovers", batch[0].household_id, describe(batch[0]))
            else:
                ids = [h.household_id for h in batch]
                self._uow.record(_action, "handovers", None, {"count": len(ids), "ids": ids})
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
        conn: sa.Connection = self._uow.connection
        query = sa.select(AUDIT_LOG).where(*self._where(filters)).order_by(AUDIT_LOG.c.entry_id)
        return [_audit_entry(row) for row in conn.execute(query).mappings()]

    def count(self, **filters: object) -> int:
        conn: sa.Connection = self._uow.connection
        query = sa.select(sa.func.count()).select_from(AUDIT_LOG).where(*self._where(filters))
        return int(conn.execute(query).scalar_one())


def _audit_entry(row: Row) -> AuditEntry:
    at: datetime = row["at"]
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return AuditEntry(
        entry_id=int(row["entry_id"]),
        at=at,
        actor=row["actor"],
        action=row["action"],
        entity=row["entity"],
        entity_id=row["entity_id"],
        changes=row["changes"],
    )


_CLASSES: dict[str, type[SqlRepository[Any]]] = {
    "pairings": PairingRepository,
    "funds": FundRepository,
    "grants": GrantRepository,
}


def repositories_for(uow: SqlUnitOfWork) -> dict[str, Any]:
    """Every repository of a SQL unit of work, by attribute name."""
    repos: dict[str, Any] = {}
    for name, (to_row, from_row) in mappers.SIMPLE.items():
        cls = _CLASSES.get(name, SqlRepository)
        repos[name] = cls(uow, ENTITIES[name], TABLES[name], to_row, from_row)
    repos["households"] = HouseholdRepository(
        uow, ENTITIES["households"], HOUSEHOLDS, mappers.household_row, lambda row: row
    )
    repos["handovers"] = HandoverRepository(uow)
    repos["audit"] = AuditLogRepository(uow)
    return repos
