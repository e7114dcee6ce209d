"""What every subcommand shares: error handling, JSON output, the database option."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import click

from jieqin.errors import JieqinError

F = TypeVar("F", bound=Callable[..., Any])


def run_cli(group: click.Group, args: list[str] | None = None) -> int:
    """Run ``group``; turn a :class:`JieqinError` into one line on stderr and exit code 1."""
    try:
        group.main(args=args, prog_name="jieqin", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except JieqinError as exc:
        if os.environ.get("JIEQIN_TRACEBACK"):
            raise
        message = str(exc).splitlines()
        click.echo(f"Error: {message[0] if message else type(exc).__name__}", err=True)
        for line in message[1:]:
            click.echo(line, err=True)
        return 1
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else 0
    return 0


def url_option(func: F) -> F:
    """``--db PATH`` / ``--url URL``: which database to use."""
    func = click.option(
        "--url",
        "url",
        default=None,
        metavar="URL",
        help="Database URL (sqlite:///x.db, postgresql+psycopg://..., memory://).",
    )(func)
    return click.option(
        "--db",
        "db",
        default=None,
        metavar="PATH",
        type=click.Path(dir_okay=False),
        help="SQLite database file (shorthand for --url sqlite:///PATH).",
    )(func)


def database_url(db: str | None, url: str | None) -> str | None:
    """The URL that ``--db`` / ``--url`` ask for (``None``: the default)."""
    if db and url:
        raise click.UsageError("give --db or --url, not both")
    if db:
        return f"sqlite:///{db}"
    return url


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def echo_json(data: object) -> None:
    """Print ``data`` as one JSON document (Decimal as string, dates ISO)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_default))
