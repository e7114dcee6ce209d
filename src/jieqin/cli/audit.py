"""``jieqin audit verify``: walk the audit log's hash chain, name the first entry that
does not fit."""

from __future__ import annotations

import click

from jieqin.cli._common import database_url, echo_json, url_option
from jieqin.i18n import translated

__all__ = ["COMMANDS", "audit_group", "verify_command"]


@click.group("audit")
def audit_group() -> None:
    """Check the audit log (who wrote what, when)."""


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@url_option
def verify_command(as_json: bool, db: str | None, url: str | None) -> None:
    """Walk the audit log's hash chain and name the first entry that does not fit:
    changed (its hash does not match), removed or replaced (a broken link, missing
    entries), or back-dated (its time goes backwards). Exit status 1 if one does.

    Keyed (HMAC) entries need JIEQIN_AUDIT_KEY, the key they were written with.
    """
    from jieqin import connect
    from jieqin.storage.audit_chain import AuditLogBroken, verify_audit

    with connect(database_url(db, url)) as campaign:
        result = verify_audit(campaign)
    if as_json:
        echo_json(result.as_dict())
        if not result.ok:
            raise SystemExit(1)
        return
    if not result.ok:
        raise AuditLogBroken(result.line())
    click.echo(translated(result.line()))


COMMANDS = [audit_group]
