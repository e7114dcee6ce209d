"""``jieqin init`` and ``jieqin db upgrade``: create a database, migrate an old one."""

from __future__ import annotations

import click

from jieqin.cli._common import database_url, url_option

__all__ = ["COMMANDS", "db_group", "init_command", "upgrade_command"]


def _shown(url: str) -> str:
    from jieqin.storage.sql.backend import shown_url

    return shown_url(url)


@click.command("init")
@url_option
def init_command(db: str | None, url: str | None) -> None:
    """Create the campaign database (at the newest schema) or check an existing one.

    An existing database made by an older jieqin is refused: run `jieqin db upgrade`.
    """
    from jieqin import connect
    from jieqin.storage.sql.backend import SqlStorage, schema_revision

    with connect(database_url(db, url)) as campaign:
        revision = ""
        storage = campaign.storage
        if isinstance(storage, SqlStorage):
            with storage.engine.connect() as conn:
                revision = f" (schema revision {schema_revision(conn)})"
        click.echo(f"Database ready: {_shown(campaign.url)}{revision}")


@click.group("db")
def db_group() -> None:
    """Look after the campaign database."""


@db_group.command("upgrade")
@click.option("--to", "revision", default="head", show_default=True, help="Target revision.")
@url_option
def upgrade_command(revision: str, db: str | None, url: str | None) -> None:
    """Migrate a SQL database to the schema this jieqin needs (back it up first)."""
    from jieqin.campaign import default_url
    from jieqin.errors import StorageError
    from jieqin.storage.sql import upgrade

    target = database_url(db, url) or default_url()
    if not target.startswith(("sqlite:", "postgresql")):
        raise StorageError(f"{_shown(target)} is not a SQL database; there is nothing to upgrade")
    before, after = upgrade(target, revision)
    if before == after:
        click.echo(f"{_shown(target)} is already at schema revision {after}")
    else:
        click.echo(f"Upgraded {_shown(target)} from {before or 'an empty database'} to {after}")


@db_group.command("rebuild")
@url_option
def rebuild_command(db: str | None, url: str | None) -> None:
    """Count the read model (report tallies, who was paired, follow-up rows) again
    from the records: after restoring rows by hand, or to check nothing drifted."""
    from jieqin.campaign import default_url
    from jieqin.errors import StorageError
    from jieqin.storage.sql.backend import rebuild_read_model

    target = database_url(db, url) or default_url()
    if not target.startswith(("sqlite:", "postgresql")):
        raise StorageError(
            f"{_shown(target)} is not a SQL database; its figures are counted on demand"
        )
    rebuild_read_model(target)
    click.echo(f"Rebuilt the read model of {_shown(target)} from its records")


COMMANDS = [init_command, db_group]
