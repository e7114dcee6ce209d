"""Monitoring against a return to poverty (防返贫监测): observations and warnings.

An :class:`Observation` is a dated fact about a household's income or rigid
expenditure over a period (a year, a quarter or a month): per capita net income, or
what the household spent on medical care, schooling, or lost to a disaster; or an
event of one member in the period (diagnosed with a major illness, newly disabled,
dropped out of school). It comes
from a source (the household's own declaration, a needs survey, a helper's visit, or
another department's feed) and, when a feed delivered it, carries the feed's own
record id so that delivering the same row again changes nothing. Medical
expenditure is a health fact: its amount (and the member it was for) is masked in
every output like a diagnosis; a major illness or a disability is a health fact by
being there at all: left out of masked outputs.

A :class:`RiskWarning` is raised when a warning rule holds for a household on a day,
and then moves forward through its lifecycle, each step dated and signed::

    raised -> assigned -> checked -> confirmed | dismissed

It is assigned to the paired helper (or the township's clerk where the household has
no helper), checked at home by its ``check_due`` day (the ``warning_check_days``
parameter in force on the day it was raised), and then confirmed as a monitoring
category (the household's status changes from that day) or dismissed with a reason.
A step never moves back and a step's facts never change once recorded.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from attrs import Attribute, field, frozen

from jieqin.errors import InvalidValue
from jieqin.model._fields import (
    MASKED,
    MAX_TEXT,
    MONEY,
    code_field,
    date_field,
    enum_field,
    id_field,
    nonnegative,
    optional_date,
    optional_id,
)
from jieqin.model.periods import Month, Period, Quarter, Year

__all__ = [
    "HEALTH_EVENTS",
    "MEMBER_EVENTS",
    "NEXT_WARNING_STATUSES",
    "SENSITIVE_KINDS",
    "Observation",
    "ObservationKind",
    "ObservationSource",
    "RiskWarning",
    "WarningStatus",
    "feed_observation_id",
]


class ObservationKind(StrEnum):
    """What an observation measures (amounts in yuan over its period)."""

    INCOME = "income"
    """人均纯收入: the household's net income per person over the period."""
    MEDICAL = "medical"
    """医疗支出: medical expenditure the household bore itself (a health fact)."""
    SCHOOLING = "schooling"
    """教育支出: schooling expenditure."""
    DISASTER_LOSS = "disaster_loss"
    """灾害损失: what a disaster or accident cost the household."""
    MAJOR_ILLNESS = "major_illness"
    """确诊大病: a member was diagnosed with a major illness in the period (a member
    event: names the member; its amount is 0 or the first cost; a health fact)."""
    DISABILITY = "disability"
    """新增残疾: a member became disabled in the period (a member event; a health fact)."""
    SCHOOL_DROPOUT = "school_dropout"
    """辍学: a member of school age left school in the period (a member event)."""


#: The kinds of observation that tell a health fact (masked like a diagnosis).
SENSITIVE_KINDS = frozenset(
    {ObservationKind.MEDICAL, ObservationKind.MAJOR_ILLNESS, ObservationKind.DISABILITY}
)
#: The kinds that are events of one member (``member_id`` required).
MEMBER_EVENTS = frozenset(
    {ObservationKind.MAJOR_ILLNESS, ObservationKind.DISABILITY, ObservationKind.SCHOOL_DROPOUT}
)
#: The kinds whose very existence is a health fact: left out of masked outputs, their
#: kind masked in the audit log.
HEALTH_EVENTS = frozenset({ObservationKind.MAJOR_ILLNESS, ObservationKind.DISABILITY})
_MASKED_AMOUNT = frozenset({"amount"})
_MASKED_EVENT = frozenset({"amount", "kind"})


class ObservationSource(StrEnum):
    """Where an observation came from."""

    DECLARATION = "declaration"
    """农户自主申报: the household declared it."""
    SURVEY = "survey"
    """入户调查: a needs or income survey."""
    VISIT = "visit"
    """帮扶走访: a helper saw it on a visit."""
    FEED = "feed"
    """部门数据: another department's system delivered it (medical insurance, civil
    affairs, education, the disability federation, the police)."""


def _periods_per_year(period: Period) -> int:
    if isinstance(period, Year):
        return 1
    if isinstance(period, Quarter):
        return 4
    assert isinstance(period, Month)
    return 12


def _text(instance: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise InvalidValue("must be text", field=attribute.name)
    if len(value) > MAX_TEXT:
        raise InvalidValue(
            f"is {len(value)} characters long; at most {MAX_TEXT}", field=attribute.name
        )


def _optional_text(instance: object, attribute: Attribute[Any], value: object) -> None:
    if value is not None:
        _text(instance, attribute, value)
        assert isinstance(value, str)
        if not value.strip():
            raise InvalidValue("must be non-empty text", field=attribute.name)


def feed_observation_id(feed: str, feed_record: str) -> str:
    """The id of the observation a feed delivered as ``feed_record``: the same row
    delivered again gets the same id (``ob:`` and 24 hex digits of a digest)."""
    text = json.dumps([feed, feed_record], ensure_ascii=False)
    return f"ob:{hashlib.sha256(text.encode()).hexdigest()[:24]}"


@frozen(repr=False)
class Observation:
    """A household's income or rigid expenditure over ``period``, as ``source`` saw it.

    ``amount`` is in yuan over the period (for ``income``, per person). ``member_id``
    names the member a medical or schooling expenditure was for, when known.
    ``feed`` and ``feed_record`` name the department's feed and its own record id for
    an observation a feed delivered (both or neither); the pair is unique, so a row
    delivered twice is stored once. ``recorded_on`` is the day it entered jieqin.
    """

    observation_id: str = field(validator=id_field)
    household_id: str = field(validator=id_field)
    kind: ObservationKind = field(converter=enum_field(ObservationKind))  # type: ignore[misc]
    period: Period
    amount: Decimal = field(converter=MONEY, validator=nonnegative)  # type: ignore[misc]
    source: ObservationSource = field(converter=enum_field(ObservationSource))  # type: ignore[misc]
    recorded_on: date = field(validator=date_field)
    member_id: str | None = field(default=None, validator=optional_id)
    feed: str | None = field(default=None, validator=_optional_text)
    feed_record: str | None = field(default=None, validator=_optional_text)
    note: str = field(default="", validator=_text)

    def __attrs_post_init__(self) -> None:
        if self.kind in MEMBER_EVENTS and self.member_id is None:
            raise InvalidValue(
                f"a {self.kind.value} observation is an event of one member: name the member",
                field="member_id",
            )
        if (self.feed is None) != (self.feed_record is None):
            raise InvalidValue(
                "a feed's observation names the feed and its record id, and only a feed's",
                field="feed_record",
            )
        if self.feed is not None and self.source is not ObservationSource.FEED:
            raise InvalidValue(
                f"an observation from feed {self.feed} has source 'feed', not {self.source}",
                field="source",
            )

    @property
    def sensitive(self) -> bool:
        """Whether the observation tells a health fact (masked in outputs)."""
        return self.kind in SENSITIVE_KINDS

    @property
    def masked_fields(self) -> frozenset[str]:
        """The fields masked in every output: the amount of a health fact."""
        if self.kind in HEALTH_EVENTS:
            return _MASKED_EVENT
        return _MASKED_AMOUNT if self.sensitive else frozenset()

    def __repr__(self) -> str:
        hidden = self.masked_fields
        shown = ", ".join(
            f"{a.name}={MASKED if a.name in hidden else repr(getattr(self, a.name))}"
            for a in self.__attrs_attrs__
        )
        return f"Observation({shown})"

    @property
    def annual_amount(self) -> Decimal:
        """The amount at a yearly rate (a month's times 12, a quarter's times 4)."""
        return self.amount * _periods_per_year(self.period)


class WarningStatus(StrEnum):
    """Where a warning is; it only moves forward (see :data:`NEXT_WARNING_STATUSES`)."""

    RAISED = "raised"
    """预警: a warning rule held for the household on the day."""
    ASSIGNED = "assigned"
    """已分派: given to the paired helper, or the township's clerk."""
    CHECKED = "checked"
    """已核实: the household was checked at home."""
    CONFIRMED = "confirmed"
    """确认纳入监测: confirmed as a monitoring category; the household's status changed."""
    DISMISSED = "dismissed"
    """排除: the check found no risk; the reason is recorded."""


#: The statuses each status may move to.
NEXT_WARNING_STATUSES: dict[WarningStatus, frozenset[WarningStatus]] = {
    WarningStatus.RAISED: frozenset({WarningStatus.ASSIGNED}),
    WarningStatus.ASSIGNED: frozenset({WarningStatus.CHECKED}),
    WarningStatus.CHECKED: frozenset({WarningStatus.CONFIRMED, WarningStatus.DISMISSED}),
    WarningStatus.CONFIRMED: frozenset(),
    WarningStatus.DISMISSED: frozenset(),
}

_ORDER = tuple(WarningStatus)


def _rules(values: object) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, tuple | list | frozenset | set):
        raise InvalidValue("must be a list of warning rule codes", field="rules")
    return tuple(sorted({str(v) for v in values}))


@frozen
class RiskWarning:
    """A warning that a household may slide back into poverty, and what became of it.

    ``rules`` are the codes of the warning rules that held (at least one); ``period``
    the observation period evaluated; ``raised_on`` the day they were evaluated for.
    ``check_due`` is the last day the home check is due. ``assigned_to`` is a helper
    id or ``township:<code>`` for the township's clerk. A confirmed warning names the
    ``category`` (a monitored household status code); a dismissed one its
    ``reason``. ``check_note`` is what the checker wrote (free text: masked in
    listings, like a grievance's description).
    """

    warning_id: str = field(validator=id_field)
    household_id: str = field(validator=id_field)
    rules: tuple[str, ...] = field(converter=_rules)
    period: Period
    raised_on: date = field(validator=date_field)
    check_due: date = field(validator=date_field)
    status: WarningStatus = field(
        default=WarningStatus.RAISED,
        converter=enum_field(WarningStatus),  # type: ignore[misc]
    )
    assigned_to: str | None = field(default=None, validator=_optional_text)
    assigned_on: date | None = field(default=None, validator=optional_date)
    checked_by: str | None = field(default=None, validator=_optional_text)
    checked_on: date | None = field(default=None, validator=optional_date)
    check_note: str = field(default="", validator=_text)
    decided_by: str | None = field(default=None, validator=_optional_text)
    decided_on: date | None = field(default=None, validator=optional_date)
    category: str | None = field(default=None)
    reason: str = field(default="", validator=_text)

    def __attrs_post_init__(self) -> None:
        if not self.rules:
            raise InvalidValue("names at least one warning rule", field="rules")
        for rule in self.rules:
            code_field(self, _RULES_ATTRIBUTE, rule)
        if self.check_due < self.raised_on:
            raise InvalidValue(
                f"due {self.check_due}, before it was raised ({self.raised_on})",
                field="check_due",
            )
        at = _ORDER.index(self.status)
        self._step(at >= 1, "assigned", self.assigned_to, self.assigned_on, self.raised_on)
        self._step(at >= 2, "checked", self.checked_by, self.checked_on, self.assigned_on)
        decided = self.status in (WarningStatus.CONFIRMED, WarningStatus.DISMISSED)
        self._step(decided, "decided", self.decided_by, self.decided_on, self.checked_on)
        confirmed = self.status is WarningStatus.CONFIRMED
        if confirmed != (self.category is not None):
            raise InvalidValue(
                "a confirmed warning names its monitoring category, and only a confirmed one",
                field="category",
            )
        if self.category is not None:
            code_field(self, _CATEGORY_ATTRIBUTE, self.category)
        dismissed = self.status is WarningStatus.DISMISSED
        if dismissed != bool(self.reason.strip()):
            raise InvalidValue(
                "a dismissed warning says why, and only a dismissed one", field="reason"
            )

    def _step(
        self, reached: bool, name: str, who: str | None, day: date | None, before: date | None
    ) -> None:
        if reached != (who is not None) or reached != (day is not None):
            raise InvalidValue(
                f"a warning {name} has who and when, and only one that reached that step",
                field=f"{name}_on",
            )
        if day is not None and before is not None and day < before:
            raise InvalidValue(
                f"{name} {day}, before the step before it ({before})", field=f"{name}_on"
            )

    @property
    def is_open(self) -> bool:
        """Whether the warning still waits for its check or its decision."""
        return self.status not in (WarningStatus.CONFIRMED, WarningStatus.DISMISSED)

    def overdue_on(self, day: date) -> bool:
        """Whether the home check is overdue on ``day``: not checked by its due day."""
        checked = self.checked_on is not None and self.checked_on <= day
        return day > self.check_due and not checked


_RULES_ATTRIBUTE: Attribute[Any] = RiskWarning.__attrs_attrs__.rules
_CATEGORY_ATTRIBUTE: Attribute[Any] = RiskWarning.__attrs_attrs__.category
