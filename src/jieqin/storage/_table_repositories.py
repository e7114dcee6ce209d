"""The repositories of :class:`~jieqin.storage.tables_in_memory.TablesUnitOfWork`.

Each works on the unit of work's view of one table (or the handover list, or the
audit log) and makes every check of the storage contract before writing anything.
"""

from __future__ import annotations

import builtins
import copy
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from jieqin.errors import ConflictError, NotFound, StorageError
from jieqin.model import Fund, Grant, Handover, Household, Member, Pairing
from jieqin.storage._common import (
    EntitySpec,
    check_filters,
    describe,
    difference,
    handover_batch,
    matches,
    plain,
    unique_by_key,
)
from jieqin.storage.base import AuditEntry, PairingKey

if TYPE_CHECKING:
    from jieqin.storage.tables_in_memory import TablesUnitOfWork

__all__ = [
    "Funds",
    "Grants",
    "Handovers",
    "Households",
    "Pairings",
    "TableRepository",
    "TablesAuditLog",
]

T = TypeVar("T")

_AUDIT_FILTERS = frozenset({"actor", "entity", "entity_id", "action"})


class TableRepository(Generic[T]):
    """A keyed repository over one table of a unit of work."""

    def __init__(self, uow: TablesUnitOfWork, spec: EntitySpec) -> None:
        self._uow = uow
        self._spec = spec

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
            self._spec.check_type(item)
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
        batch = unique_by_key(self._spec, items)
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
        self._spec.check_type(item)
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


class Households(TableRepository[Household]):
    """Households, with the member index kept in step and a member in one household."""

    def _check(
        self, table: Mapping[Any, Any], items: builtins.list[Any], replacing: Mapping[Any, Any]
    ) -> None:
        members = self._uow.members()
        for household in items:
            for member in household.members:
                owner = members.get(member.member_id)
                if owner is not None and owner != household.household_id:
                    raise ConflictError(
                        f"households: member {member.member_id} of {household.household_id} "
                        f"already belongs to household {owner}"
                    )

    def _written(self, old: Household | None, new: Household) -> None:
        members = self._uow.members(write=True)
        if old is not None:
            for member in old.members:
                members.pop(member.member_id, None)
        for member in new.members:
            members[member.member_id] = new.household_id

    def household_of(self, member_id: str) -> str:
        owner = self._uow.members().get(member_id)
        if owner is None:
            raise NotFound(f"no member {member_id}")
        return owner

    def member(self, member_id: str) -> Member:
        return self.get(self.household_of(member_id)).member(member_id)


class Pairings(TableRepository[Pairing]):
    """Pairings, which end rather than disappear."""

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


class Funds(TableRepository[Fund]):
    """Funds: ``lock`` takes the write lock, ``spent`` sums the fund's grants."""

    def lock(self, fund_id: str) -> Fund:
        self._uow.acquire()
        return self.get(fund_id)

    def spent(self, fund_id: str) -> Decimal:
        total = Decimal("0.00")
        for grant in self._uow.table("grants").values():
            if grant.fund_id == fund_id:
                total += grant.amount
        return total


class Grants(TableRepository[Grant]):
    """Grants: a member has at most one grant per programme and period."""

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


class Handovers:
    """The append-only list of handovers."""

    def __init__(self, uow: TablesUnitOfWork) -> None:
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


class TablesAuditLog:
    """Read-only view of the audit log, including this unit of work's own entries."""

    def __init__(self, uow: TablesUnitOfWork) -> None:
        self._uow = uow

    def entries(self, **filters: object) -> builtins.list[AuditEntry]:
        unknown = sorted(set(filters) - _AUDIT_FILTERS)
        if unknown:
            raise StorageError(f"cannot filter the audit log by {', '.join(unknown)}")
        # Copies, so that changing what a caller was given cannot change the log.
        return [
            attrs.evolve(e, changes=copy.deepcopy(e.changes))
            for e in self._uow.audit_entries()
            if all(getattr(e, k) == v for k, v in filters.items())
        ]

    def count(self, **filters: object) -> int:
        return len(self.entries(**filters))
