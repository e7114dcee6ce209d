"""``jieqin dedup``: members that are probably one person entered twice, for review."""

from __future__ import annotations

import click

from jieqin.cli._common import database_url, echo_json, url_option
from jieqin.duplicates import DEFAULT_THRESHOLD, ListedMember
from jieqin.i18n import _

__all__ = ["COMMANDS", "dedup_command"]


@click.command("dedup")
@click.option(
    "--threshold",
    type=click.FloatRange(min=0, max=100, min_open=True),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    metavar="N",
    help="How alike (0-100) two names of the same birth date must be to be listed.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@url_option
def dedup_command(threshold: float, as_json: bool, db: str | None, url: str | None) -> None:
    """List pairs of members that are probably the same person, for a clerk to review.

    A pair is listed for the same resident ID number; the same name and birth date in
    one village; numbers one typo apart, or names at least N alike, with the same
    birth date. The score is how alike the two names are (0-100). Nothing is changed;
    resident IDs are shown masked.
    """
    from rich.table import Table

    from jieqin import connect
    from jieqin.cli._output import print_tables
    from jieqin.services.duplicates import probable_duplicates_in

    with (
        connect(database_url(db, url)) as campaign,
        campaign.unit_of_work("cli", read_only=True) as uow,
    ):
        found = probable_duplicates_in(uow, threshold=threshold)
    if as_json:
        echo_json([d.as_dict() for d in found])
        return
    if not found:
        click.echo(_("No probable duplicates."))
        return
    title = _("{count} probable duplicates to review").format(count=len(found))
    table = Table(title=title, show_lines=True)
    table.add_column(_("reason"))
    table.add_column(_("score"), justify="right")
    table.add_column(_("first member"))
    table.add_column(_("second member"))
    for d in found:
        table.add_row(_(d.reason.description), f"{d.score:g}", _cell(d.first), _cell(d.second))
    print_tables(table)


def _cell(m: ListedMember) -> str:
    """One member in four short lines, so that the two sit side by side in 80 columns."""
    return "\n".join(
        (
            f"{m.name} {m.birth_date.isoformat()}",
            f"{m.member_id} ({m.household_id})",
            m.region,
            m.resident_id or "no ID number",
        )
    )


COMMANDS = [dedup_command]
