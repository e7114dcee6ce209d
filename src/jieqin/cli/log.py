"""``jieqin log KIND``: log one activity (a contact, visit, policy explanation, ...)."""

from __future__ import annotations

import uuid
from datetime import datetime

import click

from jieqin.cli._common import database_url, echo_json, url_option
from jieqin.i18n import _

__all__ = ["COMMANDS", "log_command"]


@click.command("log")
@click.argument("kind")
@click.option("--helper", "helper_id", required=True, help="The helper who did it.")
@click.option("--household", "household_id", required=True, help="The household it was with.")
@click.option(
    "--on",
    "on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The day (YYYY-MM-DD; default today).",
)
@click.option("--member", "member_id", default=None, help="The member it concerned, if one.")
@click.option(
    "--need", "need_id", default=None, help="The need it served (practical help resolves it)."
)
@click.option("--event", default=None, help="The member activity day it was part of.")
@click.option("--note", default="", help="A short note (no ID numbers or health details).")
@click.option("--id", "activity_id", default=None, help="The activity id (default: a new one).")
@click.option(
    "--actor", default="cli", show_default=True, help="Who is logging, for the audit log."
)
@click.option("--json", "as_json", is_flag=True, help="Print the logged activity as JSON.")
@url_option
def log_command(
    kind: str,
    helper_id: str,
    household_id: str,
    on: object,
    member_id: str | None,
    need_id: str | None,
    event: str | None,
    note: str,
    activity_id: str | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Log one activity of KIND (contact, visit, policy_explanation, warmth, practical_help).

    The helper must have been paired with the household on that day, unless --event
    names a member activity day (a group visit).
    """
    from jieqin import connect
    from jieqin.model import Activity

    with connect(database_url(db, url)) as campaign:
        # the campaign's clock, as every write path asks it: never the system's date
        day = on.date() if isinstance(on, datetime) else campaign.clock.today()
        activity = Activity(
            activity_id=activity_id or f"a-{uuid.uuid4().hex[:20]}",
            kind=kind,
            on=day,
            helper_id=helper_id,
            household_id=household_id,
            member_id=member_id,
            need_id=need_id,
            note=note,
            event=event,
        )
        campaign.log_activity(activity, actor=actor)
    if as_json:
        echo_json(
            {
                "activity_id": activity.activity_id,
                "kind": activity.kind,
                "on": activity.on,
                "helper_id": activity.helper_id,
                "household_id": activity.household_id,
                "member_id": activity.member_id,
                "need_id": activity.need_id,
                "event": activity.event,
            }
        )
    else:
        click.echo(
            _("Logged {kind} {activity}: helper {helper}, household {household}, {day}.").format(
                kind=activity.kind,
                activity=activity.activity_id,
                helper=helper_id,
                household=household_id,
                day=day.isoformat(),
            )
        )


COMMANDS = [log_command]
