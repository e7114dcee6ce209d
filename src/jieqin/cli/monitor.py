"""``jieqin monitor``: risk elimination (风险消除), a monitored household's way out of
monitoring (see :mod:`jieqin.services.elimination`).

``stability`` explains, month by month, whether a household's income was stable
above the line; ``eliminate`` proposes that it leave monitoring, with the home check
that found it so (refused unless the income was stable); ``approve`` (someone else,
in a role that decides) starts the public notice; ``object`` records an objection
during the notice, which holds the elimination until ``objection`` decides it;
``commit`` after the notice changes the household's status; ``withdraw`` gives it
up; ``eliminations`` lists them. Approval and objections work as an aid plan's do
(maker-checker, notice days, objections hold).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from jieqin.cli._common import (
    DAY,
    ListingGroup,
    actor_option,
    database_url,
    day_of,
    echo_json,
    url_option,
)
from jieqin.model import PlanStatus

if TYPE_CHECKING:
    from jieqin.model import Elimination
    from jieqin.services.elimination import Stability

__all__ = ["COMMANDS", "elimination_data", "monitor_group"]

_ACTOR_HELP = "Who does it (with principals configured, the --as principal does)."


@click.group("monitor", cls=ListingGroup)
def monitor_group() -> None:
    """Risk elimination: a monitored household leaves monitoring on stable income, a
    home check, approval and public notice.

    `jieqin monitor [OPTIONS]` is `jieqin monitor list [OPTIONS]`.
    """


def elimination_data(e: Elimination) -> dict[str, Any]:
    """An elimination as ``--json`` prints it (the check's note and the objections'
    words scanned, objectors masked like any name)."""
    from jieqin._masking import mask_name
    from jieqin.io.sensitive import mask_free_text

    def iso(day: Any) -> str | None:
        return None if day is None else str(day.isoformat())

    return {
        "elimination": e.elimination_id,
        "household": e.household_id,
        "status": e.status.value,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "stable_months": [
            {"month": str(m.month), "income": str(m.income), "line": str(m.line)}
            for m in e.stable_months
        ],
        "checked_by": e.checked_by,
        "checked_on": e.checked_on.isoformat(),
        "check_note": mask_free_text(e.check_note),
        "made_by": e.made_by,
        "made_on": e.made_on.isoformat(),
        "approved_by": e.approved_by,
        "approved_on": iso(e.approved_on),
        "notice_from": iso(e.notice_from),
        "notice_until": iso(e.notice_until),
        "committed_on": iso(e.committed_on),
        "withdrawn_on": iso(e.withdrawn_on),
        "withdraw_reason": mask_free_text(e.withdraw_reason),
        "objections": [
            {
                "objection": o.objection_id,
                "received_on": o.received_on.isoformat(),
                "objector": mask_name(o.objector) if o.objector else "",
                "reason": mask_free_text(o.statement),
                "status": o.status.value,
                "decided_on": iso(o.decided_on),
                "decided_by": o.decided_by,
                "decision_reason": mask_free_text(o.decision_reason),
            }
            for o in e.objections
        ],
    }


def _stability_data(s: Stability) -> dict[str, Any]:
    return {
        "household": s.household_id,
        "as_of": s.as_of.isoformat(),
        "stable": s.holds,
        "months": [
            {
                "month": str(m.month),
                "income": None if m.income is None else str(m.income),
                "line": str(m.line),
                "observation": None if m.observation is None else m.observation.observation_id,
                "stable": m.stable,
            }
            for m in s.months
        ],
        "explanation": s.explanation(),
    }


@monitor_group.command("stability")
@click.argument("household_id", metavar="HOUSEHOLD")
@click.option("--as-of", "as_of", type=DAY, default=None, help="The day (default today).")
@click.option("--json", "as_json", is_flag=True, help="Print the months as JSON.")
@url_option
def stability_command(
    household_id: str, as_of: datetime | None, as_json: bool, db: str | None, url: str | None
) -> None:
    """Explain whether HOUSEHOLD's income was stable above the monitoring line in each
    of the last stability_months whole months (writes nothing)."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        found = campaign.elimination_stability(household_id, on=day_of(as_of))
    if as_json:
        echo_json(_stability_data(found))
        return
    for line in found.explanation():
        click.echo(line)


@monitor_group.command("eliminate")
@click.argument("household_id", metavar="HOUSEHOLD")
@click.option(
    "--checked-by",
    "checked_by",
    required=True,
    metavar="WHO",
    help="Who checked the household at home: its helper, township:<code>, or a clerk.",
)
@click.option(
    "--checked-on", "checked_on", type=DAY, required=True, help="The day of the home check."
)
@click.option("--note", default="", help="What the home check found.")
@click.option(
    "--to",
    "to_status",
    default=None,
    metavar="STATUS",
    help="The status it takes (default: the one it had before monitoring, else lifted_out).",
)
@actor_option()
@click.option("--json", "as_json", is_flag=True, help="Print the elimination as JSON.")
@url_option
def eliminate_command(
    household_id: str,
    checked_by: str,
    checked_on: datetime,
    note: str,
    to_status: str | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Propose that HOUSEHOLD leave monitoring, with its home check.

    Refused unless its income was stable above the line each of the last
    stability_months months. Nothing changes until someone else approves it, its
    public notice runs and it is committed.
    """
    from jieqin import connect

    checked = day_of(checked_on)
    assert checked is not None
    with connect(database_url(db, url)) as campaign:
        elimination, found = campaign.propose_elimination(
            household_id,
            checked_by=checked_by,
            checked_on=checked,
            note=note,
            to_status=to_status,
            actor=actor,
        )
    if as_json:
        echo_json(elimination_data(elimination))
        return
    for line in found.explanation():
        click.echo(line)
    click.echo(
        f"PENDING: elimination {elimination.elimination_id} of household {household_id} "
        f"({elimination.from_status} -> {elimination.to_status}); nothing changes until "
        f"someone else approves it (`jieqin monitor approve {elimination.elimination_id} "
        "--actor NAME`), its notice runs and it is committed."
    )


@monitor_group.command("approve")
@click.argument("elimination_id", metavar="ELIMINATION")
@click.option(
    "--days",
    type=click.IntRange(1, 365),
    default=None,
    help="How long the public notice runs, from today (default 7).",
)
@click.option("--actor", default="cli", show_default=True, help=_ACTOR_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the elimination as JSON.")
@url_option
def approve_command(
    elimination_id: str,
    days: int | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Approve ELIMINATION today and start its public notice.

    The approver needs a role that decides (approver, admin) and may not be who
    proposed it (maker-checker).
    """
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        e = campaign.approve_elimination(elimination_id, actor=actor, days=days)
    if as_json:
        echo_json(elimination_data(e))
        return
    click.echo(
        f"Elimination {e.elimination_id} approved by {e.approved_by} on {e.approved_on}; its "
        f"public notice runs from {e.notice_from} to {e.notice_until}."
    )


@monitor_group.command("object")
@click.argument("elimination_id", metavar="ELIMINATION")
@click.option("--reason", required=True, help="What the objector said.")
@click.option("--objector", default="", help="Who objected, as they gave their name.")
@click.option("--on", "on", type=DAY, default=None, help="The day it came in (default today).")
@actor_option()
@click.option("--json", "as_json", is_flag=True, help="Print the elimination as JSON.")
@url_option
def object_command(
    elimination_id: str,
    reason: str,
    objector: str,
    on: datetime | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Record an objection to ELIMINATION received during its notice: it holds the
    elimination until the objection is decided."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        objection = campaign.object_to_elimination(
            elimination_id, reason=reason, objector=objector, on=day_of(on), actor=actor
        )
    if as_json:
        echo_json({"objection": objection.objection_id, "elimination": elimination_id})
        return
    click.echo(
        f"Objection {objection.objection_id} recorded: elimination {elimination_id} is held "
        f"until it is decided (`jieqin monitor objection {objection.objection_id} "
        "--uphold|--dismiss --reason …`)."
    )


@monitor_group.command("objection")
@click.argument("objection_id", metavar="OBJECTION")
@click.option("--uphold/--dismiss", required=True, help="Uphold it, or dismiss it.")
@click.option("--reason", required=True, help="Why.")
@click.option("--actor", default="cli", show_default=True, help=_ACTOR_HELP)
@url_option
def objection_command(
    objection_id: str, uphold: bool, reason: str, actor: str, db: str | None, url: str | None
) -> None:
    """Decide OBJECTION to an elimination: upheld, the elimination is withdrawn and
    the household stays monitored; dismissed, the elimination goes on."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        e = campaign.decide_elimination_objection(
            objection_id, uphold=uphold, reason=reason, actor=actor
        )
    if e.status is PlanStatus.WITHDRAWN:
        click.echo(
            f"Objection {objection_id} upheld: elimination {e.elimination_id} is withdrawn; "
            f"household {e.household_id} stays {e.from_status}."
        )
        return
    click.echo(f"Objection {objection_id} dismissed: elimination {e.elimination_id} goes on.")


@monitor_group.command("commit")
@click.argument("elimination_id", metavar="ELIMINATION")
@actor_option()
@url_option
def commit_command(elimination_id: str, actor: str, db: str | None, url: str | None) -> None:
    """Commit ELIMINATION after its notice: the household leaves monitoring today."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        e, household = campaign.commit_elimination(elimination_id, actor=actor)
    click.echo(
        f"Elimination {e.elimination_id} committed: household {household.household_id} is "
        f"{e.to_status} from {e.committed_on} (was {e.from_status})."
    )


@monitor_group.command("withdraw")
@click.argument("elimination_id", metavar="ELIMINATION")
@click.option("--reason", required=True, help="Why it is withdrawn.")
@actor_option()
@url_option
def withdraw_command(
    elimination_id: str, reason: str, actor: str, db: str | None, url: str | None
) -> None:
    """Withdraw ELIMINATION, not committed, saying why: the household stays monitored."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        e = campaign.withdraw_elimination(elimination_id, reason=reason, actor=actor)
    click.echo(f"Elimination {e.elimination_id} withdrawn on {e.withdrawn_on}.")


@monitor_group.command("list")
@click.option(
    "--status",
    default=None,
    type=click.Choice([s.value for s in PlanStatus]),
    help="Only eliminations of this status.",
)
@click.option("--household", "household_id", default=None, metavar="HOUSEHOLD")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@url_option
def list_command(
    status: str | None, household_id: str | None, as_json: bool, db: str | None, url: str | None
) -> None:
    """List risk eliminations by id, each with its status and steps."""
    from rich.table import Table

    from jieqin import connect
    from jieqin.cli._output import print_tables

    with connect(database_url(db, url)) as campaign:
        found = campaign.eliminations(status=status, household_id=household_id)
    if as_json:
        echo_json([elimination_data(e) for e in found])
        return
    if not found:
        click.echo("No eliminations.")
        return
    table = Table(title=f"{len(found)} eliminations", box=None)
    for column in ("elimination", "household", "status", "from", "to", "stable", "notice"):
        table.add_column(column)
    for e in found:
        notice = f"{e.notice_from} - {e.notice_until}" if e.notice_from else ""
        held = " (held)" if e.held else ""
        table.add_row(
            e.elimination_id,
            e.household_id,
            f"{e.status.value}{held}",
            e.from_status,
            e.to_status,
            f"{e.stable_from} - {e.stable_until}",
            notice,
        )
    print_tables(table)


COMMANDS = [monitor_group]
