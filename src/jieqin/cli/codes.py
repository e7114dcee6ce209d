"""``jieqin codes [KIND]``: every valid code with its label and the plugin that registered it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from jieqin.cli._common import echo_json

if TYPE_CHECKING:
    from jieqin.codes import Code

__all__ = ["COMMANDS", "codes_command"]


@click.command("codes")
@click.argument("kind", required=False, default=None)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    default=False,
    help="Print a JSON list of {kind, code, label, english, plugin, ...details}.",
)
def codes_command(kind: str | None, as_json: bool) -> None:
    """List the codes a record may hold: helper tiers, sectors, household statuses
    (monitored: a category of the monitoring scheme), need kinds, activity kinds,
    agencies, referral outcomes, grievance categories, programmes, region names, and
    the fixed relations,
    health conditions, school levels and employment statuses; each with its label
    (Chinese where the registry has one) and the plugin that registered it ("jieqin"
    for a fixed code).

    KIND is one of tiers, sectors, household_statuses, need_kinds, activity_kinds,
    agencies, referral_outcomes, grievance_categories, programs, regions, relations,
    health_conditions, school_levels, employment (a singular such as "tier" or "programme" works too). The codes come
    from the installed plugins; no database is read.
    """
    from jieqin.codes import code_kind, registered_codes
    from jieqin.plugins import Registry, make_plugin_manager

    chosen = code_kind(kind) if kind is not None else None
    registry = Registry.gather(make_plugin_manager())
    codes = registered_codes(registry, chosen)
    if as_json:
        echo_json([code.as_dict() for code in codes])
        return
    if not codes:
        what = (chosen or "codes").replace("_", " ")
        click.echo(f"No {what} are registered; a regional plugin adds them.")
        return
    _print(codes, one_kind=chosen is not None)


def _print(codes: list[Code], *, one_kind: bool) -> None:
    """One table; the kind column only when several kinds are listed."""
    from rich.table import Table
    from rich.text import Text

    from jieqin.cli._output import print_tables

    headings = ("code", "label", "english", "plugin", "details")
    table = Table(*(headings if one_kind else ("kind", *headings)), box=None)
    previous = None
    for code in codes:
        cells = [code.code, code.label, code.english or "", code.plugin, code.detail_text()]
        if not one_kind:
            cells.insert(0, code.kind if code.kind != previous else "")
            previous = code.kind
        table.add_row(*(Text(cell) for cell in cells))
    print_tables(table)


COMMANDS = [codes_command]
