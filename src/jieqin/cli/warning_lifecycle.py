"""``jieqin warnings list`` and ``jieqin warnings check``: risk warnings with their
lifecycle (assigned, checked at home, confirmed or dismissed), the overdue checks, and
the home check with its result (see :mod:`jieqin.services.warning_lifecycle`).
Registered on the ``warnings`` group by :mod:`jieqin.cli.warnings`.

Which warning rules held can tell a health fact (a medical burden, a new major
illness): every listing shows the rules masked, in every row alike, unless
``--reveal --purpose TEXT`` (audited). The checker's note is scanned like every note.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from jieqin.cli._common import (
    DAY,
    actor_option,
    database_url,
    day_of,
    echo_json,
    purpose_option,
    url_option,
)
from jieqin.model.monitoring import WarningStatus

if TYPE_CHECKING:
    from jieqin.model.monitoring import RiskWarning

__all__ = ["LIFECYCLE_COMMANDS", "check_command", "list_command", "shown_warning"]


def shown_warning(warning: RiskWarning, *, day: date, reveal: bool = False) -> dict[str, Any]:
    """A warning as listed: its rules masked unless revealed (the same placeholder in
    every row), its note scanned, whether its check is overdue on ``day``."""
    from jieqin.io.sensitive import MASKED, mask_free_text

    overdue = warning.overdue_on(day)
    return {
        "warning_id": warning.warning_id,
        "household_id": warning.household_id,
        "period": str(warning.period),
        "rules": list(warning.rules) if reveal else MASKED,
        "status": warning.status.value,
        "raised_on": warning.raised_on.isoformat(),
        "assigned_to": warning.assigned_to,
        "check_due": warning.check_due.isoformat(),
        "overdue": overdue,
        "days_overdue": (day - warning.check_due).days if overdue else 0,
        "checked_by": warning.checked_by,
        "checked_on": _iso(warning.checked_on),
        "check_note": warning.check_note if reveal else mask_free_text(warning.check_note),
        "decided_on": _iso(warning.decided_on),
        "category": warning.category,
        "reason": mask_free_text(warning.reason),
    }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


@click.command("list")
@click.option(
    "--status",
    default=None,
    type=click.Choice([s.value for s in WarningStatus]),
    help="Only warnings of this status.",
)
@click.option("--household", "household_id", default=None, metavar="HOUSEHOLD")
@click.option("--overdue", is_flag=True, help="Only those whose home check is past its due day.")
@click.option("--as-of", "as_of", type=DAY, default=None, help="The day (default today).")
@click.option("--reveal", is_flag=True, help="Show which rules held (audited).")
@purpose_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@url_option
def list_command(
    status: str | None,
    household_id: str | None,
    overdue: bool,
    as_of: datetime | None,
    reveal: bool,
    purpose: str | None,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """List risk warnings by id (--overdue: only those whose home check is past its
    due day on --as-of, most days overdue first), each with who it is assigned to,
    when its check is due, and what the check found."""
    from jieqin import connect
    from jieqin.security import check_reveal

    with connect(database_url(db, url)) as campaign:
        if reveal:  # refused before anything is read
            check_reveal(campaign.current_principal(), purpose, what="warnings")
        day = day_of(as_of) or campaign.clock.today()
        if overdue:
            late = campaign.overdue_warnings(day)
            found = [o.warning for o in late if household_id in (None, o.warning.household_id)]
            if status is not None:
                found = [w for w in found if w.status.value == status]
        else:
            found = campaign.warnings(status=status, household_id=household_id)
        if reveal:
            ids = [w.warning_id for w in found]
            campaign.record_reveal("rules", "warnings", purpose=purpose, ids=ids)
    rows = [shown_warning(w, day=day, reveal=reveal) for w in found]
    if as_json:
        echo_json(rows)
        return
    _print_rows(rows, day, overdue)


def _print_rows(rows: list[dict[str, Any]], day: date, overdue: bool) -> None:
    from rich.table import Table

    from jieqin.cli._output import print_tables

    if not rows:
        late = " overdue" if overdue else ""
        click.echo(f"No{late} warnings on {day.isoformat()}.")
        return
    what = "warnings with an overdue check" if overdue else "warnings"
    table = Table(title=f"{len(rows)} {what} (as of {day.isoformat()})", box=None)
    for column in ("warning", "household", "status", "assigned to", "check due", "days over"):
        table.add_column(column, justify="right" if column == "days over" else "left")
    table.add_column("outcome")
    for row in rows:
        outcome = row["category"] or row["reason"] or ""
        table.add_row(
            row["warning_id"],
            row["household_id"],
            row["status"],
            row["assigned_to"] or "",
            row["check_due"],
            str(row["days_overdue"]) if row["overdue"] else "",
            outcome,
        )
    print_tables(table)


@click.command("check")
@click.argument("warning_id", metavar="WARNING_ID")
@click.option(
    "--result",
    required=True,
    type=click.Choice(["confirmed", "dismissed"]),
    help="What the home check found: a risk to monitor, or none.",
)
@click.option(
    "--category",
    default=None,
    metavar="STATUS",
    help="For confirmed: the monitoring category (a monitored household status).",
)
@click.option("--reason", default="", help="For dismissed: why there is no risk.")
@click.option("--note", default="", help="What the checker found at the home.")
@click.option(
    "--checked-by",
    "checked_by",
    default=None,
    metavar="WHO",
    help="Who checked: the helper, township:<code>, or (default) --actor.",
)
@click.option("--on", "on", type=DAY, default=None, help="The day of the check (default today).")
@actor_option()
@click.option("--json", "as_json", is_flag=True, help="Print the warning as JSON.")
@url_option
def check_command(
    warning_id: str,
    result: str,
    category: str | None,
    reason: str,
    note: str,
    checked_by: str | None,
    on: datetime | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Record the home check of WARNING_ID and its result.

    Confirmed: the household's status is --category from the day of the check and
    the needs it raises are stored (route them with `jieqin needs route`). Dismissed:
    --reason says why. The checker is the helper it is assigned to, a helper paired
    with the household, its township's clerk, or a clerk as themselves.
    """
    from jieqin import connect
    from jieqin.services.warning_lifecycle import Confirmed

    with connect(database_url(db, url)) as campaign:
        outcome = campaign.check_warning(
            warning_id,
            result,
            category=category,
            reason=reason,
            note=note,
            checked_by=checked_by,
            on=day_of(on),
            actor=actor,
        )
        day = campaign.clock.today()
    warning = outcome.warning if isinstance(outcome, Confirmed) else outcome
    if as_json:
        data = shown_warning(warning, day=day)
        if isinstance(outcome, Confirmed):
            data["needs"] = [n.need_id for n in outcome.needs]
        echo_json(data)
        return
    if isinstance(outcome, Confirmed):
        click.echo(
            f"Warning {warning.warning_id} checked on {warning.checked_on} by "
            f"{warning.checked_by} and confirmed: household {warning.household_id} is "
            f"{warning.category} from {warning.decided_on}; {len(outcome.needs)} needs raised "
            "(route them: `jieqin needs route`)."
        )
        return
    click.echo(
        f"Warning {warning.warning_id} checked on {warning.checked_on} by "
        f"{warning.checked_by} and dismissed."
    )


LIFECYCLE_COMMANDS = [list_command, check_command]
