"""``jieqin export KIND``: write helpers, households, needs or activities to CSV, JSON Lines
or XLSX."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from jieqin.cli._common import database_url, purpose_option, record_kind, url_option
from jieqin.cli._output import checked_encoding, is_special, writing
from jieqin.cli._transfer_progress import RecordProgress, record_progress
from jieqin.i18n import _
from jieqin.io.exporter import export
from jieqin.io.headers import HEADER_LANGUAGES
from jieqin.io.importer import FORMATS, format_for
from jieqin.io.kinds import KINDS

__all__ = ["COMMANDS", "export_command"]


@click.command("export")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.option(
    "--format",
    "format",
    type=click.Choice(FORMATS),
    default=None,
    help="csv, jsonl or xlsx (default: from the -o suffix, else csv; xlsx needs -o).",
)
@click.option(
    "--headers",
    type=click.Choice(HEADER_LANGUAGES),
    default="en",
    show_default=True,
    help="Column headers: en (the import names) or zh (the Chinese names ledgers use).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    help="Text encoding of the file (utf-8-sig for spreadsheets, gbk for older offices).",
)
@click.option(
    "--include-sensitive",
    is_flag=True,
    help="Write resident ID numbers, phone numbers and health facts in clear "
    "(needs a role that may reveal, and --purpose; audited).",
)
@purpose_option
@url_option
def export_command(
    kind: str,
    format: str | None,
    headers: str,
    output: Path | None,
    encoding: str,
    include_sensitive: bool,
    purpose: str | None,
    db: str | None,
    url: str | None,
) -> None:
    """Export every stored KIND record as CSV, JSON Lines or XLSX, in the import format.

    Resident ID numbers, phone numbers and health facts are masked unless
    --include-sensitive is given; only an export with them imports back. An export
    with --headers zh imports back too.
    """
    from jieqin import connect

    if format is None:
        format = format_for(output) if output is not None and output.suffix else "csv"
    if format == "xlsx":
        from jieqin.cli._workbook import needs_output

        needs_output(output, format)
    campaign = connect(database_url(db, url))
    try:
        if include_sensitive:
            campaign.authorize_export(kind, purpose=purpose)
        description = _("Exporting {kind}").format(kind=record_kind(kind))
        with record_progress(description) as progress:
            if output is None:
                count = export(
                    campaign,
                    kind,
                    sys.stdout,
                    format=format,
                    include_sensitive=include_sensitive,
                    on_total=progress.start,
                    on_record=progress.advance,
                    headers=headers,
                )
            else:
                count = _export_to_file(
                    campaign, kind, output, format, encoding, include_sensitive, progress, headers
                )
    finally:
        campaign.close()
    if output is not None:
        said = _("Exported {count} {kind} to {output}.")
        click.echo(said.format(count=count, kind=record_kind(kind), output=output), err=True)


def _export_to_file(
    campaign: Any,
    kind: str,
    output: Path,
    format: str,
    encoding: str,
    include_sensitive: bool,
    progress: RecordProgress,
    headers: str = "en",
) -> int:
    """Write to a temporary file beside ``output`` and rename it, so no half file is left
    (a device or pipe such as ``/dev/stdout`` is written directly); a failure to write is
    one :class:`~jieqin.errors.OutputError` line."""
    encoding = checked_encoding(encoding)

    def write(out: Any) -> int:
        return export(
            campaign,
            kind,
            out,
            format=format,
            include_sensitive=include_sensitive,
            on_total=progress.start,
            on_record=progress.advance,
            headers=headers,
        )

    if format == "xlsx":
        from jieqin.cli._workbook import write_binary

        return write_binary(output, write)

    if is_special(output):
        with writing(output, encoding), open(output, "w", encoding=encoding, newline="") as out:
            return write(out)
    with writing(output, encoding):
        directory = output.resolve().parent
        fd, temp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=directory)
        try:
            with open(fd, "w", encoding=encoding, newline="") as out:
                count = write(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, output)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    return count


COMMANDS = [export_command]
