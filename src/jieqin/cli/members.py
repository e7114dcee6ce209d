"""``jieqin members move``: move a person to another household, dated, keeping their history."""

from __future__ import annotations

import click

from jieqin.cli._common import database_url, echo_json, url_option
from jieqin.i18n import _

__all__ = ["COMMANDS", "members_group"]


@click.group("members")
def members_group() -> None:
    """Look after household members: one person, one record, moved explicitly."""


@members_group.command("move")
@click.argument("member_id")
@click.option("--to", "to_household", required=True, help="The household they join.")
@click.option(
    "--on", "on", type=click.DateTime(["%Y-%m-%d"]), required=True, help="The day (YYYY-MM-DD)."
)
@click.option(
    "--relation",
    default="other",
    show_default=True,
    help="Their relation to the head of the household they join.",
)
@click.option("--reason", default="", help="Why they moved (marriage, a new household...).")
@click.option(
    "--actor", default="cli", show_default=True, help="Who is moving them, for the audit log."
)
@click.option("--json", "as_json", is_flag=True, help="Print the move as JSON.")
@url_option
def move_command(
    member_id: str,
    to_household: str,
    on: object,
    relation: str,
    reason: str,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Move MEMBER_ID to another household on a day.

    They keep their member id, resident ID number and history: their needs,
    decisions and grants stay with the household they were made in, and the move is
    recorded. A re-import never moves anyone; this command is how it is done.
    """
    from datetime import datetime

    from jieqin import connect

    assert isinstance(on, datetime)
    with connect(database_url(db, url)) as campaign:
        move = campaign.move_member(
            member_id, to_household, on.date(), relation=relation, reason=reason, actor=actor
        )
    if as_json:
        echo_json(
            {
                "member_id": move.member_id,
                "from_household_id": move.from_household_id,
                "to_household_id": move.to_household_id,
                "on": move.on,
                "reason": move.reason,
            }
        )
        return
    click.echo(
        _("Moved member {member} from household {source} to {target} on {day}.").format(
            member=move.member_id,
            source=move.from_household_id,
            target=move.to_household_id,
            day=move.on.isoformat(),
        )
    )


COMMANDS = [members_group]
