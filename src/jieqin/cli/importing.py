"""``jieqin import KIND FILE``: load helpers, households, needs or activities from a file
(CSV, JSON Lines or an XLSX workbook)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from jieqin.cli._common import database_url, record_kind, url_option
from jieqin.cli._transfer_progress import byte_progress
from jieqin.forms import FORM_KINDS, FORMS
from jieqin.i18n import _
from jieqin.io.importer import DEFAULT_BATCH_SIZE, DEFAULT_MAX_ERRORS, FORMATS, import_file
from jieqin.io.kinds import KINDS

__all__ = ["COMMANDS", "import_command"]


@click.command("import")
@click.argument("kind", type=click.Choice(list(KINDS)))
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
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Records written per batch (memory stays bounded).",
)
@click.option(
    "--form",
    type=click.Choice(FORMS),
    default=None,
    help="FILE is a submission export (ODK Central or KoboToolbox) of this form: "
    "needs-survey (needs) or visit-log (activities).",
)
@click.option(
    "--repeat",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="With --form needs-survey: the members file of an export in several CSV files.",
)
@click.option(
    "--period",
    "period_text",
    default=None,
    metavar="P",
    help="With --form needs-survey: the needs' period (default: the quarter of each survey day).",
)
@click.option("--actor", default="cli", show_default=True, help="Who the audit log records.")
@url_option
def import_command(
    kind: str,
    file: Path,
    format: str | None,
    encoding: str,
    report_errors: bool,
    max_errors: int,
    batch_size: int,
    form: str | None,
    repeat: Path | None,
    period_text: str | None,
    actor: str,
    db: str | None,
    url: str | None,
) -> None:
    """Import KIND (helpers, households, pairings, needs, activities) from FILE, all or nothing.

    One bad row and nothing is written: the error names the file, line, column and
    reason (in a workbook: the sheet, row and header). Headers may be English or the
    Chinese names of a ledger (户编号, 姓名, 身份证号, ...). Importing the same file
    again updates the same records (by id) and never duplicates them. Columns,
    workbook shapes and examples: docs/import-formats.md.

    With --form, FILE is the submission export of a jieqin survey form (CSV or XLSX,
    members in their own sheet or --repeat file); importing it again changes nothing.
    """
    from jieqin import connect

    if form is not None:
        options = {"encoding": encoding, "report_errors": report_errors, "max_errors": max_errors}
        _import_submissions(kind, file, form, repeat, period_text, options, actor, db, url)
        return
    if repeat is not None or period_text is not None:
        raise click.UsageError("--repeat and --period go with --form")
    campaign = connect(database_url(db, url))
    try:
        description = _("Importing {kind}").format(kind=record_kind(kind))
        with byte_progress(description, file.stat().st_size) as on_bytes:
            result = import_file(
                campaign,
                file,
                kind,
                actor=actor,
                format=format,
                encoding=encoding,
                report_errors=report_errors,
                max_errors=max_errors,
                batch_size=batch_size,
                on_bytes=on_bytes,
            )
    finally:
        campaign.close()
    click.echo(
        _("Imported {count} {kind} from {source}.").format(
            count=result.records, kind=record_kind(result.kind), source=result.source
        )
    )


def _import_submissions(
    kind: str,
    file: Path,
    form: str,
    repeat: Path | None,
    period_text: str | None,
    options: dict[str, Any],
    actor: str,
    db: str | None,
    url: str | None,
) -> None:
    """``jieqin import KIND FILE --form FORM``: a form's submissions as KIND records."""
    from jieqin import connect, parse_period
    from jieqin.io.odk import import_submissions

    if FORM_KINDS[form] != kind:
        raise click.UsageError(f"form {form} gives {FORM_KINDS[form]}, not {kind}")
    period = parse_period(period_text) if period_text else None
    campaign = connect(database_url(db, url))
    try:
        result = import_submissions(
            campaign,
            file,
            form,
            actor=actor,
            repeat=repeat,
            period=period,
            **options,
        )
    finally:
        campaign.close()
    click.echo(
        _(
            "Imported {submissions} submissions of {form} from {source}: {records} {kind}, "
            "{written} new or changed, {unchanged} unchanged."
        ).format(
            submissions=result.submissions,
            form=form,
            source=result.source,
            records=result.records,
            kind=record_kind(result.kind),
            written=result.written,
            unchanged=result.unchanged,
        )
    )


COMMANDS = [import_command]
