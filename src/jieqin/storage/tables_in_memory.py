"""A base for storage backends that work on tables held in memory.

A backend that can load a whole campaign into memory (a memory store, a directory of
files, a document in a key-value store) only has to say how to load the committed
tables and how to make a commit's changes permanent. :class:`TablesUnitOfWork` does
the rest: the repositories with every check the storage contract asks for, the audit
log, the life cycle of a unit of work and its write lock.

A unit of work *begins* by loading the committed :class:`Tables` (:meth:`~TablesUnitOfWork.load`).
Its first write takes the backend's write lock (:meth:`~TablesUnitOfWork.lock_tables`),
loads the tables again if nothing was written yet (so the write starts from the
newest commit) and copies each table it writes. :meth:`~TablesUnitOfWork.commit`
hands the copies and the new audit entries, as :class:`Changes`, to
:meth:`~TablesUnitOfWork.persist`; leaving the unit of work without a commit drops
them. Either way the lock is released (:meth:`~TablesUnitOfWork.unlock_tables`).

A minimal backend, keeping its tables in one process::

    class ProcessStore:
        def __init__(self) -> None:
            self.tables = Tables()
            self.lock = threading.RLock()


    class ProcessUnitOfWork(TablesUnitOfWork):
        def __init__(self, store: ProcessStore, actor: str) -> None:
            self.store = store
            super().__init__(actor)

        def load(self) -> Tables:
            return self.store.tables

        def lock_tables(self) -> None:
            self.store.lock.acquire()

        def unlock_tables(self) -> None:
            self.store.lock.release()

        def persist(self, changes: Changes) -> None:
            self.store.tables.apply(changes)

:func:`plain`, :func:`describe` and :func:`difference` turn records into the plain,
masked data the audit log keeps (and that a backend may write to its files).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from jieqin.model import Handover, MemberMove
from jieqin.storage import _monitoring
from jieqin.storage import _table_repositories as repos
from jieqin.storage._common import (
    ENTITIES,
    FUND_CHANGES,
    BaseUnitOfWork,
    EntitySpec,
    describe,
    difference,
    plain,
)
from jieqin.storage.audit_chain import ChainHead, audit_key, chain
from jieqin.storage.base import AuditEntry
from jieqin.storage.counted import TablesReadModel

__all__ = [
    "KINDS",
    "Changes",
    "EntitySpec",
    "Tables",
    "TablesUnitOfWork",
    "describe",
    "difference",
    "plain",
]

#: The keyed kinds of record, by repository name: one table each, and the funds'
#: changes (written through the fund repository). Handovers are an append-only list,
#: not a table.
KINDS: Mapping[str, EntitySpec] = {
    **{name: spec for name, spec in ENTITIES.items() if spec.key_fields},
    FUND_CHANGES.name: FUND_CHANGES,
}


def _empty_tables() -> dict[str, dict[Any, Any]]:
    return {name: {} for name in KINDS}


@attrs.define
class Changes:
    """What one commit writes, as handed to :meth:`TablesUnitOfWork.persist`.

    ``tables`` holds the full new contents (key -> record) of each table written, by
    kind; ``handovers`` the full new list if handovers were added (else ``None``);
    ``audit`` the commit's new audit entries, numbered after the committed ones.
    ``members`` is the member id -> household id index if households were written,
    ``moves`` the full new list of member moves if members were moved (else ``None``).
    """

    tables: dict[str, dict[Any, Any]]
    handovers: list[Handover] | None
    audit: list[AuditEntry]
    members: dict[str, str] | None = None
    moves: list[MemberMove] | None = None


@attrs.define
class Tables:
    """The committed state of a campaign: a table per kind, handovers, the audit log.

    ``members`` indexes member ids to their household ids; :meth:`of` builds it.
    """

    records: dict[str, dict[Any, Any]] = attrs.field(factory=_empty_tables)
    handovers: list[Handover] = attrs.field(factory=list)
    audit: list[AuditEntry] = attrs.field(factory=list)
    members: dict[str, str] = attrs.field(factory=dict)
    moves: list[MemberMove] = attrs.field(factory=list)

    @classmethod
    def of(
        cls,
        records: Mapping[str, Iterable[Any]],
        handovers: Iterable[Handover] = (),
        audit: Iterable[AuditEntry] = (),
        moves: Iterable[MemberMove] = (),
    ) -> Tables:
        """Tables holding ``records`` (records by kind, e.g. as loaded from files)."""
        tables = cls(handovers=list(handovers), audit=list(audit), moves=list(moves))
        for name, items in records.items():
            spec = KINDS[name]
            tables.records[name].update((spec.key(item), item) for item in items)
        for household in tables.records["households"].values():
            for member in household.people:
                tables.members[member.member_id] = household.household_id
        return tables

    def apply(self, changes: Changes) -> None:
        """Make ``changes`` part of these tables, in place."""
        self.records.update(changes.tables)
        if changes.members is not None:
            self.members = changes.members
        if changes.handovers is not None:
            self.handovers = changes.handovers
        if changes.moves is not None:
            self.moves = changes.moves
        self.audit = [*self.audit, *changes.audit]

    def applied(self, changes: Changes) -> Tables:
        """New tables: these with ``changes``; these stay as they were."""
        tables = Tables(dict(self.records), self.handovers, self.audit, self.members, self.moves)
        tables.apply(changes)
        return tables


class TablesUnitOfWork(BaseUnitOfWork):
    """A unit of work over tables held in memory; subclasses load and persist them.

    Subclasses implement :meth:`load` and :meth:`persist`, and :meth:`lock_tables` /
    :meth:`unlock_tables` if units of work that write must be serial beyond what
    :meth:`persist` guarantees. Set the subclass's own attributes before calling
    ``super().__init__``: it begins the unit of work, which calls :meth:`load`.
    """

    def __init__(self, actor: str, *, read_only: bool = False) -> None:
        super().__init__(actor, read_only=read_only)
        self._working: dict[str, dict[Any, Any]] = {}
        self._members: dict[str, str] | None = None
        self._handovers: list[Handover] | None = None
        self._moves: list[MemberMove] | None = None
        self._audit: list[AuditEntry] = []
        self._locked = False
        self._base = Tables()
        self.helpers = repos.Helpers(self, KINDS["helpers"])
        self.households = repos.Households(self, KINDS["households"])
        self.pairings = repos.Pairings(self, KINDS["pairings"])
        self.handovers = repos.Handovers(self)
        self.needs = repos.TableRepository[Any](self, KINDS["needs"])
        self.referrals = repos.TableRepository[Any](self, KINDS["referrals"])
        self.activities = repos.TableRepository[Any](self, KINDS["activities"])
        self.programs = repos.TableRepository[Any](self, KINDS["programs"])
        self.funds = repos.Funds(self, KINDS["funds"])
        self.grants = repos.Grants(self, KINDS["grants"])
        self.decisions = repos.TableRepository[Any](self, KINDS["decisions"])
        self.consents = repos.TableRepository[Any](self, KINDS["consents"])
        self.grievances = repos.TableRepository[Any](self, KINDS["grievances"])
        self.plans = repos.TableRepository[Any](self, KINDS["plans"])
        self.plan_items = repos.TableRepository[Any](self, KINDS["plan_items"])
        self.objections = repos.TableRepository[Any](self, KINDS["objections"])
        self.eliminations = repos.TableRepository[Any](self, KINDS["eliminations"])
        self.observations = _monitoring.Observations(self, KINDS["observations"])
        self.warnings = _monitoring.Warnings(self, KINDS["warnings"])
        self.audit = repos.TablesAuditLog(self)
        self.read_model = TablesReadModel(self.table)
        self.begin()

    # -- what a backend provides ------------------------------------------------------

    def load(self) -> Tables:
        """The committed tables. Called when the unit of work begins and when it takes
        the write lock before its first write. Never change what it returns in place
        except in :meth:`persist`."""
        raise NotImplementedError

    def persist(self, changes: Changes) -> None:
        """Make ``changes`` permanent (called by :meth:`commit`, under the write lock).

        Raising rolls the unit of work back; the committed tables must then be as
        they were. Not called when the unit of work wrote nothing.
        """
        raise NotImplementedError

    def lock_tables(self) -> None:
        """Take the backend's write lock (held from the first write until commit or
        rollback). Does nothing unless overridden."""

    def unlock_tables(self) -> None:
        """Release what :meth:`lock_tables` took."""

    # -- state, for the repositories ----------------------------------------------------

    @property
    def base_tables(self) -> Tables:
        """The committed tables this unit of work began from (or reloaded at its first
        write); a commit's :class:`Changes` apply to them."""
        return self._base

    def begin(self) -> None:
        """Start from the committed tables."""
        self._base = self.load()

    def acquire(self) -> None:
        """Take the write lock until commit or rollback; see the newest commit."""
        if self._locked:
            return
        self.lock_tables()
        self._locked = True
        if not self._written():
            self.begin()

    def table(self, name: str) -> dict[Any, Any]:
        """The records of kind ``name`` as this unit of work sees them (read only)."""
        return self._working.get(name, self._base.records[name])

    def writable(self, name: str) -> dict[Any, Any]:
        """This unit of work's own copy of the table ``name``, to write to."""
        self.acquire()
        if name not in self._working:
            self._working[name] = dict(self._base.records[name])
        return self._working[name]

    def members(self, *, write: bool = False) -> dict[str, str]:
        """The member id -> household id index (a copy of it to write to if ``write``)."""
        if self._members is None:
            if not write:
                return self._base.members
            self.acquire()
            self._members = dict(self._base.members)
        return self._members

    def handover_list(self, *, write: bool = False) -> list[Handover]:
        """The handovers (a copy of the list to append to if ``write``)."""
        if self._handovers is None:
            if not write:
                return self._base.handovers
            self.acquire()
            self._handovers = list(self._base.handovers)
        return self._handovers

    def move_list(self, *, write: bool = False) -> list[MemberMove]:
        """The member moves (a copy of the list to append to if ``write``)."""
        if self._moves is None:
            if not write:
                return self._base.moves
            self.acquire()
            self._moves = list(self._base.moves)
        return self._moves

    def record(
        self, action: str, entity: str, entity_id: str | None, changes: Mapping[str, Any]
    ) -> None:
        """Queue an audit entry for this unit of work's commit, numbered and chained
        after the newest entry (the write lock is held from here, so it stays newest)."""
        self.acquire()
        log = self._audit or self._base.audit
        head = ChainHead()
        if log:
            last = log[-1]
            head = ChainHead(last.entry_id, last.hash or "", last.at)
        pending = [(action, entity, entity_id, changes)]
        self._audit.extend(chain(head, pending, self.actor, now=datetime.now(UTC), key=audit_key()))

    def pending_audit(self) -> list[AuditEntry]:
        """This unit of work's audit entries, numbered and chained after the committed ones."""
        return list(self._audit)

    def audit_entries(self) -> list[AuditEntry]:
        """The committed audit log followed by this unit of work's entries."""
        return [*self._base.audit, *self.pending_audit()]

    # -- life cycle -------------------------------------------------------------------

    def _written(self) -> bool:
        return (
            bool(self._working)
            or self._handovers is not None
            or self._moves is not None
            or bool(self._audit)
        )

    def _commit(self) -> None:
        try:
            if self._written():
                self.persist(
                    Changes(
                        tables=self._working,
                        handovers=self._handovers,
                        audit=self.pending_audit(),
                        members=self._members,
                        moves=self._moves,
                    )
                )
                self.begin()
        except BaseException:
            self.rollback()
            raise
        self._reset()

    def _rollback(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._working = {}
        self._members = None
        self._handovers = None
        self._moves = None
        self._audit = []
        if self._locked:
            self._locked = False
            self.unlock_tables()
