"""Alembic environment for jieqin's schema (runs inside the installed package).

jieqin passes the connection in ``config.attributes["connection"]``; for hand use
with an ``alembic.ini``, ``sqlalchemy.url`` is read instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from jieqin.storage.sql import read_model as _read_model  # noqa: F401 - its tables join METADATA
from jieqin.storage.sql.tables import METADATA, VERSION_TABLE

config = context.config


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=METADATA,
        version_table=VERSION_TABLE,
        compare_type=True,
        **kwargs,  # type: ignore[arg-type]
    )


def run_offline() -> None:
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: sa.Connection) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connectable = config.attributes.get("connection")
    if isinstance(connectable, sa.Connection):
        _run(connectable)
        return
    if connectable is None:
        from jieqin.storage.sql.backend import create_engine

        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("set sqlalchemy.url or pass a connection")
        connectable = create_engine(url)
    with connectable.connect() as connection:
        _run(connection)
        connection.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
