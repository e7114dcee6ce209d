"""``jieqin plugins``: the installed plugins, their versions, hooks and what they registered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from jieqin.cli._common import echo_json

if TYPE_CHECKING:
    from jieqin.plugins import PluginInfo, PluginRegistrations

__all__ = ["COMMANDS", "REGISTRATION_KINDS", "plugins_command"]

#: The kinds of thing a plugin registers: attribute of ``PluginRegistrations``, heading.
REGISTRATION_KINDS: tuple[tuple[str, str], ...] = (
    ("backends", "backends"),
    ("tiers", "tiers"),
    ("sectors", "sectors"),
    ("household_statuses", "household statuses"),
    ("need_kinds", "need kinds"),
    ("activity_kinds", "activity kinds"),
    ("region_names", "region names"),
    ("agencies", "agencies"),
    ("referral_outcomes", "referral outcomes"),
    ("programs", "programmes"),
    ("need_rules", "need rules"),
    ("cost_terms", "cost terms"),
    ("cadences", "cadences"),
    ("campaign_windows", "campaign windows"),
    ("principals", "principals"),
    ("header_aliases", "header aliases"),
    ("grievance_categories", "grievance categories"),
    ("parameters", "parameters"),
    ("regional_parameters", "regional parameters"),
    ("feeds", "observation feeds"),
)


@click.command("plugins")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON list of {name, version, distribution, hooks, registered, overridden}.",
)
def plugins_command(as_json: bool) -> None:
    """List each plugin (built-in and installed), its version, the hooks it implements
    and what it registered: backends by scheme, vocabulary codes, the number of region
    names, agencies, programmes, rules, cost terms, cadences and campaign windows.

    Codes registered twice are listed with the plugin whose registration was kept. When
    a plugin fails while registering, the plugins are still listed, then the error.

    JIEQIN_DISABLE_PLUGIN_AUTOLOAD=1 and JIEQIN_BLOCKED_PLUGINS=a,b apply here too.
    """
    from jieqin.errors import PluginError
    from jieqin.plugins import Registry, describe_plugins, make_plugin_manager

    pm = make_plugin_manager()
    error: PluginError | None = None
    try:
        registry: Registry | None = Registry.gather(pm)
    except PluginError as exc:
        registry, error = None, exc
    infos = describe_plugins(pm, registry)
    if as_json:
        echo_json([_as_json(info) for info in infos])
    else:
        _print_tables(infos)
    if error is not None:
        raise error


def _as_json(info: PluginInfo) -> dict[str, Any]:
    """One plugin's JSON object; ``registered`` and ``overridden`` are null when the
    registry could not be built."""
    done = info.registered
    registered: dict[str, Any] | None = None
    if done is not None:
        registered = {}
        for attribute, _ in REGISTRATION_KINDS:
            value = getattr(done, attribute)
            registered[attribute] = value if isinstance(value, int) else list(value)
    return {
        "name": info.name,
        "version": info.version,
        "distribution": info.distribution,
        "hooks": list(info.hooks),
        "registered": registered,
        "overridden": None if done is None else [o._asdict() for o in done.overridden],
    }


def _registered_lines(done: PluginRegistrations) -> list[tuple[str, str]]:
    """(heading, codes) for each kind the plugin registered something of."""
    lines = []
    for attribute, heading in REGISTRATION_KINDS:
        value = getattr(done, attribute)
        if isinstance(value, int):
            if value:
                lines.append((heading, str(value)))
        elif value:
            lines.append((heading, ", ".join(value)))
    return lines


def _print_tables(infos: list[PluginInfo]) -> None:
    """The plugins, what each registered, and the codes registered twice."""
    from rich.table import Table
    from rich.text import Text

    from jieqin.cli._output import output_console, wrapping

    console = output_console()
    plugins = Table("plugin", "version", "distribution", "hooks", box=None)
    for info in infos:
        plugins.add_row(
            Text(info.name),
            Text(info.version or "-"),
            Text(info.distribution or "-"),
            Text("\n".join(info.hooks)),
        )
    console.print(wrapping(plugins))
    registered = Table(
        "plugin", "kind", "codes", box=None, title="registered", title_justify="left"
    )
    overridden: dict[tuple[str, ...], None] = {}
    for info in infos:
        if info.registered is None:
            continue
        for n, (heading, codes) in enumerate(_registered_lines(info.registered)):
            registered.add_row(Text(info.name if n == 0 else ""), Text(heading), Text(codes))
        overridden.update(dict.fromkeys(tuple(o) for o in info.registered.overridden))
    if registered.row_count:
        console.print(wrapping(registered))
    if overridden:
        twice = Table(
            "what",
            "code",
            "kept",
            "ignored",
            box=None,
            title="registered twice",
            title_justify="left",
        )
        for row in overridden:
            twice.add_row(*(Text(cell) for cell in row))
        console.print(wrapping(twice))


COMMANDS = [plugins_command]
