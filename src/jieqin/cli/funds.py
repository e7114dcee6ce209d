"""``jieqin funds``: add a programme's fund, top it up, close it, list what is left.

A top-up or a closing is a dated change with its reason and who made it; nothing is
deleted. ``jieqin aid run`` grants from a fund's budget in force (top-ups included)
and never past it; a closed fund grants nothing more.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from jieqin.cli._common import (
    DAY,
    actor_option,
    as_invoked,
    database_url,
    day_of,
    echo_json,
    url_option,
)

if TYPE_CHECKING:
    from jieqin.model import FundChange
    from jieqin.services.funds import FundLine

__all__ = ["COMMANDS", "funds_group"]


@click.group("funds")
def funds_group() -> None:
    """Programmes' funds: add, top up, close and list them (budget, granted, left)."""


@funds_group.command("add")
@click.argument("fund_id", metavar="FUND_ID")
@click.option("--program", "program_id", required=True, metavar="P", help="The programme's id.")
@click.option(
    "--period", "period_text", required=True, metavar="P", help="2021, 2021Q1 or 2021-03."
)
@click.option("--budget", required=True, metavar="YUAN", help="The budget in yuan (60000).")
@click.option("--name", default="", help="What people call the fund.")
@click.option("--funder", default=None, help="Who gives the money (default: the programme's).")
@actor_option()
@click.option("--json", "as_json", is_flag=True, help="Print the fund as JSON.")
@url_option
def add_command(
    fund_id: str,
    program_id: str,
    period_text: str,
    budget: str,
    name: str,
    funder: str | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Add FUND_ID: money set aside for a programme in a period."""
    from jieqin import connect, parse_period

    period = parse_period(period_text)
    with connect(database_url(db, url)) as campaign:
        fund = campaign.add_fund(
            fund_id, program_id, period, budget, name=name, funder=funder, actor=actor
        )
        line = _line_of(campaign.funds(program_id=fund.program_id), fund_id)
    if as_json:
        echo_json(line.summary() if line else {"fund": fund.fund_id})
        return
    click.echo(
        f"Added fund {fund.fund_id} of {fund.program_id} for {fund.period}: "
        f"{fund.budget} yuan from {fund.funder or 'no funder named'}."
    )


@funds_group.command("top-up")
@click.argument("fund_id", metavar="FUND_ID")
@click.argument("amount", metavar="AMOUNT")
@click.option("--reason", required=True, help="Why money is added (who gave it, the decision).")
@click.option("--on", "on", type=DAY, default=None, help="The day (YYYY-MM-DD; default today).")
@actor_option()
@click.option("--json", "as_json", is_flag=True, help="Print the change as JSON.")
@url_option
def top_up_command(
    fund_id: str,
    amount: str,
    reason: str,
    on: datetime | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Add AMOUNT yuan to FUND_ID's budget (a dated, audited change)."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        change = campaign.top_up_fund(fund_id, amount, reason=reason, on=day_of(on), actor=actor)
        line = _line_of(campaign.funds(), fund_id)
    if as_json:
        echo_json({**_change(change), "fund_now": line.summary() if line else None})
        return
    budget = f"; its budget is now {line.fund.budget} yuan, {line.remaining} left" if line else ""
    click.echo(f"Topped up fund {fund_id} by {change.amount} yuan on {change.on}{budget}.")
    if line is not None and line.wait_listed:
        click.echo(
            as_invoked(
                f"{line.wait_listed} wait-listed: run `jieqin aid run {line.fund.program_id} "
                f"--period {line.fund.period} --fund {fund_id}` to grant them in rank order."
            )
        )


@funds_group.command("close")
@click.argument("fund_id", metavar="FUND_ID")
@click.option("--reason", required=True, help="Why the fund closes.")
@click.option("--on", "on", type=DAY, default=None, help="The day (YYYY-MM-DD; default today).")
@actor_option()
@click.option("--json", "as_json", is_flag=True, help="Print the change as JSON.")
@url_option
def close_command(
    fund_id: str,
    reason: str,
    on: datetime | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Close FUND_ID: it grants nothing more (its grants stay)."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        change = campaign.close_fund(fund_id, reason=reason, on=day_of(on), actor=actor)
    if as_json:
        echo_json(_change(change))
        return
    click.echo(f"Closed fund {fund_id} on {change.on}: it grants nothing more.")


@funds_group.command("list")
@click.option("--program", "program_id", default=None, metavar="P", help="Only this programme.")
@click.option("--period", "period_text", default=None, metavar="P", help="Only this period.")
@click.option("--changes", is_flag=True, help="Show each fund's top-ups and closing too.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of funds.")
@url_option
def list_command(
    program_id: str | None,
    period_text: str | None,
    changes: bool,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Funds with their budget (top-ups included), granted, committed, paid, returned,
    remaining and wait-listed.

    Committed is what the fund's grants hold (in force, money not returned); paid is
    what went out and stayed out; returned came back from the bank, and is free again.
    """
    from jieqin import connect, parse_period

    period = parse_period(period_text) if period_text else None
    with connect(database_url(db, url)) as campaign:
        lines = campaign.funds(program_id=program_id, period=period)
        history = campaign.fund_changes() if changes else []
    by_fund: dict[str, list[FundChange]] = {}
    for change in history:
        by_fund.setdefault(change.fund_id, []).append(change)
    if as_json:
        rows = []
        for line in lines:
            row = line.summary()
            if changes:
                row["changes"] = [_change(c) for c in by_fund.get(line.fund.fund_id, [])]
            rows.append(row)
        echo_json(rows)
        return
    if not lines:
        click.echo(
            as_invoked(
                "No funds"
                + (f" of {program_id}" if program_id else "")
                + (f" for {period}" if period else "")
                + ": add one with `jieqin funds add FUND_ID --program P --period 2021 "
                "--budget 60000`."
            )
        )
        return
    _print_lines(lines, by_fund)


def _print_lines(lines: list[FundLine], by_fund: dict[str, list[FundChange]]) -> None:
    from rich.table import Table
    from rich.text import Text

    from jieqin.cli._output import print_tables

    table = Table(
        "fund",
        "programme",
        "period",
        "budget",
        "topped up",
        "granted",
        "committed",
        "paid",
        "returned",
        "remaining",
        "wait-listed",
        "closed",
        box=None,
    )
    for column in table.columns[3:11]:
        column.justify = "right"
    for line in lines:
        fund = line.fund
        cells = (
            fund.fund_id + (f" ({fund.name})" if fund.name else ""),
            fund.program_id,
            str(fund.period),
            str(fund.budget),
            str(fund.topped_up),
            f"{line.granted} ({line.grants})",
            str(line.committed),
            str(line.paid),
            str(line.returned),
            str(line.remaining),
            str(line.wait_listed),
            fund.closed_on.isoformat() if fund.closed_on else "-",
        )
        table.add_row(*(Text(cell) for cell in cells))
    print_tables(table)
    for fund_id, changes in sorted(by_fund.items()):
        for c in changes:
            money = f" +{c.amount} yuan" if c.amount is not None else ""
            click.echo(f"  {fund_id} #{c.number} {c.on} {c.kind}{money} by {c.actor}: {c.reason}")


def _line_of(lines: list[FundLine], fund_id: str) -> FundLine | None:
    return next((line for line in lines if line.fund.fund_id == fund_id), None)


def _change(change: FundChange) -> dict[str, Any]:
    amount: Decimal | None = change.amount
    return {
        "fund": change.fund_id,
        "number": change.number,
        "kind": str(change.kind),
        "on": change.on.isoformat(),
        "amount": None if amount is None else str(amount),
        "reason": change.reason,
        "actor": change.actor,
    }


COMMANDS = [funds_group]
