"""``jieqin aid run`` and ``jieqin aid explain``: allocate a programme's fund, and say why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from jieqin.cli._common import DAY, database_url, day_of, echo_json, purpose_option, url_option

if TYPE_CHECKING:
    from datetime import date, datetime

    from jieqin.model import Decision, Period
    from jieqin.rules import AidProgram, Eligibility
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
    "--pending",
    is_flag=True,
    help="Store the allocation as a plan awaiting approval and public notice: its money "
    "is reserved, nobody is granted yet (`jieqin aid approve`).",
)
@click.option("--actor", default="cli", show_default=True, help="Who allocates (a plan's maker).")
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
    pending: bool,
    actor: str,
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
    `--pending` stores the allocation as a plan for approval and public notice instead
    (a programme that needs approval is allocated only so).
    """
    from jieqin import connect, parse_period
    from jieqin.cli.approval import pending_head
    from jieqin.security import check_reveal

    period = parse_period(period_text)
    day = on.date() if hasattr(on, "date") else None
    if pending and dry_run:
        raise click.UsageError("--pending stores a plan and --dry-run writes nothing: give one")
    stored = None
    with connect(database_url(db, url)) as campaign:
        if reveal:  # refused before anything is allocated
            check_reveal(campaign.current_principal(), purpose, what=f"who {program} granted")
        if pending:
            stored = campaign.plan_pending(program, period, actor=actor, on=day, fund_id=fund_id)
            plan = stored.allocation
        else:
            plan = campaign.allocate(
                program, period, actor=actor, on=day, dry_run=dry_run, fund_id=fund_id
            )
        listing = campaign.allocation_listing(plan, reveal=reveal, purpose=purpose)
    summary = plan.summary()
    ranked = summary["granted"] + summary["wait_listed"]
    if stored is not None:
        summary["plan"] = stored.plan.plan_id
    if as_json:
        _run_json(summary, plan, listing)
        return
    head = "DRY RUN: nothing written. " if dry_run else ""
    if stored is not None:
        head = pending_head(stored.plan)
    if "referred" in summary:  # a referral programme: no fund, no grants
        click.echo(f"{head}{program} {period}: {referral_summary(summary)}")
        return
    click.echo(
        f"{head}{program} {period}: {summary['granted']} granted ({summary['granted_total']} yuan), "
        f"{summary['wait_listed']} wait-listed, {summary['ineligible']} ineligible, "
        f"{summary['already_granted']} already granted; {summary['remaining']} yuan left "
        f"in {plan.fund_id}."
    )
    click.echo(_granted_line(summary))
    click.echo(f"Priority: {plan.priority}. Rules: {plan.rule_version}.")
    if listing.lines:
        _print_ranked(listing)
    elif listing.withheld and ranked:
        click.echo(
            f"Who was granted or wait-listed is not shown: the rules of {program} read "
            "health or disability facts. `--reveal --purpose TEXT` lists them (audited; "
            "the role must allow reveals)."
        )


def _granted_line(summary: dict[str, Any]) -> str:
    """Whom the run granted, by unit, and the households its region scope left out."""
    households = _count(summary["households_granted"], "household")
    members = _count(summary["members_granted"], "member")
    if summary["grant_unit"] == "household":
        line = f"Grants per household: {households} granted ({members})."
    else:
        line = f"Grants per member: {members} in {households} granted."
    outside = summary["out_of_scope"]
    if outside:
        were = "was" if outside == 1 else "were"
        shown = _count(outside, "household")
        line += f" Serves {summary['scope']}: {shown} outside {were} not decided."
    return line


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def referral_summary(summary: dict[str, Any]) -> str:
    """What an allocation of a referral programme did, in one line."""
    return (
        f"{summary['referred']} referred to agency {summary['agency']}, "
        f"{summary['awaiting_consent']} awaiting their consent, {summary['ineligible']} "
        f"ineligible, {summary['already_referred']} referred before; no fund, no grants."
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
        "grant_unit": str(program.grant_unit),
        "regions": sorted(program.regions),
        "caps": [
            {
                "name": c.name,
                "per": str(c.per),
                "parameter": c.amount_parameter,
                "programs": None if c.programs is None else sorted(c.programs),
            }
            for c in program.caps
        ],
    }


def _print_programs(rows: list[dict[str, Any]], day: date) -> None:
    """Each programme in four lines (and one per cap), then the table of its parameters."""
    from rich.table import Table
    from rich.text import Text

    from jieqin.cli._output import print_tables

    for r in rows:
        shown = f"{r['amount']} yuan" if r["amount"] is not None else "no amount in force"
        click.echo(f"{r['program']}: {r['name']} ({r['funder']}), {shown} on {day}")
        click.echo(f"  rules {r['rule_version']}: {r['rules']}")
        click.echo(f"  priority: {r['priority']}")
        scope = "regions " + ", ".join(r["regions"]) if r["regions"] else "every region"
        click.echo(f"  grants per {r['grant_unit']}; serves {scope}")
        for c in r["caps"]:
            over = "all programmes" if c["programs"] is None else ", ".join(c["programs"])
            click.echo(f"  cap {c['name']}: {c['parameter']} per {c['per']}, over {over}")
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
    "--on",
    "on",
    type=DAY,
    default=None,
    help="Apply the rules on this day (YYYY-MM-DD; default the day of the stored "
    "decision, else today, within the period).",
)
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
    on: datetime | None,
    reveal: bool,
    purpose: str | None,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Which conditions held for MEMBER under PROGRAM, with the values and parameters used.

    The rules are applied on the day of the member's latest stored decision, so the
    explanation is of that decision; without one, on today (the period's first or last
    day when today is outside it); `--on DAY` chooses the day. The output says which
    day and why.
    """
    from jieqin import Year, connect, parse_period

    with connect(database_url(db, url)) as campaign:
        period = parse_period(period_text) if period_text else Year(campaign.clock.today().year)
        explained, stored = campaign.explain(
            program, member, period, on=day_of(on), reveal=reveal, purpose=purpose
        )
        rules = campaign.aid_program(program)
        history = campaign.decision_history(program, member, period)
    data = _explanation(program, member, period, explained, stored, history, rules, reveal)
    if as_json:
        echo_json(data)
        return
    _print_explanation(data)


def _explanation(
    program: str,
    member: str,
    period: Period,
    explained: Eligibility,
    stored: Decision | None,
    history: list[Decision],
    rules: AidProgram,
    reveal: bool,
) -> dict[str, Any]:
    """``aid explain``'s JSON object: a condition that reads a health fact shows neither
    its name nor its outcome without ``reveal``, nor does a stored decision of a
    programme whose rules read one."""
    from jieqin.io.sensitive import masked_strings
    from jieqin.rules.programs import shown_decision

    def shown(d: Decision) -> dict[str, Any]:
        return {
            "decided_on": d.decided_on.isoformat(),
            "rule_version": d.rule_version,
            **shown_decision(rules, str(d.outcome), d.reason, d.amount, reveal=reveal),
        }

    return {
        "program": program,
        "member": member,
        "period": str(period),
        "on": explained.on.isoformat() if explained.on else None,
        "on_why": explained.on_why,
        "eligible": explained.shown_eligible(),
        "conditions": explained.shown_conditions(),
        "parameters": dict(explained.parameters)
        if reveal
        else masked_strings(dict(explained.parameters)),
        "inputs": dict(explained.inputs),
        "stored_decision": None if stored is None else shown(stored),
        # every decision in order: a revocation is kept beside the grant it revoked
        "decision_history": [shown(d) for d in history],
    }


def _print_explanation(data: dict[str, Any]) -> None:
    """``aid explain`` as lines: the verdict and the day, each condition, the parameters,
    the stored decision and, when there are several, the decision history."""
    verdict = {True: "ELIGIBLE", False: "not eligible", None: "<masked>"}[data["eligible"]]
    click.echo(f"{data['member']} under {data['program']} in {data['period']}: {verdict}")
    click.echo(f"Rules applied on {data['on']}: {data['on_why']}.")
    for c in data["conditions"]:
        tick = {True: "x", False: " ", None: "?"}[c["held"]]
        click.echo(f"  [{tick}] {c['name']}: {c['detail']}")
    for name, value in data["parameters"].items():
        click.echo(f"  parameter {name} = {value}")
    shown = data["stored_decision"]
    if shown is not None:
        click.echo(
            f"Stored decision ({shown['decided_on']}, {shown['rule_version']}): "
            f"{shown['outcome']}; {shown['reason']}"
        )
    if len(data["decision_history"]) > 1:
        click.echo("Decision history:")
        for d in data["decision_history"]:
            click.echo(f"  {d['decided_on']} {d['outcome']}: {d['reason']}")


def _add_approval() -> None:
    """``jieqin aid approve``, ``notice``, ``object``, ``objection``, ``commit``,
    ``withdraw`` and ``plans`` live with the approval of plans."""
    from jieqin.cli.approval import APPROVAL_COMMANDS

    for command in APPROVAL_COMMANDS:
        aid_group.add_command(command)


def _add_appeal() -> None:
    """``jieqin aid appeal`` lives with the grievances it records."""
    from jieqin.cli.grievances import appeal_command

    aid_group.add_command(appeal_command)


_add_appeal()
_add_approval()

COMMANDS = [aid_group]
