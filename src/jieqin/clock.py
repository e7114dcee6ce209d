"""What day it is: one clock the write path asks, injectable for tests.

No record may be dated after today (an activity, a need, a grant), so every path
that writes asks the campaign's clock rather than the system's date directly; a
test gives the campaign a :class:`FixedClock`.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from attrs import frozen

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    """Something that knows today's date."""

    def today(self) -> date:
        """Today."""
        ...


class SystemClock:
    """The date of the machine jieqin runs on."""

    def today(self) -> date:
        return date.today()

    def __repr__(self) -> str:
        return "SystemClock()"


@frozen
class FixedClock:
    """A clock stopped on ``day`` (for tests, and for replaying a past year)."""

    day: date

    def today(self) -> date:
        return self.day
