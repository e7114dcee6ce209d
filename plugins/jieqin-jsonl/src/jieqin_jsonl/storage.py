"""The ``jsonl://`` storage backend: a campaign in a directory of JSON Lines files.

The committed state is held in memory and on disk. The unit of work is jieqin's
:class:`~jieqin.storage.tables_in_memory.TablesUnitOfWork`: it reads the committed
tables and writes to copies of the tables it touches; persisting a commit publishes
a new generation of the directory (see :mod:`jieqin_jsonl.files`) and only then
swaps the new tables in. Units of work that write are serial: the first write takes
the store's lock (a re-entrant lock in this process and ``flock`` on the directory
across processes) until commit or rollback.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import attrs

import jieqin
from jieqin.errors import DatabaseMissing, InvalidInput, StorageError
from jieqin.io import structure, to_json
from jieqin.storage import AuditEntry
from jieqin.storage.tables_in_memory import KINDS, Changes, Tables, TablesUnitOfWork, plain
from jieqin_jsonl.files import Directory

__all__ = ["JsonlStorage", "JsonlUnitOfWork", "path_from_url"]

T = TypeVar("T")
_HANDOVERS = "handovers"
_MOVES = "member_moves"
_FILES = (*KINDS, _HANDOVERS, _MOVES)


def path_from_url(url: str) -> Path:
    """``jsonl:///abs/dir`` -> ``/abs/dir``; ``jsonl://rel/dir`` -> ``rel/dir``."""
    scheme, sep, rest = url.partition("://")
    if scheme != "jsonl" or not sep or not rest.strip("/"):
        raise StorageError(f"expected jsonl:///path/to/directory, got {url!r}")
    return Path(rest)


def _load(directory: Directory, generation: int) -> Tables:
    """The tables of ``generation`` as the directory holds them."""
    records: dict[str, list[Any]] = {
        name: [
            _structure(data, spec.cls, name, line)
            for line, data in directory.read(generation, name)
        ]
        for name, spec in KINDS.items()
    }
    handovers = [
        _structure(data, jieqin.Handover, _HANDOVERS, line)
        for line, data in directory.read(generation, _HANDOVERS)
    ]
    moves = [
        _structure(data, jieqin.MemberMove, _MOVES, line)
        for line, data in directory.read(generation, _MOVES)
    ]
    audit = [
        AuditEntry(
            entry_id=entry["entry_id"],
            at=datetime.fromisoformat(entry["at"]),
            actor=entry["actor"],
            action=entry["action"],
            entity=entry["entity"],
            entity_id=entry["entity_id"],
            changes=entry["changes"],
            prev_hash=entry.get("prev_hash"),
            hash=entry.get("hash"),
        )
        for entry in directory.audit(generation)
    ]
    return Tables.of(records, handovers, audit, moves)


def _structure(data: Any, cls: type[T], name: str, line: int) -> T:
    try:
        return structure(data, cls, source=f"{name}.jsonl", line=line)
    except InvalidInput as exc:
        raise StorageError(f"the stored file is damaged: {exc}") from None


class JsonlStorage:
    """A campaign kept in a directory of JSON Lines files."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        path = path_from_url(url)
        if not create and not path.is_dir():
            raise DatabaseMissing(
                f"there is no jsonl store {path}: create it with `jieqin init --url {url}` first"
            )
        self.directory = Directory(path)
        self.lock = threading.RLock()
        self._generation = 0
        self._tables = Tables()
        with self.lock:
            self.directory.lock()
            try:
                self.directory.clean()
                self._generation = self.directory.generation()
                self._tables = _load(self.directory, self._generation)
            finally:
                self.directory.unlock()

    def committed(self) -> tuple[int, Tables]:
        """The committed generation and tables, reloaded if another process committed."""
        with self.lock:
            generation = self.directory.generation()
            if generation != self._generation:
                self.directory.lock()
                try:
                    self._generation = self.directory.generation()
                    self._tables = _load(self.directory, self._generation)
                finally:
                    self.directory.unlock()
            return self._generation, self._tables

    def replace(self, generation: int, tables: Tables) -> None:
        """Hold ``tables`` as the committed state of the published ``generation``."""
        self._generation, self._tables = generation, tables

    def unit_of_work(self, actor: str = "jieqin", *, read_only: bool = False) -> JsonlUnitOfWork:
        return JsonlUnitOfWork(self, actor, read_only=read_only)

    def close(self) -> None:
        return None


class JsonlUnitOfWork(TablesUnitOfWork):
    """A transaction over a :class:`JsonlStorage`: copy on first write, publish on commit."""

    def __init__(self, storage: JsonlStorage, actor: str, *, read_only: bool = False) -> None:
        self._storage = storage
        self._generation = 0
        super().__init__(actor, read_only=read_only)

    def load(self) -> Tables:
        self._generation, tables = self._storage.committed()
        return tables

    def lock_tables(self) -> None:
        self._storage.lock.acquire()
        try:
            self._storage.directory.lock()
        except BaseException:
            self._storage.lock.release()
            raise

    def unlock_tables(self) -> None:
        self._storage.directory.unlock()
        self._storage.lock.release()

    def persist(self, changes: Changes) -> None:
        lines: dict[str, Iterable[str]] = {
            name: _lines(table) for name, table in changes.tables.items()
        }
        if changes.handovers is not None:
            lines[_HANDOVERS] = (to_json(h) for h in changes.handovers)
        if changes.moves is not None:
            lines[_MOVES] = (to_json(m) for m in changes.moves)
        directory = self._storage.directory
        try:
            generation = directory.publish(
                self._generation, lines, _FILES, (_audit_line(e) for e in changes.audit)
            )
        except OSError as exc:
            raise StorageError(f"could not write {directory.root}: {exc}") from exc
        self._storage.replace(generation, self.base_tables.applied(changes))


def _lines(table: Mapping[Any, Any]) -> Iterator[str]:
    """The records of a table as JSON lines, in key order."""
    for key in sorted(table, key=lambda k: plain(k)):
        yield to_json(table[key])


def _audit_line(entry: AuditEntry) -> str:
    data = attrs.asdict(entry, recurse=False)
    data["at"] = entry.at.isoformat()
    data["changes"] = dict(entry.changes)
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
