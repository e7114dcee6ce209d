"""``jieqin demo``: run Tongchuan's 2021 campaign year on synthetic records and report it."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from jieqin.cli._common import echo_json, invoked_as
from jieqin.cli._output import print_tables
from jieqin.i18n import N_, _

__all__ = ["COMMANDS", "demo_command"]

DEFAULT_DB = "jieqin-demo.db"
INSTALL_HINT = N_(
    "install it with: pip install -e plugins/jieqin-tongchuan (in a jieqin checkout) "
    "or pip install jieqin-tongchuan"
)


class _Bars:
    """The demo's progress, shown as rich progress bars on standard error."""

    def __init__(self, progress: RichProgress) -> None:
        self.progress = progress

    @contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        task_id = self.progress.add_task(_(description), total=total)

        def advance(n: int) -> None:
            self.progress.advance(task_id, n)

        yield advance
        done = self.progress.tasks[task_id].completed
        self.progress.update(task_id, total=max(done, 1), completed=max(done, 1))


def _bars(console: Console) -> RichProgress:
    return RichProgress(
        TextColumn("{task.description:<36}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _shown(value: int | Decimal | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return f"{value:,}"


def _summary(figures: dict[str, int | Decimal | None]) -> Table:
    from jieqin.demo.script import BRIEF_2021, LABELS

    title = _("Tongchuan 2021, computed from the stored records")
    table = Table(title=title, title_justify="left")
    table.add_column(_("figure"))
    table.add_column("jieqin", justify="right")
    table.add_column(_("brief"), justify="right")
    table.add_column("", justify="center")
    for key, expected in BRIEF_2021.items():
        value = figures.get(key)
        mark = "[green]✓[/]" if value == expected else "[red]✗[/]"
        table.add_row(_(LABELS[key]), _shown(value), _shown(expected), mark)
    return table


#: The columns of the table by district and county.
_REGION_COLUMNS = (
    N_("district / county"),
    N_("helpers"),
    N_("households"),
    N_("activities"),
    N_("grants"),
    N_("yuan"),
)


def _regions(report: Any) -> Table:
    table = Table(title=_("By district and county"), title_justify="left")
    for number, column in enumerate(_REGION_COLUMNS):
        table.add_column(_(column), justify="left" if number == 0 else "right")
    for code, figures in report.regions.items():
        grants = sum(g.count or 0 for g in figures.grants)
        amount = sum((g.amount or Decimal(0) for g in figures.grants), Decimal("0.00"))
        table.add_row(
            f"{report.region_names.get(code, code)} {code}",
            _shown(figures.helpers),
            _shown(figures.households),
            _shown(figures.activities_total),
            _shown(grants),
            _shown(amount),
        )
    return table


def _steps(result: object) -> Table:
    table = Table(title=_("The year, step by step"), title_justify="left", show_lines=False)
    table.add_column(_("step"))
    table.add_column(_("what happened"))
    not_run = _("not run: ")
    for step in getattr(result, "steps", ()):
        status = "" if step.done else f"[yellow]{not_run}[/]"
        table.add_row(_(step.name), status + step.detail)
    return table


@click.command("demo")
@click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    metavar="PATH",
    help="SQLite file to build; replaced if it exists.",
)
@click.option(
    "--seed", type=int, default=2021, show_default=True, help="Seed of the synthetic cohort."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report object as JSON.")
def demo_command(db: Path, seed: int, as_json: bool) -> None:
    """Run Tongchuan's 2021 campaign on synthetic records and print the year's report.

    Builds 755 helpers and their households (names from Faker's zh_CN locale, valid
    resident ID numbers), then, through the library's public API: pairs them, takes
    in the Q1 needs survey and routes the needs, allocates the charity scholarships
    and major-illness grants, logs the year's activities, makes the winter check, and
    reports 2021 from the stored records. Needs the Tongchuan plugin.

    \b
    Example:
      jieqin demo                      # builds ./jieqin-demo.db
      jieqin demo --db tongchuan.db --seed 7 --json
    """
    from jieqin.demo.script import figures_of, run_demo, tongchuan_missing

    missing = tongchuan_missing()
    if missing:
        raise click.ClickException(
            _(
                "the demo needs the Tongchuan plugin, which is not loaded ({missing}); {hint}"
            ).format(missing=missing, hint=_(INSTALL_HINT))
        )
    err = Console(stderr=True)
    path = db.resolve()
    building = _("Building a fresh demo database: {path} (replaced if it existed)")
    err.print(building.format(path=f"[bold]{path}[/]"))
    with _bars(err) as bars:
        result = run_demo(path, seed=seed, progress=_Bars(bars))
    if as_json:
        echo_json(result.report.as_dict() if result.report is not None else None)
        return
    tables = [_steps(result)]
    if result.report is not None and result.report.regions:
        tables.append(_regions(result.report))
    tables.append(_summary(figures_of(result)))
    print_tables(*tables)
    if result.missing:
        names = _(", ").join(_(step.name) for step in result.missing)
        lacking = _("Not run in this installation: {names}; the figures above lack them.").format(
            names=names
        )
        print_tables(f"[yellow]{lacking}[/]")
    _follow_up(result, db, path)


def _follow_up(result: Any, db: Path, path: Path) -> None:
    """The commands to try next, written the way this one was run (``.venv/bin/jieqin``
    when run by that path), so that they can be pasted as they are."""
    program = invoked_as()
    where = shlex.quote(str(db))
    if result.refused is not None:
        program_id, member = result.refused
        question = _(
            "Why was {member}, a college student in a later year, refused the scholarship?"
        )
        click.echo(
            f"{question.format(member=member)}\n"
            f"  {program} aid explain {program_id} {member} --db {where} --period 2021"
        )
    done = _("Done in {seconds} s. The records are in {path}; try")
    click.echo(
        f"{done.format(seconds=f'{result.seconds:.1f}', path=path)}\n"
        f"  {program} report --db {where} --by-region\n"
        f"  {program} overdue --db {where} --as-of 2021-12-31"
    )


COMMANDS = [demo_command]
