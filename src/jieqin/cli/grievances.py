"""``jieqin grievances``: record a household's grievance, take it up, answer and close
it, and list them (the overdue ones too); ``jieqin aid appeal``: contest a refusal or
a wait-listing, which decides the member again under the rules of the decision's day.

What a person said (the description) may hold health facts, numbers and names: every
listing masks it, in every row alike, unless ``--reveal --purpose TEXT`` (audited).
What a grievance is about reads as its kind only (a decision's or a need's id tells
a programme or a need kind), unless revealed; answers are scanned like every note.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from jieqin.cli._common import (
    DAY,
    ListingGroup,
    actor_option,
    database_url,
    day_of,
    echo_json,
    purpose_option,
    url_option,
)
from jieqin.i18n import _
from jieqin.model.grievances import GrievanceChannel, GrievanceStage

if TYPE_CHECKING:
    from jieqin.campaign import Campaign
    from jieqin.model import Decision, Grievance, GrievanceTarget
    from jieqin.rules import AidProgram
    from jieqin.services.grievances import Appeal

__all__ = [
    "COMMANDS",
    "add_command",
    "answer_command",
    "appeal_command",
    "close_command",
    "grievances_group",
    "list_command",
    "start_command",
]

#: ``--status`` values: a stage, or ``open`` for received or in progress.
STATUSES = (*(s.value for s in GrievanceStage), "open")

_CHANNELS = click.Choice([c.value for c in GrievanceChannel])


@click.group("grievances", cls=ListingGroup)
def grievances_group() -> None:
    """Households' grievances: record, take up, answer, close and list them.

    `jieqin grievances [OPTIONS]` is `jieqin grievances list [OPTIONS]`.
    """


def _target(decision: str | None, helper: str | None, need: str | None) -> GrievanceTarget | None:
    """What ``--decision``, ``--helper`` or ``--need`` names (at most one of them)."""
    from jieqin.model import GrievanceTarget, TargetKind

    given = [
        (k, v)
        for k, v in (
            (TargetKind.DECISION, decision),
            (TargetKind.HELPER, helper),
            (TargetKind.NEED, need),
        )
        if v
    ]
    if len(given) > 1:
        raise click.UsageError(_("name at most one of --decision, --helper and --need"))
    return GrievanceTarget(*given[0]) if given else None


@grievances_group.command("add")
@click.option("--household", "household_id", default=None, metavar="HOUSEHOLD")
@click.option(
    "--member", "member_id", default=None, metavar="MEMBER", help="The member it is about."
)
@click.option("--channel", required=True, type=_CHANNELS, help="How it came in.")
@click.option(
    "--category", required=True, metavar="CODE", help="Its category (`jieqin codes grievances`)."
)
@click.option(
    "--description", required=True, help="What the person said (kept masked in listings)."
)
@click.option("--on", "on", type=DAY, default=None, help="The day it came in (default today).")
@click.option("--decision", default=None, metavar="ID", help="The aid decision it is about.")
@click.option("--helper", default=None, metavar="ID", help="The helper it is about.")
@click.option("--need", default=None, metavar="ID", help="The need it is about.")
@click.option("--id", "grievance_id", default=None, help="Its id (default: made from it).")
@actor_option()
@click.option("--json", "as_json", is_flag=True, help="Print the grievance as JSON.")
@url_option
def add_command(
    household_id: str | None,
    member_id: str | None,
    channel: str,
    category: str,
    description: str,
    on: datetime | None,
    decision: str | None,
    helper: str | None,
    need: str | None,
    grievance_id: str | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Record a grievance of --household (or of --member's household), due by the
    days the grievance_answer_days parameter gives from the day it came in."""
    from jieqin import connect
    from jieqin.services.grievances import record_grievance

    target = _target(decision, helper, need)
    with connect(database_url(db, url)) as campaign:
        received = day_of(on) or campaign.clock.today()
        with campaign.unit_of_work(actor) as uow:
            grievance = record_grievance(
                uow,
                household_id=household_id,
                member_id=member_id,
                channel=channel,
                category=category,
                received_on=received,
                description=description,
                target=target,
                parameters=campaign.registry.campaign_parameters(),
                grievance_id_=grievance_id,
            )
    if as_json:
        echo_json(shown_grievance(grievance, reveal=False, day=received))
        return
    click.echo(
        _(
            "Recorded grievance {grievance} of household {household} ({category}), "
            "received {received}, due {due}."
        ).format(
            grievance=grievance.grievance_id,
            household=grievance.household_id,
            category=grievance.category,
            received=grievance.received_on.isoformat(),
            due=grievance.due_on.isoformat(),
        )
    )


def _moving(
    what: str,
    grievance_id: str,
    on: datetime | None,
    actor: str,
    db: str | None,
    url: str | None,
    **facts: str,
) -> Grievance:
    """Move one grievance on (``start``, ``answer`` or ``close``) on ``on`` or today."""
    from jieqin import connect
    from jieqin.services import grievances as service

    move = {
        "start": service.start_grievance,
        "answer": service.answer_grievance,
        "close": service.close_grievance,
    }[what]
    with connect(database_url(db, url)) as campaign:
        day = day_of(on) or campaign.clock.today()
        with campaign.unit_of_work(actor) as uow:
            moved: Grievance = move(uow, grievance_id, on=day, **facts)  # type: ignore[operator]
    return moved


@grievances_group.command("start")
@click.argument("grievance_id", metavar="GRIEVANCE_ID")
@click.option("--on", "on", type=DAY, default=None, help="The day (default today).")
@actor_option()
@url_option
def start_command(
    grievance_id: str, on: datetime | None, actor: str, db: str | None, url: str | None
) -> None:
    """Take GRIEVANCE_ID up: it is then in progress."""
    moved = _moving("start", grievance_id, on, actor, db, url)
    click.echo(
        _("Grievance {grievance} in progress from {day}.").format(
            grievance=moved.grievance_id, day=moved.started_on
        )
    )


@grievances_group.command("answer")
@click.argument("grievance_id", metavar="GRIEVANCE_ID")
@click.option("--answer", required=True, help="What the person was answered.")
@click.option("--on", "on", type=DAY, default=None, help="The day (default today).")
@actor_option()
@url_option
def answer_command(
    grievance_id: str,
    answer: str,
    on: datetime | None,
    actor: str,
    db: str | None,
    url: str | None,
) -> None:
    """Record the answer to GRIEVANCE_ID, on time if not after its due day."""
    moved = _moving("answer", grievance_id, on, actor, db, url, answer=answer)
    said = (
        _("Answered grievance {grievance} on {day}, on time.")
        if moved.answered_on_time()
        else _("Answered grievance {grievance} on {day}, late (due {due}).")
    )
    click.echo(said.format(grievance=moved.grievance_id, day=moved.answered_on, due=moved.due_on))


@grievances_group.command("close")
@click.argument("grievance_id", metavar="GRIEVANCE_ID")
@click.option("--note", default="", help="How it ended (the person satisfied, ...).")
@click.option("--on", "on", type=DAY, default=None, help="The day (default today).")
@actor_option()
@url_option
def close_command(
    grievance_id: str, note: str, on: datetime | None, actor: str, db: str | None, url: str | None
) -> None:
    """Close GRIEVANCE_ID once it was answered."""
    moved = _moving("close", grievance_id, on, actor, db, url, note=note)
    click.echo(
        _("Closed grievance {grievance} on {day}.").format(
            grievance=moved.grievance_id, day=moved.closed_on
        )
    )


@grievances_group.command("list")
@click.option("--status", default=None, type=click.Choice(STATUSES), help="Only these.")
@click.option("--category", default=None, metavar="CODE", help="Only this category.")
@click.option("--household", "household_id", default=None, metavar="HOUSEHOLD")
@click.option("--overdue", is_flag=True, help="Only those waiting past their due day.")
@click.option("--as-of", "as_of", type=DAY, default=None, help="The day (default today).")
@click.option("--reveal", is_flag=True, help="Show descriptions and targets (audited).")
@purpose_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@url_option
def list_command(
    status: str | None,
    category: str | None,
    household_id: str | None,
    overdue: bool,
    as_of: datetime | None,
    reveal: bool,
    purpose: str | None,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """List grievances by id (--overdue: most overdue first), each with its stage, due
    day and whether it was answered on time, or is overdue on --as-of."""
    from jieqin import connect
    from jieqin.security import check_reveal
    from jieqin.services import grievances as service

    with connect(database_url(db, url)) as campaign:
        if reveal:  # refused before anything is read
            check_reveal(campaign.current_principal(), purpose, what="grievances")
        day = day_of(as_of) or campaign.clock.today()
        stage = None if status in (None, "open") else status
        with campaign.unit_of_work("cli", read_only=True) as uow:
            found = service.grievances_of(
                uow, stage=stage, category=category, household_id=household_id
            )
        if status == "open":
            found = [g for g in found if g.open]
        if overdue:
            found = service.overdue(found, day)
        if reveal:
            ids = [g.grievance_id for g in found]
            campaign.record_reveal("descriptions", "grievances", purpose=purpose, ids=ids)
    rows = [shown_grievance(g, reveal=reveal, day=day) for g in found]
    if as_json:
        echo_json(rows)
        return
    _print_rows(rows, day)


def shown_grievance(grievance: Grievance, *, reveal: bool, day: date) -> dict[str, Any]:
    """A grievance as listed: its description masked (one placeholder in every row)
    and a decision or need it names masked, unless revealed; free text scanned."""
    from jieqin.io.sensitive import MASKED, mask_free_text
    from jieqin.model import TargetKind

    target = grievance.target
    target_id = None if target is None else target.target_id
    if target is not None and target.kind is not TargetKind.HELPER and not reveal:
        target_id = MASKED
    on_time = grievance.answered_on_time()
    return {
        "grievance_id": grievance.grievance_id,
        "household_id": grievance.household_id,
        "member_id": grievance.member_id,
        "channel": grievance.channel.value,
        "category": grievance.category,
        "target_kind": None if target is None else target.kind.value,
        "target_id": target_id,
        "received_on": grievance.received_on.isoformat(),
        "due_on": grievance.due_on.isoformat(),
        "stage": grievance.stage.value,
        "started_on": _iso(grievance.started_on),
        "answered_on": _iso(grievance.answered_on),
        "answered_on_time": on_time,
        "closed_on": _iso(grievance.closed_on),
        "overdue": grievance.overdue(day),
        "days_overdue": (day - grievance.due_on).days if grievance.overdue(day) else 0,
        "description": grievance.description if reveal else MASKED,
        "answer": grievance.answer if reveal else mask_free_text(grievance.answer),
        "closing_note": grievance.closing_note
        if reveal
        else mask_free_text(grievance.closing_note),
        "redecision_id": grievance.redecision_id if reveal else None,
    }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _print_rows(rows: list[dict[str, Any]], day: date) -> None:
    from rich.table import Table
    from rich.text import Text

    from jieqin.cli._output import print_tables

    if not rows:
        click.echo(_("No grievances."))
        return
    table = Table(
        _("grievance"),
        _("household"),
        _("category"),
        _("about"),
        _("received"),
        _("due"),
        _("stage"),
        _("answer"),
        _("description"),
        title=_("{count} grievances (as of {day})").format(count=len(rows), day=day.isoformat()),
        box=None,
    )
    for r in rows:
        about = "-" if r["target_kind"] is None else f"{r['target_kind']} {r['target_id']}"
        if r["answered_on"] is not None:
            timely = _("on time") if r["answered_on_time"] else _("late")
            answer = f"{r['answered_on']} {timely}: {r['answer']}"
        else:
            overdue = _("OVERDUE {days} days").format(days=r["days_overdue"])
            answer = overdue if r["overdue"] else "-"
        cells = (
            r["grievance_id"],
            r["household_id"],
            r["category"],
            about,
            r["received_on"],
            r["due_on"],
            r["stage"],
            answer,
            r["description"],
        )
        table.add_row(*(Text(str(c)) for c in cells))
    print_tables(table)


# --- jieqin aid appeal -------------------------------------------------------------------


@click.command("appeal")
@click.argument("decision_id", metavar="DECISION")
@click.option("--reason", required=True, help="Why the person appeals (kept masked).")
@click.option("--on", "on", type=DAY, default=None, help="The day of the appeal (default today).")
@click.option("--channel", default="visit", show_default=True, type=_CHANNELS)
@click.option("--reveal", is_flag=True, help="Show the outcomes of a health programme (audited).")
@purpose_option
@actor_option()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@url_option
def appeal_command(
    decision_id: str,
    reason: str,
    on: datetime | None,
    channel: str,
    reveal: bool,
    purpose: str | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Appeal DECISION (a refusal or a wait-listing): decide the member again under the
    rules in force on the decision's day, keep both decisions and print them side by
    side. Eligible on appeal, the member is granted at once when the fund can pay and
    nobody is wait-listed ahead; else wait-listed until `jieqin aid run` can grant."""
    from jieqin import connect
    from jieqin.security import check_reveal
    from jieqin.services.grievances import appeal

    with connect(database_url(db, url)) as campaign:
        if reveal:
            check_reveal(campaign.current_principal(), purpose, what=f"appeal of {decision_id}")
        day = day_of(on) or campaign.clock.today()
        program = _program_of(campaign, decision_id)
        with campaign.unit_of_work(actor) as uow:
            done = appeal(
                uow,
                program,
                decision_id,
                reason=reason,
                on=day,
                channel=channel,
                parameters=campaign.registry.campaign_parameters(),
                monitored=campaign.monitored_statuses,
            )
        if reveal:
            campaign.record_reveal(
                f"appeal of {decision_id}",
                "decisions",
                purpose=purpose,
                ids=[done.redecision.decision_id],
            )
    _print_appeal(done, program, reveal=reveal, as_json=as_json)


def _program_of(campaign: Campaign, decision_id: str) -> AidProgram:
    """The registered programme of a stored decision."""
    from jieqin.errors import NotFound

    with campaign.unit_of_work("cli", read_only=True) as uow:
        decision = uow.decisions.find(decision_id)
    if decision is None:
        raise NotFound(
            f"no decision {decision_id}; `jieqin aid explain PROGRAM MEMBER --period P` "
            "shows a member's decisions"
        )
    return campaign.aid_program(decision.program_id)


def _decision_row(program: AidProgram, d: Decision, *, reveal: bool) -> dict[str, Any]:
    from jieqin.rules.programs import shown_decision

    return {
        "decision_id": d.decision_id,
        "decided_on": d.decided_on.isoformat(),
        "rule_version": d.rule_version,
        **shown_decision(program, d.outcome.value, d.reason, d.amount, reveal=reveal),
    }


def _print_appeal(done: Appeal, program: AidProgram, *, reveal: bool, as_json: bool) -> None:
    """The original decision and the decision on appeal, side by side."""
    from jieqin.io.sensitive import mask_free_text

    original = _decision_row(program, done.original, reveal=reveal)
    again = _decision_row(program, done.redecision, reveal=reveal)
    grant = done.grant if reveal or not program.sensitive else None
    if as_json:
        echo_json(
            {
                "grievance": shown_grievance(
                    done.grievance, reveal=False, day=done.grievance.received_on
                ),
                "original": original,
                "on_appeal": again,
                "grant": None
                if grant is None
                else {
                    "grant_id": grant.grant_id,
                    "amount": str(grant.amount),
                    "fund_id": grant.fund_id,
                },
            }
        )
        return
    g = done.grievance
    click.echo(
        _(
            "Appeal {grievance} of {decision}, received {received}, answered the same day by "
            "the decision on appeal (due {due})."
        ).format(
            grievance=g.grievance_id,
            decision=done.original.decision_id,
            received=g.received_on,
            due=g.due_on,
        )
    )
    for label, row in ((_("original"), original), (_("on appeal"), again)):
        amount = _("{amount} yuan").format(amount=row["amount"]) if row["amount"] else "-"
        click.echo(
            _(
                "  {label}  {decision}  rules of {day} ({version}): {outcome}, {amount}; {reason}"
            ).format(
                label=f"{label:<9}",
                decision=row["decision_id"],
                day=row["decided_on"],
                version=row["rule_version"],
                outcome=row["outcome"],
                amount=amount,
                reason=row["reason"] if reveal else mask_free_text(str(row["reason"])),
            )
        )
    if done.original.rule_version != done.redecision.rule_version:
        click.echo(
            _(
                "The rules changed since ({then} then): the member was decided under {now} "
                "with the parameters in force on {day}."
            ).format(
                then=done.original.rule_version,
                now=done.redecision.rule_version,
                day=done.original.decided_on,
            )
        )
    if grant is not None:
        click.echo(
            _("Granted {grant}: {amount} yuan from fund {fund}.").format(
                grant=grant.grant_id, amount=grant.amount, fund=grant.fund_id
            )
        )


COMMANDS = [grievances_group]
