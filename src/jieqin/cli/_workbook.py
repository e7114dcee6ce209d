"""Writing a workbook (or any binary file) from a command: whole or not at all.

A workbook is binary, so it is never written to a terminal: the commands that make
one (``export``, ``report``, ``template`` with ``--format xlsx``) need ``-o FILE``.
It is written to a temporary file beside the target and renamed, as exports are,
so a failure leaves no half workbook; a failure to write is one
:class:`~jieqin.errors.OutputError` line.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

import click

from jieqin.cli._output import is_special, writing

__all__ = ["needs_output", "write_binary"]

T = TypeVar("T")


def needs_output(output: Path | None, fmt: str) -> Path:
    """``output``, or a usage error: a workbook is not written to the terminal."""
    if output is None:
        raise click.UsageError(f"--format {fmt} writes a workbook: give -o FILE.{fmt}")
    return output


def write_binary(output: Path, write: Callable[[IO[bytes]], T]) -> T:
    """Call ``write`` with a binary file that becomes ``output`` once ``write`` returns."""
    if is_special(output):
        with writing(output, "utf-8"), open(output, "wb") as out:
            return write(out)
    with writing(output, "utf-8"):
        directory = output.resolve().parent
        fd, temp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=directory)
        try:
            with open(fd, "wb") as out:
                result = write(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, output)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    return result
