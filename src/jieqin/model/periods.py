"""Reporting and programme periods as explicit types: a year, a quarter, a month.

Each period knows its first and last day and prints as the text it is parsed from:
``2021``, ``2021Q1``, ``2021-03``.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from enum import StrEnum
from typing import ClassVar, TypeAlias

from attrs import field, frozen, validators

from jieqin.errors import InvalidPeriod
from jieqin.i18n import N_

__all__ = ["Month", "Period", "PeriodKind", "Quarter", "Year", "parse_period", "period_containing"]


class PeriodKind(StrEnum):
    """The granularity of a period."""

    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


_year_range = validators.and_(validators.instance_of(int), validators.ge(1900), validators.le(2999))


@frozen(order=True)
class Year:
    """A calendar year."""

    year: int = field(validator=_year_range)

    kind: ClassVar[PeriodKind] = PeriodKind.YEAR

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.year, 12, 31)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def quarters(self) -> tuple[Quarter, ...]:
        return tuple(Quarter(self.year, q) for q in range(1, 5))

    def months(self) -> tuple[Month, ...]:
        return tuple(Month(self.year, m) for m in range(1, 13))

    def __str__(self) -> str:
        return f"{self.year:04d}"


@frozen(order=True)
class Quarter:
    """A calendar quarter, 1 to 4."""

    year: int = field(validator=_year_range)
    quarter: int = field(
        validator=[validators.instance_of(int), validators.ge(1), validators.le(4)]
    )

    kind: ClassVar[PeriodKind] = PeriodKind.QUARTER

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> date:
        month = 3 * self.quarter
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> tuple[Month, ...]:
        return tuple(Month(self.year, m) for m in range(3 * self.quarter - 2, 3 * self.quarter + 1))

    def __str__(self) -> str:
        return f"{self.year:04d}Q{self.quarter}"


@frozen(order=True)
class Month:
    """A calendar month, 1 to 12."""

    year: int = field(validator=_year_range)
    month: int = field(validator=[validators.instance_of(int), validators.ge(1), validators.le(12)])

    kind: ClassVar[PeriodKind] = PeriodKind.MONTH

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def quarter(self) -> Quarter:
        return Quarter(self.year, (self.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


Period: TypeAlias = Year | Quarter | Month

_PATTERN = re.compile(r"^(\d{4})(?:Q([1-4])|-(\d{2}))?$")


def parse_period(text: str, *, field: str = "period") -> Period:
    """Parse ``"2021"``, ``"2021Q1"`` or ``"2021-03"``; raise :class:`InvalidPeriod` otherwise."""
    if not isinstance(text, str):
        raise InvalidPeriod(
            N_("expected text such as '2021', '2021Q1' or '2021-03', got {text}", text=repr(text)),
            field=field,
        )
    match = _PATTERN.match(text.strip().upper())
    if match is None:
        raise InvalidPeriod(
            N_("invalid period {text}; expected '2021', '2021Q1' or '2021-03'", text=repr(text)),
            field=field,
        )
    year = int(match.group(1))
    try:
        if match.group(2):
            return Quarter(year, int(match.group(2)))
        if match.group(3):
            return Month(year, int(match.group(3)))
        return Year(year)
    except ValueError as exc:
        raise InvalidPeriod(
            N_(
                "invalid period {text} ({error}); expected '2021', '2021Q1' or '2021-03'",
                text=repr(text),
                error=str(exc),
            ),
            field=field,
        ) from None


def period_containing(day: date, kind: PeriodKind | str) -> Period:
    """The year, quarter or month that ``day`` falls in."""
    kind = PeriodKind(kind)
    if kind is PeriodKind.YEAR:
        return Year(day.year)
    if kind is PeriodKind.QUARTER:
        return Quarter(day.year, (day.month - 1) // 3 + 1)
    return Month(day.year, day.month)
