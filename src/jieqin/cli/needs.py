"""``jieqin needs``: the needs of a period, where each was routed and why."""

from __future__ import annotations

import click

from jieqin.cli._common import database_url, echo_json, url_option

__all__ = ["COMMANDS", "needs_command"]


@click.command("needs")
@click.option("--period", "period_text", default=None, metavar="P", help="2021, 2021Q1 or 2021-03.")
@click.option(
    "--derive", is_flag=True, help="First derive needs from member facts (needs a period)."
)
@click.option("--route", "route_open", is_flag=True, help="First route the open needs.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@url_option
def needs_command(
    period_text: str | None,
    derive: bool,
    route_open: bool,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """List needs (by kind, status and route); optionally derive and route them first.

    A need is routed to an aid programme the member is eligible for, else an agency
    that takes its kind, else the paired helper whose sectors match. Needs that tell
    a health or disability fact (of a sensitive kind, or routed to a programme whose
    rules read one) are not listed; their number is given on standard error.
    """
    from rich.console import Console
    from rich.table import Table

    from jieqin import connect, parse_period
    from jieqin.io.sensitive import masked_strings, sensitivity_of
    from jieqin.services.needs import needs_in

    period = parse_period(period_text) if period_text else None
    with connect(database_url(db, url)) as campaign:
        if derive:
            if period is None:
                raise click.UsageError("--derive needs --period")
            campaign.derive_needs(period, actor="cli")
        if route_open:
            campaign.route_needs(period, actor="cli")
        with campaign.unit_of_work("cli", read_only=True) as uow:
            needs = needs_in(uow, period)
        sensitivity = sensitivity_of(campaign)
    shown = [n for n in needs if not sensitivity.withholds_need(n)]
    withheld = len(needs) - len(shown)
    rows = [
        {
            "need": n.need_id,
            "kind": n.kind,
            "period": str(n.period),
            "household": n.household_id,
            "member": n.member_id,
            "source": str(n.source),
            "status": str(n.status),
            "route": f"{n.route.kind}:{n.route.target}" if n.route else None,
            "why": n.route.explanation if n.route else "",
            "resolved_by": n.resolved_by,
        }
        for n in shown
    ]
    rows = masked_strings(rows)
    if withheld:
        click.echo(
            f"{withheld} needs that tell a health or disability fact are not listed; "
            "`jieqin export needs --include-sensitive` writes them.",
            err=True,
        )
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No needs" + (f" in {period}." if period else "."))
        return
    table = Table(title=f"{len(rows)} needs" + (f" in {period}" if period else ""))
    for column in ("kind", "household", "member", "status", "route", "why"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["kind"], r["household"], r["member"] or "", r["status"], r["route"] or "", r["why"]
        )
    Console().print(table)


COMMANDS = [needs_command]
