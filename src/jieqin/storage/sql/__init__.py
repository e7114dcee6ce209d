"""The SQLAlchemy backend: SQLite and PostgreSQL over Core tables with hand-written mappers."""

from jieqin.storage.sql.backend import SqlStorage, upgrade

__all__ = ["SqlStorage", "upgrade"]
