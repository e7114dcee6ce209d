"""``jieqin pairings``: who is paired with whom on a day (or every span and handover),
and ``jieqin pairings end``: end a pairing by hand, dated and with a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from jieqin.cli._common import (
    DAY,
    ListingGroup,
    actor_option,
    database_url,
    day_of,
    echo_json,
    url_option,
)
from jieqin.i18n import N_, _

__all__ = ["COMMANDS", "end_command", "list_command", "pairings_group"]


@click.group("pairings", cls=ListingGroup)
def pairings_group() -> None:
    """Who is paired with whom, and ending a pairing by hand.

    `jieqin pairings [OPTIONS]` is `jieqin pairings list [OPTIONS]`.
    """


@pairings_group.command("list")
@click.option("--helper", "helper_id", default=None, metavar="HELPER", help="Only this helper.")
@click.option(
    "--household", "household_id", default=None, metavar="HOUSEHOLD", help="Only this household."
)
@click.option(
    "--region",
    default=None,
    metavar="CODE",
    help="Only households within this region code (county, township or village).",
)
@click.option("--on", "on", type=DAY, default=None, help="The day listed (default today).")
@click.option(
    "--history", is_flag=True, help="Every pairing span and handover, not only one day's."
)
@click.option("--json", "as_json", is_flag=True, help="Print the listing as JSON.")
@url_option
def list_command(
    helper_id: str | None,
    household_id: str | None,
    region: str | None,
    on: datetime | None,
    history: bool,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """List who is paired with whom on --on (today): each pair with since when the
    household has had this helper and why (the handover's reason), or with --history
    every pairing span and every handover. Only what your scope holds is listed.
    """
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        listing = campaign.pairings(
            on=day_of(on),
            helper_id=helper_id,
            household_id=household_id,
            region=region,
            history=history,
        )
    if as_json:
        echo_json(listing.to_dict())
        return
    _show(listing.to_dict())


#: The columns of the listing, said in the language of the run.
_COLUMNS = {
    "household": N_("household"),
    "region": N_("region"),
    "helper": N_("helper"),
    "role": N_("role"),
    "since": N_("since"),
    "why": N_("why"),
    "from": N_("from"),
    "start": N_("start"),
    "end": N_("end"),
    "ended": N_("ended"),
}

#: A pairing's role, said in the language of the run.
_ROLES = {"primary": N_("primary"), "secondary": N_("secondary")}


def _role(role: object) -> str:
    text = str(role)
    return _(_ROLES[text]) if text in _ROLES else text


def _show(listing: dict[str, Any]) -> None:
    from rich.table import Table

    from jieqin.cli._output import print_tables

    rows = listing["pairings"]
    history = listing["history"]
    if not rows:
        empty = _("No pairings in all.") if history else _("No pairings on {day}.")
        click.echo(empty.format(day=listing["on"]))
        return
    counted = _("{count} pairings in all.") if history else _("{count} pairings on {day}.")
    click.echo(counted.format(count=len(rows), day=listing["on"]))
    table = Table()
    columns = ["household", "region", "helper", "role", "since", "why", "from"]
    if history:
        columns[4:5] = ["start", "end", "since"]
        columns.append("ended")
    for column in columns:
        table.add_column(_(_COLUMNS[column]))
    for p in rows:
        dated = [p["since"]]
        if history:
            end = _("withdrawn") if p["withdrawn"] else p["end"] or "-"
            dated = [p["start"], end, p["since"]]
        cells = [p["household_id"], p["region"], p["helper_id"], _role(p["role"]), *dated]
        cells += [p["began"] or "-", p["from_helper_id"] or "-"]
        if history:
            cells.append(p["reason"] if p["withdrawn"] else p["ended"] or "-")
        table.add_row(*cells)
    tables: list[Table] = [table]
    if listing["handovers"]:
        handovers = Table(title=_("handovers"))
        for column in (
            _("household"),
            _("on"),
            _("from helper"),
            _("to helper"),
            _("reason"),
        ):
            handovers.add_column(column)
        for h in listing["handovers"]:
            handovers.add_row(
                h["household_id"],
                h["on"],
                h["from_helper_id"] or "-",
                h["to_helper_id"] or _("nobody"),
                h["reason"],
            )
        tables.append(handovers)
    print_tables(*tables)


@pairings_group.command("end")
@click.argument("helper_id", metavar="HELPER")
@click.argument("household_id", metavar="HOUSEHOLD")
@click.option("--on", "on", type=DAY, required=True, help="The pairing's last day in force.")
@click.option("--reason", required=True, help="Why the pairing ends (kept with the record).")
@actor_option("Who ends it, for the audit log.")
@click.option("--json", "as_json", is_flag=True, help="Print the ended pairing as JSON.")
@url_option
def end_command(
    helper_id: str,
    household_id: str,
    on: datetime,
    reason: str,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """End the open pairing of HELPER with HOUSEHOLD on --on, saying why.

    Nothing is deleted: the pairing keeps its days and gets an end; a primary
    pairing's end is also a handover to nobody, dated the next day. The next
    `jieqin pair` may pair the household again.
    """
    from jieqin import connect
    from jieqin._free_text import mask_free_text

    with connect(database_url(db, url)) as campaign:
        ended = campaign.end_pairing(helper_id, household_id, on.date(), reason, actor=actor)
    assert ended.end is not None
    if as_json:
        echo_json(
            {
                "helper_id": ended.helper_id,
                "household_id": ended.household_id,
                "role": str(ended.role),
                "start": ended.start.isoformat(),
                "end": ended.end.isoformat(),
                "reason": mask_free_text(ended.reason),
            }
        )
        return
    click.echo(
        _(
            "Ended the {role} pairing of helper {helper} with household {household} "
            "(from {start}) on {end}."
        ).format(
            role=_role(ended.role),
            helper=ended.helper_id,
            household=ended.household_id,
            start=ended.start.isoformat(),
            end=ended.end.isoformat(),
        )
    )


COMMANDS = [pairings_group]
