"""A year of helpers' activities, dated and clustered the way the campaign works.

The number of each kind is given (the brief's 2021 totals); what is drawn is when
and with whom. Every activity refers to a pairing active on its date, and the dates
crowd into the campaign windows: migrant workers home for the Spring Festival,
spring ploughing, the summer school holiday and winter, plus the member activity
days, when council members visit their households together.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

from attrs import frozen

from jieqin import Activity, ActivityKind, Need, Pairing

__all__ = [
    "ACTIVITIES_2021",
    "MEMBER_ACTIVITY_DAYS_2021",
    "WINDOWS_2021",
    "SeasonWindow",
    "plan_activities",
]

#: The brief's 2021 totals of each kind of activity.
ACTIVITIES_2021: Mapping[str, int] = {
    ActivityKind.CONTACT: 6087,
    ActivityKind.VISIT: 4164,
    ActivityKind.POLICY_EXPLANATION: 3095,
    ActivityKind.WARMTH: 2013,
    ActivityKind.PRACTICAL_HELP: 1147,
}


@frozen
class SeasonWindow:
    """A stretch of the year when work of each kind is ``boost`` times as likely per day."""

    window_id: str
    name: str
    start: date
    end: date
    boost: Mapping[str, float]


WINDOWS_2021: tuple[SeasonWindow, ...] = (
    SeasonWindow(
        "migrant_return_2021",
        "Spring Festival: migrant workers and students home",
        date(2021, 1, 25),
        date(2021, 2, 26),
        {
            "contact": 1.5,
            "visit": 3.0,
            "policy_explanation": 1.5,
            "warmth": 8.0,
            "practical_help": 1.5,
        },
    ),
    SeasonWindow(
        "spring_ploughing_2021",
        "spring ploughing",
        date(2021, 3, 1),
        date(2021, 4, 30),
        {
            "contact": 1.3,
            "visit": 2.0,
            "policy_explanation": 2.5,
            "warmth": 1.0,
            "practical_help": 2.5,
        },
    ),
    SeasonWindow(
        "summer_holiday_2021",
        "school summer holiday",
        date(2021, 7, 10),
        date(2021, 8, 31),
        {
            "contact": 1.3,
            "visit": 2.5,
            "policy_explanation": 2.0,
            "warmth": 1.5,
            "practical_help": 1.5,
        },
    ),
    SeasonWindow(
        "winter_2021",
        "safe and warm winter",
        date(2021, 11, 15),
        date(2021, 12, 31),
        {
            "contact": 1.5,
            "visit": 3.0,
            "policy_explanation": 2.0,
            "warmth": 8.0,
            "practical_help": 2.0,
        },
    ),
)

#: Member activity days (委员活动日) of 2021: group visits, one a quarter.
MEMBER_ACTIVITY_DAYS_2021: tuple[date, ...] = (
    date(2021, 3, 25),
    date(2021, 6, 24),
    date(2021, 9, 23),
    date(2021, 12, 16),
)

#: Base weight of a day outside every window, by kind (warmth is seasonal).
_BASE = {"warmth": 0.25}
#: Share of visits made on member activity days.
_ACTIVITY_DAY_SHARE = 0.12

_NOTES = {
    "contact": ("电话问候近况", "微信了解家中情况", "电话询问务工情况", "电话提醒防疫事项"),
    "visit": ("入户走访", "入户了解生产生活", "走访并查看住房", "入户座谈"),
    "policy_explanation": (
        "宣讲医保报销政策",
        "讲解教育资助政策",
        "宣传就业补贴政策",
        "讲解养老保险政策",
    ),
    "warmth": ("送米面油", "送棉被棉衣", "节日慰问", "送取暖煤"),
    "practical_help": ("协助办理业务", "联系农技指导", "帮助销售农产品", "协助修缮房屋"),
}


def _days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year, 12, 31) - first).days + 1)]


def _cumulative(kind: str, days: Sequence[date], windows: Sequence[SeasonWindow]) -> list[float]:
    """Running total of per-day weights, for drawing dates inside any date range."""
    total = 0.0
    out: list[float] = []
    for day in days:
        weight = _BASE.get(kind, 1.0)
        for window in windows:
            if window.start <= day <= window.end:
                weight = max(weight, _BASE.get(kind, 1.0) * window.boost.get(kind, 1.0))
        total += weight
        out.append(total)
    return out


def _draw(rng: random.Random, cumulative: Sequence[float], lo: int, hi: int) -> int:
    """A day index in ``lo..hi`` drawn with the per-day weights."""
    below = cumulative[lo - 1] if lo else 0.0
    point = below + rng.random() * (cumulative[hi] - below)
    return min(hi, max(lo, bisect.bisect_left(cumulative, point, lo, hi + 1)))


def _shares(rng: random.Random, total: int, slots: int) -> list[int]:
    """Split ``total`` over ``slots`` as evenly as whole numbers allow, remainder at random."""
    base, extra = divmod(total, slots)
    shares = [base] * slots
    for i in rng.sample(range(slots), extra):
        shares[i] += 1
    return shares


def _span(pairing: Pairing, year: int, days: Sequence[date]) -> tuple[int, int] | None:
    first = max(pairing.start, days[0])
    last = min(pairing.end or days[-1], days[-1])
    if first > last or first.year != year:
        return None
    return (first - days[0]).days, (last - days[0]).days


def plan_activities(
    pairings: Iterable[Pairing],
    *,
    seed: int,
    year: int = 2021,
    counts: Mapping[str, int] = ACTIVITIES_2021,
    windows: Sequence[SeasonWindow] = WINDOWS_2021,
    activity_days: Sequence[date] = MEMBER_ACTIVITY_DAYS_2021,
    needs: Iterable[Need] = (),
) -> tuple[Activity, ...]:
    """Exactly ``counts[kind]`` activities of each kind over the year, in date order.

    Each pairing active during the year gets an even share of each kind; its dates
    are drawn inside its active span, weighted towards the windows. A share of the
    visits fall on member activity days and name the day in ``event``. Each of
    ``needs`` (those routed to the paired helper) is served by the household's first
    practical help on or after the day it was raised, if there is one.
    """
    rng = random.Random(seed)
    days = _days(year)
    active = sorted(
        ((p, span) for p in pairings if (span := _span(p, year, days)) is not None),
        key=lambda item: (item[0].household_id, item[0].helper_id, item[0].start),
    )
    if not active:
        raise ValueError(f"no pairing is active in {year}")
    drafts: list[tuple[date, str, Pairing, str | None]] = []
    for kind, total in counts.items():
        grouped = 0
        if kind == ActivityKind.VISIT and activity_days:
            grouped = round(total * _ACTIVITY_DAY_SHARE)
            present = {day: [p for p, _ in active if p.active_on(day)] for day in activity_days}
            for day in itertools.islice(itertools.cycle(activity_days), grouped):
                drafts.append((day, kind, rng.choice(present[day]), f"member_day_{day:%Y%m%d}"))
        cumulative = _cumulative(kind, days, windows)
        for (pairing, (lo, hi)), share in zip(
            active, _shares(rng, total - grouped, len(active)), strict=True
        ):
            for _ in range(share):
                drafts.append((days[_draw(rng, cumulative, lo, hi)], kind, pairing, None))
    drafts.sort(key=lambda d: (d[0], d[2].household_id, d[1]))
    served = _serve(drafts, needs)
    return tuple(
        Activity(
            activity_id=f"A{year}-{n:05d}",
            kind=kind,
            on=day,
            helper_id=pairing.helper_id,
            household_id=pairing.household_id,
            member_id=served[n - 1].member_id if n - 1 in served else None,
            need_id=served[n - 1].need_id if n - 1 in served else None,
            note=rng.choice(_NOTES.get(kind, ("",))),
            event=event,
        )
        for n, (day, kind, pairing, event) in enumerate(drafts, start=1)
    )


def _serve(
    drafts: Sequence[tuple[date, str, Pairing, str | None]], needs: Iterable[Need]
) -> dict[int, Need]:
    """Which practical help (by position in ``drafts``) serves which need."""
    helps: dict[str, list[int]] = {}
    for i, (_day, kind, pairing, _event) in enumerate(drafts):
        if kind == ActivityKind.PRACTICAL_HELP:
            helps.setdefault(pairing.household_id, []).append(i)
    served: dict[int, Need] = {}
    for need in sorted(needs, key=lambda n: (n.raised_on, n.need_id)):
        for i in helps.get(need.household_id, ()):
            if i not in served and drafts[i][0] >= need.raised_on:
                served[i] = need
                break
    return served
