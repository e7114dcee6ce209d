"""The public base for backends that hold their tables in memory.

A backend written only against :mod:`jieqin.storage.tables_in_memory` (as a plugin
would write one) passes the storage contract suite, and its ``persist`` hook is
given exactly what a commit changed.
"""

from __future__ import annotations

import threading

import pytest

from jieqin.errors import StorageError
from jieqin.storage import Changes, Tables, TablesUnitOfWork
from jieqin.testing import contract
from jieqin.testing.contract import StorageContract


class SnapshotStore:
    """A backend that keeps every committed state, newest last (nothing shared)."""

    def __init__(self) -> None:
        self.url = "snapshots://"
        self.states = [Tables()]
        self.commits: list[Changes] = []
        self.lock = threading.RLock()
        self.fail_next_persist = False

    def unit_of_work(self, actor: str = "jieqin", *, read_only: bool = False) -> SnapshotUnitOfWork:
        return SnapshotUnitOfWork(self, actor, read_only=read_only)

    def close(self) -> None:
        return None


class SnapshotUnitOfWork(TablesUnitOfWork):
    def __init__(self, store: SnapshotStore, actor: str, *, read_only: bool = False) -> None:
        self.store = store
        super().__init__(actor, read_only=read_only)

    def load(self) -> Tables:
        return self.store.states[-1]

    def lock_tables(self) -> None:
        self.store.lock.acquire()

    def unlock_tables(self) -> None:
        self.store.lock.release()

    def persist(self, changes: Changes) -> None:
        if self.store.fail_next_persist:
            self.store.fail_next_persist = False
            raise StorageError("the disk is full")
        self.store.commits.append(changes)
        self.store.states.append(self.base_tables.applied(changes))


class TestSnapshotStorage(StorageContract):
    @pytest.fixture
    def storage(self) -> SnapshotStore:
        return SnapshotStore()


def test_persist_is_given_the_written_tables_and_the_new_audit_entries() -> None:
    store = SnapshotStore()
    with store.unit_of_work(actor="clerk") as uow:
        uow.helpers.add(contract.make_helper("h001"))
        uow.commit()
    household = contract.make_household("hh001")
    with store.unit_of_work(actor="clerk") as uow:
        uow.households.add(household)
        uow.commit()
    first, second = store.commits
    assert set(first.tables) == {"helpers"}
    assert first.members is None
    assert first.handovers is None
    assert set(second.tables) == {"households"}
    assert second.tables["households"] == {"hh001": household}
    assert second.members == {m.member_id: "hh001" for m in household.members}
    assert [(e.entry_id, e.action, e.entity) for e in second.audit] == [(2, "add", "households")]
    assert len(store.states) == 3
    assert store.states[1].records["households"] == {}


def test_a_unit_of_work_that_wrote_nothing_persists_nothing() -> None:
    store = SnapshotStore()
    with store.unit_of_work(actor="reader") as uow:
        assert uow.helpers.count() == 0
        uow.commit()
    assert store.commits == []


def test_a_failed_persist_rolls_back_and_releases_the_lock() -> None:
    store = SnapshotStore()
    store.fail_next_persist = True
    with store.unit_of_work(actor="clerk") as uow:
        uow.helpers.add(contract.make_helper("h001"))
        with pytest.raises(StorageError, match="disk is full"):
            uow.commit()
        assert uow.helpers.count() == 0
    assert len(store.states) == 1
    acquired = store.lock.acquire(blocking=False)
    assert acquired
    store.lock.release()


def test_tables_of_records_index_the_members() -> None:
    household = contract.make_household("hh001", members=2)
    tables = Tables.of({"households": [household], "helpers": [contract.make_helper()]})
    assert tables.records["households"] == {"hh001": household}
    assert tables.members == {m.member_id: "hh001" for m in household.members}
    assert tables.records["needs"] == {}
