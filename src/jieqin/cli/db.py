"""``jieqin init`` and ``jieqin db``: create a database, migrate an old one, check the
protections of its audit log, grant a least-privilege role."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from jieqin.cli._common import database_url, echo_json, url_option
from jieqin.i18n import N_, _, translated

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = [
    "COMMANDS",
    "check_command",
    "db_group",
    "grant_command",
    "init_command",
    "upgrade_command",
]


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
        said = _("Database ready: {url}").format(url=_shown(campaign.url))
        storage = campaign.storage
        if isinstance(storage, SqlStorage):
            _refuse_unprotected(storage.engine, campaign.url)
            with storage.engine.connect() as conn:
                said = _("Database ready: {url} (schema revision {revision})").format(
                    url=_shown(campaign.url), revision=schema_revision(conn)
                )
        click.echo(said)


def _refuse_unprotected(engine: sa.Engine, url: str) -> None:
    """Refuse a database whose audit log lost a protection (a dropped trigger or table)."""
    from jieqin.storage.audit_chain import AuditLogBroken
    from jieqin.storage.sql.audit import check_engine

    missing = [f.message for f in check_engine(engine) if f.structural]
    if missing:
        raise AuditLogBroken(
            N_(
                "{url} is not ready: {missing}; restore it from a backup "
                "(`jieqin db check` says what else is missing)",
                url=_shown(url),
                missing="; ".join(missing),
            )
        )


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
        raise StorageError(
            N_("{url} is not a SQL database; there is nothing to upgrade", url=_shown(target))
        )
    before, after = upgrade(target, revision)
    if before == after:
        said = _("{url} is already at schema revision {revision}")
    elif before:
        said = _("Upgraded {url} from {before} to {revision}")
    else:
        said = _("Upgraded {url} from an empty database to {revision}")
    click.echo(said.format(url=_shown(target), before=before, revision=after))


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
            N_("{url} is not a SQL database; its figures are counted on demand", url=_shown(target))
        )
    rebuild_read_model(target)
    click.echo(_("Rebuilt the read model of {url} from its records").format(url=_shown(target)))


@db_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print what was found as JSON.")
@url_option
def check_command(as_json: bool, db: str | None, url: str | None) -> None:
    """Check the audit log's protections and chain: the triggers that refuse to change
    it (and, on PostgreSQL, that the connecting role cannot disable them), the table
    itself, and `jieqin audit verify`. Exit status 1 if anything is missing."""
    from jieqin import connect
    from jieqin.storage.audit_chain import AuditLogBroken, verify_audit
    from jieqin.storage.sql.audit import NO_TABLE, check_engine
    from jieqin.storage.sql.backend import SqlStorage

    with connect(database_url(db, url)) as campaign:
        storage = campaign.storage
        missing: list[str] = []
        if isinstance(storage, SqlStorage):
            missing = [f.message for f in check_engine(storage.engine)]
        chain = None
        if NO_TABLE not in missing:
            chain = verify_audit(campaign)
            if not chain.ok:
                missing.append(chain.line())
        shown = _shown(campaign.url)
    if as_json:
        echo_json({"ok": not missing, "missing": missing, "chain": chain and chain.as_dict()})
        if missing:
            raise SystemExit(1)
        return
    if missing:
        said = "; ".join(translated(m) for m in missing)
        raise AuditLogBroken(N_("{url}: {missing}", url=shown, missing=said))
    assert chain is not None
    click.echo(
        _("{url}: every protection of the audit log is in place; {chain}").format(
            url=shown, chain=translated(chain.line())
        )
    )


@db_group.command("grant")
@click.argument("role")
@click.option("--apply", "apply", is_flag=True, help="Run the statements (as the owner).")
@url_option
def grant_command(role: str, apply: bool, db: str | None, url: str | None) -> None:
    """Print (or, with --apply, run) the GRANT and REVOKE statements that let ROLE run
    jieqin on PostgreSQL with SELECT and INSERT only on the audit log: connect the
    application as ROLE and keep the owner for migrations."""
    from jieqin.campaign import default_url
    from jieqin.errors import StorageError
    from jieqin.storage.sql.audit import grant_statements
    from jieqin.storage.sql.backend import create_engine

    target = database_url(db, url) or default_url()
    if not target.startswith("postgresql"):
        raise StorageError(
            N_("{url} is not PostgreSQL: roles and grants are for it", url=_shown(target))
        )
    engine = create_engine(target)
    try:
        with engine.connect() as conn:
            statements = grant_statements(conn, role)
            for statement in statements:
                if apply:
                    conn.exec_driver_sql(statement)
                click.echo(f"{statement};")
            conn.commit()
    finally:
        engine.dispose()
    if apply:
        click.echo(
            _("-- applied {count} statements for {role} on {url}").format(
                count=len(statements), role=role, url=_shown(target)
            )
        )


def _add_rekey() -> None:
    from jieqin.cli.rekey import rekey_command

    db_group.add_command(rekey_command)


_add_rekey()

COMMANDS = [init_command, db_group]
