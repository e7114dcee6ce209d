"""``jieqin warnings``: risk warnings of a return to poverty (防返贫监测预警).

``jieqin warnings run --as-of DAY`` decides every warning rule for every household
for the month ending on or before DAY and stores the new warnings, each assigned at
once to the household's paired helper or its township's clerk
(:mod:`jieqin.services.warnings`). It prints counts only: which household a rule
held for is not shown (a rule can tell a health fact). ``list`` and ``check`` follow
a warning through its lifecycle (:mod:`jieqin.cli.warning_lifecycle`).
"""

from __future__ import annotations

from datetime import datetime

import click

from jieqin.cli._common import DAY, actor_option, database_url, day_of, echo_json, url_option
from jieqin.i18n import _

__all__ = ["COMMANDS", "run_command", "warnings_group"]


@click.group("warnings")
def warnings_group() -> None:
    """Risk warnings: raise them by the warning rules, list and check them."""


@warnings_group.command("run")
@click.option(
    "--as-of",
    "as_of",
    type=DAY,
    required=True,
    help="The day warnings are raised on; the month ending on it (or else the month "
    "before) is decided.",
)
@click.option(
    "--since",
    "since",
    type=DAY,
    default=None,
    help="The previous evaluation's day: illnesses, disabilities and dropouts observed "
    "from it on are new (default: the month's first day).",
)
@click.option("--dry-run", is_flag=True, help="Decide and count, but store nothing.")
@actor_option()
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@url_option
def run_command(
    as_of: datetime,
    since: datetime | None,
    dry_run: bool,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Decide every warning rule for every household and store the new warnings:
    one open warning per household, naming every rule that held, assigned to the
    paired helper (or the township's clerk) and due for its home check by the
    warning_check_days parameter."""
    from jieqin import connect
    from jieqin.services.warnings import run_warnings

    day = day_of(as_of)
    assert day is not None
    with connect(database_url(db, url)) as campaign:
        parameters = campaign.monitoring_parameters()
        with campaign.unit_of_work(actor, read_only=dry_run) as uow:
            run = run_warnings(
                uow,
                day,
                parameters=parameters,
                since=day_of(since),
                monitored=campaign.monitored_statuses,
                dry_run=dry_run,
            )
    if as_json:
        echo_json(run.as_dict())
        return
    message = (
        _(
            "Warnings for {period} (as of {as_of}): {households} households decided, "
            "{held} with a rule that held; {raised} warnings would be raised (dry run), "
            "{open} households already have an open warning, {warned} were warned for "
            "the month already."
        )
        if dry_run
        else _(
            "Warnings for {period} (as of {as_of}): {households} households decided, "
            "{held} with a rule that held; {raised} warnings raised and assigned, "
            "{open} households already have an open warning, {warned} were warned for "
            "the month already."
        )
    )
    click.echo(
        message.format(
            period=run.period,
            as_of=run.as_of.isoformat(),
            households=run.households,
            held=len(run.held),
            raised=len(run.raised),
            open=run.already_open,
            warned=run.already_warned,
        )
    )


def _lifecycle() -> None:
    """Add ``list`` and ``check`` (the lifecycle's commands) when they are there."""
    try:
        from jieqin.cli.warning_lifecycle import LIFECYCLE_COMMANDS
    except ImportError:  # pragma: no cover - the lifecycle commands ship with jieqin
        return
    for command in LIFECYCLE_COMMANDS:
        warnings_group.add_command(command)


_lifecycle()

COMMANDS = [warnings_group]
