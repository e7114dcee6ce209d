"""``jieqin observations``: households' incomes and rigid expenditures (防返贫监测).

``import FILE`` reads a CSV, JSON Lines or XLSX file of observations (the same as
``jieqin import observations FILE``), all or nothing; importing it again changes
nothing. ``list`` lists them, a medical expenditure's amount and member masked
unless revealed (``--reveal --purpose``, audited). ``feed NAME FILE`` delivers a
department's file (:mod:`jieqin.cli.feeds`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from jieqin.cli._common import (
    ListingGroup,
    database_url,
    echo_json,
    purpose_option,
    record_kind,
    url_option,
)
from jieqin.cli._transfer_progress import byte_progress
from jieqin.i18n import _
from jieqin.io.importer import DEFAULT_MAX_ERRORS, FORMATS
from jieqin.model import Observation, ObservationKind, ObservationSource
from jieqin.model.monitoring import HEALTH_EVENTS

__all__ = ["COMMANDS", "observations_group", "shown_observation"]


@click.group("observations", cls=ListingGroup)
def observations_group() -> None:
    """Households' incomes and rigid expenditures: import, list and feed them.

    `jieqin observations [OPTIONS]` is `jieqin observations list [OPTIONS]`.
    """


@observations_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "format",
    type=click.Choice(FORMATS),
    default=None,
    help="csv, jsonl or xlsx (default: from the file suffix).",
)
@click.option(
    "--encoding",
    default="auto",
    show_default=True,
    help="Text encoding: auto (UTF-8 with or without BOM, else GBK/GB18030), utf-8, gbk, ...",
)
@click.option(
    "--report-errors",
    is_flag=True,
    help="List every bad row (up to --max-errors) instead of stopping at the first.",
)
@click.option(
    "--max-errors",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_ERRORS,
    show_default=True,
    help="With --report-errors: stop after this many problems.",
)
@click.option("--actor", default="cli", show_default=True, help="Who the audit log records.")
@url_option
def import_command(
    file: Path,
    format: str | None,
    encoding: str,
    report_errors: bool,
    max_errors: int,
    actor: str,
    db: str | None,
    url: str | None,
) -> None:
    """Import observations from FILE (CSV, JSON Lines or XLSX), all or nothing.

    One bad row and nothing is written: the error names the file, row, column and
    reason (never a medical amount). Headers may be English or Chinese (户编号, 类型,
    期间, 金额, 来源, 记录日期, ...). Importing the same file again changes nothing;
    a department's row left without an id gets its record's own.
    """
    from jieqin import connect
    from jieqin.io.importer import import_file

    with connect(database_url(db, url)) as campaign:
        description = _("Importing {kind}").format(kind=record_kind("observations"))
        with byte_progress(description, file.stat().st_size) as on_bytes:
            result = import_file(
                campaign,
                file,
                "observations",
                actor=actor,
                format=format,
                encoding=encoding,
                report_errors=report_errors,
                max_errors=max_errors,
                on_bytes=on_bytes,
            )
    click.echo(
        _("Imported {count} {kind} from {source}.").format(
            count=result.records, kind=record_kind(result.kind), source=result.source
        )
    )


@observations_group.command("list")
@click.option("--household", "household_id", default=None, metavar="HOUSEHOLD")
@click.option(
    "--kind",
    default=None,
    type=click.Choice([k.value for k in ObservationKind]),
    help="Only these.",
)
@click.option(
    "--period", default=None, metavar="P", help="Only this period (2021, 2021Q3, 2021-07)."
)
@click.option(
    "--source",
    default=None,
    type=click.Choice([s.value for s in ObservationSource]),
    help="Only from this source.",
)
@click.option("--reveal", is_flag=True, help="Show medical amounts and members (audited).")
@purpose_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@url_option
def list_command(
    household_id: str | None,
    kind: str | None,
    period: str | None,
    source: str | None,
    reveal: bool,
    purpose: str | None,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """List observations by id: household, kind, period, amount and source (a medical
    expenditure's amount and member masked, a major illness or disability left out,
    unless --reveal --purpose)."""
    from jieqin import connect
    from jieqin.model import parse_period
    from jieqin.security import check_reveal

    filters: dict[str, object] = {}
    if household_id is not None:
        filters["household_id"] = household_id
    if kind is not None:
        filters["kind"] = kind
    if period is not None:
        filters["period"] = parse_period(period)
    if source is not None:
        filters["source"] = source
    with connect(database_url(db, url)) as campaign:
        if reveal:  # refused before anything is read
            check_reveal(campaign.current_principal(), purpose, what="medical expenditures")
        with campaign.unit_of_work("cli", read_only=True) as uow:
            found = uow.observations.list(**filters)
        if not reveal:  # a major illness or a disability is a health fact by being there
            found = [o for o in found if o.kind not in HEALTH_EVENTS]
        if reveal:
            ids = [o.observation_id for o in found if o.sensitive]
            campaign.record_reveal("medical expenditures", "observations", purpose=purpose, ids=ids)
    rows = [shown_observation(o, reveal=reveal) for o in found]
    if as_json:
        echo_json(rows)
        return
    _print_rows(rows)


def shown_observation(observation: Observation, *, reveal: bool) -> dict[str, Any]:
    """An observation as listed: a medical expenditure's amount and member masked (in
    every medical row alike) unless revealed; its note scanned."""
    from jieqin.io.sensitive import MASKED, mask_free_text

    hidden = observation.sensitive and not reveal
    return {
        "observation_id": observation.observation_id,
        "household_id": observation.household_id,
        "member_id": MASKED if hidden else observation.member_id,
        "kind": observation.kind.value,
        "period": str(observation.period),
        "amount": MASKED if hidden else str(observation.amount),
        "source": observation.source.value,
        "recorded_on": observation.recorded_on.isoformat(),
        "feed": observation.feed,
        "feed_record": observation.feed_record,
        "note": observation.note if reveal else mask_free_text(observation.note),
    }


def _print_rows(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from jieqin.cli._output import print_tables

    if not rows:
        click.echo(_("No observations."))
        return
    table = Table(
        _("observation"),
        _("household"),
        _("kind"),
        _("period"),
        _("amount"),
        _("source"),
        _("recorded"),
        title=_("{count} observations").format(count=len(rows)),
        box=None,
    )
    for row in rows:
        table.add_row(
            row["observation_id"],
            row["household_id"],
            row["kind"],
            row["period"],
            row["amount"],
            row["source"],
            row["recorded_on"],
        )
    print_tables(table)


def _commands() -> list[click.Command]:
    from jieqin.cli.feeds import feed_command

    observations_group.add_command(feed_command)
    return [observations_group]


COMMANDS = _commands()
