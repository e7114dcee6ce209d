"""``jieqin import KIND FILE``: load helpers, households, needs or activities from a file
(CSV, JSON Lines or an XLSX workbook)."""

from __future__ import annotations

from pathlib import Path

import click

from jieqin.cli._common import database_url, url_option
from jieqin.cli._transfer_progress import byte_progress
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
    """
    from jieqin import connect

    campaign = connect(database_url(db, url))
    try:
        with byte_progress(f"Importing {kind}", file.stat().st_size) as on_bytes:
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
    click.echo(f"Imported {result.records} {result.kind} from {result.source}.")


COMMANDS = [import_command]
