"""Progress bars appear only on a terminal and only for big imports and exports."""

from __future__ import annotations

import io

import pytest

from jieqin.cli._transfer_progress import (
    BIG_EXPORT_RECORDS,
    BIG_FILE_BYTES,
    byte_progress,
    record_progress,
)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    with byte_progress("Importing", 10 * BIG_FILE_BYTES) as advance:
        assert advance is None
    with record_progress("Exporting") as progress:
        progress.start(10 * BIG_EXPORT_RECORDS)
        assert progress.progress is None


def test_no_bar_for_a_small_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", _Terminal())
    with byte_progress("Importing", BIG_FILE_BYTES - 1) as advance:
        assert advance is None


def test_a_bar_on_a_terminal_for_big_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with byte_progress("Importing", 2 * BIG_FILE_BYTES) as advance:
        assert advance is not None
        for _ in range(64):
            advance(BIG_FILE_BYTES // 32)
    with record_progress("Exporting") as progress:
        progress.start(BIG_EXPORT_RECORDS)
        assert progress.progress is not None
        for _ in range(BIG_EXPORT_RECORDS):
            progress.advance()
    assert "Importing" in terminal.getvalue()
