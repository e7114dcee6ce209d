"""``jieqin aid run`` and ``jieqin aid explain``: allocate a programme's fund, and say why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from jieqin.cli._common import database_url, echo_json, purpose_option, url_option

if TYPE_CHECKING:
    from datetime import date

    from jieqin.rules import AidProgram
    from jieqin.services.aid import AllocationPlan
    from jieqin.services.allocation_view import AllocationListing

__all__ = ["COMMANDS", "aid_group"]


@click.group("aid")
def aid_group() -> None:
    """Allocate aid programmes' funds and explain decisions."""


@aid_group.command("run")
@click.argument("program")
@click.option(
    "--period", "period_text", required=True, metavar="P", help="2021, 2021Q1 or 2021-03."
)
@click.option(
    "--on",
    "on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Decision day (YYYY-MM-DD; default the first day of the period).",
)
@click.option(
    "--fund",
    "fund_id",
    default=None,
    metavar="FUND_ID",
    help="The fund to grant from; needed when the programme has several open funds for "
    "the period (`jieqin funds list`).",
)
@click.option("--dry-run", is_flag=True, help="Decide and print, write nothing.")
@click.option(
    "--reveal",
    is_flag=True,
    help="List who was granted by full name, and list them at all for a programme whose "
    "rules read health facts (needs --purpose; audited).",
)
@purpose_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary and decisions as JSON.")
@url_option
def run_command(
    program: str,
    period_text: str,
    on: object,
    fund_id: str | None,
    dry_run: bool,
    reveal: bool,
    purpose: str | None,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Rank the eligible, grant until the fund is spent, wait-list the rest with the reason.

    Prints who was granted and who was wait-listed, in rank order with their amounts
    (names masked). For a programme whose rules read health or disability facts only
    the counts are printed: `--reveal --purpose` lists them. Re-running a committed
    allocation grants nothing new; after a top-up it grants the wait-listed in order.
    """
    from jieqin import connect, parse_period
    from jieqin.security import check_reveal

    period = parse_period(period_text)
    day = on.date() if hasattr(on, "date") else None
    with connect(database_url(db, url)) as campaign:
        if reveal:  # refused before anything is allocated
            check_reveal(campaign.current_principal(), purpose, what=f"who {program} granted")
        plan = campaign.allocate(
            program, period, actor="cli", on=day, dry_run=dry_run, fund_id=fund_id
        )
        listing = campaign.allocation_listing(plan, reveal=reveal, purpose=purpose)
    summary = plan.summary()
    ranked = summary["granted"] + summary["wait_listed"]
    if as_json:
        _run_json(summary, plan, listing)
        return
    head = "DRY RUN: nothing written. " if dry_run else ""
    click.echo(
        f"{head}{program} {period}: {summary['granted']} granted ({summary['granted_total']} yuan), "
        f"{summary['wait_listed']} wait-listed, {summary['ineligible']} ineligible, "
        f"{summary['already_granted']} already granted; {summary['remaining']} yuan left "
        f"in {plan.fund_id}."
    )
    click.echo(f"Priority: {plan.priority}. Rules: {plan.rule_version}.")
    if listing.lines:
        _print_ranked(listing)
    elif listing.withheld and ranked:
        click.echo(
            f"Who was granted or wait-listed is not shown: the rules of {program} read "
            "health or disability facts. `--reveal --purpose TEXT` lists them (audited; "
            "the role must allow reveals)."
        )


def _run_json(summary: dict[str, Any], plan: AllocationPlan, listing: AllocationListing) -> None:
    """``aid run --json``: the summary, the ranked lines and every decision, or only
    their counts when they would tell health facts."""
    if listing.withheld:
        # whether a member is granted, refused or missing tells their health: no list
        summary["ranked"] = []
        summary["ranked_withheld"] = summary["granted"] + summary["wait_listed"]
        summary["decisions"] = []
        summary["decisions_withheld"] = len(plan.decisions)
    else:
        summary["ranked"] = [line.summary() for line in listing.lines]
        summary["decisions"] = [
            {
                "member": d.member_id,
                "household": d.household_id,
                "outcome": str(d.outcome),
                "rank": d.priority,
                "amount": None if d.amount is None else str(d.amount),
                "reason": d.reason,
            }
            for d in plan.decisions
        ]
    echo_json(summary)


def _print_ranked(listing: AllocationListing) -> None:
    """The granted and wait-listed, in rank order, as a table that wraps."""
    from rich.table import Table
    from rich.text import Text

    from jieqin.cli._output import print_tables

    table = Table("rank", "outcome", "member", "name", "household", "amount", box=None)
    table.columns[0].justify = "right"
    table.columns[5].justify = "right"
    for line in listing.lines:
        cells = (
            str(line.rank),
            "granted" if str(line.outcome) == "granted" else "wait-listed",
            line.member_id or "-",
            line.name,
            line.household_id,
            "-" if line.amount is None else f"{line.amount} yuan",
        )
        table.add_row(*(Text(cell) for cell in cells))
    print_tables(table)


@aid_group.command("programs")
@click.option(
    "--on",
    "on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The parameters in force on this day (YYYY-MM-DD; default today).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    default=False,
    help="Print a JSON list of programmes, each with its parameters in force.",
)
@url_option
def programs_command(on: object, as_json: bool, db: str | None, url: str | None) -> None:
    """List the registered aid programmes: funder, amount, rules and priority, and
    every parameter the rules read as in force on the day: its value, since when,
    the document it comes from, and when the next value starts."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        day = on.date() if hasattr(on, "date") else campaign.clock.today()
        programs = sorted(campaign.aid_programs().values(), key=lambda p: p.program_id)
    rows = [_program_row(p, day) for p in programs]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No aid programmes are registered; install a regional plugin.")
        return
    _print_programs(rows, day)


def _program_row(program: AidProgram, day: date) -> dict[str, Any]:
    """One programme's JSON object, its parameters as in force on ``day``."""
    try:
        amount = program.amount_on(day)
    except ValueError:  # the amount's first value starts later
        amount = None
    return {
        "program": program.program_id,
        "name": program.program.name,
        "funder": program.program.funder,
        "kind": str(program.program.kind),
        "serves": sorted(program.program.serves),
        "amount": None if amount is None else str(amount),
        "amount_parameter": program.amount_parameter,
        "on": day.isoformat(),
        "parameters": [p.as_dict() for p in program.parameters_on(day)],
        "rule_version": program.rule_version,
        "rules": program.eligibility.describe(),
        "priority": program.priority_text(),
    }


def _print_programs(rows: list[dict[str, Any]], day: date) -> None:
    """Each programme in three lines, then the table of its parameters."""
    from rich.table import Table
    from rich.text import Text

    from jieqin.cli._output import print_tables

    for r in rows:
        shown = f"{r['amount']} yuan" if r["amount"] is not None else "no amount in force"
        click.echo(f"{r['program']}: {r['name']} ({r['funder']}), {shown} on {day}")
        click.echo(f"  rules {r['rule_version']}: {r['rules']}")
        click.echo(f"  priority: {r['priority']}")
        if not r["parameters"]:
            continue
        table = Table("parameter", "value", "since", "source", "next change", box=None)
        for p in r["parameters"]:
            value = "not in force yet" if p["value"] is None else f"{p['value']} {p['unit']}"
            table.add_row(
                *(
                    Text(cell)
                    for cell in (
                        p["name"],
                        value.strip(),
                        p["since"] or "-",
                        p["source"] or "-",
                        p["next_change"] or "-",
                    )
                )
            )
        print_tables(table)


@aid_group.command("explain")
@click.argument("program")
@click.argument("member")
@click.option("--period", "period_text", default=None, metavar="P", help="Default: this year.")
@click.option(
    "--reveal",
    is_flag=True,
    help="Show health facts and the full ID number (needs --purpose; audited).",
)
@purpose_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@url_option
def explain_command(
    program: str,
    member: str,
    period_text: str | None,
    reveal: bool,
    purpose: str | None,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Which conditions held for MEMBER under PROGRAM, with the values and parameters used."""
    from datetime import date

    from jieqin import Year, connect, parse_period

    period = parse_period(period_text) if period_text else Year(date.today().year)
    from jieqin.io.sensitive import masked_strings
    from jieqin.rules.programs import shown_decision

    with connect(database_url(db, url)) as campaign:
        explained, stored = campaign.explain(
            program, member, period, reveal=reveal, purpose=purpose
        )
        rules = campaign.aid_program(program)
        history = campaign.decision_history(program, member, period)
    # without --reveal, a condition that reads a health fact shows neither name nor outcome
    data: dict[str, Any] = {
        "program": program,
        "member": member,
        "period": str(period),
        "eligible": explained.shown_eligible(),
        "conditions": explained.shown_conditions(),
        "parameters": dict(explained.parameters)
        if reveal
        else masked_strings(dict(explained.parameters)),
        "inputs": dict(explained.inputs),
        "stored_decision": None
        if stored is None
        else {
            "decided_on": stored.decided_on.isoformat(),
            "rule_version": stored.rule_version,
            **shown_decision(
                rules, str(stored.outcome), stored.reason, stored.amount, reveal=reveal
            ),
        },
        # every decision in order: a revocation is kept beside the grant it revoked
        "decision_history": [
            {
                "decided_on": d.decided_on.isoformat(),
                "rule_version": d.rule_version,
                **shown_decision(rules, str(d.outcome), d.reason, d.amount, reveal=reveal),
            }
            for d in history
        ],
    }
    if as_json:
        echo_json(data)
        return
    verdict = {True: "ELIGIBLE", False: "not eligible", None: "<masked>"}[data["eligible"]]
    click.echo(f"{member} under {program} in {period}: {verdict}")
    for c in data["conditions"]:
        tick = {True: "x", False: " ", None: "?"}[c["held"]]
        click.echo(f"  [{tick}] {c['name']}: {c['detail']}")
    for name, value in data["parameters"].items():
        click.echo(f"  parameter {name} = {value}")
    shown = data["stored_decision"]
    if stored is not None and shown is not None:
        click.echo(
            f"Stored decision ({stored.decided_on}, {stored.rule_version}): "
            f"{shown['outcome']}; {shown['reason']}"
        )
    if len(data["decision_history"]) > 1:
        click.echo("Decision history:")
        for d in data["decision_history"]:
            click.echo(f"  {d['decided_on']} {d['outcome']}: {d['reason']}")


COMMANDS = [aid_group]
