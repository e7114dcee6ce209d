"""``jieqin overdue``: pairings behind their follow-up cadence, most urgent first, and
referrals an agency has kept past their due day."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from jieqin.cli._common import database_url, echo_json, url_option
from jieqin.i18n import N_, _

__all__ = ["COMMANDS", "overdue_command"]

#: What ``--kind`` takes: both lists, or one of them.
KINDS = ("all", "pairings", "referrals")


@click.command("overdue")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The day to judge by (YYYY-MM-DD; default today).",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Show at most N of each.")
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="all",
    show_default=True,
    help="Pairings behind their cadence, referrals past their due day, or both.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@url_option
def overdue_command(
    as_of: object, limit: int | None, kind: str, as_json: bool, db: str | None, url: str | None
) -> None:
    """List pairings behind their contact or visit cadence, with days overdue, and the
    referrals open past their due day (`jieqin referrals list --overdue`).

    Cadences depend on the household's category (stricter with a major illness or a
    disability) and can be changed by plugins. The category and the interval are not
    shown when a category reads a health fact: they would tell it. A referral of a need
    that tells a health or disability fact is not listed (its number is given on
    standard error). In JSON each object says its ``kind``: ``pairing`` or ``referral``.
    """
    from jieqin import connect
    from jieqin.activities.overdue import sensitive_categories
    from jieqin.cli.referrals import shown_referrals

    day = as_of.date() if hasattr(as_of, "date") else date.today()
    late: list[Any] = []
    referrals: list[Any] = []
    with connect(database_url(db, url)) as campaign:
        if kind in ("all", "pairings"):
            late = list(campaign.overdue(day))
        if kind in ("all", "referrals"):
            overdue = campaign.overdue_referrals(day)
            kept = {r.referral_id for r in shown_referrals(campaign, [o.referral for o in overdue])}
            referrals = [o for o in overdue if o.referral.referral_id in kept]
        # a category that reads a health fact, or its interval, would tell it: both go
        masked = bool(sensitive_categories(campaign.activity_setup.policy))
    shown = late[:limit] if limit else late
    late_referrals = referrals[:limit] if limit else referrals
    if as_json:
        pairings = [
            {"kind": "pairing", **(o.masked_dict() if masked else o.as_dict())} for o in shown
        ]
        echo_json([*pairings, *({"kind": "referral", **o.as_dict()} for o in late_referrals)])
        return
    if kind in ("all", "pairings"):
        _pairings(late, shown, masked, day)
    if kind in ("all", "referrals"):
        _referrals(referrals, late_referrals, day)


#: The columns of the listings, said in the language of the run.
_COLUMNS = {
    "days": N_("days"),
    "helper": N_("helper"),
    "household": N_("household"),
    "category": N_("category"),
    "behind on": N_("behind on"),
    "referral": N_("referral"),
    "agency": N_("agency"),
    "status": N_("status"),
    "due on": N_("due on"),
}


def _behind(track: Any, masked: bool) -> str:
    """One track a pairing is behind on: its cadence (unless masked) and its last day."""
    last = track.last_on or _("never")
    if masked:
        return _("{track}, last {last}").format(track=track.track, last=last)
    return _("{track} every {days}d, last {last}").format(
        track=track.track, days=track.every_days, last=last
    )


def _pairings(late: list[Any], shown: list[Any], masked: bool, day: date) -> None:
    from rich.table import Table

    from jieqin.cli._output import print_tables

    if not late:
        click.echo(_("No pairing is behind its cadence on {day}.").format(day=day.isoformat()))
        return
    title = _("{count} pairings behind on {day}").format(count=len(late), day=day.isoformat())
    table = Table(title=title)
    columns = ("days", "helper", "household", *(() if masked else ("category",)), "behind on")
    for column in columns:
        table.add_column(_(_COLUMNS[column]), justify="right" if column == "days" else "left")
    for o in shown:
        behind = "; ".join(_behind(t, masked) for t in o.behind)
        category = () if masked else (o.category,)
        table.add_row(str(o.days_overdue), o.helper_id, o.household_id, *category, behind)
    print_tables(table)


def _referrals(late: list[Any], shown: list[Any], day: date) -> None:
    from rich.table import Table

    from jieqin.cli._output import print_tables

    if not late:
        click.echo(_("No referral is past its due day on {day}.").format(day=day.isoformat()))
        return
    title = _("{count} referrals past their due day on {day}")
    table = Table(title=title.format(count=len(late), day=day.isoformat()))
    for column in ("days", "referral", "agency", "household", "status", "due on"):
        table.add_column(_(_COLUMNS[column]), justify="right" if column == "days" else "left")
    for o in shown:
        r = o.referral
        table.add_row(
            str(o.days_overdue),
            r.referral_id,
            r.agency,
            r.household_id,
            r.status.value,
            r.due_on.isoformat(),
        )
    print_tables(table)


COMMANDS = [overdue_command]
