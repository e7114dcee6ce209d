"""``jieqin plugins``: the installed plugins, their versions and the hooks they implement."""

from __future__ import annotations

import click

from jieqin.cli._common import echo_json

__all__ = ["COMMANDS", "plugins_command"]


@click.command("plugins")
@click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON list of {name, version, hooks}."
)
def plugins_command(as_json: bool) -> None:
    """List each plugin (built-in and installed), its version and the hooks it implements.

    JIEQIN_DISABLE_PLUGIN_AUTOLOAD=1 and JIEQIN_BLOCKED_PLUGINS=a,b apply here too.
    """
    from jieqin.plugins import describe_plugins, make_plugin_manager

    infos = describe_plugins(make_plugin_manager())
    if as_json:
        echo_json(
            [
                {
                    "name": info.name,
                    "version": info.version,
                    "distribution": info.distribution,
                    "hooks": list(info.hooks),
                }
                for info in infos
            ]
        )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("plugin", "version", "distribution", "hooks", box=None)
    for info in infos:
        table.add_row(
            info.name, info.version or "-", info.distribution or "-", "\n".join(info.hooks)
        )
    Console().print(table)


COMMANDS = [plugins_command]
