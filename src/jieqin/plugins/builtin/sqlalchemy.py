"""Built-in plugin: the SQLAlchemy backend for SQLite and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from jieqin.plugins.hookspecs import RegisterBackend, hookimpl


def _sql(url: str, *, create: bool = True) -> object:
    from jieqin.storage.sql import SqlStorage

    return SqlStorage(url, create=create)


@hookimpl(trylast=True)
def jieqin_register_storage_backends(register: RegisterBackend) -> None:
    register("sqlite", _sql)  # type: ignore[arg-type]
    register("postgresql+psycopg", _sql)  # type: ignore[arg-type]
    register("postgresql", _sql)  # type: ignore[arg-type]
