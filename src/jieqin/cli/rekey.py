"""``jieqin db rekey``: seal every stored resident ID, phone and diagnosis again with the
current key (after a key rotation, or to encrypt a database made in clear)."""

from __future__ import annotations

import click

from jieqin.cli._common import database_url, url_option

__all__ = ["rekey_command"]


@click.command("rekey")
@click.option("--decrypt", is_flag=True, help="Write every sealed value back in clear instead.")
@click.option("--actor", default="cli", show_default=True, help="Who rekeys, for the audit log.")
@url_option
def rekey_command(decrypt: bool, actor: str, db: str | None, url: str | None) -> None:
    """Re-encrypt the sealed columns with the key provider's current key.

    Old keys must still be known to the key provider until this has run; afterwards
    they may be retired. Back the database up first.
    """
    from jieqin import connect
    from jieqin.storage.sql.encryption import rekey_storage

    with connect(database_url(db, url)) as campaign:
        counts = rekey_storage(campaign.storage, actor=actor, decrypt=decrypt)
        sealer = campaign.storage.sealer  # type: ignore[attr-defined]
    done = "Wrote in clear" if decrypt else f"Sealed with key {sealer.key_id}"
    click.echo(f"{done}: {counts['household_members']} members, {counts['helpers']} helpers.")
