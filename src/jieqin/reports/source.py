"""What a report needs from where the data is: aggregates, never rows.

A :class:`ReportSource` answers a handful of grouped counts for a date range: every
storage backend's read model does (:class:`jieqin.storage.base.ReadModel`), the SQL
backend from tallies it keeps as it writes, the memory backends by counting their
records, with the same numbers.

Region keys are county codes (six digits, GB/T 2260) of the household, or of the
helper's home region for helper counts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

from jieqin.storage.base import (
    ActivityKey,
    EliminationKey,
    GrantKey,
    GrievanceKey,
    MonitoredKey,
    NeedKey,
    PaymentKey,
    WarningKey,
)

__all__ = [
    "ActivityKey",
    "EliminationKey",
    "GrantKey",
    "GrievanceKey",
    "MonitoredKey",
    "NeedKey",
    "PaymentKey",
    "ReportSource",
    "WarningKey",
]


class ReportSource(Protocol):
    """Grouped counts over ``first`` .. ``last`` (both days included)."""

    def helpers(self, first: date, last: date) -> dict[tuple[str, str], int]:
        """Helpers with a pairing active in the range, by (home county, tier)."""
        ...

    def households(self, first: date, last: date) -> dict[str, int]:
        """Households with a pairing active in the range, by county."""
        ...

    def activities(self, first: date, last: date) -> dict[ActivityKey, int]:
        """Activities dated in the range, by month, household county, kind and helper tier."""
        ...

    def needs(self, first: date, last: date) -> dict[NeedKey, int]:
        """Needs raised in the range, by county, kind and where they were routed."""
        ...

    def referrals(self, first: date, last: date) -> dict[tuple[str, str], int]:
        """Referrals made in the range, by county and agency."""
        ...

    def grants(self, first: date, last: date) -> dict[GrantKey, tuple[int, Decimal]]:
        """Grants decided in the range: (count, amount) by county, program and funder."""
        ...

    def payments(self, first: date, last: date) -> dict[PaymentKey, tuple[int, Decimal]]:
        """The same grants: (count, amount) by county, program and payment state
        (``unpaid``, ``paid``, ``returned``)."""
        ...

    def grievances(self, first: date, last: date) -> dict[GrievanceKey, int]:
        """Grievances received in the range, by county, category and answer
        (``on_time``, ``late``, ``unanswered``)."""
        ...

    def monitored_households(
        self, first: date, last: date, monitored: frozenset[str]
    ) -> dict[MonitoredKey, int]:
        """Households monitored on a day of the range, by county, their last monitored
        status in the range and ``at_end`` (still monitored on its last day) or ``left``."""
        ...

    def warnings(self, first: date, last: date) -> dict[WarningKey, int]:
        """Risk warnings raised in the range, by county, home check (``on_time``,
        ``late``, ``unchecked``) and outcome (``open``, ``confirmed``, ``dismissed``)."""
        ...

    def eliminations(self, first: date, last: date) -> dict[EliminationKey, int]:
        """Risk eliminations committed in the range, by county and category left."""
        ...
