"""The storage contract suite, run against the built-in backends."""

from __future__ import annotations

import pytest

from jieqin.testing.contract import StorageContract


class TestMemoryStorage(StorageContract):
    @pytest.fixture
    def storage_url(self) -> str:
        return "memory://"


class TestSqliteStorage(StorageContract):
    @pytest.fixture
    def storage_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestSqliteInMemoryStorage(StorageContract):
    @pytest.fixture
    def storage_url(self) -> str:
        return "sqlite://"


@pytest.mark.postgresql
class TestPostgresqlStorage(StorageContract):
    @pytest.fixture
    def storage_url(self, postgresql_url: str) -> str:
        return postgresql_url
