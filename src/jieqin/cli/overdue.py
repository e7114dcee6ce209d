"""``jieqin overdue``: pairings behind their follow-up cadence, most urgent first."""

from __future__ import annotations

from datetime import date

import click

from jieqin.cli._common import database_url, echo_json, url_option

__all__ = ["COMMANDS", "overdue_command"]


@click.command("overdue")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The day to judge by (YYYY-MM-DD; default today).",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Show at most N.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@url_option
def overdue_command(
    as_of: object, limit: int | None, as_json: bool, db: str | None, url: str | None
) -> None:
    """List pairings behind their contact or visit cadence, with days overdue.

    Cadences depend on the household's category (stricter with a major illness or a
    disability) and can be changed by plugins. The category and the interval are not
    shown when a category reads a health fact: they would tell it.
    """
    from rich.table import Table

    from jieqin import connect
    from jieqin.activities.overdue import sensitive_categories
    from jieqin.cli._output import print_tables

    day = as_of.date() if hasattr(as_of, "date") else date.today()
    with connect(database_url(db, url)) as campaign:
        late = campaign.overdue(day)
        # a category that reads a health fact, or its interval, would tell it: both go
        masked = bool(sensitive_categories(campaign.activity_setup.policy))
    shown = late[:limit] if limit else late
    if as_json:
        echo_json([o.masked_dict() if masked else o.as_dict() for o in shown])
        return
    if not late:
        click.echo(f"No pairing is behind its cadence on {day.isoformat()}.")
        return
    table = Table(title=f"{len(late)} pairings behind on {day.isoformat()}")
    columns = ("days", "helper", "household", *(() if masked else ("category",)), "behind on")
    for column in columns:
        table.add_column(column, justify="right" if column == "days" else "left")
    for o in shown:
        behind = "; ".join(
            f"{t.track}{'' if masked else f' every {t.every_days}d'}, last {t.last_on or 'never'}"
            for t in o.behind
        )
        category = () if masked else (o.category,)
        table.add_row(str(o.days_overdue), o.helper_id, o.household_id, *category, behind)
    print_tables(table)


COMMANDS = [overdue_command]
