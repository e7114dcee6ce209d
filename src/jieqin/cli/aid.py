"""``jieqin aid run`` and ``jieqin aid explain``: allocate a programme's fund, and say why."""

from __future__ import annotations

from typing import Any

import click

from jieqin.cli._common import database_url, echo_json, purpose_option, url_option

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
@click.option("--dry-run", is_flag=True, help="Decide and print, write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary and decisions as JSON.")
@url_option
def run_command(
    program: str,
    period_text: str,
    on: object,
    dry_run: bool,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Rank the eligible, grant until the fund is spent, wait-list the rest with the reason.

    Re-running a committed allocation grants nothing new.
    """
    from jieqin import connect, parse_period

    period = parse_period(period_text)
    day = on.date() if hasattr(on, "date") else None
    with connect(database_url(db, url)) as campaign:
        plan = campaign.allocate(program, period, actor="cli", on=day, dry_run=dry_run)
        sensitive = campaign.aid_program(program).sensitive
    summary = plan.summary()
    if as_json:
        if sensitive:
            # whether a member is granted, refused or missing tells their health: no list
            summary["decisions"] = []
            summary["decisions_withheld"] = len(plan.decisions)
        else:
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
        return
    head = "DRY RUN: nothing written. " if dry_run else ""
    click.echo(
        f"{head}{program} {period}: {summary['granted']} granted ({summary['granted_total']} yuan), "
        f"{summary['wait_listed']} wait-listed, {summary['ineligible']} ineligible, "
        f"{summary['already_granted']} already granted; {summary['remaining']} yuan left "
        f"in {plan.fund_id}."
    )
    click.echo(f"Priority: {plan.priority}. Rules: {plan.rule_version}.")


@aid_group.command("programs")
@click.option(
    "--on",
    "on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Amounts in force on this day (default today).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@url_option
def programs_command(on: object, as_json: bool, db: str | None, url: str | None) -> None:
    """List the registered aid programmes: funder, amount in force, rules and priority."""
    from datetime import date

    from jieqin import connect

    day = on.date() if hasattr(on, "date") else date.today()
    with connect(database_url(db, url)) as campaign:
        programs = sorted(campaign.aid_programs().values(), key=lambda p: p.program_id)
    rows = []
    for p in programs:
        try:
            amount = p.amount_on(day)
        except ValueError:
            amount = None
        rows.append(
            {
                "program": p.program_id,
                "name": p.program.name,
                "funder": p.program.funder,
                "kind": str(p.program.kind),
                "serves": sorted(p.program.serves),
                "amount": None if amount is None else str(amount),
                "rule_version": p.rule_version,
                "rules": p.eligibility.describe(),
                "priority": p.priority_text(),
            }
        )
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No aid programmes are registered; install a regional plugin.")
        return
    for r in rows:
        shown = f"{r['amount']} yuan" if r["amount"] is not None else "no amount in force"
        click.echo(f"{r['program']}: {r['name']} ({r['funder']}), {shown} on {day}")
        click.echo(f"  rules {r['rule_version']}: {r['rules']}")
        click.echo(f"  priority: {r['priority']}")


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


COMMANDS = [aid_group]
