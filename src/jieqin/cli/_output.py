"""Writing a command's output file: the encoding checked first, failures in one line."""

from __future__ import annotations

import codecs
import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jieqin.errors import InvalidValue, OutputError

__all__ = ["checked_encoding", "is_special", "writing"]

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
