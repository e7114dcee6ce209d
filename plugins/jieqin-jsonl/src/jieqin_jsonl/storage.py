"""The ``jsonl://`` storage backend: a campaign in a directory of JSON Lines files.

The committed state is held in memory and on disk. A unit of work reads the
committed state and writes to copies of the tables it touches; :meth:`commit`
publishes a new generation of the directory (see :mod:`jieqin_jsonl.files`) and
only then swaps the copies in. Units of work that write are serial: the first
write takes the store's lock (a re-entrant lock in this process and ``flock`` on
the directory across processes) until commit or rollback.
"""

from __future__ import annotations

import builtins
import copy
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import attrs

import jieqin
from jieqin.errors import ConflictError, InvalidInput, NotFound, StorageError
from jieqin.io import structure
from jieqin.storage import AuditEntry
from jieqin_jsonl.files import Directory
from jieqin_jsonl.records import KEYED, Kind, describe, difference, plain, sort_key

__all__ = ["JsonlStorage", "JsonlUnitOfWork", "path_from_url"]

T = TypeVar("T")
_HANDOVERS = "handovers"
_FILES = (*KEYED, _HANDOVERS)
_AUDIT_FILTERS = frozenset({"actor", "entity", "entity_id", "action"})


def path_from_url(url: str) -> Path:
    """``jsonl:///abs/dir`` -> ``/abs/dir``; ``jsonl://rel/dir`` -> ``rel/dir``."""
    scheme, sep, rest = url.partition("://")
    if scheme != "jsonl" or not sep or not rest.strip("/"):
        raise StorageError(f"expected jsonl:///path/to/directory, got {url!r}")
    return Path(rest)


class _State:
    """The committed state of one store, as loaded from a generation."""

    def __init__(self) -> None:
        self.generation = 0
        self.tables: dict[str, dict[Any, Any]] = {name: {} for name in KEYED}
        self.members: dict[str, str] = {}
        self.handovers: list[jieqin.Handover] = []
        self.audit: list[AuditEntry] = []


def _load(directory: Directory, generation: int) -> _State:
    state = _State()
    state.generation = generation
    for name, kind in KEYED.items():
        table = state.tables[name]
        for line, data in directory.read(generation, name):
            item: Any = _structure(data, kind.cls, name, line)
            table[kind.key(item)] = item
    for household in state.tables["households"].values():
        for member in household.members:
            state.members[member.member_id] = household.household_id
    state.handovers = [
        _structure(data, jieqin.Handover, _HANDOVERS, line)
        for line, data in directory.read(generation, _HANDOVERS)
    ]
    state.audit = [
        AuditEntry(
            entry_id=entry["entry_id"],
            at=datetime.fromisoformat(entry["at"]),
            actor=entry["actor"],
            action=entry["action"],
            entity=entry["entity"],
            entity_id=entry["entity_id"],
            changes=entry["changes"],
        )
        for entry in directory.audit(generation)
    ]
    return state


def _structure(data: Any, cls: type[T], name: str, line: int) -> T:
    try:
        return structure(data, cls, source=f"{name}.jsonl", line=line)
    except InvalidInput as exc:
        raise StorageError(f"the stored file is damaged: {exc}") from None


class JsonlStorage:
    """A campaign kept in a directory of JSON Lines files."""

    sql_backed = False

    def __init__(self, url: str) -> None:
        self.url = url
        self.directory = Directory(path_from_url(url))
        self.lock = threading.RLock()
        self._state = _State()
        with self.lock:
            self.directory.lock()
            try:
                self.directory.clean()
                self._state = _load(self.directory, self.directory.generation())
            finally:
                self.directory.unlock()

    def committed(self) -> _State:
        """The committed state, reloaded if another process committed since."""
        with self.lock:
            generation = self.directory.generation()
            if generation != self._state.generation:
                self.directory.lock()
                try:
                    self._state = _load(self.directory, self.directory.generation())
                finally:
                    self.directory.unlock()
            return self._state

    def replace_state(self, state: _State) -> None:
        self._state = state

    def unit_of_work(self, actor: str = "jieqin") -> JsonlUnitOfWork:
        return JsonlUnitOfWork(self, actor)

    def close(self) -> None:
        return None


class JsonlUnitOfWork:
    """A transaction over a :class:`JsonlStorage`: copy on first write, publish on commit."""

    sql_backed = False

    def __init__(self, storage: JsonlStorage, actor: str) -> None:
        if not isinstance(actor, str) or not actor.strip():
            raise StorageError("a unit of work needs an actor (who is writing), e.g. 'clerk:wang'")
        self.actor = actor
        self._storage = storage
        self._base = storage.committed()
        self._working: dict[str, dict[Any, Any]] = {}
        self._members: dict[str, str] | None = None
        self._handovers: list[jieqin.Handover] | None = None
        self._audit: list[tuple[datetime, str, str, str | None, Mapping[str, Any]]] = []
        self._locked = False
        self._before_commit: list[Callable[[], None]] = []
        self._notifier: Callable[..., Any] | None = None
        self.helpers = _Repository[jieqin.Helper](self, KEYED["helpers"])
        self.households = _Households(self, KEYED["households"])
        self.pairings = _Pairings(self, KEYED["pairings"])
        self.handovers = _Handovers(self)
        self.needs = _Repository[jieqin.Need](self, KEYED["needs"])
        self.referrals = _Repository[jieqin.Referral](self, KEYED["referrals"])
        self.activities = _Repository[jieqin.Activity](self, KEYED["activities"])
        self.programs = _Repository[jieqin.Program](self, KEYED["programs"])
        self.funds = _Funds(self, KEYED["funds"])
        self.grants = _Grants(self, KEYED["grants"])
        self.decisions = _Repository[jieqin.Decision](self, KEYED["decisions"])
        self.audit = _AuditLog(self)

    @property
    def connection(self) -> Any:
        return None

    # -- state ------------------------------------------------------------------------

    def acquire(self) -> None:
        """Take the store's write lock until commit or rollback; see newer commits."""
        if self._locked:
            return
        self._storage.lock.acquire()
        try:
            self._storage.directory.lock()
        except BaseException:
            self._storage.lock.release()
            raise
        self._locked = True
        if not self._working and self._handovers is None and not self._audit:
            self._base = self._storage.committed()

    def _release(self) -> None:
        if self._locked:
            self._locked = False
            self._storage.directory.unlock()
            self._storage.lock.release()

    def table(self, name: str) -> dict[Any, Any]:
        return self._working.get(name, self._base.tables[name])

    def writable(self, name: str) -> dict[Any, Any]:
        self.acquire()
        if name not in self._working:
            self._working[name] = dict(self._base.tables[name])
        return self._working[name]

    def members(self, *, write: bool = False) -> dict[str, str]:
        if self._members is None:
            if not write:
                return self._base.members
            self.acquire()
            self._members = dict(self._base.members)
        return self._members

    def handover_list(self, *, write: bool = False) -> list[jieqin.Handover]:
        if self._handovers is None:
            if not write:
                return self._base.handovers
            self.acquire()
            self._handovers = list(self._base.handovers)
        return self._handovers

    def record(
        self, action: str, entity: str, entity_id: str | None, changes: Mapping[str, Any]
    ) -> None:
        self.acquire()
        self._audit.append((datetime.now(UTC), action, entity, entity_id, changes))

    def pending_audit(self) -> list[AuditEntry]:
        start = len(self._base.audit)
        return [
            AuditEntry(start + i + 1, at, self.actor, action, entity, entity_id, changes)
            for i, (at, action, entity, entity_id, changes) in enumerate(self._audit)
        ]

    # -- life cycle -------------------------------------------------------------------

    def set_notifier(self, notifier: Callable[..., Any]) -> None:
        """Set the callable that runs notification hooks (the campaign's ``notify``)."""
        self._notifier = notifier

    def notify(self, hook_name: str, **kwargs: object) -> None:
        notifier = self._notifier
        if notifier is not None:
            self._before_commit.append(lambda: notifier(hook_name, **kwargs))

    def commit(self) -> None:
        pending, self._before_commit = self._before_commit, []
        try:
            for callback in pending:
                callback()
            self._publish()
        except BaseException:
            self.rollback()
            raise
        self._reset()

    def _publish(self) -> None:
        if not self._working and self._handovers is None and not self._audit:
            return
        base = self._base
        changed: dict[str, Iterable[str]] = {
            name: _lines(table) for name, table in self._working.items()
        }
        if self._handovers is not None:
            changed[_HANDOVERS] = (_line(h) for h in self._handovers)
        entries = self.pending_audit()
        try:
            generation = self._storage.directory.publish(
                base.generation, changed, _FILES, (_audit_line(e) for e in entries)
            )
        except OSError as exc:
            raise StorageError(f"could not write {self._storage.directory.root}: {exc}") from exc
        state = _State()
        state.generation = generation
        state.tables = {**base.tables, **self._working}
        state.members = self._members if self._members is not None else base.members
        state.handovers = self._handovers if self._handovers is not None else base.handovers
        state.audit = [*base.audit, *entries]
        self._storage.replace_state(state)
        self._base = state

    def rollback(self) -> None:
        self._before_commit = []
        self._reset()

    def _reset(self) -> None:
        self._working = {}
        self._members = None
        self._handovers = None
        self._audit = []
        self._release()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()


def _lines(table: Mapping[Any, Any]) -> Iterator[str]:
    """The records of a table as JSON lines, in key order."""
    for key in sorted(table, key=sort_key):
        yield _line(table[key])


def _line(item: object) -> str:
    return json.dumps(plain(item), ensure_ascii=False, sort_keys=True)


def _audit_line(entry: AuditEntry) -> str:
    data = attrs.asdict(entry, recurse=False)
    data["at"] = entry.at.isoformat()
    data["changes"] = dict(entry.changes)
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def _check_filters(kind_cls: type, filters: Mapping[str, object]) -> None:
    names = {a.name for a in attrs.fields(kind_cls)}
    unknown = sorted(set(filters) - names)
    if unknown:
        raise StorageError(
            f"cannot filter {kind_cls.__name__} by {', '.join(unknown)}; "
            f"fields are {', '.join(sorted(names))}"
        )


def _matches(item: object, filters: Mapping[str, object]) -> bool:
    return all(plain(getattr(item, name)) == plain(value) for name, value in filters.items())


class _Repository(Generic[T]):
    """A keyed repository over one table of a unit of work."""

    def __init__(self, uow: JsonlUnitOfWork, kind: Kind) -> None:
        self._uow = uow
        self._kind = kind

    def _check_type(self, item: object) -> None:
        if not isinstance(item, self._kind.cls):
            raise StorageError(
                f"{self._kind.name} stores {self._kind.cls.__name__}, not {type(item).__name__}"
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
        batch = builtins.list(items)
        if not batch:
            return 0
        table = self._uow.table(self._kind.name)
        seen: set[Any] = set()
        for item in batch:
            self._check_type(item)
            key = self._kind.key(item)
            if key in table or key in seen:
                raise ConflictError(
                    f"{self._kind.name}: {self._kind.key_text(key)} is already stored"
                )
            seen.add(key)
        self._check(table, batch, {})
        writable = self._uow.writable(self._kind.name)
        for item in batch:
            writable[self._kind.key(item)] = item
            self._written(None, item)
        self._audit(_action, batch)
        return len(batch)

    def upsert_many(self, items: Iterable[T]) -> int:
        batch: dict[Any, Any] = {}
        for item in items:
            self._check_type(item)
            batch[self._kind.key(item)] = item
        if not batch:
            return 0
        table = self._uow.table(self._kind.name)
        replacing = {k: table[k] for k in batch if k in table}
        self._check(table, builtins.list(batch.values()), replacing)
        writable = self._uow.writable(self._kind.name)
        for key, item in batch.items():
            old = writable.get(key)
            writable[key] = item
            self._written(old, item)
        self._audit("upsert_many", builtins.list(batch.values()))
        return len(batch)

    def update(self, item: T) -> None:
        self._check_type(item)
        key = self._kind.key(item)
        old = self.get(key)
        self._check(self._uow.table(self._kind.name), [item], {key: old})
        self._uow.writable(self._kind.name)[key] = item
        self._written(old, item)
        self._uow.record("update", self._kind.name, self._kind.key_text(key), difference(old, item))

    def get(self, key: Any) -> T:
        found = self.find(key)
        if found is None:
            raise NotFound(f"no {self._kind.cls.__name__.lower()} {self._kind.key_text(key)}")
        return found

    def find(self, key: Any) -> T | None:
        value: T | None = self._uow.table(self._kind.name).get(key)
        return value

    def list(self, **filters: object) -> builtins.list[T]:
        _check_filters(self._kind.cls, filters)
        table = self._uow.table(self._kind.name)
        return [table[key] for key in sorted(table, key=sort_key) if _matches(table[key], filters)]

    def count(self, **filters: object) -> int:
        if not filters:
            return len(self._uow.table(self._kind.name))
        return len(self.list(**filters))

    def _audit(self, action: str, batch: builtins.list[Any]) -> None:
        if len(batch) == 1 and action in ("add", "upsert_many"):
            item = batch[0]
            self._uow.record(
                "add" if action == "add" else "upsert",
                self._kind.name,
                self._kind.key_text(self._kind.key(item)),
                describe(item),
            )
            return
        ids = [self._kind.key_text(self._kind.key(item)) for item in batch]
        self._uow.record(action, self._kind.name, None, {"count": len(ids), "ids": ids})


class _Households(_Repository[jieqin.Household]):
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

    def _written(self, old: jieqin.Household | None, new: jieqin.Household) -> None:
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

    def member(self, member_id: str) -> jieqin.Member:
        return self.get(self.household_of(member_id)).member(member_id)


class _Pairings(_Repository[jieqin.Pairing]):
    def active_on(self, day: date, **filters: object) -> builtins.list[jieqin.Pairing]:
        return [p for p in self.list(**filters) if p.active_on(day)]

    def end(
        self, key: tuple[str, str, date], on: date, *, reason: str | None = None
    ) -> jieqin.Pairing:
        pairing = self.get(key)
        if pairing.end is not None:
            raise ConflictError(
                f"pairings: {self._kind.key_text(key)} already ended on {pairing.end}"
            )
        if on < pairing.start:
            raise ConflictError(
                f"pairings: cannot end {self._kind.key_text(key)} before it started"
            )
        changes: dict[str, Any] = {"end": on}
        if reason is not None:
            changes["reason"] = reason
        ended = attrs.evolve(pairing, **changes)
        self._uow.writable(self._kind.name)[key] = ended
        self._uow.record(
            "end", self._kind.name, self._kind.key_text(key), difference(pairing, ended)
        )
        return ended


class _Funds(_Repository[jieqin.Fund]):
    def lock(self, fund_id: str) -> jieqin.Fund:
        self._uow.acquire()
        return self.get(fund_id)

    def spent(self, fund_id: str) -> Decimal:
        total = Decimal("0.00")
        for grant in self._uow.table("grants").values():
            if grant.fund_id == fund_id:
                total += grant.amount
        return total


class _Grants(_Repository[jieqin.Grant]):
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
    def __init__(self, uow: JsonlUnitOfWork) -> None:
        self._uow = uow

    def add(self, item: jieqin.Handover) -> None:
        self.add_many([item], _action="add")

    def add_many(self, items: Iterable[jieqin.Handover], *, _action: str = "add_many") -> int:
        batch = builtins.list(items)
        for item in batch:
            if not isinstance(item, jieqin.Handover):
                raise StorageError(f"handovers stores Handover, not {type(item).__name__}")
        if not batch:
            return 0
        self._uow.handover_list(write=True).extend(batch)
        if _action == "add":
            self._uow.record("add", _HANDOVERS, batch[0].household_id, describe(batch[0]))
        else:
            ids = [h.household_id for h in batch]
            self._uow.record(_action, _HANDOVERS, None, {"count": len(ids), "ids": ids})
        return len(batch)

    def list(self, **filters: object) -> builtins.list[jieqin.Handover]:
        _check_filters(jieqin.Handover, filters)
        return [h for h in self._uow.handover_list() if _matches(h, filters)]

    def count(self, **filters: object) -> int:
        return len(self.list(**filters))


class _AuditLog:
    """Read-only view of the audit log, including this unit of work's own entries."""

    def __init__(self, uow: JsonlUnitOfWork) -> None:
        self._uow = uow

    def entries(self, **filters: object) -> builtins.list[AuditEntry]:
        unknown = sorted(set(filters) - _AUDIT_FILTERS)
        if unknown:
            raise StorageError(f"cannot filter the audit log by {', '.join(unknown)}")
        every = [*self._uow._base.audit, *self._uow.pending_audit()]
        # Copies, so that changing a returned entry's ``changes`` changes nothing stored.
        return [
            attrs.evolve(e, changes=copy.deepcopy(dict(e.changes)))
            for e in every
            if all(getattr(e, k) == v for k, v in filters.items())
        ]

    def count(self, **filters: object) -> int:
        return len(self.entries(**filters))
