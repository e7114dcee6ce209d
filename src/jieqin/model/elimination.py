"""Risk elimination (风险消除): a monitored household leaves monitoring, on evidence and
after approval and public notice.

An :class:`Elimination` proposes that one monitored household leave monitoring. It
carries its evidence: for each of the last ``stability_months`` months (the
parameter in force on the day it was made), the household's income per person at a
yearly rate and the monitoring line in force, the income above the line every month
(:class:`StableMonth`); and the home check that confirmed it (who, which day, what
they wrote). Then it goes through the same steps as an allocation plan
(:mod:`jieqin.model.plans`), with the same statuses and the same checks
(:func:`~jieqin.model.plans.check_steps`):

1. someone other than its maker, in a role that decides, approves it, and the public
   notice (公示) runs from ``notice_from`` to ``notice_until``;
2. during the notice anyone may object; an open :class:`~jieqin.model.Objection`
   (its ``plan_id`` is the elimination's id) holds the elimination; an objection
   upheld withdraws it (the household stays monitored), one dismissed lets it go on;
3. after the notice it is committed: the household's status changes to
   ``to_status`` (a status not monitored) from the commit day, the status change's
   note naming each step; or it is withdrawn, saying why.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from attrs import Attribute, field, frozen

from jieqin.errors import InvalidValue
from jieqin.model._fields import (
    MAX_TEXT,
    MONEY,
    code_field,
    date_field,
    enum_field,
    id_field,
    nonnegative,
    optional_date,
)
from jieqin.model.periods import Month
from jieqin.model.plans import Objection, PlanStatus, check_steps

__all__ = ["Elimination", "StableMonth"]


def _text(instance: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise InvalidValue("must be text", field=attribute.name)
    if len(value) > MAX_TEXT:
        raise InvalidValue(
            f"is {len(value)} characters long; at most {MAX_TEXT}", field=attribute.name
        )


def _filled(instance: object, attribute: Attribute[Any], value: object) -> None:
    _text(instance, attribute, value)
    assert isinstance(value, str)
    if not value.strip():
        raise InvalidValue("must be non-empty text", field=attribute.name)


def _optional_text(instance: object, attribute: Attribute[Any], value: object) -> None:
    if value is not None:
        _filled(instance, attribute, value)


def _month(instance: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, Month):
        raise InvalidValue(f"must be a month, not {value!r}", field=attribute.name)


@frozen
class StableMonth:
    """One month of the stability evidence: the household's ``income`` per person at
    a yearly rate (the month's observations), and the monitoring ``line`` in force."""

    month: Month = field(validator=_month)
    income: Decimal = field(converter=MONEY, validator=nonnegative)  # type: ignore[misc]
    line: Decimal = field(converter=MONEY, validator=nonnegative)  # type: ignore[misc]

    def __attrs_post_init__(self) -> None:
        if self.income <= self.line:
            raise InvalidValue(
                f"{self.month}: income {self.income} is not above the line {self.line}",
                field="income",
            )


def _months(values: object) -> tuple[StableMonth, ...]:
    if isinstance(values, str) or not isinstance(values, tuple | list):
        raise InvalidValue("must be a list of months", field="stable_months")
    return tuple(values)


def _objections(values: object) -> tuple[Objection, ...]:
    if isinstance(values, str) or not isinstance(values, tuple | list):
        raise InvalidValue("must be a list of objections", field="objections")
    return tuple(values)


@frozen
class Elimination:
    """A proposal that ``household_id`` leave monitoring, and where it is.

    ``from_status`` is the monitored status it had when the proposal was made,
    ``to_status`` the status it takes at the commit. ``stable_months`` the evidence,
    oldest first, consecutive, ending with the month before ``made_on``. The home
    check: ``checked_by`` (a helper id, ``township:<code>`` or the actor who did it),
    ``checked_on`` (on or before ``made_on``), ``check_note`` (free text). The steps'
    fields are a plan's (:class:`~jieqin.model.Plan`); ``objections`` are those
    received during the notice, numbered ``o:<elimination id>:<n>``.
    """

    elimination_id: str = field(validator=id_field)
    household_id: str = field(validator=id_field)
    from_status: str = field(validator=code_field)
    to_status: str = field(validator=code_field)
    stable_months: tuple[StableMonth, ...] = field(converter=_months)
    checked_by: str = field(validator=_filled)
    checked_on: date = field(validator=date_field)
    made_by: str = field(validator=_filled)
    made_on: date = field(validator=date_field)
    check_note: str = field(default="", validator=_text)
    status: PlanStatus = field(default=PlanStatus.PENDING, converter=enum_field(PlanStatus))  # type: ignore[misc]
    approved_by: str | None = field(default=None, validator=_optional_text)
    approved_on: date | None = field(default=None, validator=optional_date)
    notice_from: date | None = field(default=None, validator=optional_date)
    notice_until: date | None = field(default=None, validator=optional_date)
    committed_on: date | None = field(default=None, validator=optional_date)
    withdrawn_on: date | None = field(default=None, validator=optional_date)
    withdraw_reason: str = field(default="", validator=_text)
    objections: tuple[Objection, ...] = field(default=(), converter=_objections)

    def __attrs_post_init__(self) -> None:
        check_steps(self, "elimination")
        if self.from_status == self.to_status:
            raise InvalidValue(
                f"leaves monitoring: its new status is not {self.from_status} again",
                field="to_status",
            )
        if not self.stable_months:
            raise InvalidValue("names the months of stable income", field="stable_months")
        for i, month in enumerate(self.stable_months):
            if not isinstance(month, StableMonth):
                raise InvalidValue("must be a stable month", field=f"stable_months[{i}]")
            if i and _next(self.stable_months[i - 1].month) != month.month:
                raise InvalidValue(
                    "the months of stable income are consecutive, oldest first",
                    field=f"stable_months[{i}]",
                )
        if self.stable_months[-1].month.end >= self.made_on:
            raise InvalidValue(
                f"the stable months end before the month it was made ({self.made_on})",
                field="stable_months",
            )
        if self.checked_on > self.made_on:
            raise InvalidValue(
                f"checked {self.checked_on}, after it was made ({self.made_on})",
                field="checked_on",
            )
        self._check_objections()

    def _check_objections(self) -> None:
        for i, objection in enumerate(self.objections):
            if not isinstance(objection, Objection):
                raise InvalidValue("must be an objection", field=f"objections[{i}]")
            if (objection.plan_id, objection.household_id) != (
                self.elimination_id,
                self.household_id,
            ) or objection.member_id is not None:
                raise InvalidValue(
                    f"objection {objection.objection_id} is not to this elimination",
                    field=f"objections[{i}]",
                )
            if not self.in_notice(objection.received_on):
                raise InvalidValue(
                    f"objection {objection.objection_id} was received on "
                    f"{objection.received_on}, outside the notice",
                    field=f"objections[{i}]",
                )
        if self.status is PlanStatus.COMMITTED and self.held:
            raise InvalidValue("a committed elimination has no open objection", field="objections")

    @property
    def open(self) -> bool:
        """Whether it still waits for its approval, notice or commit."""
        return self.status in (PlanStatus.PENDING, PlanStatus.APPROVED)

    @property
    def held(self) -> bool:
        """Whether an open objection holds it (it is not committed until decided)."""
        return any(o.is_open for o in self.objections)

    def in_notice(self, day: date) -> bool:
        """Whether ``day`` is within its notice period."""
        return (
            self.notice_from is not None
            and self.notice_until is not None
            and self.notice_from <= day <= self.notice_until
        )

    @property
    def stable_from(self) -> Month:
        """The first month of the evidence."""
        return self.stable_months[0].month

    @property
    def stable_until(self) -> Month:
        """The last month of the evidence."""
        return self.stable_months[-1].month


def _next(month: Month) -> Month:
    return Month(month.year + 1, 1) if month.month == 12 else Month(month.year, month.month + 1)
