"""The memory backend (``memory://``): everything in dictionaries, nothing on disk.

For tests, demos and the service layer's own tests. Units of work that write are
serial (a process-wide lock is held from the first write until commit or rollback),
and a unit of work writes to copies of the tables it touches, so leaving it without
a commit leaves the store as it was. ``memory://`` gives a fresh, private store;
``memory://NAME`` a store shared by every connection to that name in this process.
"""

from __future__ import annotations

import builtins
import copy
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

import attrs

from jieqin.errors import ConflictError, NotFound, StorageError
from jieqin.model import Fund, Grant, Handover, Household, Member, Pairing
from jieqin.storage._common import (
    ENTITIES,
    BaseUnitOfWork,
    EntitySpec,
    check_filters,
    describe,
    difference,
    handover_batch,
    matches,
    plain,
)
from jieqin.storage.base import AuditEntry, PairingKey

__all__ = ["MemoryStorage", "MemoryUnitOfWork"]

T = TypeVar("T")

_MEMBERS = "_members"
"""A table of member id -> household id, kept with the households table."""


class MemoryStore:
    """The committed state of one memory database."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[Any, Any]] = {name: {} for name in ENTITIES}
        self.tables[_MEMBERS] = {}
        self.handovers: list[Handover] = []
        self.audit: list[AuditEntry] = []
        self.lock = threading.RLock()


_named_stores: dict[str, MemoryStore] = {}
_named_lock = threading.Lock()


class MemoryStorage:
    """A storage backend that keeps everything in this process's memory."""

    sql_backed = False

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        name = url.partition("://")[2].strip("/")
        if name:
            with _named_lock:
                self._store = _named_stores.setdefault(name, MemoryStore())
        else:
            self._store = MemoryStore()

    def unit_of_work(self, actor: str = "jieqin") -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self._store, actor)

    def close(self) -> None:
        return None


class MemoryUnitOfWork(BaseUnitOfWork):
    """A transaction over a :class:`MemoryStore`: copy on first write, swap in on commit."""

    sql_backed = False

    def __init__(self, store: MemoryStore, actor: str) -> None:
        super().__init__(actor)
        self._store = store
        self._working: dict[str, dict[Any, Any]] = {}
        self._handovers: list[Handover] | None = None
        self._audit: list[tuple[datetime, str, str, str | None, Mapping[str, Any]]] = []
        self._locked = False
        self.helpers = _Repository[Any](self, ENTITIES["helpers"])
        self.households = _Households(self, ENTITIES["households"])
        self.pairings = _Pairings(self, ENTITIES["pairings"])
        self.handovers = _Handovers(self)
        self.needs = _Repository[Any](self, ENTITIES["needs"])
        self.referrals = _Repository[Any](self, ENTITIES["referrals"])
        self.activities = _Repository[Any](self, ENTITIES["activities"])
        self.programs = _Repository[Any](self, ENTITIES["programs"])
        self.funds = _Funds(self, ENTITIES["funds"])
        self.grants = _Grants(self, ENTITIES["grants"])
        self.decisions = _Repository[Any](self, ENTITIES["decisions"])
        self.audit = _AuditLog(self)

    # -- state ------------------------------------------------------------------------

    def acquire(self) -> None:
        """Take the store's write lock until this unit of work commits or rolls back."""
        if not self._locked:
            self._store.lock.acquire()
            self._locked = True

    def _release(self) -> None:
        if self._locked:
            self._locked = False
            self._store.lock.release()

    def table(self, name: str) -> dict[Any, Any]:
        return self._working.get(name, self._store.tables[name])

    def writable(self, name: str) -> dict[Any, Any]:
        self.acquire()
        if name not in self._working:
            self._working[name] = dict(self._store.tables[name])
        return self._working[name]

    def handover_list(self, *, write: bool = False) -> list[Handover]:
        if self._handovers is None:
            if not write:
                return self._store.handovers
            self.acquire()
            self._handovers = list(self._store.handovers)
        return self._handovers

    def record(
        self, action: str, entity: str, entity_id: str | None, changes: Mapping[str, Any]
    ) -> None:
        self.acquire()
        self._audit.append((datetime.now(UTC), action, entity, entity_id, changes))

    def pending_audit(self) -> list[AuditEntry]:
        start = len(self._store.audit)
        return [
            AuditEntry(start + i + 1, at, self.actor, action, entity, entity_id, changes)
            for i, (at, action, entity, entity_id, changes) in enumerate(self._audit)
        ]

    # -- life cycle -----------------------------------------------------------------

    def _commit(self) -> None:
        store = self._store
        with store.lock:
            store.tables.update(self._working)
            if self._handovers is not None:
                store.handovers = self._handovers
            store.audit = [*store.audit, *self.pending_audit()]
        self._reset()

    def _rollback(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._working = {}
        self._handovers = None
        self._audit = []
        self._release()


class _Repository(Generic[T]):
    """A keyed repository over one table of a memory unit of work."""

    def __init__(self, uow: MemoryUnitOfWork, spec: EntitySpec) -> None:
        self._uow = uow
        self._spec = spec

    def _check_type(self, item: object) -> None:
        if not isinstance(item, self._spec.cls):
            raise StorageError(
                f"{self._spec.name} stores {self._spec.cls.__name__}, not {type(item).__name__}"
            )

    def _check(
        self, table: Mapping[Any, Any], items: builtins.list[Any], replacing: Mapping[Any, Any]
    ) -> None:
        """Refuse writes that break a constraint; called before anything is written."""

    def _written(self, old: Any | None, new: Any) -> None:
        """Keep side tables in step after ``new`` replaced ``old``."""

    def add(self, item: T) -> None:
        self.add_many([item], _action="add")

    def add_many(self, items: Iterable[T], *, _action: str = "add_many") -> int:
        batch = list(items)
        if not batch:
            return 0
        table = self._uow.table(self._spec.name)
        seen: set[Any] = set()
        for item in batch:
            self._check_type(item)
            key = self._spec.key(item)
            if key in table or key in seen:
                raise ConflictError(
                    f"{self._spec.name}: {self._spec.key_text(key)} is already stored"
                )
            seen.add(key)
        self._check(table, batch, {})
        writable = self._uow.writable(self._spec.name)
        for item in batch:
            writable[self._spec.key(item)] = item
            self._written(None, item)
        self._audit(_action, batch)
        return len(batch)

    def upsert_many(self, items: Iterable[T]) -> int:
        batch: dict[Any, Any] = {}
        for item in items:
            self._check_type(item)
            batch[self._spec.key(item)] = item
        if not batch:
            return 0
        table = self._uow.table(self._spec.name)
        replacing = {k: table[k] for k in batch if k in table}
        self._check(table, list(batch.values()), replacing)
        writable = self._uow.writable(self._spec.name)
        for key, item in batch.items():
            old = writable.get(key)
            writable[key] = item
            self._written(old, item)
        self._audit("upsert_many", list(batch.values()))
        return len(batch)

    def update(self, item: T) -> None:
        self._check_type(item)
        key = self._spec.key(item)
        old = self.get(key)
        table = self._uow.table(self._spec.name)
        self._check(table, [item], {key: old})
        self._uow.writable(self._spec.name)[key] = item
        self._written(old, item)
        self._uow.record("update", self._spec.name, self._spec.key_text(key), difference(old, item))

    def get(self, key: Any) -> T:
        found = self.find(key)
        if found is None:
            raise NotFound(f"no {self._spec.cls.__name__.lower()} {self._spec.key_text(key)}")
        return found

    def find(self, key: Any) -> T | None:
        value: T | None = self._uow.table(self._spec.name).get(key)
        return value

    def list(self, **filters: object) -> builtins.list[T]:
        check_filters(self._spec.cls, filters)
        table = self._uow.table(self._spec.name)
        return [
            table[key]
            for key in sorted(table, key=lambda k: plain(k))
            if matches(table[key], filters)
        ]

    def count(self, **filters: object) -> int:
        if not filters:
            return len(self._uow.table(self._spec.name))
        return len(self.list(**filters))

    def _audit(self, action: str, batch: builtins.list[Any]) -> None:
        if len(batch) == 1 and action in ("add", "upsert_many"):
            item = batch[0]
            self._uow.record(
                "add" if action == "add" else "upsert",
                self._spec.name,
                self._spec.key_text(self._spec.key(item)),
                describe(item),
            )
            return
        ids = [self._spec.key_text(self._spec.key(item)) for item in batch]
        self._uow.record(action, self._spec.name, None, {"count": len(ids), "ids": ids})


class _Households(_Repository[Household]):
    def _check(
        self, table: Mapping[Any, Any], items: builtins.list[Any], replacing: Mapping[Any, Any]
    ) -> None:
        members = self._uow.table(_MEMBERS)
        for household in items:
            for member in household.members:
                owner = members.get(member.member_id)
                if owner is not None and owner != household.household_id:
                    raise ConflictError(
                        f"households: member {member.member_id} of {household.household_id} "
                        f"already belongs to household {owner}"
                    )

    def _written(self, old: Household | None, new: Household) -> None:
        members = self._uow.writable(_MEMBERS)
        if old is not None:
            for member in old.members:
                members.pop(member.member_id, None)
        for member in new.members:
            members[member.member_id] = new.household_id

    def household_of(self, member_id: str) -> str:
        owner: str | None = self._uow.table(_MEMBERS).get(member_id)
        if owner is None:
            raise NotFound(f"no member {member_id}")
        return owner

    def member(self, member_id: str) -> Member:
        return self.get(self.household_of(member_id)).member(member_id)


class _Pairings(_Repository[Pairing]):
    def active_on(self, day: date, **filters: object) -> builtins.list[Pairing]:
        return [p for p in self.list(**filters) if p.active_on(day)]

    def end(self, key: PairingKey, on: date, *, reason: str | None = None) -> Pairing:
        pairing = self.get(key)
        if pairing.end is not None:
            raise ConflictError(
                f"pairings: {self._spec.key_text(key)} already ended on {pairing.end}"
            )
        if on < pairing.start:
            raise ConflictError(
                f"pairings: cannot end {self._spec.key_text(key)} before it started"
            )
        changes: dict[str, Any] = {"end": on}
        if reason is not None:
            changes["reason"] = reason
        ended = attrs.evolve(pairing, **changes)
        self._uow.writable(self._spec.name)[key] = ended
        self._uow.record(
            "end", self._spec.name, self._spec.key_text(key), difference(pairing, ended)
        )
        return ended


class _Funds(_Repository[Fund]):
    def lock(self, fund_id: str) -> Fund:
        self._uow.acquire()
        return self.get(fund_id)

    def spent(self, fund_id: str) -> Decimal:
        total = Decimal("0.00")
        for grant in self._uow.table("grants").values():
            if grant.fund_id == fund_id:
                total += grant.amount
        return total


class _Grants(_Repository[Grant]):
    def _check(
        self, table: Mapping[Any, Any], items: builtins.list[Any], replacing: Mapping[Any, Any]
    ) -> None:
        taken: dict[tuple[str, str, str], str] = {}
        for key, grant in table.items():
            if grant.member_id is not None and key not in replacing:
                taken[(grant.program_id, str(grant.period), grant.member_id)] = key
        for grant in items:
            if grant.member_id is None:
                continue
            slot = (grant.program_id, str(grant.period), grant.member_id)
            other = taken.get(slot)
            if other is not None and other != grant.grant_id:
                raise ConflictError(
                    f"grants: member {grant.member_id} already has grant {other} of programme "
                    f"{grant.program_id} for {grant.period}"
                )
            taken[slot] = grant.grant_id


class _Handovers:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, item: Handover) -> None:
        self.add_many([item], _action="add")

    def add_many(self, items: Iterable[Handover], *, _action: str = "add_many") -> int:
        batch = handover_batch(items)
        if not batch:
            return 0
        self._uow.handover_list(write=True).extend(batch)
        if _action == "add":
            self._uow.record("add", "handovers", batch[0].household_id, describe(batch[0]))
        else:
            ids = [h.household_id for h in batch]
            self._uow.record(_action, "handovers", None, {"count": len(ids), "ids": ids})
        return len(batch)

    def list(self, **filters: object) -> builtins.list[Handover]:
        check_filters(Handover, filters)
        return [h for h in self._uow.handover_list() if matches(h, filters)]

    def count(self, **filters: object) -> int:
        return len(self.list(**filters))


_AUDIT_FILTERS = frozenset({"actor", "entity", "entity_id", "action"})


class _AuditLog:
    """Read-only view of the audit log, including this unit of work's own entries."""

    _fields: ClassVar[frozenset[str]] = _AUDIT_FILTERS

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def entries(self, **filters: object) -> builtins.list[AuditEntry]:
        unknown = sorted(set(filters) - self._fields)
        if unknown:
            raise StorageError(f"cannot filter the audit log by {', '.join(unknown)}")
        every = [*self._uow._store.audit, *self._uow.pending_audit()]
        # Copies, so that changing what a caller was given cannot change the log.
        return [
            attrs.evolve(e, changes=copy.deepcopy(e.changes))
            for e in every
            if all(getattr(e, k) == v for k, v in filters.items())
        ]

    def count(self, **filters: object) -> int:
        return len(self.entries(**filters))
