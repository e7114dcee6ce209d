"""``jieqin report``: the figures of a year, quarter or month as a table, JSON, CSV or HTML."""

from __future__ import annotations

from pathlib import Path

import click

from jieqin.cli._common import database_url, url_option
from jieqin.i18n import _
from jieqin.reports.render import FORMATS
from jieqin.reports.strings import LANGUAGES

__all__ = ["COMMANDS", "report_command"]


@click.command("report")
@click.option(
    "--period",
    default=None,
    metavar="P",
    help="2021, 2021Q4 or 2021-03 (default: the year of the latest activity).",
)
@click.option("--by-region", is_flag=True, help="Add a breakdown by district / county.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write to this file (default: standard output).",
)
@click.option(
    "--suppress-below",
    "k",
    type=click.IntRange(min=2),
    default=None,
    metavar="K",
    help="For publication: withhold every count below K (and its amount).",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="The language of the table and the HTML page (JSON and CSV keep codes); "
    "default: the language of the run (jieqin --lang, JIEQIN_LANG, the locale, else zh).",
)
@click.option("--codes", "show_codes", is_flag=True, help="Show each code beside its label.")
@url_option
def report_command(
    period: str | None,
    by_region: bool,
    fmt: str,
    as_json: bool,
    output: Path | None,
    k: int | None,
    lang: str | None,
    show_codes: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Report helpers by tier, paired households, activities by kind, needs, referrals
    and grants for a period; --format html writes an offline page with charts,
    --format xlsx a workbook (a sheet of totals, one per district; needs -o).

    Reports hold counts and sums only: no names, ID numbers or health facts.
    """
    from jieqin import connect
    from jieqin.cli._output import output_console
    from jieqin.reports.render import render
    from jieqin.services.reports import default_period

    if as_json:
        fmt = "json"
    with connect(database_url(db, url)) as campaign:
        if period is None:
            with campaign.unit_of_work("jieqin", read_only=True) as uow:
                chosen = default_period(uow, campaign.clock.today())
        else:
            chosen = period
        report = campaign.report(chosen, by_region=by_region or fmt in ("html", "xlsx"), k=k)
    if fmt == "xlsx":
        from jieqin.cli._workbook import needs_output, write_binary
        from jieqin.reports.xlsx import write_workbook

        target = needs_output(output, fmt)
        write_binary(target, lambda out: write_workbook(report, out))
        click.echo(_wrote(report.period, fmt, target), err=True)
        return
    # on a terminal the table fits its width; in a file or a pipe it is never cut
    width = output_console().width if output is None and fmt == "table" else None
    text = render(report, fmt, width=width, lang=lang, show_codes=show_codes)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(_wrote(report.period, fmt, output), err=True)


def _wrote(period: object, fmt: str, output: Path) -> str:
    """``Wrote the 2021 report (html) to 2021.html.``, in the language of the run."""
    return _("Wrote the {period} report ({format}) to {output}.").format(
        period=period, format=fmt, output=output
    )


COMMANDS = [report_command]
