"""Consent use cases over a unit of work: record a consent, withdraw it, list them.

Each writing function goes through the one write path (the member belongs to the
household, the recipient is a registered agency, no date after today) and commits.
A consent is never deleted: withdrawing it is a dated correction of the record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from jieqin.model import Consent

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = ["consent_id", "give_consent", "in_force", "withdraw_consent"]


def consent_id(member_id: str, recipient: str, given_on: date, purpose: str) -> str:
    """The stable id of a consent, so recording the same consent twice adds nothing."""
    text = "\x1f".join((member_id, recipient, given_on.isoformat(), purpose))
    return f"c:{hashlib.sha256(text.encode()).hexdigest()[:20]}"


def give_consent(
    uow: UnitOfWork,
    member_id: str,
    *,
    recipient: str,
    purpose: str,
    facts: Iterable[str],
    given_on: date,
    expires_on: date | None = None,
    consent_id_: str | None = None,
) -> Consent:
    """Record a member's consent (their household read from the storage); the same
    consent given again is the one stored."""
    household_id = uow.households.household_of(member_id)
    consent = Consent(
        consent_id=consent_id_ or consent_id(member_id, recipient, given_on, purpose),
        member_id=member_id,
        household_id=household_id,
        recipient=recipient,
        purpose=purpose,
        facts=frozenset(facts),
        given_on=given_on,
        expires_on=expires_on,
    )
    stored = uow.consents.find(consent.consent_id)
    if stored is not None and stored == consent:
        return stored
    uow.consents.add(consent)
    uow.commit()
    return consent


def withdraw_consent(uow: UnitOfWork, consent_id: str, *, on: date, reason: str) -> Consent:
    """Withdraw a consent from ``on`` (it no longer holds that day); the record stays."""
    withdrawn = uow.consents.get(consent_id).withdrawn(on, reason)
    uow.consents.update(withdrawn)
    uow.commit()
    return withdrawn


def in_force(uow: UnitOfWork, day: date, *, member_id: str | None = None) -> list[Consent]:
    """The consents in force on ``day`` (of one member, if given)."""
    found = uow.consents.list(member_id=member_id) if member_id else uow.consents.list()
    return [c for c in found if c.in_force(day)]
