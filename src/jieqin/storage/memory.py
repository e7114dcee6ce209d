"""The memory backend (``memory://``): everything in dictionaries, nothing on disk.

For tests, demos and the service layer's own tests. Units of work that write are
serial (a process-wide lock is held from the first write until commit or rollback),
and a unit of work writes to copies of the tables it touches, so leaving it without
a commit leaves the store as it was. ``memory://`` gives a fresh, private store;
``memory://NAME`` a store shared by every connection to that name in this process.

The unit of work is :class:`~jieqin.storage.tables_in_memory.TablesUnitOfWork`;
persisting a commit means applying it to the tables this process keeps.
"""

from __future__ import annotations

import threading

from jieqin.storage.tables_in_memory import Changes, Tables, TablesUnitOfWork

__all__ = ["MemoryStorage", "MemoryUnitOfWork"]


class MemoryStore:
    """The committed state of one memory database and its write lock."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.lock = threading.RLock()


_named_stores: dict[str, MemoryStore] = {}
_named_lock = threading.Lock()


class MemoryStorage:
    """A storage backend that keeps everything in this process's memory."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        name = url.partition("://")[2].strip("/")
        if name:
            with _named_lock:
                self._store = _named_stores.setdefault(name, MemoryStore())
        else:
            self._store = MemoryStore()

    def unit_of_work(self, actor: str = "jieqin", *, read_only: bool = False) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self._store, actor, read_only=read_only)

    def close(self) -> None:
        return None


class MemoryUnitOfWork(TablesUnitOfWork):
    """A transaction over a :class:`MemoryStore`: copy on first write, apply on commit.

    Every unit of work reads the store's own tables, so it sees each commit as soon
    as it is made.
    """

    def __init__(self, store: MemoryStore, actor: str, *, read_only: bool = False) -> None:
        self._store = store
        super().__init__(actor, read_only=read_only)

    def load(self) -> Tables:
        return self._store.tables

    def lock_tables(self) -> None:
        self._store.lock.acquire()

    def unlock_tables(self) -> None:
        self._store.lock.release()

    def persist(self, changes: Changes) -> None:
        with self._store.lock:
            self._store.tables.apply(changes)
