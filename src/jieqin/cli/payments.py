"""``jieqin payments``: send grants to the bank in a batch file, record the bank's result.

``export`` puts the grants of a programme period that await payment into a new batch
and writes the file the bank (or charity) pays from; ``--batch`` writes an earlier
batch again. The bank matches each row on ``grant_id``; names and resident ID
numbers are masked unless ``--reveal --purpose`` (a role that may reveal; audited).
``reconcile`` records the bank's result file, all or nothing: any bad row writes
nothing and every problem names the file, the row, the column and the reason. The
layouts are in ``docs/import-formats.md``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from jieqin.cli._common import (
    actor_option,
    as_invoked,
    database_url,
    echo_json,
    purpose_option,
    url_option,
)
from jieqin.i18n import _
from jieqin.io.headers import HEADER_LANGUAGES

if TYPE_CHECKING:
    from jieqin.services.payments import PaymentBatch

__all__ = ["COMMANDS", "payments_group"]


@click.group("payments")
def payments_group() -> None:
    """Pay grants: export a batch file for the bank, reconcile the bank's result."""


@payments_group.command("export")
@click.option("--program", "program_id", required=True, metavar="P", help="The programme's id.")
@click.option(
    "--period", "period_text", required=True, metavar="P", help="2021, 2021Q1 or 2021-03."
)
@click.option("--fund", "fund_id", default=None, metavar="F", help="Only the grants of this fund.")
@click.option(
    "--batch",
    "batch",
    default=None,
    metavar="B",
    help="Write this earlier batch again (its grants that still await payment).",
)
@click.option(
    "-o",
    "--output",
    "--out",
    "output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
@click.option(
    "--format",
    "format",
    type=click.Choice(["csv", "xlsx"]),
    default=None,
    help="csv or xlsx (default: from the -o suffix, else csv; xlsx needs -o).",
)
@click.option(
    "--headers",
    type=click.Choice(HEADER_LANGUAGES),
    default="en",
    show_default=True,
    help="Column headers: en or zh.",
)
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    help="Text encoding of a CSV file (utf-8-sig for spreadsheets, gbk for older offices).",
)
@click.option(
    "--reveal",
    is_flag=True,
    help="Write payees' names and resident ID numbers in clear "
    "(needs a role that may reveal, and --purpose; audited).",
)
@purpose_option
@actor_option("Who exports the batch, for the audit log.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the batch's summary as JSON (needs -o)."
)
@url_option
def export_command(
    program_id: str,
    period_text: str,
    fund_id: str | None,
    batch: str | None,
    output: Path | None,
    format: str | None,
    headers: str,
    encoding: str,
    reveal: bool,
    purpose: str | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Write the payment batch of a programme period: the grants awaiting payment.

    The grants written are put in the batch (audited), so a later export does not pay
    them twice; the bank matches on grant_id.
    """
    from jieqin import connect, parse_period

    if format is None:
        format = "xlsx" if output is not None and output.suffix.lower() == ".xlsx" else "csv"
    if format == "xlsx":
        from jieqin.cli._workbook import needs_output

        needs_output(output, format)
    if as_json and output is None:
        raise click.UsageError(_("--json prints the summary: give -o FILE for the batch"))
    from jieqin.cli._output import checked_encoding

    encoding = checked_encoding(encoding)
    period = parse_period(period_text)
    with connect(database_url(db, url)) as campaign:
        found = campaign.export_payments(
            program_id,
            period,
            fund_id=fund_id,
            batch=batch,
            reveal=reveal,
            purpose=purpose,
            actor=actor,
        )
    _write(found, output, format, headers, encoding)
    if as_json:
        echo_json({**found.summary(), "output": str(output)})
        return
    _tell(found, output)


def _write(
    batch: PaymentBatch, output: Path | None, format: str, headers: str, encoding: str
) -> None:
    """Write the batch whole or not at all (a temporary file renamed)."""
    from jieqin.cli._output import is_special, writing
    from jieqin.services.payments import write_batch

    if output is None:
        write_batch(batch, sys.stdout, headers=headers)
        return
    if format == "xlsx":
        from jieqin.cli._workbook import write_binary

        write_binary(output, lambda out: write_batch(batch, out, format="xlsx", headers=headers))
        return
    if is_special(output):
        with writing(output, encoding), open(output, "w", encoding=encoding, newline="") as out:
            write_batch(batch, out, headers=headers)
        return
    with writing(output, encoding):
        fd, temp = tempfile.mkstemp(
            prefix=f".{output.name}.", suffix=".tmp", dir=output.resolve().parent
        )
        try:
            with open(fd, "w", encoding=encoding, newline="") as out:
                write_batch(batch, out, headers=headers)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, output)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def _tell(batch: PaymentBatch, output: Path | None) -> None:
    """Say on standard error what was written and what to do next."""
    if output is None:
        wrote = (
            _("Wrote payment batch {batch}: {count} grants, {total} yuan.")
            if batch.new
            else _("Wrote payment batch {batch} again: {count} grants, {total} yuan.")
        )
    elif batch.new:
        wrote = _("Wrote payment batch {batch} to {output}: {count} grants, {total} yuan.")
    else:
        wrote = _("Wrote payment batch {batch} again to {output}: {count} grants, {total} yuan.")
    said = wrote.format(
        batch=batch.batch_id, output=output, count=len(batch.lines), total=batch.total
    ) + _(" The bank matches rows on grant_id.")
    if not batch.revealed:
        said += _(" Names and resident ID numbers are masked.")
    click.echo(said, err=True)
    if batch.left_out:
        click.echo(
            _("{count} grants of the batch were left out: paid, returned or revoked since.").format(
                count=batch.left_out
            ),
            err=True,
        )
    click.echo(
        as_invoked(_("Record the bank's result with `jieqin payments reconcile RESULT.csv`.")),
        err=True,
    )


@payments_group.command("reconcile")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "format",
    type=click.Choice(["csv", "xlsx"]),
    default=None,
    help="csv or xlsx (default: from the file's suffix).",
)
@click.option(
    "--encoding",
    default="auto",
    show_default=True,
    help="Text encoding of a CSV file (auto: UTF-8, else GB18030).",
)
@click.option(
    "--max-errors",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="List at most this many problems.",
)
@actor_option("Who records the result, for the audit log.")
@click.option("--json", "as_json", is_flag=True, help="Print what was recorded as JSON.")
@url_option
def reconcile_command(
    file: Path,
    format: str | None,
    encoding: str,
    max_errors: int,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Record the bank's result FILE: per grant, paid or returned (all or nothing).

    The same file recorded twice changes nothing the second time. A returned grant's
    money is back in its fund.
    """
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        done = campaign.reconcile_payments(
            file, actor=actor, format=format, encoding=encoding, max_errors=max_errors
        )
    if as_json:
        echo_json(done.summary())
        return
    if done.unchanged == done.rows:
        click.echo(
            _("Nothing changed: the {rows} rows of {source} were recorded before.").format(
                rows=done.rows, source=done.source
            )
        )
        return
    click.echo(
        _(
            "Recorded {source}: {paid} paid ({paid_amount} yuan), {returned} returned "
            "({returned_amount} yuan back in their funds), {unchanged} recorded before."
        ).format(
            source=done.source,
            paid=done.paid,
            paid_amount=done.paid_amount,
            returned=done.returned,
            returned_amount=done.returned_amount,
            unchanged=done.unchanged,
        )
    )


COMMANDS = [payments_group]
