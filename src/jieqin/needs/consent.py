"""Which facts a referral shares with an agency, and the consent that lets it.

A referral of a need of a sensitive kind (one that tells a health or disability
fact: medical care, disability support, or any kind registered ``sensitive``) sends
that fact to the agency, so it needs the member's consent in force on the day,
covering the facts to that agency. Pure: the caller reads the consents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from jieqin.model import Consent, ConsentFact, Need, NeedKind
from jieqin.needs.kinds import STANDARD_NEED_KINDS, NeedKindInfo

__all__ = ["AWAITING_CONSENT", "consent_for", "facts_shared", "held_reason"]

#: The facts a referral of each standard sensitive kind shares.
_FACTS: Mapping[str, frozenset[str]] = {
    NeedKind.MEDICAL: frozenset({ConsentFact.HEALTH.value}),
    NeedKind.DISABILITY_SUPPORT: frozenset({ConsentFact.DISABILITY.value}),
}
#: A kind registered sensitive that is not one of the above may tell either fact.
_EITHER = frozenset({ConsentFact.HEALTH.value, ConsentFact.DISABILITY.value})

#: How a held referral's explanation begins.
AWAITING_CONSENT = "awaiting consent"


def facts_shared(
    kind: str, kinds: Mapping[str, NeedKindInfo] = STANDARD_NEED_KINDS
) -> frozenset[str]:
    """The consent facts a referral of a need of ``kind`` shares (none: no consent needed)."""
    if kind in _FACTS:
        return _FACTS[kind]
    info = kinds.get(kind)
    return _EITHER if info is not None and info.sensitive else frozenset()


def consent_for(
    need: Need, agency: str, facts: frozenset[str], day: date, consents: Iterable[Consent]
) -> Consent | None:
    """The consent of the need's member that lets ``facts`` go to ``agency`` on ``day``
    (the latest given, then by id), or ``None``."""
    if need.member_id is None:
        return None
    found = [c for c in consents if c.member_id == need.member_id and c.covers(agency, facts, day)]
    return max(found, key=lambda c: (c.given_on, c.consent_id)) if found else None


def held_reason(need: Need, agency: str, day: date) -> str:
    """Why a referral is held: what consent it waits for (naming no health fact)."""
    who = f"member {need.member_id}" if need.member_id else "the member concerned (none named)"
    return (
        f"{AWAITING_CONSENT}: {who} has no consent in force on {day.isoformat()} to share "
        f"the facts this referral needs with agency {agency}; record one with "
        "`jieqin consent add`, then route again"
    )
