"""The ``jieqin`` command: a thin shell over the services.

Each subcommand lives in its own module and is added to :data:`cli` below. Exit
codes: 0 success, 1 a user error (one line, no traceback), 2 a usage error.
"""

from __future__ import annotations

import sys

import click

from jieqin.cli._common import run_cli


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="jieqin")
def cli() -> None:
    """Run a pairing-assistance campaign (结亲戚): pair, survey, grant, log and report.

    The database comes from --db / --url where a command takes one, else the
    JIEQIN_DATABASE_URL variable, else sqlite:///jieqin.db in this directory.
    """


def _add_commands() -> None:
    """Attach every subcommand module's command to :data:`cli`."""
    import importlib

    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"jieqin.cli.{name}")
        for command in getattr(module, "COMMANDS", ()):
            cli.add_command(command)


#: Modules under ``jieqin.cli`` that define ``COMMANDS``; one line per module.
_COMMAND_MODULES: list[str] = [
    "importing",
    "exporting",
    "log",
    "overdue",
    "pair",
    "report",
    "needs",
    "aid",
    "plugins",
    "demo",
    "db",
]

_add_commands()


def main() -> None:
    """Console-script entry point."""
    sys.exit(run_cli(cli))
