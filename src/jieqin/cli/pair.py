"""``jieqin pair``: pair helpers with households exactly, or show the plan first."""

from __future__ import annotations

from datetime import date

import click

from jieqin.cli._common import database_url, echo_json, url_option
from jieqin.i18n import _

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
@click.option(
    "--keep-existing",
    type=click.BOOL,
    is_flag=False,
    flag_value=True,
    default=True,
    show_default=True,
    metavar="BOOLEAN",
    help=(
        "Keep the pairs in force (true), or re-pair every household (false): a household "
        "then keeps its helper unless another saves more than the handover cost."
    ),
)
@click.option(
    "--handover-cost",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="The cost of a change of helper when re-pairing (default 50 cost units).",
)
@click.option(
    "--make-room",
    is_flag=True,
    help=(
        "With --keep-existing=false, let a household without a helper take the place of "
        "one whose pair could continue when that costs less (its handover says made_room)."
    ),
)
@click.option(
    "--changed-only",
    is_flag=True,
    help=(
        "Re-pair only the partitions (counties by default) where the pairs in force no "
        "longer stand; keep every pair in force elsewhere, also with --keep-existing=false."
    ),
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@url_option
def pair_command(
    dry_run: bool,
    max_per_helper: int | None,
    locality: str,
    on: object,
    keep_existing: bool,
    handover_cost: int | None,
    make_room: bool,
    changed_only: bool,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Pair helpers with households: keep pairs in force, pair the rest at least cost.

    Every pair's cost is shown by term; households left unpaired say why (no helper
    within the locality limit, every place taken). First pairings are counted as new
    pairings; a change of a household's helper (or its end) is a handover, naming the
    new helper. Changes are written with their handovers in one transaction. A run
    --on a day before pairings already recorded fills the days before them.

    \b
    Example:
      jieqin pair --dry-run --max-per-helper 2 --db tongchuan.db
      jieqin pair --keep-existing=false --handover-cost 80 --dry-run --db tongchuan.db
    """
    import attrs

    from jieqin import connect
    from jieqin.pairing import PairingPolicy

    day = on.date() if hasattr(on, "date") else date.today()
    if make_room and keep_existing:
        raise click.UsageError("--make-room needs --keep-existing=false")
    policy = PairingPolicy(
        locality_limit=locality,
        max_per_helper=max_per_helper,
        keep_existing=keep_existing,
        make_room=make_room,
    )
    if handover_cost is not None:
        policy = attrs.evolve(policy, handover_cost=handover_cost)
    with connect(database_url(db, url)) as campaign:
        plan = campaign.pair(
            policy, on=day, dry_run=dry_run, actor="cli:pair", changed_only=changed_only
        )
    if as_json:
        echo_json({"dry_run": dry_run, **plan.to_dict()})
        return
    _show(plan, dry_run)


def _show(plan: object, dry_run: bool) -> None:
    from rich.table import Table

    from jieqin.cli._output import print_tables
    from jieqin.pairing import PairingPlan

    assert isinstance(plan, PairingPlan)
    summary = plan.summary()
    said = (
        _(
            "{day}: would pair {paired} households ({kept} kept, {new} new, {changed} changed, "
            "{pinned} pinned); {unpaired} unpaired; {new_pairings} new pairings, {handovers} "
            "handovers; total cost {total_cost} (handover cost {handover_cost})"
        )
        if dry_run
        else _(
            "{day}: paired {paired} households ({kept} kept, {new} new, {changed} changed, "
            "{pinned} pinned); {unpaired} unpaired; {new_pairings} new pairings, {handovers} "
            "handovers; total cost {total_cost} (handover cost {handover_cost})"
        )
    )
    click.echo(said.format(day=plan.on.isoformat(), **summary))
    if plan.superseded:
        click.echo(
            _(
                "{count} pairings recorded from later days are superseded (withdrawn: never in "
                "force) by the pairings from {day}."
            ).format(count=len(plan.superseded), day=plan.on.isoformat())
        )
    tables = []
    changed = [p for p in plan.pairs if str(p.status) != "kept"]
    if changed:
        table = Table(title=_("pairs made or changed"))
        for column in (_("household"), _("helper"), _("status")):
            table.add_column(column)
        table.add_column(_("cost"), justify="right")
        table.add_column(_("by term"))
        for p in changed:
            terms = ", ".join(f"{t.name} {t.value:g}" for t in p.costs if t.value)
            table.add_row(p.household_id, p.helper_id, str(p.status), str(p.cost), terms or "-")
        tables.append(table)
    if plan.changes:
        table = Table(title=_("handovers"))
        for column in (_("household"), _("from helper"), _("to helper"), _("reason"), _("on")):
            table.add_column(column)
        for h in plan.changes:
            table.add_row(
                h.household_id,
                h.from_helper_id or "-",
                h.to_helper_id or _("nobody"),
                str(h.reason),
                h.on.isoformat(),
            )
        tables.append(table)
    if plan.unpaired:
        table = Table(title=_("households left unpaired"))
        table.add_column(_("household"))
        table.add_column(_("reason"))
        table.add_column(_("detail"))
        for u in plan.unpaired:
            table.add_row(u.household_id, str(u.reason), u.detail)
        tables.append(table)
    print_tables(*tables)


COMMANDS = [pair_command]
