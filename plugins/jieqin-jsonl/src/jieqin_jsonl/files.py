"""The directory on disk: generations of snapshots, audit segments, atomic commits.

``CURRENT`` names the committed generation ``n``; ``snapshot-n/`` holds one JSON
Lines file per kind of record; ``audit/k.jsonl`` holds the audit entries of commit
``k`` (for every ``k <= n``). A commit builds ``snapshot-(n+1)`` under a temporary
name, writes its audit segment, renames the snapshot into place and then replaces
``CURRENT``: the rename of ``CURRENT`` is the commit point. Every file and directory
is ``fsync``-ed before the rename that publishes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from jieqin.errors import StorageError

__all__ = ["Directory"]

_CURRENT = "CURRENT"
_AUDIT = "audit"
_LOCK = ".lock"
_SUFFIX = ".jsonl"


def _name(generation: int) -> str:
    return f"{generation:08d}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for line in lines:
            out.write(line)
            out.write("\n")
        out.flush()
        os.fsync(out.fileno())


class Directory:
    """A campaign directory: read the committed generation, publish a new one."""

    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / _AUDIT).mkdir(exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot use {root} as a jsonl store: {exc.strerror}") from None
        self._lock_file: IO[bytes] | None = None
        self._lock_depth = 0

    # -- reading ----------------------------------------------------------------------

    def generation(self) -> int:
        """The committed generation (0: nothing committed yet)."""
        try:
            text = (self.root / _CURRENT).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return 0
        if not text.isdigit():
            raise StorageError(f"{self.root / _CURRENT} is damaged: {text[:20]!r}")
        return int(text)

    def snapshot(self, generation: int) -> Path:
        return self.root / f"snapshot-{_name(generation)}"

    def read(self, generation: int, kind: str) -> Iterator[tuple[int, Any]]:
        """``(line, data)`` for each record of ``kind`` in ``generation``."""
        if generation == 0:
            return
        path = self.snapshot(generation) / f"{kind}{_SUFFIX}"
        if not path.exists():
            return
        with open(path, encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    yield number, json.loads(line)

    def audit(self, generation: int) -> Iterator[dict[str, Any]]:
        """Every audit entry of commits ``1..generation``, oldest first."""
        for k in range(1, generation + 1):
            path = self.root / _AUDIT / f"{_name(k)}{_SUFFIX}"
            if not path.exists():
                continue
            with open(path, encoding="utf-8") as lines:
                for line in lines:
                    if line.strip():
                        yield json.loads(line)

    def clean(self) -> None:
        """Remove what an interrupted commit left behind (needs the write lock)."""
        current = self.generation()
        keep = self.snapshot(current).name
        for path in self.root.iterdir():
            stale_snapshot = path.name.startswith("snapshot-") and path.name != keep
            if stale_snapshot or path.name.endswith(".tmp"):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        for path in (self.root / _AUDIT).iterdir():
            stem = path.name.removesuffix(_SUFFIX)
            if path.name.endswith(".tmp") or (stem.isdigit() and int(stem) > current):
                path.unlink(missing_ok=True)

    # -- locking ----------------------------------------------------------------------

    def lock(self) -> None:
        """Take the directory's write lock (re-entrant within this process)."""
        if self._lock_depth == 0:
            handle = open(self.root / _LOCK, "ab")  # noqa: SIM115 - held across calls
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            except BaseException:
                handle.close()
                raise
            self._lock_file = handle
        self._lock_depth += 1

    def unlock(self) -> None:
        if self._lock_depth == 0:
            return
        self._lock_depth -= 1
        if self._lock_depth == 0 and self._lock_file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    # -- committing -------------------------------------------------------------------

    def publish(
        self,
        generation: int,
        changed: Mapping[str, Iterable[str]],
        kinds: Iterable[str],
        audit: Iterable[str],
    ) -> int:
        """Publish generation ``generation + 1``; returns it.

        ``changed`` gives the full new contents (JSON lines) of each kind written;
        the other ``kinds`` are hard-linked from the current snapshot.
        """
        new = generation + 1
        old_dir = self.snapshot(generation)
        final = self.snapshot(new)
        temp = final.with_name(final.name + ".tmp")
        shutil.rmtree(temp, ignore_errors=True)
        shutil.rmtree(final, ignore_errors=True)
        temp.mkdir()
        for kind in kinds:
            target = temp / f"{kind}{_SUFFIX}"
            if kind in changed:
                _write_lines(target, changed[kind])
                continue
            source = old_dir / f"{kind}{_SUFFIX}"
            if generation and source.exists():
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copyfile(source, target)
        _fsync_dir(temp)
        segment = self.root / _AUDIT / f"{_name(new)}{_SUFFIX}"
        segment_temp = segment.with_name(segment.name + ".tmp")
        _write_lines(segment_temp, audit)
        os.replace(segment_temp, segment)
        _fsync_dir(self.root / _AUDIT)
        os.replace(temp, final)
        _fsync_dir(self.root)
        current_temp = self.root / f"{_CURRENT}.tmp"
        _write_lines(current_temp, [str(new)])
        os.replace(current_temp, self.root / _CURRENT)
        _fsync_dir(self.root)
        if generation:
            shutil.rmtree(old_dir, ignore_errors=True)
        return new
