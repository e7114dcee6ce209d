"""Campaign windows: named date ranges and member activity days.

Work is timed to when people are home or needs peak: migrant workers returning for
the Spring Festival, school holidays, spring ploughing, winter. A *member activity
day* (委员活动日) is an organised group visit on one day; activities logged as part
of it name it in ``Activity.event``. Reports count the work done in each window.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from enum import StrEnum
from typing import Any

from attrs import Attribute, field, frozen

from jieqin.errors import InvalidValue
from jieqin.model._fields import date_field, id_field, text_field
from jieqin.model.regions import RegionCode

__all__ = [
    "CampaignCalendar",
    "CampaignWindow",
    "WindowKind",
    "standard_windows",
]


class WindowKind(StrEnum):
    """What sort of window a date range is."""

    SEASON = "season"
    """A stretch of the year when certain work is due (返乡, 放假, 春耕, 冬季)."""
    ACTIVITY_DAY = "activity_day"
    """A member activity day (委员活动日): an organised group visit."""


def _window_kind(value: object) -> WindowKind:
    try:
        return WindowKind(str(value))
    except ValueError:
        allowed = ", ".join(k.value for k in WindowKind)
        raise InvalidValue(f"{value!r} is not one of: {allowed}", field="kind") from None


def _end_after_start(instance: CampaignWindow, attribute: Attribute[Any], value: date) -> None:
    date_field(instance, attribute, value)
    if value < instance.start:
        raise InvalidValue(
            f"window ends {value.isoformat()} before it starts {instance.start.isoformat()}",
            field=attribute.name,
        )


@frozen(order=True)
class CampaignWindow:
    """A named date range (both ends included), optionally limited to one region."""

    start: date = field(validator=date_field)
    end: date = field(validator=_end_after_start)
    window_id: str = field(validator=id_field)
    name: str = field(validator=text_field)
    kind: WindowKind = field(default=WindowKind.SEASON, converter=_window_kind)
    region: RegionCode | None = field(default=None, order=False)

    @classmethod
    def activity_day(
        cls, window_id: str, on: date, name: str, *, region: RegionCode | None = None
    ) -> CampaignWindow:
        """A member activity day on ``on``."""
        return cls(on, on, window_id, name, WindowKind.ACTIVITY_DAY, region)

    def contains(self, day: date, region: RegionCode | None = None) -> bool:
        """Whether ``day`` (in ``region``, when both are limited) falls in this window."""
        if not self.start <= day <= self.end:
            return False
        return self.region is None or region is None or self.region.contains(region)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class CampaignCalendar:
    """The windows of a campaign, in date order; what a plugin's ``register`` adds to."""

    def __init__(self, windows: Iterable[CampaignWindow] = ()) -> None:
        self._windows: dict[str, CampaignWindow] = {}
        for window in windows:
            self.register(window)

    def register(self, window: CampaignWindow) -> None:
        """Add a window; a window with a known id replaces the old one."""
        if not isinstance(window, CampaignWindow):
            raise InvalidValue(
                f"expected a CampaignWindow, got {type(window).__name__}", field="window"
            )
        self._windows[window.window_id] = window

    def __iter__(self) -> Iterator[CampaignWindow]:
        return iter(sorted(self._windows.values()))

    def __len__(self) -> int:
        return len(self._windows)

    def get(self, window_id: str) -> CampaignWindow | None:
        return self._windows.get(window_id)

    def on(self, day: date, region: RegionCode | None = None) -> tuple[CampaignWindow, ...]:
        """The windows ``day`` falls in."""
        return tuple(w for w in self if w.contains(day, region))

    def between(self, first: date, last: date) -> tuple[CampaignWindow, ...]:
        """The windows that overlap ``first`` .. ``last``."""
        return tuple(w for w in self if w.start <= last and w.end >= first)

    def activity_days(self) -> tuple[CampaignWindow, ...]:
        return tuple(w for w in self if w.kind is WindowKind.ACTIVITY_DAY)


def standard_windows(year: int) -> tuple[CampaignWindow, ...]:
    """Typical windows of a campaign year; regions register their own exact dates.

    The Spring Festival moves with the lunar calendar, so the return of migrant
    workers is given as the widest usual stretch (mid-January to the end of February).
    """
    return (
        CampaignWindow(
            date(year, 1, 10), date(year, 2, 28), f"migrant_return_{year}", "migrant workers home"
        ),
        CampaignWindow(
            date(year, 1, 15), date(year, 2, 25), f"winter_holiday_{year}", "school winter holiday"
        ),
        CampaignWindow(
            date(year, 3, 1), date(year, 4, 30), f"spring_ploughing_{year}", "spring ploughing"
        ),
        CampaignWindow(
            date(year, 7, 10), date(year, 8, 31), f"summer_holiday_{year}", "school summer holiday"
        ),
        CampaignWindow(
            date(year, 11, 15), date(year, 12, 31), f"winter_{year}", "safe and warm winter"
        ),
    )
