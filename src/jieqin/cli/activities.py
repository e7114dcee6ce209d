"""``jieqin activities``: list the activities logged, and void one logged by mistake.

A void is a dated, audited correction with a reason: the activity keeps its record
and counts nowhere from then on (reports, follow-up, the helper view). The corrected
activity is logged as usual with ``jieqin log``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from jieqin.cli._common import DAY, actor_option, database_url, day_of, echo_json, url_option
from jieqin.i18n import N_, _

__all__ = ["COMMANDS", "activities_group", "list_command", "void_command"]


@click.group("activities")
def activities_group() -> None:
    """List activities, and void one logged by mistake (the record stays, dated)."""


@activities_group.command("list")
@click.option("--helper", "helper_id", default=None, metavar="HELPER", help="Only this helper's.")
@click.option(
    "--household", "household_id", default=None, metavar="HOUSEHOLD", help="Only this household's."
)
@click.option("--kind", default=None, metavar="KIND", help="Only activities of this kind.")
@click.option("--from", "first", type=DAY, default=None, help="From this day on (YYYY-MM-DD).")
@click.option("--to", "last", type=DAY, default=None, help="Up to this day (YYYY-MM-DD).")
@click.option("--voided", is_flag=True, help="Also list voided activities, marked as voided.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@url_option
def list_command(
    helper_id: str | None,
    household_id: str | None,
    kind: str | None,
    first: datetime | None,
    last: datetime | None,
    voided: bool,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """List activities by day, those that count (with --voided, the voided ones too).

    Notes are masked as every output masks free text, and an activity that served a
    need telling a health or disability fact does not name it.
    """
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        found = campaign.activities(
            helper_id=helper_id,
            household_id=household_id,
            kind=kind,
            first=day_of(first),
            last=day_of(last),
            include_voided=voided,
        )
        rows = _rows(campaign, found)
    if as_json:
        echo_json(rows)
        return
    _show(rows, voided)


def _rows(campaign: Any, activities: list[Any]) -> list[dict[str, Any]]:
    """The activities as printed: masked as an export masks them (free text scanned,
    no need named that tells a health or disability fact)."""
    from jieqin.io import unstructure
    from jieqin.io.sensitive import mask_record, sensitivity_of

    named = {a.need_id for a in activities if a.need_id}
    with campaign.unit_of_work("cli", read_only=True) as uow:
        needs = list(uow.needs.find_many(named).values()) if named else []
    sensitivity = sensitivity_of(campaign).with_needs(needs)
    return [mask_record("activities", unstructure(a), sensitivity) or {} for a in activities]


#: The columns of the listing, said in the language of the run.
_COLUMNS = {
    "activity_id": N_("activity"),
    "on": N_("on"),
    "kind": N_("kind"),
    "helper_id": N_("helper"),
    "household_id": N_("household"),
    "member_id": N_("member"),
    "need_id": N_("need"),
    "note": N_("note"),
    "voided_on": N_("voided_on"),
    "void_reason": N_("void_reason"),
}


def _show(rows: list[dict[str, Any]], voided: bool) -> None:
    from rich.table import Table

    from jieqin.cli._output import print_tables

    if not rows:
        click.echo(_("No activities."))
        return
    table = Table(title=_("{count} activities").format(count=len(rows)))
    columns = ["activity_id", "on", "kind", "helper_id", "household_id", "member_id", "need_id"]
    columns.append("note")
    if voided:
        columns += ["voided_on", "void_reason"]
    for column in columns:
        table.add_column(_(_COLUMNS[column]))
    for r in rows:
        table.add_row(*(str(r.get(c) or "") for c in columns))
    print_tables(table)


@activities_group.command("void")
@click.argument("activity_id", metavar="ACTIVITY_ID")
@click.option("--reason", required=True, help="Why it is voided (logged by mistake, wrong day).")
@click.option("--on", "on", type=DAY, default=None, help="The day of the void (default today).")
@actor_option("Who voids it, for the audit log.")
@click.option("--json", "as_json", is_flag=True, help="Print the voided activity as JSON.")
@url_option
def void_command(
    activity_id: str,
    reason: str,
    on: datetime | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Void ACTIVITY_ID, logged by mistake: it stays on record, dated, with the reason
    and who voided it, and counts nowhere from then on. Log the corrected one with
    `jieqin log`."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        activity = campaign.void_activity(activity_id, reason, day_of(on), actor=actor)
        row = _rows(campaign, [activity])[0]
    if as_json:
        echo_json(row)
        return
    click.echo(
        _(
            "Voided {kind} {activity} of {day} (helper {helper}, household {household}) "
            "on {voided}."
        ).format(
            kind=activity.kind,
            activity=activity.activity_id,
            day=activity.on.isoformat(),
            helper=activity.helper_id,
            household=activity.household_id,
            voided=activity.voided_on,
        )
    )


COMMANDS = [activities_group]
