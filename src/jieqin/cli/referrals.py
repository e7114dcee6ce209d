"""``jieqin referrals``: the needs referred to agencies, and completing a referral
once the agency has acted (which resolves its need)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from jieqin.cli._common import DAY, actor_option, database_url, day_of, echo_json, url_option

__all__ = ["COMMANDS", "complete_command", "list_command", "referrals_group"]


#: What the listing says on standard error when it leaves sensitive referrals out.
WITHHELD = (
    "{n} referrals of needs that tell a health or disability fact are not listed; "
    "`jieqin export needs --include-sensitive` writes those needs."
)


@click.group("referrals")
def referrals_group() -> None:
    """Needs referred to agencies, and completing a referral when the agency acted."""


@referrals_group.command("list")
@click.option("--pending", is_flag=True, help="Only referrals not completed yet.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@url_option
def list_command(pending: bool, as_json: bool, db: str | None, url: str | None) -> None:
    """List referrals by the day they were made, each with its agency and completion.

    A referral of a need that tells a health or disability fact is not listed (its
    agency would tell it); their number is given on standard error.
    """
    from jieqin import connect
    from jieqin.io.sensitive import masked_strings, sensitivity_of

    with connect(database_url(db, url)) as campaign:
        found = campaign.referrals(pending=pending)
        with campaign.unit_of_work("cli", read_only=True) as uow:
            needs = uow.needs.find_many({r.need_id for r in found})
        sensitivity = sensitivity_of(campaign)
    shown = [
        r
        for r in found
        if r.need_id not in needs or not sensitivity.withholds_need(needs[r.need_id])
    ]
    if len(found) > len(shown):
        click.echo(WITHHELD.format(n=len(found) - len(shown)), err=True)
    rows = masked_strings([_row(r) for r in shown])
    if as_json:
        echo_json(rows)
        return
    _show(rows)


def _row(r: Any) -> dict[str, Any]:
    return {
        "referral_id": r.referral_id,
        "need_id": r.need_id,
        "household_id": r.household_id,
        "member_id": r.member_id,
        "agency": r.agency,
        "referred_on": r.referred_on.isoformat(),
        "completed_on": r.completed_on.isoformat() if r.completed_on else None,
        "note": r.note,
    }


def _show(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from jieqin.cli._output import print_tables

    if not rows:
        click.echo("No referrals.")
        return
    table = Table(title=f"{len(rows)} referrals")
    columns = ("referral_id", "need_id", "household_id", "agency", "referred_on", "completed_on")
    for column in columns:
        table.add_column(column.removesuffix("_id"))
    for r in rows:
        table.add_row(*(str(r[c] or "") for c in columns))
    print_tables(table)


@referrals_group.command("complete")
@click.argument("referral_id", metavar="REFERRAL_ID")
@click.option(
    "--on", "on", type=DAY, default=None, help="The day the agency acted (default today)."
)
@click.option("--note", default="", help="What the agency did (no ID numbers or health details).")
@actor_option()
@url_option
def complete_command(
    referral_id: str,
    on: datetime | None,
    note: str,
    actor: str,
    db: str | None,
    url: str | None,
) -> None:
    """Complete REFERRAL_ID: the agency acted. Its need is resolved (unless it was
    resolved or closed meanwhile)."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        need = campaign.complete_referral(referral_id, day_of(on), note, actor=actor)
    by = f"referral:{referral_id}"
    settled = (
        f"its need {need.need_id} is resolved"
        if need.resolved_by == by
        else f"its need {need.need_id} was already {need.status.value}"
    )
    click.echo(f"Completed referral {referral_id}; {settled}.")


COMMANDS = [referrals_group]
