"""Reading input files as lines of text, whatever encoding a village office saved them in.

Spreadsheets in Chinese offices save CSV as UTF-8 (often with a byte-order mark) or
as GBK. ``encoding="auto"`` takes a byte-order mark as UTF-8, else tries UTF-8 on
the start of the file and falls back to GB18030 (a superset of GBK and GB2312).
Lines are decoded one at a time, so an undecodable byte is reported with its line
number, and a line is at most :data:`MAX_LINE` bytes. This is safe for GBK too: its trail bytes never include the newline byte.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from attrs import frozen

from jieqin.errors import InvalidInput, Problem
from jieqin.i18n import N_

__all__ = ["AUTO", "MAX_LINE", "LongLine", "bounded_lines", "detect_encoding", "read_lines"]

AUTO = "auto"
_SNIFF_BYTES = 1 << 16
_FALLBACK = "gb18030"


def detect_encoding(head: bytes) -> str:
    """The encoding to read a file whose first bytes are ``head`` with.

    A UTF-8 byte-order mark means ``utf-8-sig``; bytes that decode as UTF-8 mean
    ``utf-8``; anything else is taken as GB18030 (which reads GBK and GB2312).
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is not a failure.
        if exc.start < len(head) - 3:
            return _FALLBACK
    return "utf-8"


def _resolve(encoding: str, stream: BinaryIO) -> str:
    if encoding.lower() != AUTO:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise InvalidInput(
                [
                    Problem(
                        N_("unknown encoding {encoding}", encoding=repr(encoding)), field="encoding"
                    )
                ]
            ) from None
        return "utf-8-sig" if name == "utf-8" else name
    head = stream.read(_SNIFF_BYTES)
    stream.seek(0)
    return detect_encoding(head)


#: The longest line read, in bytes of the file. A CSV row or a JSON Lines record of a
#: megabyte is no ledger's: a longer line is refused, skipped in small reads and never
#: held in memory whole (a 300 MiB line costs what a short one does).
MAX_LINE = 1 << 20

#: How much of an over-long line is read at a time while it is skipped.
_SKIP_CHUNK = 1 << 16


@frozen
class LongLine:
    """A line of over :data:`MAX_LINE` bytes, read no further than its size."""

    size: int


def bounded_lines(
    path: str | os.PathLike[str],
    *,
    encoding: str = AUTO,
    source: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[str | LongLine]:
    """The lines of ``path`` as text (with their line endings); a line of over
    :data:`MAX_LINE` bytes as a :class:`LongLine`, skipped in small chunks.

    ``on_bytes`` is called with the number of bytes consumed for each line, for a
    progress bar. An undecodable line raises :class:`~jieqin.errors.InvalidInput`
    naming the file, the line and the encoding, and suggesting ``--encoding``.
    """
    name = source if source is not None else Path(path).name
    with open(path, "rb") as stream:
        codec = _resolve(encoding, stream)
        decode = codecs.getdecoder(codec)
        number = 0
        while raw := stream.readline(MAX_LINE + 1):
            number += 1
            if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                size = len(raw) + _skip_line(stream)
                if on_bytes is not None:
                    on_bytes(size)
                yield LongLine(size)
                continue
            if on_bytes is not None:
                on_bytes(len(raw))
            if number == 1 and raw.startswith(codecs.BOM_UTF8) and codec.startswith("utf-8"):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                text, _ = decode(raw)
            except UnicodeDecodeError as exc:
                raise _undecodable(raw, exc, codec, name, number) from None
            yield text


def read_lines(
    path: str | os.PathLike[str],
    *,
    encoding: str = AUTO,
    source: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """Yield the lines of ``path`` as text, as :func:`bounded_lines` reads them; a line
    of over :data:`MAX_LINE` bytes raises :class:`~jieqin.errors.InvalidInput`
    naming it (after it was skipped, never read whole)."""
    name = source if source is not None else Path(path).name
    lines = bounded_lines(path, encoding=encoding, source=name, on_bytes=on_bytes)
    for number, line in enumerate(lines, start=1):
        if isinstance(line, LongLine):
            reason = N_(
                "the line is {size} bytes long; at most {most}: is this the right file?",
                size=line.size,
                most=MAX_LINE,
            )
            raise InvalidInput([Problem(reason, source=name, line=number)])
        yield line


def _skip_line(stream: BinaryIO) -> int:
    """Read past the rest of a line in bounded chunks; returns how many bytes it had."""
    skipped = 0
    while chunk := stream.readline(_SKIP_CHUNK):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


def _undecodable(
    raw: bytes, exc: UnicodeDecodeError, codec: str, source: str, line: int
) -> InvalidInput:
    reason = N_(
        "cannot decode byte {byte} at column {column} as {codec}; give the file's encoding "
        "with --encoding (for example gbk or utf-8)",
        byte=repr(raw[exc.start : exc.start + 1]),
        column=exc.start + 1,
        codec=codec,
    )
    return InvalidInput([Problem(reason, source=source, line=line)])
