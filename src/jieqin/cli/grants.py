"""``jieqin grants``: list the grants made, and revoke one.

A revoked grant keeps its record (when and why it was revoked); its amount goes back
to its fund, the report no longer counts it, and a later ``jieqin aid run`` may grant
the member again. Grants of a programme whose rules read health or disability facts
are only counted unless ``--reveal --purpose`` (audited) shows them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from jieqin.cli._common import (
    DAY,
    actor_option,
    as_invoked,
    database_url,
    echo_json,
    purpose_option,
    url_option,
)

if TYPE_CHECKING:
    from jieqin.model import Grant

__all__ = ["COMMANDS", "grants_group"]


@click.group("grants")
def grants_group() -> None:
    """Grants made by allocations: list them, revoke one."""


@grants_group.command("list")
@click.option("--program", "program_id", default=None, metavar="P", help="Only this programme.")
@click.option("--period", "period_text", default=None, metavar="P", help="Only this period.")
@click.option("--household", "household_id", default=None, help="Only this household's.")
@click.option(
    "--reveal",
    is_flag=True,
    help="Show the grants of health programmes too (needs --purpose; audited).",
)
@purpose_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print JSON: {"grants": [...], "withheld": {programme: count}}.',
)
@url_option
def list_command(
    program_id: str | None,
    period_text: str | None,
    household_id: str | None,
    reveal: bool,
    purpose: str | None,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Grants, in force and revoked, with their amount, fund, state and payment
    (unpaid, in a batch, paid, or returned)."""
    from jieqin import connect, parse_period

    period = parse_period(period_text) if period_text else None
    with connect(database_url(db, url)) as campaign:
        listing = campaign.grant_listing(
            program_id=program_id,
            period=period,
            household_id=household_id,
            reveal=reveal,
            purpose=purpose,
        )
    rows = [_row(g) for g in listing.grants]
    if as_json:
        echo_json({"grants": rows, "withheld": dict(listing.withheld)})
        return
    if rows:
        _print(rows)
    elif not listing.withheld:
        click.echo("No grants match.")
    for program, n in listing.withheld.items():
        click.echo(
            f"{n} grant{'' if n == 1 else 's'} of {program} not shown: its rules read health "
            "facts. `--reveal --purpose TEXT` shows them (audited)."
        )


@grants_group.command("revoke")
@click.argument("grant_id", metavar="GRANT_ID")
@click.option("--reason", required=True, help="Why the grant is revoked.")
@click.option("--on", "on", type=DAY, default=None, help="The day (YYYY-MM-DD; default today).")
@actor_option("Who revokes it, for the audit log.")
@click.option("--json", "as_json", is_flag=True, help="Print the revoked grant as JSON.")
@url_option
def revoke_command(
    grant_id: str,
    reason: str,
    on: datetime | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Revoke GRANT_ID: its amount returns to its fund; the record stays."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        grant = campaign.revoke_grant(
            grant_id, reason, on.date() if on is not None else None, actor=actor
        )
        fund = next((line for line in campaign.funds() if line.fund.fund_id == grant.fund_id), None)
    if as_json:
        echo_json({**_row(grant), "fund_remaining": str(fund.remaining) if fund else None})
        return
    left = f", which has {fund.remaining} yuan left" if fund is not None else ""
    click.echo(
        f"Revoked grant {grant.grant_id} ({grant.amount} yuan) on {grant.revoked_on}: "
        f"the money is back in fund {grant.fund_id}{left}."
    )
    click.echo(
        as_invoked(
            f"A later `jieqin aid run {grant.program_id} --period {grant.period}` may grant "
            "the member again."
        )
    )


def _row(grant: Grant) -> dict[str, Any]:
    return {
        "grant": grant.grant_id,
        "program": grant.program_id,
        "period": str(grant.period),
        "fund": grant.fund_id,
        "household": grant.household_id,
        "member": grant.member_id,
        "amount": str(grant.amount),
        "decided_on": grant.decided_on.isoformat(),
        "revoked_on": None if grant.revoked_on is None else grant.revoked_on.isoformat(),
        "revoke_reason": grant.revoke_reason or None,
        "payment": str(grant.payment_state),
        "batch": grant.batch_id,
        "paid_on": None if grant.paid_on is None else grant.paid_on.isoformat(),
        "payment_reference": grant.payment_reference or None,
        "returned_on": None if grant.returned_on is None else grant.returned_on.isoformat(),
        "return_reason": grant.return_reason or None,
    }


def _print(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table
    from rich.text import Text

    from jieqin.cli._output import print_tables

    table = Table(
        "grant",
        "programme",
        "period",
        "member",
        "amount",
        "decided",
        "fund",
        "state",
        "payment",
        box=None,
    )
    table.columns[4].justify = "right"
    for r in rows:
        state = "in force" if r["revoked_on"] is None else f"revoked {r['revoked_on']}"
        cells = (
            r["grant"],
            r["program"],
            r["period"],
            r["member"] or r["household"],
            r["amount"],
            r["decided_on"],
            r["fund"],
            state,
            _payment(r),
        )
        table.add_row(*(Text(cell) for cell in cells))
    print_tables(table)


def _payment(row: dict[str, Any]) -> str:
    """``unpaid``, ``unpaid (batch B)``, ``paid 2021-09-15``, ``returned 2021-10-02``."""
    if row["returned_on"] is not None:
        return f"returned {row['returned_on']}"
    if row["paid_on"] is not None:
        return f"paid {row['paid_on']}"
    return f"unpaid (batch {row['batch']})" if row["batch"] else "unpaid"


COMMANDS = [grants_group]
