"""``jieqin aid approve``, ``notice``, ``object``, ``objection``, ``commit``, ``withdraw``,
``plans`` and ``objections``: a plan stored by ``jieqin aid run --pending`` through
approval, public notice and objections to its commit (see
:mod:`jieqin.services.approval`). Registered on the ``aid`` group by
:mod:`jieqin.cli.aid`.

Who approves or decides an objection is the ``--as`` principal when principals are
configured, else a local administrator named by ``--actor``; the plan's maker is
refused either way (maker-checker).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from jieqin.cli._common import DAY, database_url, day_of, echo_json, url_option
from jieqin.i18n import _

if TYPE_CHECKING:
    from datetime import datetime

    from jieqin.model import Objection, Plan

__all__ = ["APPROVAL_COMMANDS", "pending_head"]

_ACTOR_HELP = "Who does it (with principals configured, the --as principal does)."


def pending_head(plan: Plan) -> str:
    """What ``aid run --pending`` prints first: the plan and what comes next."""
    return (
        f"PENDING: stored as plan {plan.plan_id}; nothing is granted until someone else "
        f"approves it (`jieqin aid approve {plan.plan_id} --actor NAME`), its notice runs "
        "and it is committed. "
    )


def _plan_data(plan: Plan) -> dict[str, Any]:
    """A plan as ``--json`` prints it."""
    return {
        "plan": plan.plan_id,
        "program": plan.program_id,
        "fund": plan.fund_id,
        "period": str(plan.period),
        "status": str(plan.status),
        "decided_on": plan.decided_on.isoformat(),
        "rule_version": plan.rule_version,
        "made_by": plan.made_by,
        "made_on": plan.made_on.isoformat(),
        "decisions": plan.item_count,
        "approved_by": plan.approved_by,
        "approved_on": None if plan.approved_on is None else plan.approved_on.isoformat(),
        "notice_from": None if plan.notice_from is None else plan.notice_from.isoformat(),
        "notice_until": None if plan.notice_until is None else plan.notice_until.isoformat(),
        "committed_on": None if plan.committed_on is None else plan.committed_on.isoformat(),
        "withdrawn_on": None if plan.withdrawn_on is None else plan.withdrawn_on.isoformat(),
        "withdraw_reason": plan.withdraw_reason,
    }


def _objection_data(objection: Objection) -> dict[str, Any]:
    """An objection as people may read it: the objector's name masked like any name,
    the free text scanned (an ID, a phone, a health word in it masked)."""
    from jieqin._free_text import mask_free_text
    from jieqin._masking import mask_name

    return {
        "objection": objection.objection_id,
        "plan": objection.plan_id,
        "member": objection.member_id,
        "household": objection.household_id,
        "received_on": objection.received_on.isoformat(),
        "objector": mask_name(objection.objector) if objection.objector else "",
        "reason": mask_free_text(objection.statement),
        "status": str(objection.status),
        "decided_on": None if objection.decided_on is None else objection.decided_on.isoformat(),
        "decided_by": objection.decided_by,
        "decision_reason": mask_free_text(objection.decision_reason),
    }


@click.command("approve")
@click.argument("plan_id", metavar="PLAN")
@click.option(
    "--days",
    type=click.IntRange(1, 365),
    default=None,
    help="How long the public notice runs, from today (default: the programme's).",
)
@click.option("--actor", default="cli", show_default=True, help=_ACTOR_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the approved plan as JSON.")
@url_option
def approve_command(
    plan_id: str, days: int | None, actor: str, as_json: bool, db: str | None, url: str | None
) -> None:
    """Approve PLAN today and start its public notice.

    The approver needs a role that decides (approver, admin) and may not be who made
    the plan (maker-checker).
    """
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        plan = campaign.approve_plan(plan_id, actor=actor, days=days)
    if as_json:
        echo_json(_plan_data(plan))
        return
    click.echo(
        _(
            "Plan {plan} approved by {approver} on {day}; its public notice runs from {start} "
            "to {end}. Post it: `jieqin aid notice {plan} --format html -o notice.html`."
        ).format(
            plan=plan.plan_id,
            approver=plan.approved_by,
            day=plan.approved_on,
            start=plan.notice_from,
            end=plan.notice_until,
        )
    )


@click.command("notice")
@click.argument("plan_id", metavar="PLAN")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "csv", "html"]),
    default="text",
    show_default=True,
)
@click.option(
    "--days",
    type=click.IntRange(1, 365),
    default=None,
    help="For a plan not yet approved: the length of the draft notice (default: the programme's).",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write to this file (default: standard output).",
)
@url_option
def notice_command(
    plan_id: str,
    fmt: str,
    days: int | None,
    lang: str,
    output: Path | None,
    db: str | None,
    url: str | None,
) -> None:
    """The public notice of PLAN: masked names, villages, amounts, the notice period.

    Never an ID number, a phone or a health fact; for a programme whose rules read a
    health or disability fact only the number of recipients per village. Before
    approval it is a draft.
    """
    from jieqin import connect
    from jieqin.cli._output import writing
    from jieqin.reports.notice import render_notice

    with connect(database_url(db, url)) as campaign:
        notice = campaign.plan_notice(plan_id, days=days)
    text = render_notice(notice, fmt, lang=lang)
    if output is None:
        click.echo(text, nl=False)
        return
    with writing(output, "utf-8"):
        output.write_text(text, encoding="utf-8")
    click.echo(
        _("Wrote the notice of plan {plan} to {output}.").format(plan=plan_id, output=output),
        err=True,
    )


@click.command("object")
@click.argument("plan_id", metavar="PLAN")
@click.option("--member", "member_id", default=None, metavar="M", help="The member objected to.")
@click.option(
    "--household",
    "household_id",
    default=None,
    metavar="H",
    help="The household objected to (every grant of the plan to it).",
)
@click.option("--reason", required=True, help="What the objection says.")
@click.option("--by", "objector", default="", help="Who objected (may be left out).")
@click.option("--on", "on", type=DAY, default=None, help="Day received (default: today).")
@click.option("--actor", default="cli", show_default=True, help="Who records it.")
@click.option("--json", "as_json", is_flag=True, help="Print the objection as JSON.")
@url_option
def object_command(
    plan_id: str,
    member_id: str | None,
    household_id: str | None,
    reason: str,
    objector: str,
    on: datetime | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Record an objection to a member or household on PLAN's notice, received during
    the notice: their grant is held until the objection is decided."""
    from jieqin import connect

    if (member_id is None) == (household_id is None):
        raise click.UsageError(_("give --member or --household (one of them)"))
    with connect(database_url(db, url)) as campaign:
        objection = campaign.object_to_plan(
            plan_id,
            reason=reason,
            member_id=member_id,
            household_id=household_id,
            objector=objector,
            on=day_of(on),
            actor=actor,
        )
    if as_json:
        echo_json(_objection_data(objection))
        return
    who = objection.member_id or _("household {household}").format(household=objection.household_id)
    click.echo(
        _(
            "Objection {objection} recorded: {who} on plan {plan} is held until it is decided "
            "(`jieqin aid objection {objection} --uphold|--dismiss --reason TEXT`)."
        ).format(objection=objection.objection_id, who=who, plan=plan_id)
    )


@click.command("objection")
@click.argument("objection_id", metavar="OBJECTION")
@click.option("--uphold/--dismiss", "uphold", default=None, help="The decision.")
@click.option("--reason", required=True, help="Why.")
@click.option("--actor", default="cli", show_default=True, help=_ACTOR_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the decided objection as JSON.")
@url_option
def objection_command(
    objection_id: str,
    uphold: bool | None,
    reason: str,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Uphold or dismiss OBJECTION: upheld, the person is not granted and the money is
    freed; dismissed, they are granted with the plan (at once if it was committed).
    Needs a role that decides, and someone other than the plan's maker."""
    from jieqin import connect

    if uphold is None:
        raise click.UsageError(_("give --uphold or --dismiss"))
    with connect(database_url(db, url)) as campaign:
        decided = campaign.decide_objection(objection_id, uphold=uphold, reason=reason, actor=actor)
    if as_json:
        data = _objection_data(decided.objection)
        data["granted"] = [g.grant_id for g in decided.grants]
        data["decisions"] = [d.decision_id for d in decided.decisions]
        echo_json(data)
        return
    objection = decided.objection
    if uphold:
        said = _("Objection {objection} upheld: not granted.")
    elif decided.grants:
        said = _("Objection {objection} dismissed; granted now: {grants}.")
    else:
        said = _("Objection {objection} dismissed.")
    grants = ", ".join(g.grant_id for g in decided.grants)
    click.echo(said.format(objection=objection.objection_id, grants=grants))


@click.command("commit")
@click.argument("plan_id", metavar="PLAN")
@click.option("--actor", default="cli", show_default=True, help="Who commits it.")
@click.option("--json", "as_json", is_flag=True, help="Print what was granted as JSON.")
@url_option
def commit_command(
    plan_id: str, actor: str, as_json: bool, db: str | None, url: str | None
) -> None:
    """Commit PLAN after its public notice: its planned grants are made; grants an
    objection holds wait for its decision. Refused before the notice ends."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        committed = campaign.commit_plan(plan_id, actor=actor)
    allocation = committed.allocation
    if as_json:
        data = _plan_data(committed.plan)
        data["granted"] = len(allocation.grants)
        data["granted_total"] = str(allocation.granted_total)
        data["held"] = len(committed.held)
        echo_json(data)
        return
    click.echo(
        _(
            "Plan {plan} committed: {granted} granted ({total} yuan), {held} held by objections."
        ).format(
            plan=plan_id,
            granted=len(allocation.grants),
            total=allocation.granted_total,
            held=len(committed.held),
        )
    )


@click.command("withdraw")
@click.argument("plan_id", metavar="PLAN")
@click.option("--reason", required=True, help="Why the plan is withdrawn.")
@click.option("--actor", default="cli", show_default=True, help="Who withdraws it.")
@click.option("--json", "as_json", is_flag=True, help="Print the withdrawn plan as JSON.")
@url_option
def withdraw_command(
    plan_id: str, reason: str, actor: str, as_json: bool, db: str | None, url: str | None
) -> None:
    """Withdraw PLAN (not committed), saying why: nothing of it is granted and every
    yuan it reserved goes back to the fund."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        plan = campaign.withdraw_plan(plan_id, reason=reason, actor=actor)
    if as_json:
        echo_json(_plan_data(plan))
        return
    click.echo(
        _("Plan {plan} withdrawn on {day}; its money is freed.").format(
            plan=plan.plan_id, day=plan.withdrawn_on
        )
    )


@click.command("plans")
@click.option("--program", "program_id", default=None, metavar="P", help="Of one programme.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@url_option
def plans_command(program_id: str | None, as_json: bool, db: str | None, url: str | None) -> None:
    """List the allocation plans: status, maker, approver and notice period."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        plans = campaign.plans(program_id=program_id)
    if as_json:
        echo_json([_plan_data(p) for p in plans])
        return
    if not plans:
        click.echo(_("No allocation plans are stored (`jieqin aid run P --period … --pending`)."))
    for p in plans:
        notice = (
            _(", notice {start} to {end}").format(start=p.notice_from, end=p.notice_until)
            if p.notice_from
            else ""
        )
        approved = (
            _(", approved by {approver}").format(approver=p.approved_by) if p.approved_by else ""
        )
        made = _("{plan} {status}: made by {maker} on {day}").format(
            plan=p.plan_id, status=p.status, maker=p.made_by, day=p.made_on
        )
        click.echo(f"{made}{approved}{notice}")


@click.command("objections")
@click.argument("plan_id", metavar="PLAN")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@url_option
def objections_command(plan_id: str, as_json: bool, db: str | None, url: str | None) -> None:
    """List the objections to PLAN's notice (objectors' names masked)."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        rows = [_objection_data(o) for o in campaign.objections(plan_id)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(_("No objection to plan {plan}.").format(plan=plan_id))
    for r in rows:
        who = r["member"] or _("household {household}").format(household=r["household"])
        click.echo(
            _("{objection} {status}: {who}, received {day}: {reason}").format(
                objection=r["objection"],
                status=r["status"],
                who=who,
                day=r["received_on"],
                reason=r["reason"],
            )
        )


#: The commands :mod:`jieqin.cli.aid` adds to its group.
APPROVAL_COMMANDS: list[click.Command] = [
    approve_command,
    notice_command,
    object_command,
    objection_command,
    commit_command,
    withdraw_command,
    plans_command,
    objections_command,
]
