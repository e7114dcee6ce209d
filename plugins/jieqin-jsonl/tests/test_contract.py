"""jieqin's storage contract suite, run against the jsonl:// backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from jieqin.testing.contract import StorageContract


class TestJsonlStorage(StorageContract):
    @pytest.fixture
    def storage_url(self, tmp_path: Path) -> str:
        return f"jsonl://{tmp_path}/store"
