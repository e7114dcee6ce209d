"""``jieqin template KIND``: an empty import file to fill in (XLSX with pick lists, or CSV)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from jieqin.i18n import _
from jieqin.io.headers import HEADER_LANGUAGES
from jieqin.io.kinds import KINDS
from jieqin.io.template import TEMPLATE_FORMATS

__all__ = ["COMMANDS", "template_command"]


@click.command("template")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(TEMPLATE_FORMATS),
    default=None,
    help="xlsx (pick lists of codes; needs -o) or csv (default: csv for a .csv or no -o, "
    "else xlsx).",
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
    help="File to write (a CSV template may go to standard output).",
)
def template_command(kind: str, fmt: str | None, headers: str, output: Path | None) -> None:
    """Write an empty KIND import file: the headers, a help row under them, and in a
    workbook a drop-down list of the valid codes on every code column (tiers,
    relations, need kinds, activity kinds, agencies, ...) with a sheet of the codes
    and their labels.

    The help row begins with "#" and is skipped on import, so the filled-in file
    imports as it is. The codes come from the installed plugins; no database is read.
    """
    from jieqin.cli._workbook import needs_output, write_binary
    from jieqin.io.template import write_template
    from jieqin.plugins import Registry, make_plugin_manager

    if fmt is None:
        fmt = "xlsx" if output is not None and output.suffix.lower() != ".csv" else "csv"
    registry = Registry.gather(make_plugin_manager())
    spec = KINDS[kind]
    if fmt == "csv" and output is None:
        write_template(spec, sys.stdout, registry=registry, format="csv", headers=headers)
        return
    target = needs_output(output, fmt)
    if fmt == "csv":
        from jieqin.cli._output import writing

        with writing(target, "utf-8"), open(target, "w", encoding="utf-8", newline="") as out:
            write_template(spec, out, registry=registry, format="csv", headers=headers)
    else:
        write_binary(
            target, lambda out: write_template(spec, out, registry=registry, headers=headers)
        )
    click.echo(
        _("Wrote the {kind} template ({format}) to {output}.").format(
            kind=kind, format=fmt, output=target
        ),
        err=True,
    )


COMMANDS = [template_command]
