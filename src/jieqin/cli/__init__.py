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
    """Attach every subcommand module's command to :data:`cli`, each with its example."""
    import importlib

    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"jieqin.cli.{name}")
        for command in getattr(module, "COMMANDS", ()):
            cli.add_command(command)
    for path, example in EXAMPLES.items():
        target: click.Command = cli
        for part in path.split():
            assert isinstance(target, click.Group)
            target = target.commands[part]
        target.epilog = "\b\nExample:\n  " + "\n  ".join(example.splitlines())


#: One example per command, shown at the end of its ``--help`` (``pair`` and ``demo``
#: show theirs in their own help text).
EXAMPLES: dict[str, str] = {
    "init": "jieqin init --db tongchuan.db",
    "db upgrade": "jieqin db upgrade --url postgresql+psycopg://postgres@127.0.0.1/jieqin",
    "import": "jieqin import households households.csv --db tongchuan.db --report-errors",
    "export": "jieqin export households -o households.csv --db tongchuan.db",
    "needs": "jieqin needs --period 2021Q1 --derive --route --db tongchuan.db",
    "aid": "jieqin aid run tc_freshman_scholarship --period 2021 --dry-run --db tongchuan.db",
    "aid run": "jieqin aid run tc_freshman_scholarship --period 2021 --dry-run --db tongchuan.db",
    "aid explain": (
        "jieqin aid explain tc_major_illness_grant HH0001-1 --period 2021 --db tongchuan.db"
    ),
    "aid programs": "jieqin aid programs --db tongchuan.db",
    "log": "jieqin log visit --helper H0001 --household HH0001 --on 2021-02-03 --db tongchuan.db",
    "overdue": "jieqin overdue --as-of 2021-12-31 --json --db tongchuan.db",
    "report": "jieqin report --period 2021 --by-region --format html -o 2021.html --db tongchuan.db",
    "plugins": "jieqin plugins --json",
    "db": "jieqin db upgrade --db tongchuan.db",
}


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
