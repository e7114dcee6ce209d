"""``jieqin needs``: the needs of a period, where each was routed and why; and
``jieqin needs resolve`` / ``jieqin needs close``: settle a need by hand, dated and
audited.

``jieqin needs [OPTIONS]`` is ``jieqin needs list [OPTIONS]``, as it always was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from jieqin.cli._common import (
    DAY,
    ListingGroup,
    actor_option,
    database_url,
    day_of,
    echo_json,
    url_option,
)
from jieqin.i18n import N_, _
from jieqin.model.needs import NeedStatus

__all__ = ["COMMANDS", "close_command", "list_command", "needs_group", "resolve_command"]


#: What the listing says on standard error when it leaves sensitive needs out.
WITHHELD = N_(
    "{n} needs that tell a health or disability fact are not listed; "
    "`jieqin export needs --include-sensitive` writes them."
)


@click.group("needs", cls=ListingGroup)
def needs_group() -> None:
    """List needs (by kind, status and route), and resolve or close one by hand.

    `jieqin needs [OPTIONS]` is `jieqin needs list [OPTIONS]`.
    """


@needs_group.command("list")
@click.option("--period", "period_text", default=None, metavar="P", help="2021, 2021Q1 or 2021-03.")
@click.option(
    "--derive", is_flag=True, help="First derive needs from member facts (needs a period)."
)
@click.option("--route", "route_open", is_flag=True, help="First route the open needs.")
@click.option("--kind", default=None, metavar="KIND", help="Only needs of this kind.")
@click.option(
    "--status",
    default=None,
    type=click.Choice([s.value for s in NeedStatus]),
    help="Only needs with this status.",
)
@click.option(
    "--routed-to",
    "routed_to",
    default=None,
    metavar="WHERE",
    help="Only needs routed there: program, referral, helper, a programme, agency or "
    "helper id, KIND:ID, or unrouted.",
)
@click.option(
    "--region", default=None, metavar="CODE", help="Only needs of households in this region."
)
@click.option("--member", "member_id", default=None, metavar="MEMBER", help="Only this member's.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@url_option
def list_command(
    period_text: str | None,
    derive: bool,
    route_open: bool,
    kind: str | None,
    status: str | None,
    routed_to: str | None,
    region: str | None,
    member_id: str | None,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """List needs (by kind, status and route); optionally derive and route them first.

    A need is routed to an aid programme the member is eligible for, else an agency
    that takes its kind, else the paired helper whose sectors match. The filters
    narrow the list (--routed-to, not --route, which routes the open needs first).
    Needs that tell a health or disability fact (of a sensitive kind, or routed to a
    programme whose rules read one) are not listed; their number is given on
    standard error.
    """
    from jieqin import connect, parse_period
    from jieqin.io.sensitive import masked_strings, sensitivity_of

    period = parse_period(period_text) if period_text else None
    with connect(database_url(db, url)) as campaign:
        if derive:
            if period is None:
                raise click.UsageError(_("--derive needs --period"))
            campaign.derive_needs(period, actor="cli")
        if route_open:
            campaign.route_needs(period, actor="cli")
        needs = campaign.needs(
            period,
            kind=kind,
            status=status,
            routed_to=routed_to,
            region=region,
            member_id=member_id,
        )
        sensitivity = sensitivity_of(campaign)
    shown = [n for n in needs if not sensitivity.withholds_need(n)]
    if len(needs) > len(shown):
        click.echo(_(WITHHELD).format(n=len(needs) - len(shown)), err=True)
    rows = masked_strings([_row(n) for n in shown])
    if as_json:
        echo_json(rows)
        return
    _show(rows, period)


def _row(n: Any) -> dict[str, Any]:
    return {
        "need": n.need_id,
        "kind": n.kind,
        "period": str(n.period),
        "household": n.household_id,
        "member": n.member_id,
        "source": str(n.source),
        "status": str(n.status),
        "route": f"{n.route.kind}:{n.route.target}" if n.route else None,
        "why": n.route.explanation if n.route else n.unrouted_reason,
        "resolved_on": n.resolved_on.isoformat() if n.resolved_on else None,
        "resolved_by": n.resolved_by,
    }


#: The columns of the listing, said in the language of the run.
_COLUMNS = {
    "need": N_("need"),
    "kind": N_("kind"),
    "household": N_("household"),
    "member": N_("member"),
    "status": N_("status"),
    "route": N_("route"),
    "why": N_("why"),
    "resolved_by": N_("resolved by"),
}


def _show(rows: list[dict[str, Any]], period: object) -> None:
    from rich.table import Table

    from jieqin.cli._output import print_tables

    if not rows:
        click.echo((_("No needs in {period}.") if period else _("No needs.")).format(period=period))
        return
    title = _("{count} needs in {period}") if period else _("{count} needs")
    table = Table(title=title.format(count=len(rows), period=period))
    columns = ("need", "kind", "household", "member", "status", "route", "why", "resolved_by")
    for column in columns:
        table.add_column(_(_COLUMNS[column]))
    for r in rows:
        table.add_row(*(str(r[c] or "") for c in columns))
    print_tables(table)


@needs_group.command("resolve")
@click.argument("need_id", metavar="NEED_ID")
@click.option(
    "--by",
    "by",
    required=True,
    metavar="WHAT",
    help="What resolved it: activity:ID (practical help), grant:ID, or a few words.",
)
@click.option(
    "--on", "on", type=DAY, default=None, help="The day (default: the record's, else today)."
)
@actor_option()
@click.option("--json", "as_json", is_flag=True, help="Print the need as JSON.")
@url_option
def resolve_command(
    need_id: str,
    by: str,
    on: datetime | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Resolve NEED_ID by hand, saying what resolved it (dated and audited).

    A referral resolves its need when it is completed: `jieqin referrals complete ID`.
    """
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        need = campaign.resolve_need(need_id, by, day_of(on), actor=actor)
        _settled(campaign, need, N_("Resolved need {need} on {day}: {by}."), as_json)


@needs_group.command("close")
@click.argument("need_id", metavar="NEED_ID")
@click.option("--reason", required=True, help="Why it is closed without help.")
@click.option("--on", "on", type=DAY, default=None, help="The day (default today).")
@actor_option()
@click.option("--json", "as_json", is_flag=True, help="Print the need as JSON.")
@url_option
def close_command(
    need_id: str,
    reason: str,
    on: datetime | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Close NEED_ID without help (moved away, no longer needed), saying why."""
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        need = campaign.close_need(need_id, reason, day_of(on), actor=actor)
        _settled(campaign, need, N_("Closed need {need} on {day}: {by}."), as_json)


def _settled(campaign: Any, need: Any, said: str, as_json: bool) -> None:
    """What ``resolve`` and ``close`` print: the need as JSON, or one line; of a need
    that tells a health or disability fact, its kind and route are masked."""
    from jieqin.io.sensitive import MASKED, masked_strings, sensitivity_of

    row = masked_strings(_row(need))
    if sensitivity_of(campaign).withholds_need(need):
        row.update(kind=MASKED, route=MASKED, why=MASKED)
        if str(row["resolved_by"]).startswith("grant:"):
            row["resolved_by"] = MASKED
    if as_json:
        echo_json(row)
        return
    click.echo(_(said).format(need=row["need"], day=row["resolved_on"], by=row["resolved_by"]))


COMMANDS = [needs_group]
