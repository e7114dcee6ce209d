"""The repositories of :class:`~jieqin.storage.tables_in_memory.TablesUnitOfWork`.

Each works on the unit of work's view of one table (or the handover list, or the
audit log) and makes every check of the storage contract before writing anything.
"""

from __future__ import annotations

import builtins
import copy
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from jieqin.errors import (
    ConflictError,
    FundClosed,
    GrantRevoked,
    NotFound,
    PaymentRefused,
    StorageError,
)
from jieqin.model import (
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
    Relation,
)
from jieqin.model.payments import PaymentState
from jieqin.storage._common import (
    FUND_CHANGES,
    GRANT_PAYMENTS,
    EntitySpec,
    check_filters,
    closed_message,
    describe,
    difference,
    handover_batch,
    matches,
    paid_message,
    payment_changes,
    plain,
    revoked_message,
    unique_by_key,
)
from jieqin.storage.base import AuditEntry, PairingKey
from jieqin.storage.rows import HouseholdRows

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

#: Field -> the table whose keys it names (``members``: the member index), per kind:
#: the foreign keys the SQL schema declares, checked the same way here.
REFERENCES: Mapping[str, Mapping[str, str]] = {
    "pairings": {"helper_id": "helpers", "household_id": "households"},
    "needs": {"household_id": "households", "member_id": "members"},
    "referrals": {
        "need_id": "needs",
        "household_id": "households",
        "member_id": "members",
        "consent_id": "consents",
    },
    "activities": {
        "helper_id": "helpers",
        "household_id": "households",
        "member_id": "members",
        "need_id": "needs",
    },
    "grants": {
        "fund_id": "funds",
        "household_id": "households",
        "member_id": "members",
        "need_id": "needs",
    },
    "decisions": {"household_id": "households", "member_id": "members"},
    "consents": {"household_id": "households", "member_id": "members"},
    "grievances": {
        "household_id": "households",
        "member_id": "members",
        "redecision_id": "decisions",
    },
    "plans": {"fund_id": "funds"},
    "plan_items": {
        "plan_id": "plans",
        "household_id": "households",
        "member_id": "members",
        "fund_id": "funds",
    },
    "objections": {"plan_id": "plans", "household_id": "households", "member_id": "members"},
    "eliminations": {"household_id": "households"},
    "observations": {"household_id": "households", "member_id": "members"},
    "warnings": {"household_id": "households"},
    "handovers": {
        "household_id": "households",
        "from_helper_id": "helpers",
        "to_helper_id": "helpers",
    },
}


def check_references(uow: TablesUnitOfWork, kind: str, items: Iterable[Any]) -> None:
    """Refuse records that name a helper, household, member, need or fund not stored."""
    wanted = REFERENCES.get(kind)
    if not wanted:
        return
    members = uow.members()
    for item in items:
        for name, target in wanted.items():
            value = getattr(item, name)
            if value is None:
                continue
            stored = value in members if target == "members" else value in uow.table(target)
            if not stored:
                raise ConflictError(
                    f"{kind}: the write was refused: it names {name} {value}, which is not stored"
                )


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
        for item in batch:
            self._spec.check_type(item)
        self._uow.admit(self._spec.name, batch)
        check_references(self._uow, self._spec.name, batch)
        table = self._uow.table(self._spec.name)
        seen: set[Any] = set()
        for item in batch:
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

    def upsert_many(self, items: Iterable[T], *, _admitted: bool = False) -> int:
        batch = unique_by_key(self._spec, items)
        if not batch:
            return 0
        if not _admitted:
            self._uow.admit(self._spec.name, list(batch.values()))
        check_references(self._uow, self._spec.name, batch.values())
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

    def update(self, item: T, *, _admitted: bool = False) -> None:
        self._spec.check_type(item)
        key = self._spec.key(item)
        old = self.get(key)
        if not _admitted:
            self._uow.admit(self._spec.name, [item])
        check_references(self._uow, self._spec.name, [item])
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

    def find_many(self, keys: Iterable[Any]) -> dict[Any, T]:
        table = self._uow.table(self._spec.name)
        return {key: table[key] for key in keys if key in table}

    def stored(self, keys: Iterable[Any]) -> set[Any]:
        table = self._uow.table(self._spec.name)
        return {key for key in keys if key in table}

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


#: The kinds of record that may name a member (a named member is kept when they leave).
_NAMING_MEMBERS = (
    "activities",
    "needs",
    "referrals",
    "grants",
    "decisions",
    "consents",
    "plan_items",
    "objections",
    "grievances",
    "observations",
)


class Households(TableRepository[Household]):
    """Households, with the member index kept in step, a member in one household and a
    resident ID number on one member; members a new version leaves out are dropped,
    or kept as former members when other records name them."""

    def _named(self) -> set[str]:
        named = {m.member_id for m in self._uow.move_list()}
        for kind in _NAMING_MEMBERS:
            named.update(r.member_id for r in self._uow.table(kind).values() if r.member_id)
        return named

    def _merged(self, batch: builtins.list[Household]) -> builtins.list[Household]:
        """Each household as it will be stored: with the members it leaves out that
        other records name, as former members departed today."""
        table = self._uow.table(self._spec.name)
        named: set[str] | None = None
        out = []
        for household in batch:
            old = table.get(household.household_id)
            listed = {m.member_id for m in household.people}
            leaving = [m for m in old.people if m.member_id not in listed] if old else []
            if leaving:
                named = self._named() if named is None else named
                kept = tuple(
                    m if m.departed_on else attrs.evolve(m, departed_on=self._uow.today)
                    for m in leaving
                    if m.member_id in named
                )
                household = attrs.evolve(
                    household, former_members=(*household.former_members, *kept)
                )
            out.append(household)
        return out

    def _check(
        self, table: Mapping[Any, Any], items: builtins.list[Any], replacing: Mapping[Any, Any]
    ) -> None:
        members = self._uow.members()
        holders = self.holders(
            m.resident_id for h in items for m in h.people if m.resident_id is not None
        )
        taken: dict[str, str] = {}
        for household in items:
            for member in household.people:
                owner = members.get(member.member_id)
                if owner is not None and owner != household.household_id:
                    raise ConflictError(
                        f"households: member {member.member_id} of {household.household_id} "
                        f"already belongs to household {owner}; move them with "
                        "households.move_member"
                    )
                number = member.resident_id
                if number is None:
                    continue
                holder = holders.get(number)
                other = taken.setdefault(number, member.member_id)
                if (
                    holder is not None and holder[0] != member.member_id
                ) or other != member.member_id:
                    raise ConflictError(
                        "households: the write was refused: a resident ID number belongs to "
                        f"one person, and member {holder[0] if holder else other} holds the "
                        f"number of {member.member_id}"
                    )

    def add_many(self, items: Iterable[Household], *, _action: str = "add_many") -> int:
        return super().add_many(items, _action=_action)

    def upsert_many(self, items: Iterable[Household], *, _admitted: bool = False) -> int:
        batch = unique_by_key(self._spec, items)
        if not batch:
            return 0
        self._uow.admit(self._spec.name, list(batch.values()))
        merged = self._merged(list(batch.values()))
        return super().upsert_many(merged, _admitted=True)

    def update(self, item: Household, *, _admitted: bool = False) -> None:
        self.get(item.household_id)
        self._uow.admit(self._spec.name, [item])
        (merged,) = self._merged([item])
        super().update(merged, _admitted=True)

    def upsert_rows(self, rows: Sequence[HouseholdRows]) -> int:
        return self.upsert_many([r.to_household() for r in rows])

    def _written(self, old: Household | None, new: Household) -> None:
        members = self._uow.members(write=True)
        if old is not None:
            for member in old.people:
                members.pop(member.member_id, None)
        for member in new.people:
            members[member.member_id] = new.household_id

    def household_of(self, member_id: str) -> str:
        owner = self._uow.members().get(member_id)
        if owner is None:
            raise NotFound(f"no member {member_id}")
        return owner

    def owners(self, member_ids: Iterable[str]) -> dict[str, str]:
        members = self._uow.members()
        return {m: members[m] for m in member_ids if m in members}

    def holders(self, resident_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        wanted = {r for r in resident_ids if r}
        if not wanted:
            return {}
        found: dict[str, tuple[str, str]] = {}
        for household in self._uow.table(self._spec.name).values():
            for member in household.people:
                if member.resident_id in wanted:
                    found[member.resident_id] = (member.member_id, household.household_id)
        return found

    def member(self, member_id: str) -> Member:
        return self.get(self.household_of(member_id)).member(member_id)

    def move_member(
        self,
        member_id: str,
        to_household_id: str,
        on: date,
        *,
        relation: Relation = Relation.OTHER,
        reason: str = "",
    ) -> MemberMove:
        source = self.get(self.household_of(member_id))
        move = MemberMove(member_id, source.household_id, to_household_id, on, reason)
        self._uow.admit("member_moves", [move])
        target = self.get(to_household_id)
        member = attrs.evolve(source.member(member_id), relation=Relation(relation))
        left = attrs.evolve(source, members=[m for m in source.members if m.member_id != member_id])
        joined = attrs.evolve(target, members=(*target.members, member))
        writable = self._uow.writable(self._spec.name)
        writable[left.household_id] = left
        writable[joined.household_id] = joined
        self._uow.members(write=True)[member_id] = to_household_id
        self._uow.move_list(write=True).append(move)
        self._uow.record("move", "member_moves", member_id, describe(move))
        return move

    def moves(self, **filters: object) -> builtins.list[MemberMove]:
        check_filters(MemberMove, filters)
        return [m for m in self._uow.move_list() if matches(m, filters)]


class Helpers(TableRepository[Helper]):
    """Helpers."""


class Pairings(TableRepository[Pairing]):
    """Pairings, which end rather than disappear."""

    def active_on(self, day: date, **filters: object) -> builtins.list[Pairing]:
        return [p for p in self.list(**filters) if p.active_on(day)]

    def of_households(self, household_ids: Iterable[str]) -> dict[str, builtins.list[Pairing]]:
        wanted = set(household_ids)
        out: dict[str, builtins.list[Pairing]] = {h: [] for h in sorted(wanted)}
        for key in sorted(self._uow.table(self._spec.name), key=lambda k: plain(k)):
            pairing = self._uow.table(self._spec.name)[key]
            if pairing.household_id in wanted:
                out[pairing.household_id].append(pairing)
        return out

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
        self._uow.admit(self._spec.name, [ended])
        self._uow.writable(self._spec.name)[key] = ended
        self._uow.record(
            "end", self._spec.name, self._spec.key_text(key), difference(pairing, ended)
        )
        return ended


def _granted(uow: TablesUnitOfWork, fund_id: str, replacing: Mapping[Any, Any] = {}) -> Decimal:
    """The sum of the fund's grants that hold money (leaving out those being replaced)."""
    total = Decimal("0.00")
    for key, grant in uow.table("grants").items():
        if grant.fund_id == fund_id and grant.holds_money and key not in replacing:
            total += grant.amount
    return total


class Funds(TableRepository[Fund]):
    """Funds: ``lock`` takes the write lock, ``spent`` sums the fund's grants in force;
    a budget is never set below what the fund has granted. Top-ups and closings are
    appended to the ``fund_changes`` table and kept in the fund's budget and closing."""

    def _check(
        self, table: Mapping[Any, Any], items: builtins.list[Any], replacing: Mapping[Any, Any]
    ) -> None:
        for fund in items:
            if fund.fund_id in replacing and fund.budget < _granted(self._uow, fund.fund_id):
                raise ConflictError(
                    "funds: a budget cannot be set below what the fund has already granted"
                )

    def lock(self, fund_id: str) -> Fund:
        self._uow.require_writable()
        self._uow.acquire()
        return self.get(fund_id)

    def spent(self, fund_id: str) -> Decimal:
        return _granted(self._uow, fund_id)

    def reserved(self, fund_id: str) -> Decimal:
        total = Decimal("0.00")
        for item in self._uow.table("plan_items").values():
            if item.reserves and item.fund_id == fund_id and item.amount is not None:
                total += item.amount
        return total

    def top_up(self, fund_id: str, amount: Decimal, on: date, *, reason: str) -> FundChange:
        return self._change(fund_id, FundChangeKind.TOP_UP, on, reason, amount)

    def close(self, fund_id: str, on: date, *, reason: str) -> FundChange:
        return self._change(fund_id, FundChangeKind.CLOSE, on, reason, None)

    def _change(
        self, fund_id: str, kind: FundChangeKind, on: date, reason: str, amount: Decimal | None
    ) -> FundChange:
        fund = self.lock(fund_id)
        if fund.closed_on is not None:
            raise FundClosed(closed_message(fund))
        number = 1 + sum(1 for key in self._uow.table(FUND_CHANGES.name) if key[0] == fund_id)
        change = FundChange(fund_id, number, kind, on, reason, amount, self._uow.actor)
        self._uow.admit(FUND_CHANGES.name, [change])
        if kind is FundChangeKind.TOP_UP:
            assert amount is not None
            changed = attrs.evolve(
                fund, budget=fund.budget + amount, topped_up=fund.topped_up + amount
            )
        else:
            changed = attrs.evolve(fund, closed_on=on)
        self._uow.writable(FUND_CHANGES.name)[FUND_CHANGES.key(change)] = change
        self._uow.writable(self._spec.name)[fund_id] = changed
        self._uow.record(kind.value, self._spec.name, fund_id, describe(change))
        return change

    def changes(self, **filters: object) -> builtins.list[FundChange]:
        check_filters(FundChange, filters)
        table = self._uow.table(FUND_CHANGES.name)
        return [table[key] for key in sorted(table) if matches(table[key], filters)]


def _grant_slot(grant: Grant) -> tuple[str, str, str, str]:
    """What a grant in force holds: its member's place in the programme period, or for a
    household grant (no member) the household's."""
    if grant.member_id is not None:
        return ("member", grant.program_id, str(grant.period), grant.member_id)
    return ("household", grant.program_id, str(grant.period), grant.household_id)


class Grants(TableRepository[Grant]):
    """Grants: a member has at most one grant in force per programme and period, a
    household at most one household grant (no member), and no fund grants past its
    budget."""

    def _check(
        self, table: Mapping[Any, Any], items: builtins.list[Any], replacing: Mapping[Any, Any]
    ) -> None:
        taken: dict[tuple[str, str, str, str], str] = {}
        for key, grant in table.items():
            if grant.in_force and key not in replacing:
                taken[_grant_slot(grant)] = key
        for grant in items:
            if not grant.in_force:
                continue
            slot = _grant_slot(grant)
            other = taken.get(slot)
            if other is not None and other != grant.grant_id:
                raise ConflictError(
                    f"grants: {slot[0]} {slot[3]} already has grant {other} of programme "
                    f"{grant.program_id} for {grant.period}"
                )
            taken[slot] = grant.grant_id
        self._within_budget(items, replacing)

    def _within_budget(self, items: builtins.list[Grant], replacing: Mapping[Any, Any]) -> None:
        asked: dict[str, Decimal] = {}
        for grant in items:
            if grant.holds_money:
                asked[grant.fund_id] = asked.get(grant.fund_id, Decimal("0.00")) + grant.amount
        funds = self._uow.table("funds")
        for fund_id, amount in sorted(asked.items()):
            fund = funds[fund_id]
            before = sum(
                (g.amount for k, g in replacing.items() if g.fund_id == fund_id and g.holds_money),
                Decimal("0.00"),
            )
            if fund.closed_on is not None and amount > before:
                raise FundClosed(f"grants: {closed_message(fund)}")
            left = fund.budget - _granted(self._uow, fund_id, replacing)
            if amount > left:
                raise ConflictError(
                    f"grants: fund {fund_id} has {left} yuan left of its budget of "
                    f"{fund.budget}; these grants need {amount}"
                )

    def revoke(self, grant_id: str, on: date, *, reason: str) -> Grant:
        grant = self.get(grant_id)
        if grant.revoked_on is not None:
            raise GrantRevoked(revoked_message(grant))
        if grant.payment_state is PaymentState.PAID:
            raise PaymentRefused(paid_message(grant))
        revoked = attrs.evolve(grant, revoked_on=on, revoke_reason=reason)
        self._uow.admit(self._spec.name, [revoked])
        self._uow.writable(self._spec.name)[grant_id] = revoked
        self._uow.record("revoke", self._spec.name, grant_id, difference(grant, revoked))
        return revoked

    def record_payments(self, grants: Iterable[Grant]) -> int:
        changed, stored = payment_changes(self._spec, grants, self.find_many)
        if not changed:
            return 0
        self._uow.admit(GRANT_PAYMENTS, [g for _, g in changed])
        writable = self._uow.writable(self._spec.name)
        for step, grant in changed:
            writable[grant.grant_id] = grant
            self._uow.record(
                step, self._spec.name, grant.grant_id, difference(stored[grant.grant_id], grant)
            )
        return len(changed)

    def lock_programs(self, program_ids: Iterable[str]) -> None:
        self._uow.require_writable()
        self._uow.acquire()


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
        self._uow.admit("handovers", batch)
        check_references(self._uow, "handovers", batch)
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
