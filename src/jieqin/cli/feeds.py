"""``jieqin observations feed NAME FILE``: deliver one file of a departmental feed.

The feed is a plugin's (``jieqin plugins`` lists them): its reader turns the
department's file into observations, stored once per record id of the department's
(:mod:`jieqin.services.feeds`). The command prints how many rows were new, unchanged,
corrected and not of the campaign; never an amount or a person.
"""

from __future__ import annotations

from pathlib import Path

import click

from jieqin.cli._common import actor_option, database_url, echo_json, url_option
from jieqin.i18n import N_, _

__all__ = ["feed_command"]


@click.command("feed")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--corrections",
    is_flag=True,
    help="Replace stored rows the department changed (default: refuse them).",
)
@actor_option(help_text=N_("Who delivers the file, for the audit log."))
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@url_option
def feed_command(
    name: str,
    file: Path,
    corrections: bool,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Deliver FILE of the departmental feed NAME as observations: each of the
    department's record ids once; delivering the same rows again changes nothing."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        delivery = campaign.deliver_feed(name, file, corrections=corrections, actor=actor)
        label = campaign.registry.feed(name).label
    if as_json:
        echo_json(
            {
                "feed": delivery.feed,
                "source": delivery.source,
                "new": delivery.new,
                "unchanged": delivery.unchanged,
                "corrected": delivery.corrected,
                "unmatched": delivery.unmatched,
            }
        )
        return
    click.echo(
        _(
            "{label} ({feed}), {source}: {new} new, {unchanged} unchanged, "
            "{corrected} corrected, {unmatched} not of the campaign."
        ).format(
            label=label,
            feed=delivery.feed,
            source=delivery.source,
            new=delivery.new,
            unchanged=delivery.unchanged,
            corrected=delivery.corrected,
            unmatched=delivery.unmatched,
        )
    )
