"""Consent: a member's permission to share some of their facts with one agency.

A consent is a record, never deleted: it is given on a day for a purpose, to one
recipient (an agency code), for a set of facts; it may expire, and it may be
withdrawn. Withdrawing is a dated correction of the record (``withdrawn_on`` and a
reason), so what was in force on any past day can still be told.

In force on a day: given on or before it, not yet expired (``expires_on`` is the
first day it no longer holds) and not withdrawn (``withdrawn_on`` is the first day
it no longer holds).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any

import attrs
from attrs import field, frozen

from jieqin.errors import InvalidValue
from jieqin.model._fields import (
    MAX_TEXT,
    code_field,
    date_field,
    id_field,
    optional_date,
    text_field,
)

__all__ = ["Consent", "ConsentFact", "parse_facts"]


class ConsentFact(StrEnum):
    """The kinds of fact a consent may cover."""

    HEALTH = "health"
    """The health condition and diagnosis (and needs derived from them)."""
    DISABILITY = "disability"
    """The disability grade (and needs derived from it)."""
    IDENTITY = "identity"
    """The resident ID number."""
    CONTACT = "contact"
    """The phone number."""
    HOUSEHOLD = "household"
    """The household's situation: its status, members and needs."""


def parse_facts(values: object) -> frozenset[str]:
    """A non-empty set of :class:`ConsentFact` values (``;`` or ``,`` separated text too)."""
    if isinstance(values, str):
        values = [v for part in values.split(";") for v in part.split(",")]
    if not isinstance(values, Iterable):
        raise InvalidValue(f"expected a set of facts, got {type(values).__name__}", field="facts")
    out: set[str] = set()
    allowed = ", ".join(f.value for f in ConsentFact)
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        try:
            out.add(ConsentFact(text).value)
        except ValueError:
            raise InvalidValue(f"{text!r} is not one of: {allowed}", field="facts") from None
    if not out:
        raise InvalidValue(f"a consent covers at least one fact ({allowed})", field="facts")
    return frozenset(out)


def _reason(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise InvalidValue("must be text", field=attribute.name)
    if len(value) > MAX_TEXT:
        raise InvalidValue(
            f"is {len(value)} characters long; at most {MAX_TEXT}", field=attribute.name
        )


@frozen
class Consent:
    """A member's consent to share ``facts`` with the agency ``recipient`` for ``purpose``."""

    consent_id: str = field(validator=id_field)
    member_id: str = field(validator=id_field)
    household_id: str = field(validator=id_field)
    recipient: str = field(validator=code_field)
    """The agency code the facts may be shared with."""
    purpose: str = field(validator=text_field)
    facts: frozenset[str] = field(converter=parse_facts)
    given_on: date = field(validator=date_field)
    expires_on: date | None = field(default=None, validator=optional_date)
    """The first day the consent no longer holds (``None``: until withdrawn)."""
    withdrawn_on: date | None = field(default=None, validator=optional_date)
    """The first day the consent no longer holds because the member withdrew it."""
    withdrawal_reason: str = field(default="", validator=_reason)

    def __attrs_post_init__(self) -> None:
        if self.expires_on is not None and self.expires_on <= self.given_on:
            raise InvalidValue(
                f"expires {self.expires_on.isoformat()}, not after it was given "
                f"{self.given_on.isoformat()}",
                field="expires_on",
            )
        if self.withdrawn_on is not None and self.withdrawn_on < self.given_on:
            raise InvalidValue(
                f"withdrawn {self.withdrawn_on.isoformat()}, before it was given "
                f"{self.given_on.isoformat()}",
                field="withdrawn_on",
            )
        if self.withdrawn_on is None and self.withdrawal_reason:
            raise InvalidValue(
                "a reason is given but the consent is not withdrawn", field="withdrawal_reason"
            )

    def in_force(self, day: date) -> bool:
        """Whether the consent holds on ``day``: given, not expired, not withdrawn."""
        return (
            self.given_on <= day
            and (self.expires_on is None or day < self.expires_on)
            and (self.withdrawn_on is None or day < self.withdrawn_on)
        )

    def covers(self, recipient: str, facts: Iterable[str], day: date) -> bool:
        """Whether it lets ``facts`` go to ``recipient`` on ``day``."""
        return self.recipient == recipient and set(facts) <= self.facts and self.in_force(day)

    def withdrawn(self, on: date, reason: str) -> Consent:
        """This consent withdrawn on ``on`` (a correction; the record stays)."""
        if self.withdrawn_on is not None:
            raise InvalidValue(
                f"consent {self.consent_id} was already withdrawn on "
                f"{self.withdrawn_on.isoformat()}",
                field="withdrawn_on",
            )
        if not reason.strip():
            raise InvalidValue("say why the consent is withdrawn", field="withdrawal_reason")
        return attrs.evolve(self, withdrawn_on=on, withdrawal_reason=reason.strip())
