"""``jieqin consent``: record, withdraw and list members' consents to share facts.

A referral that sends health or disability facts to an agency is made only with the
member's consent in force (``jieqin needs --route`` holds it otherwise).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from jieqin.cli._common import DAY, database_url, day_of, echo_json, purpose_option, url_option
from jieqin.model._fields import MASKED

__all__ = ["COMMANDS", "consent_group"]


@click.group("consent")
def consent_group() -> None:
    """Members' consents to share facts (health, disability, ...) with an agency."""


@consent_group.command("add")
@click.argument("member_id", metavar="MEMBER")
@click.option("--recipient", required=True, metavar="AGENCY", help="The agency (its code).")
@click.option("--purpose", required=True, help="What the facts are shared for.")
@click.option(
    "--facts",
    required=True,
    help="The facts covered, separated by ',' (health, disability, identity, contact, household).",
)
@click.option("--on", "given_on", type=DAY, required=True, help="The day it was given.")
@click.option(
    "--expires", "expires_on", type=DAY, default=None, help="The first day it no longer holds."
)
@click.option(
    "--id", "consent_id", default=None, help="The consent id (default: one made from the terms)."
)
@click.option(
    "--actor", default="cli", show_default=True, help="Who records it, for the audit log."
)
@click.option("--json", "as_json", is_flag=True, help="Print the consent as JSON.")
@url_option
def add_command(
    member_id: str,
    recipient: str,
    purpose: str,
    facts: str,
    given_on: datetime,
    expires_on: datetime | None,
    consent_id: str | None,
    actor: str,
    as_json: bool,
    db: str | None,
    url: str | None,
) -> None:
    """Record MEMBER's consent to share --facts with the agency --recipient."""
    from jieqin import connect
    from jieqin.model.consent import parse_facts
    from jieqin.services.consent import give_consent

    with connect(database_url(db, url)) as campaign, campaign.unit_of_work(actor) as uow:
        consent = give_consent(
            uow,
            member_id,
            recipient=recipient,
            purpose=purpose,
            facts=parse_facts(facts),
            given_on=given_on.date(),
            expires_on=day_of(expires_on),
            consent_id_=consent_id,
        )
    if as_json:
        echo_json(_shown(consent, reveal=False))
    else:
        click.echo(
            f"Recorded consent {consent.consent_id}: member {consent.member_id} to "
            f"{consent.recipient} from {consent.given_on.isoformat()}"
            + (f" until {consent.expires_on.isoformat()}" if consent.expires_on else "")
            + "."
        )


@consent_group.command("withdraw")
@click.argument("consent_id", metavar="CONSENT_ID")
@click.option("--on", "on", type=DAY, required=True, help="The first day it no longer holds.")
@click.option("--reason", required=True, help="Why it is withdrawn.")
@click.option(
    "--actor", default="cli", show_default=True, help="Who records it, for the audit log."
)
@url_option
def withdraw_command(
    consent_id: str, on: datetime, reason: str, actor: str, db: str | None, url: str | None
) -> None:
    """Withdraw a consent from a day on (the record stays, dated)."""
    from jieqin import connect
    from jieqin.services.consent import withdraw_consent

    with connect(database_url(db, url)) as campaign, campaign.unit_of_work(actor) as uow:
        consent = withdraw_consent(uow, consent_id, on=on.date(), reason=reason)
    click.echo(f"Withdrew consent {consent.consent_id} from {on.date().isoformat()}.")


@consent_group.command("list")
@click.option("--member", "member_id", default=None, help="Only this member's consents.")
@click.option(
    "--on",
    "on",
    type=DAY,
    default=None,
    help="Say which are in force on this day (default today).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--reveal", is_flag=True, help="Show the facts each consent covers (audited).")
@purpose_option
@url_option
def list_command(
    member_id: str | None,
    on: datetime | None,
    as_json: bool,
    reveal: bool,
    purpose: str | None,
    db: str | None,
    url: str | None,
) -> None:
    """List consents, each with whether it is in force on --on.

    The facts a consent covers (health, disability ...) say what a member may have,
    so they are masked unless --reveal --purpose TEXT (which is audited).
    """
    from jieqin import connect

    with connect(database_url(db, url)) as campaign:
        day = day_of(on) or campaign.clock.today()
        with campaign.unit_of_work("cli", read_only=True) as uow:
            found = uow.consents.list(member_id=member_id) if member_id else uow.consents.list()
        if reveal:
            campaign.record_reveal(
                "facts", "consents", purpose=purpose, ids=[c.consent_id for c in found]
            )
    rows = [{**_shown(c, reveal=reveal), "in_force": c.in_force(day)} for c in found]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No consents.")
        return
    for r in rows:
        state = "in force" if r["in_force"] else "not in force"
        until = f" until {r['expires_on']}" if r["expires_on"] else ""
        withdrawn = f", withdrawn {r['withdrawn_on']}" if r["withdrawn_on"] else ""
        click.echo(
            f"{r['consent_id']}  member {r['member_id']}  to {r['recipient']}  "
            f"facts {','.join(r['facts'])}  from {r['given_on']}{until}{withdrawn}  "
            f"({state} on {day.isoformat()})"
        )


def _shown(consent: Any, *, reveal: bool) -> dict[str, Any]:
    """A consent as printed; its facts masked (the same placeholder for every one)
    unless revealed."""
    return {
        "consent_id": consent.consent_id,
        "member_id": consent.member_id,
        "household_id": consent.household_id,
        "recipient": consent.recipient,
        "purpose": consent.purpose,
        "facts": sorted(consent.facts) if reveal else [MASKED],
        "given_on": consent.given_on.isoformat(),
        "expires_on": consent.expires_on.isoformat() if consent.expires_on else None,
        "withdrawn_on": consent.withdrawn_on.isoformat() if consent.withdrawn_on else None,
        "withdrawal_reason": consent.withdrawal_reason,
    }


COMMANDS = [consent_group]
