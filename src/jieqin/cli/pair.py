"""``jieqin pair``: pair helpers with households exactly, or show the plan first."""

from __future__ import annotations

from datetime import date

import click

from jieqin.cli._common import database_url, echo_json, url_option

__all__ = ["COMMANDS", "pair_command"]


@click.command("pair")
@click.option("--dry-run", is_flag=True, help="Show the plan; write nothing.")
@click.option(
    "--max-per-helper",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="At most N households per helper (caps each helper's own capacity).",
)
@click.option(
    "--locality",
    type=click.Choice(["village", "township", "county", "city"]),
    default="county",
    show_default=True,
    help="The largest region a pair may span.",
)
@click.option(
    "--on",
    "on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The pairing day (YYYY-MM-DD; default today).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@url_option
def pair_command(
    dry_run: bool,
    max_per_helper: int | None,
    locality: str,
    on: object,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Pair helpers with households: keep pairs in force, pair the rest at least cost.

    Every pair's cost is shown by term; households left unpaired say why (no helper
    within the locality limit, every place taken). Changes are written with their
    handovers in one transaction.

    \b
    Example:
      jieqin pair --dry-run --max-per-helper 2 --db tongchuan.db
    """
    from jieqin import connect
    from jieqin.pairing import PairingPolicy

    day = on.date() if hasattr(on, "date") else date.today()
    policy = PairingPolicy(locality_limit=locality, max_per_helper=max_per_helper)
    with connect(database_url(db, url)) as campaign:
        plan = campaign.pair(policy, on=day, dry_run=dry_run, actor="cli:pair")
    if as_json:
        echo_json({"dry_run": dry_run, **plan.to_dict()})
        return
    _show(plan, dry_run)


def _show(plan: object, dry_run: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from jieqin.pairing import PairingPlan

    assert isinstance(plan, PairingPlan)
    summary = plan.summary()
    verb = "would pair" if dry_run else "paired"
    click.echo(
        f"{plan.on.isoformat()}: {verb} {summary['paired']} households "
        f"({summary['kept']} kept, {summary['new']} new, {summary['changed']} changed, "
        f"{summary['pinned']} pinned); {summary['unpaired']} unpaired; "
        f"{summary['handovers']} handovers; total cost {summary['total_cost']}"
    )
    console = Console()
    changed = [p for p in plan.pairs if str(p.status) != "kept"]
    if changed:
        table = Table(title="pairs made or changed")
        for column in ("household", "helper", "status", "cost", "by term"):
            table.add_column(column, justify="right" if column == "cost" else "left")
        for p in changed:
            terms = ", ".join(f"{t.name} {t.value:g}" for t in p.costs if t.value)
            table.add_row(p.household_id, p.helper_id, str(p.status), str(p.cost), terms or "-")
        console.print(table)
    if plan.unpaired:
        table = Table(title="households left unpaired")
        table.add_column("household")
        table.add_column("reason")
        table.add_column("detail")
        for u in plan.unpaired:
            table.add_row(u.household_id, str(u.reason), u.detail)
        console.print(table)


COMMANDS = [pair_command]
