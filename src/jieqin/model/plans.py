"""Allocation plans awaiting approval, their items, and objections during the public notice.

A programme that needs approval does not grant when it is allocated: the allocation
is stored as a :class:`Plan` with one :class:`PlanItem` per decision it made, and the
fund's money for the planned grants is *reserved* (the fund's available money is its
budget less what its grants in force hold less what its plans reserve). Then:

1. someone other than the plan's maker, in a role that decides, approves it; the
   approval starts the public notice (公示): the list of who is to get how much is
   posted from ``notice_from`` to ``notice_until`` (both days included);
2. during the notice anyone may object to a listed person or household: an
   :class:`Objection` *holds* that item (its money stays reserved, it is not granted
   with the others);
3. after the notice the plan is committed: each planned item's decision and grant are
   written (as an allocation writes them), held items wait for their objection to be
   decided: dismissed, the item is granted; upheld, it is not granted (a decision of
   outcome ``not_granted`` says why) and its money is freed;
4. a plan may instead be withdrawn, saying why: every reserved yuan is freed and
   nothing is granted.

The records check their own consistency (a status with the dates it needs, an
approver who is not the maker); the transitions between them are the service's
(:mod:`jieqin.services.approval`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from attrs import Attribute, field, frozen

from jieqin.errors import InvalidValue
from jieqin.model._fields import MAX_TEXT, date_field, enum_field, id_field, optional_date
from jieqin.model._fields import optional_id as _optional_id
from jieqin.model.aid import Decision, Grant, Outcome
from jieqin.model.periods import Period

__all__ = [
    "ItemStatus",
    "Objection",
    "ObjectionStatus",
    "Plan",
    "PlanItem",
    "PlanStatus",
    "check_steps",
]


class PlanStatus(StrEnum):
    """Where a plan is in its approval."""

    PENDING = "pending"
    """Stored, its money reserved, waiting for approval."""
    APPROVED = "approved"
    """Approved: its notice is posted (or was); not committed yet."""
    COMMITTED = "committed"
    """Committed after its notice: its planned items are granted (held ones wait for
    their objections)."""
    WITHDRAWN = "withdrawn"
    """Withdrawn, saying why: nothing of it is granted, its money is freed."""


class ItemStatus(StrEnum):
    """Where one decision of a plan is."""

    PLANNED = "planned"
    """A grant the plan makes: its money is reserved until the plan is committed."""
    HELD = "held"
    """A planned grant an open objection holds: its money stays reserved."""
    GRANTED = "granted"
    """Committed: the decision and the grant are stored."""
    REFUSED = "refused"
    """An objection to it was upheld: not granted, its money freed."""
    NOTED = "noted"
    """A decision that grants nothing (wait-listed, ineligible), stored when the plan
    is committed."""
    RECORDED = "recorded"
    """A noted decision, stored at the commit."""
    WITHDRAWN = "withdrawn"
    """The plan was withdrawn: nothing of this item is stored or reserved."""


#: The item statuses whose money the fund reserves.
RESERVING = frozenset({ItemStatus.PLANNED, ItemStatus.HELD})
#: The item statuses that carry a grant.
GRANTING = frozenset({ItemStatus.PLANNED, ItemStatus.HELD, ItemStatus.GRANTED, ItemStatus.REFUSED})


class ObjectionStatus(StrEnum):
    """Whether an objection was decided, and how."""

    OPEN = "open"
    """Received, not decided: it holds the item it names."""
    UPHELD = "upheld"
    """Found right: the item it names is not granted."""
    DISMISSED = "dismissed"
    """Found wrong: the item it names is granted (at the commit, or on the decision if
    the plan was committed already)."""


def _text(instance: object, attribute: Attribute[Any], value: object) -> None:
    """Text of at most :data:`MAX_TEXT` characters (may be empty)."""
    if not isinstance(value, str):
        raise InvalidValue("must be text", field=attribute.name)
    if len(value) > MAX_TEXT:
        raise InvalidValue(
            f"is {len(value)} characters long; at most {MAX_TEXT}", field=attribute.name
        )


def _filled(instance: object, attribute: Attribute[Any], value: object) -> None:
    """Non-empty text of at most :data:`MAX_TEXT` characters."""
    _text(instance, attribute, value)
    assert isinstance(value, str)
    if not value.strip():
        raise InvalidValue("must be non-empty text", field=attribute.name)


def _optional_text(instance: object, attribute: Attribute[Any], value: object) -> None:
    if value is not None:
        _filled(instance, attribute, value)


def _count(instance: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidValue(f"must be a whole number from 0, got {value!r}", field=attribute.name)


class _Steps(Protocol):
    """The fields of a record that goes through approval, notice and commit."""

    @property
    def status(self) -> PlanStatus: ...
    @property
    def made_by(self) -> str: ...
    @property
    def made_on(self) -> date: ...
    @property
    def approved_by(self) -> str | None: ...
    @property
    def approved_on(self) -> date | None: ...
    @property
    def notice_from(self) -> date | None: ...
    @property
    def notice_until(self) -> date | None: ...
    @property
    def committed_on(self) -> date | None: ...
    @property
    def withdrawn_on(self) -> date | None: ...
    @property
    def withdraw_reason(self) -> str: ...


def check_steps(record: _Steps, noun: str) -> None:
    """Check the approval steps of a record that needs approval and public notice (an
    allocation :class:`Plan`, a risk elimination): a status with the dates it needs,
    an approver who is not the maker, a notice from the approval day on, a commit
    after the notice, a withdrawal with its day and reason.

    :raises InvalidValue: naming the field; ``noun`` names the kind of record.
    """
    _check_approval(record, noun)
    committed = record.status is PlanStatus.COMMITTED
    if committed != (record.committed_on is not None):
        raise InvalidValue(
            f"a committed {noun} has its commit day, and only a committed one",
            field="committed_on",
        )
    notice_until, committed_on = record.notice_until, record.committed_on
    if notice_until is not None and committed_on is not None and committed_on <= notice_until:
        raise InvalidValue(
            f"committed {committed_on}, before its notice ended ({notice_until})",
            field="committed_on",
        )
    withdrawn = record.status is PlanStatus.WITHDRAWN
    if withdrawn != (record.withdrawn_on is not None) or withdrawn != bool(
        record.withdraw_reason.strip()
    ):
        raise InvalidValue(
            f"a withdrawn {noun} has the day and the reason it was withdrawn, and only a "
            "withdrawn one",
            field="withdrawn_on",
        )


def _check_approval(record: _Steps, noun: str) -> None:
    given = [record.approved_by, record.approved_on, record.notice_from, record.notice_until]
    approved = record.approved_on is not None
    if any(v is None for v in given) and any(v is not None for v in given):
        raise InvalidValue(
            "an approval names the approver, the day and the notice period",
            field="approved_on",
        )
    if record.status in (PlanStatus.APPROVED, PlanStatus.COMMITTED) and not approved:
        raise InvalidValue(f"a {noun} {record.status} was approved first", field="approved_on")
    if record.status is PlanStatus.PENDING and approved:
        raise InvalidValue(f"an approved {noun} is not pending", field="status")
    if not approved:
        return
    assert record.approved_on is not None
    assert record.notice_from is not None
    assert record.notice_until is not None
    if record.approved_by == record.made_by:
        raise InvalidValue(
            f"{record.made_by} made the {noun} and may not approve it too", field="approved_by"
        )
    if record.approved_on < record.made_on:
        raise InvalidValue(
            f"approved {record.approved_on}, before the {noun} was made ({record.made_on})",
            field="approved_on",
        )
    if not record.approved_on <= record.notice_from <= record.notice_until:
        raise InvalidValue(
            "the notice runs from the approval day or later, and ends on or after it starts",
            field="notice_until",
        )


@frozen
class Plan:
    """An allocation stored for approval and public notice before it grants.

    ``decided_on`` is the allocation's decision day (the rules and amounts in force
    then); ``made_by``/``made_on`` who stored it and when. ``item_count`` is how many
    decisions it made (its :class:`PlanItem` records). Approval (``approved_by``,
    ``approved_on``) starts the notice, ``notice_from`` to ``notice_until``, both
    days included; the plan is committed (``committed_on``) after ``notice_until``, or
    withdrawn (``withdrawn_on``, ``withdraw_reason``). The approver is never the maker.
    """

    plan_id: str = field(validator=id_field)
    program_id: str = field(validator=id_field)
    fund_id: str = field(validator=id_field)
    period: Period
    decided_on: date = field(validator=date_field)
    rule_version: str = field(validator=_filled)
    made_by: str = field(validator=_filled)
    made_on: date = field(validator=date_field)
    item_count: int = field(default=0, validator=_count)
    status: PlanStatus = field(default=PlanStatus.PENDING, converter=enum_field(PlanStatus))  # type: ignore[misc]
    approved_by: str | None = field(default=None, validator=_optional_text)
    approved_on: date | None = field(default=None, validator=optional_date)
    notice_from: date | None = field(default=None, validator=optional_date)
    notice_until: date | None = field(default=None, validator=optional_date)
    committed_on: date | None = field(default=None, validator=optional_date)
    withdrawn_on: date | None = field(default=None, validator=optional_date)
    withdraw_reason: str = field(default="", validator=_text)

    def __attrs_post_init__(self) -> None:
        check_steps(self, "plan")

    @property
    def open(self) -> bool:
        """Whether the plan still reserves money or waits for something (not withdrawn,
        not committed)."""
        return self.status in (PlanStatus.PENDING, PlanStatus.APPROVED)

    def in_notice(self, day: date) -> bool:
        """Whether ``day`` is within the plan's notice period."""
        return (
            self.notice_from is not None
            and self.notice_until is not None
            and self.notice_from <= day <= self.notice_until
        )


@frozen
class PlanItem:
    """One decision of a plan: the decision to store at the commit, and the grant it
    makes (for a granting decision), with where the item is.

    ``household_id`` and ``member_id`` are the decision's (``member_id`` is ``None``
    for a household's decision). ``settled_on`` is the day the item was granted,
    refused, recorded or withdrawn.
    """

    item_id: str = field(validator=id_field)
    plan_id: str = field(validator=id_field)
    household_id: str = field(validator=id_field)
    member_id: str | None = field(validator=_optional_id)
    status: ItemStatus = field(converter=enum_field(ItemStatus))  # type: ignore[misc]
    decision: Decision
    grant: Grant | None = None
    settled_on: date | None = field(default=None, validator=optional_date)

    def __attrs_post_init__(self) -> None:
        d = self.decision
        if (d.household_id, d.member_id) != (self.household_id, self.member_id):
            raise InvalidValue(
                f"the decision is about {d.member_id or d.household_id}, not "
                f"{self.member_id or self.household_id}",
                field="decision",
            )
        granting = self.status in GRANTING or (
            self.status is ItemStatus.WITHDRAWN and d.outcome is Outcome.GRANTED
        )
        if granting != (d.outcome is Outcome.GRANTED) or granting != (self.grant is not None):
            raise InvalidValue(
                f"an item {self.status} of a {d.outcome} decision: a granting decision "
                "has its grant (planned, held, granted, refused or withdrawn), any other "
                "none (noted, recorded or withdrawn)",
                field="status",
            )
        if self.grant is not None:
            self._check_grant(self.grant)
        settled = self.status not in (*RESERVING, ItemStatus.NOTED)
        if settled != (self.settled_on is not None):
            raise InvalidValue(
                "a settled item has the day it was settled, and only a settled one",
                field="settled_on",
            )

    def _check_grant(self, grant: Grant) -> None:
        d = self.decision
        same = (
            grant.decision_id == d.decision_id
            and grant.program_id == d.program_id
            and grant.period == d.period
            and (grant.household_id, grant.member_id) == (d.household_id, d.member_id)
            and grant.in_force
        )
        if not same:
            raise InvalidValue(
                f"grant {grant.grant_id} is not the grant of decision {d.decision_id}",
                field="grant",
            )

    @property
    def amount(self) -> Decimal | None:
        """The planned grant's amount (``None``: the decision grants nothing)."""
        return None if self.grant is None else self.grant.amount

    @property
    def fund_id(self) -> str | None:
        """The fund the planned grant is paid from (``None``: it grants nothing)."""
        return None if self.grant is None else self.grant.fund_id

    @property
    def reserves(self) -> bool:
        """Whether the fund reserves this item's money (planned or held)."""
        return self.status in RESERVING


@frozen
class Objection:
    """An objection to a person or household on a plan's public notice.

    ``objector`` is who objected as they gave their name (may be empty: objections
    may be anonymous); ``statement`` what they said, in their words (like a
    grievance's description it may hold anything, so the audit log keeps only that it
    was set, and outputs scan it). An open objection holds the item it
    names; it is decided (``decided_on``, ``decided_by``, ``decision_reason``) by
    someone in a role that decides, upheld or dismissed.
    """

    objection_id: str = field(validator=id_field)
    plan_id: str = field(validator=id_field)
    household_id: str = field(validator=id_field)
    member_id: str | None = field(validator=_optional_id)
    received_on: date = field(validator=date_field)
    statement: str = field(validator=_filled)
    objector: str = field(default="", validator=_text)
    status: ObjectionStatus = field(
        default=ObjectionStatus.OPEN,
        converter=enum_field(ObjectionStatus),  # type: ignore[misc]
    )
    decided_on: date | None = field(default=None, validator=optional_date)
    decided_by: str | None = field(default=None, validator=_optional_text)
    decision_reason: str = field(default="", validator=_text)

    def __attrs_post_init__(self) -> None:
        decided = self.status is not ObjectionStatus.OPEN
        given = [self.decided_on is not None, self.decided_by is not None]
        given.append(bool(self.decision_reason.strip()))
        if any(v != decided for v in given):
            raise InvalidValue(
                "a decided objection has the day, who decided and why, and only a decided one",
                field="decided_on",
            )
        if self.decided_on is not None and self.decided_on < self.received_on:
            raise InvalidValue(
                f"decided {self.decided_on}, before it was received ({self.received_on})",
                field="decided_on",
            )

    @property
    def is_open(self) -> bool:
        """Whether the objection still waits for its decision."""
        return self.status is ObjectionStatus.OPEN
