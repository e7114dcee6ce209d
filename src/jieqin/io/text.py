"""Reading input files as lines of text, whatever encoding a village office saved them in.

Spreadsheets in Chinese offices save CSV as UTF-8 (often with a byte-order mark) or
as GBK. ``encoding="auto"`` takes a byte-order mark as UTF-8, else tries UTF-8 on
the start of the file and falls back to GB18030 (a superset of GBK and GB2312).
Lines are decoded one at a time, so an undecodable byte is reported with its line
number. This is safe for GBK too: its trail bytes never include the newline byte.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from jieqin.errors import InvalidInput, Problem

__all__ = ["AUTO", "detect_encoding", "read_lines"]

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
                [Problem(f"unknown encoding {encoding!r}", field="encoding")]
            ) from None
        return "utf-8-sig" if name == "utf-8" else name
    head = stream.read(_SNIFF_BYTES)
    stream.seek(0)
    return detect_encoding(head)


def read_lines(
    path: str | os.PathLike[str],
    *,
    encoding: str = AUTO,
    source: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """Yield the lines of ``path`` as text (with their line endings).

    ``on_bytes`` is called with the number of bytes consumed for each line, for a
    progress bar. An undecodable line raises :class:`~jieqin.errors.InvalidInput`
    naming the file, the line and the encoding, and suggesting ``--encoding``.
    """
    name = source if source is not None else Path(path).name
    with open(path, "rb") as stream:
        codec = _resolve(encoding, stream)
        decode = codecs.getdecoder(codec)
        first = True
        for number, raw in enumerate(stream, start=1):
            if on_bytes is not None:
                on_bytes(len(raw))
            if first:
                first = False
                if codec in ("utf-8-sig", "utf-8") and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8) :]
            try:
                text, _ = decode(raw)
            except UnicodeDecodeError as exc:
                raise InvalidInput(
                    [
                        Problem(
                            f"cannot decode byte {raw[exc.start : exc.start + 1]!r} at column "
                            f"{exc.start + 1} as {codec}; give the file's encoding with "
                            "--encoding (for example gbk or utf-8)",
                            source=name,
                            line=number,
                        )
                    ]
                ) from None
            yield text
