"""``jieqin referrals``: the needs referred to agencies, and the steps agencies report on
them: accepted, rejected (the need goes back for another route) or completed with an
outcome (the need is resolved); the overdue ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from jieqin.cli._common import DAY, actor_option, database_url, day_of, echo_json, url_option
from jieqin.i18n import N_, _

__all__ = [
    "COMMANDS",
    "accept_command",
    "complete_command",
    "list_command",
    "referrals_group",
    "reject_command",
]


#: What the listing says on standard error when it leaves sensitive referrals out.
WITHHELD = N_(
    "{n} referrals of needs that tell a health or disability fact are not listed; "
    "`jieqin export needs --include-sensitive` writes those needs."
)

#: The statuses ``--status`` takes.
STATUSES = ("referred", "accepted", "rejected", "completed")


@click.group("referrals")
def referrals_group() -> None:
    """Needs referred to agencies, and the steps agencies report: accepted, rejected,
    completed with an outcome (`jieqin import referral-outcomes FILE` takes a file of them)."""


@referrals_group.command("list")
@click.option(
    "--pending", is_flag=True, help="Only referrals the agency still has (referred or accepted)."
)
@click.option(
    "--status", type=click.Choice(STATUSES), default=None, help="Only referrals of this status."
)
@click.option(
    "--overdue",
    is_flag=True,
    help="Only referrals open past their due day, most overdue first.",
)
@click.option(
    "--on",
    "on",
    type=DAY,
    default=None,
    help="With --overdue: the day to judge by (default today).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@url_option
def list_command(
    pending: bool,
    status: str | None,
    overdue: bool,
    on: datetime | None,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """List referrals by the day they were made, each with its agency, status and due day;
    with --overdue, those open past their due day with the days overdue.

    A referral of a need that tells a health or disability fact is not listed (its
    agency would tell it); their number is given on standard error.
    """
    from jieqin import connect

    if on is not None and not overdue:
        raise click.UsageError(_("--on goes with --overdue"))
    with connect(database_url(db, url)) as campaign:
        day = day_of(on) or campaign.clock.today()
        if overdue:
            late = {o.referral.referral_id: o.days_overdue for o in campaign.overdue_referrals(day)}
            found = [r for r in _listed(campaign, pending, status) if r.referral_id in late]
            found.sort(key=lambda r: (-late[r.referral_id], r.referral_id))
        else:
            late, found = {}, _listed(campaign, pending, status)
        shown = shown_referrals(campaign, found)
    rows = [_row(r, late.get(r.referral_id)) for r in shown]
    if as_json:
        echo_json(rows)
        return
    _show(rows, overdue, day)


def _listed(campaign: Any, pending: bool, status: str | None) -> list[Any]:
    found: list[Any] = campaign.referrals(pending=pending, status=status)
    return found


def shown_referrals(campaign: Any, found: list[Any]) -> list[Any]:
    """``found`` without the referrals of needs that tell a health or disability fact
    (their number said on standard error): the agency would tell the fact."""
    from jieqin.io.sensitive import sensitivity_of

    with campaign.unit_of_work("cli", read_only=True) as uow:
        needs = uow.needs.find_many({r.need_id for r in found})
    sensitivity = sensitivity_of(campaign)
    shown = [
        r
        for r in found
        if r.need_id not in needs or not sensitivity.withholds_need(needs[r.need_id])
    ]
    if len(found) > len(shown):
        click.echo(_(WITHHELD).format(n=len(found) - len(shown)), err=True)
    return shown


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _row(r: Any, days_overdue: int | None = None) -> dict[str, Any]:
    from jieqin.io.sensitive import masked_strings

    row = {
        "referral_id": r.referral_id,
        "need_id": r.need_id,
        "household_id": r.household_id,
        "member_id": r.member_id,
        "agency": r.agency,
        "status": r.status.value,
        "referred_on": r.referred_on.isoformat(),
        "due_on": _day(r.due_on),
        "accepted_on": _day(r.accepted_on),
        "rejected_on": _day(r.rejected_on),
        "rejection_reason": r.rejection_reason,
        "completed_on": _day(r.completed_on),
        "outcome": r.outcome,
        "note": r.note,
    }
    if days_overdue is not None:
        row["days_overdue"] = days_overdue
    masked: dict[str, Any] = masked_strings(row)
    return masked


#: The columns of the listing, said in the language of the run.
_COLUMNS = {
    "days_overdue": N_("days_overdue"),
    "referral_id": N_("referral"),
    "need_id": N_("need"),
    "agency": N_("agency"),
    "status": N_("status"),
    "referred_on": N_("referred_on"),
    "due_on": N_("due_on"),
    "settled": N_("settled"),
}


def _show(rows: list[dict[str, Any]], overdue: bool, day: Any) -> None:
    from rich.table import Table

    from jieqin.cli._output import print_tables

    shown = day.isoformat() if overdue else ""
    if not rows:
        empty = _("No referral is past its due day on {day}.") if overdue else _("No referrals.")
        click.echo(empty.format(day=shown))
        return
    title = (
        _("{count} referrals past their due day on {day}") if overdue else _("{count} referrals")
    )
    table = Table(title=title.format(count=len(rows), day=shown))
    columns = ["referral_id", "need_id", "agency", "status", "referred_on", "due_on", "settled"]
    if overdue:
        columns.insert(0, "days_overdue")
    for column in columns:
        table.add_column(
            _(_COLUMNS[column]), justify="right" if column == "days_overdue" else "left"
        )
    for r in rows:
        r = {**r, "settled": _settled(r)}
        table.add_row(*(str(r[c] if r[c] is not None else "") for c in columns))
    print_tables(table)


def _settled(row: dict[str, Any]) -> str:
    """How the referral ended, in a few words (empty while the agency has it)."""
    if row["status"] == "completed":
        return f"{row['completed_on']} {row['outcome'] or ''}".strip()
    if row["status"] == "rejected":
        return f"{row['rejected_on']} {row['rejection_reason']}"
    if row["status"] == "accepted":
        return _("accepted {day}").format(day=row["accepted_on"])
    return ""


@referrals_group.command("accept")
@click.argument("referral_id", metavar="REFERRAL_ID")
@click.option(
    "--on", "on", type=DAY, default=None, help="The day the agency accepted it (default today)."
)
@click.option("--note", default="", help="What the agency said (no ID numbers or health details).")
@actor_option()
@url_option
def accept_command(
    referral_id: str, on: datetime | None, note: str, actor: str, db: str | None, url: str | None
) -> None:
    """Record that the agency accepted REFERRAL_ID: it is acting on it."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        referral = campaign.accept_referral(referral_id, day_of(on), note, actor=actor)
    if referral.due_on:
        said = _("Referral {referral} accepted on {day}; it is due by {due}.")
    else:
        said = _("Referral {referral} accepted on {day}.")
    due = referral.due_on.isoformat() if referral.due_on else ""
    click.echo(said.format(referral=referral_id, day=referral.accepted_on, due=due))


@referrals_group.command("reject")
@click.argument("referral_id", metavar="REFERRAL_ID")
@click.option(
    "--reason", required=True, help="Why the agency rejected it (no ID numbers or health details)."
)
@click.option(
    "--on", "on", type=DAY, default=None, help="The day the agency rejected it (default today)."
)
@actor_option()
@url_option
def reject_command(
    referral_id: str, reason: str, on: datetime | None, actor: str, db: str | None, url: str | None
) -> None:
    """Record that the agency rejected REFERRAL_ID, saying why. Its need is open again:
    the next `jieqin needs route` sends it elsewhere, never again to this agency."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        need = campaign.reject_referral(referral_id, reason, day_of(on), actor=actor)
    said = (
        _(
            "Rejected referral {referral}; its need {need} is open again for another route "
            "(`jieqin needs route`)."
        )
        if need.status.value == "open"
        else _("Rejected referral {referral}; its need {need} stays {status}.")
    )
    click.echo(said.format(referral=referral_id, need=need.need_id, status=need.status.value))


@referrals_group.command("complete")
@click.argument("referral_id", metavar="REFERRAL_ID")
@click.option(
    "--outcome",
    required=True,
    metavar="CODE",
    help="What came of it: a referral outcome code (`jieqin codes referral_outcomes`).",
)
@click.option(
    "--on", "on", type=DAY, default=None, help="The day the agency completed it (default today)."
)
@click.option("--note", default="", help="What the agency did (no ID numbers or health details).")
@actor_option()
@url_option
def complete_command(
    referral_id: str,
    outcome: str,
    on: datetime | None,
    note: str,
    actor: str,
    db: str | None,
    url: str | None,
) -> None:
    """Complete REFERRAL_ID with its outcome: the agency acted. Its need is resolved
    (unless it was resolved or closed meanwhile)."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        need = campaign.complete_referral(
            referral_id, day_of(on), note, outcome=outcome, actor=actor
        )
    by = f"referral:{referral_id}"
    said = (
        _("Completed referral {referral} ({outcome}); its need {need} is resolved.")
        if need.resolved_by == by
        else _("Completed referral {referral} ({outcome}); its need {need} was already {status}.")
    )
    click.echo(
        said.format(
            referral=referral_id, outcome=outcome, need=need.need_id, status=need.status.value
        )
    )


COMMANDS = [referrals_group]
