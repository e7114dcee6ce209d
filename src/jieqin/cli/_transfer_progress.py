"""Progress bars for imports and exports, shown only on a terminal and only for big jobs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

__all__ = ["byte_progress", "record_progress"]

#: Files smaller than this import in a moment; no bar for them.
BIG_FILE_BYTES = 1 << 20
#: Exports of fewer records than this take a moment; no bar for them.
BIG_EXPORT_RECORDS = 20_000


def _wanted() -> bool:
    return sys.stderr.isatty()


@contextmanager
def byte_progress(description: str, total: int) -> Iterator[Callable[[int], None] | None]:
    """A callback advancing a bar by bytes read, or ``None`` when no bar is shown."""
    if not _wanted() or total < BIG_FILE_BYTES:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=total)
        pending = 0

        def advance(n: int) -> None:
            nonlocal pending
            pending += n
            if pending >= 1 << 16:
                progress.advance(task, pending)
                pending = 0

        yield advance


class RecordProgress:
    """Counts records written; shows a bar once it knows the total is big enough."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.pending = 0

    def start(self, total: int) -> None:
        if not _wanted() or total < BIG_EXPORT_RECORDS:
            return
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        self.progress = Progress(*columns, console=Console(stderr=True), transient=True)
        self.progress.start()
        self.task = self.progress.add_task(self.description, total=total)

    def advance(self) -> None:
        if self.progress is None or self.task is None:
            return
        self.pending += 1
        if self.pending >= 1000:
            self.progress.advance(self.task, self.pending)
            self.pending = 0

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@contextmanager
def record_progress(description: str) -> Iterator[RecordProgress]:
    """A :class:`RecordProgress` that is stopped when the block ends."""
    tracker = RecordProgress(description)
    try:
        yield tracker
    finally:
        tracker.stop()
