"""A command's text output: tables that wrap rather than cut, and output files written
with the encoding checked first and failures in one line."""

from __future__ import annotations

import codecs
import errno
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from jieqin.errors import InvalidValue, OutputError

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table

__all__ = [
    "PIPE_WIDTH",
    "checked_encoding",
    "is_special",
    "output_console",
    "print_tables",
    "text_width",
    "wrapping",
    "writing",
]

#: The width of text written to a pipe or a file when ``COLUMNS`` does not set one:
#: wide enough that no table is wrapped, so that every row stays one line for grep.
PIPE_WIDTH = 10_000


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def text_width(stream: IO[str] | None = None) -> int | None:
    """The width text output should fit: ``None`` on a terminal or when ``COLUMNS``
    is set (rich then reads the terminal or the variable), else :data:`PIPE_WIDTH`:
    output that goes to a pipe or a file is never cut at 80 columns."""
    target = sys.stdout if stream is None else stream
    if _is_terminal(target) or os.environ.get("COLUMNS", "").strip().isdigit():
        return None
    return PIPE_WIDTH


def output_console(*, stderr: bool = False) -> Console:
    """A rich console for standard output (or error) at :func:`text_width`."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, width=text_width(stream))


def wrapping(table: Table) -> Table:
    """``table`` with every column folding a long cell onto more lines instead of
    cutting it with an ellipsis: what a narrow terminal shows is all of it."""
    for column in table.columns:
        column.overflow = "fold"
        column.no_wrap = False
    return table


def print_tables(*renderables: RenderableType, stderr: bool = False) -> None:
    """Print tables (and text) whole: tables wrap on a narrow terminal, and nothing is
    cut when the output goes to a pipe or a file."""
    from rich.table import Table

    console = output_console(stderr=stderr)
    for renderable in renderables:
        console.print(wrapping(renderable) if isinstance(renderable, Table) else renderable)


#: What to do when the disk is full or the file may not be written.
_HINTS = {
    errno.ENOSPC: "the disk is full: free some space or choose another place",
    errno.EDQUOT: "the disk quota is used up: free some space or choose another place",
    errno.EACCES: "jieqin may not write there: check the permissions or choose another place",
    errno.EROFS: "the file system is read-only: choose another place",
    errno.EPIPE: "the program reading the output stopped",
}


def checked_encoding(encoding: str) -> str:
    """``encoding`` if Python knows it, else an :class:`~jieqin.errors.InvalidValue`."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InvalidValue(
            f"unknown encoding {encoding!r}; give one such as utf-8, utf-8-sig, gbk or gb18030",
            field="encoding",
        ) from None


#: Where the names of devices and of a process's open files live (``/dev/stdout`` is a
#: link to ``/proc/self/fd/1``, which may be a file the shell opened).
_DEVICE_FOLDERS = ("/dev/", "/proc/")


def is_special(path: Path) -> bool:
    """Whether ``path`` is a device, a pipe or a terminal (``/dev/stdout``, ``/dev/full``)
    rather than a file of its own: written directly, since renaming a file over it
    would replace the name, not write where it leads."""
    if str(path.absolute()).startswith(_DEVICE_FOLDERS):
        return True
    return path.exists() and not path.is_file()


@contextmanager
def writing(path: Path, encoding: str) -> Iterator[None]:
    """Turn a failure to write ``path`` into one :class:`~jieqin.errors.OutputError` line:
    a character the encoding lacks, a full disk, a file that may not be written."""
    try:
        yield
    except UnicodeEncodeError as exc:
        char = exc.object[exc.start : exc.start + 1]
        raise OutputError(
            f"cannot write {path}: {encoding} has no character U+{ord(char):04X}; nothing "
            "was written: export with --encoding utf-8 (or gb18030, which has every character)"
        ) from exc
    except OSError as exc:
        what = _HINTS.get(exc.errno or 0, "check the path and the disk")
        raise OutputError(
            f"cannot write {path} ({exc.strerror or type(exc).__name__}); {what}"
        ) from exc
