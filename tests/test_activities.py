"""Activity kinds, campaign windows and whether an activity may be logged."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

from jieqin.activities import (
    STANDARD_KINDS,
    ActivityKindRegistry,
    CampaignCalendar,
    CampaignWindow,
    WindowKind,
    activity_problems,
    standard_windows,
)
from jieqin.errors import InvalidValue
from jieqin.model import Activity, ActivityKind, Pairing, RegionCode

sys.path.insert(0, str(Path(__file__).parent))
from activity_world import household


def test_the_five_duties_come_first_and_plugins_add_more() -> None:
    kinds = ActivityKindRegistry()
    assert kinds.codes() == tuple(ActivityKind)
    assert len(STANDARD_KINDS) == 5
    kinds.register("epidemic_prevention", "epidemic prevention")
    assert kinds.codes()[-1] == "epidemic_prevention"
    assert kinds.check("visit") == "visit"
    with pytest.raises(InvalidValue, match=r"unknown activity kind 'dance'.*contact"):
        kinds.check("dance")
    assert kinds.get("visit").label_zh == "常走动"


def test_windows_and_activity_days() -> None:
    calendar = CampaignCalendar(standard_windows(2021))
    day = CampaignWindow.activity_day("day_0416", date(2021, 4, 16), "member activity day")
    calendar.register(day)
    assert [w.window_id for w in calendar.on(date(2021, 4, 16))] == [
        "spring_ploughing_2021",
        "day_0416",
    ]
    assert calendar.activity_days() == (day,)
    assert day.days == 1
    assert {w.window_id for w in calendar.between(date(2021, 12, 1), date(2022, 1, 1))} == {
        "winter_2021"
    }
    local = CampaignWindow(
        date(2021, 7, 1), date(2021, 7, 2), "yintai_fair", "fair", region=RegionCode("610203")
    )
    assert local.contains(date(2021, 7, 1), RegionCode("610203001001"))
    assert not local.contains(date(2021, 7, 1), RegionCode("610202001001"))
    with pytest.raises(InvalidValue, match="before it starts"):
        CampaignWindow(date(2021, 5, 2), date(2021, 5, 1), "w", "backwards")
    with pytest.raises(InvalidValue, match="is not one of"):
        CampaignWindow(date(2021, 5, 1), date(2021, 5, 1), "w", "x", kind="party")


PAIRINGS = [
    Pairing("p1", "h1", date(2020, 1, 1), end=date(2021, 3, 31)),
    Pairing("p2", "h1", date(2021, 4, 1)),
]
CALENDAR = CampaignCalendar(
    [
        CampaignWindow.activity_day("day_0416", date(2021, 4, 16), "member activity day"),
        *standard_windows(2021),
    ]
)


def problems(activity: Activity, **kwargs: object) -> list[str]:
    found = activity_problems(
        activity, PAIRINGS, kinds=ActivityKindRegistry(), calendar=CALENDAR, **kwargs
    )
    return [str(p) for p in found]


def test_an_activity_within_a_pairing_is_accepted() -> None:
    assert problems(Activity("a1", "visit", date(2021, 3, 31), "p1", "h1")) == []
    assert problems(Activity("a2", "contact", date(2021, 4, 1), "p2", "h1")) == []


def test_an_activity_outside_every_pairing_says_when_the_pair_was() -> None:
    (reason,) = problems(Activity("a1", "visit", date(2021, 4, 2), "p1", "h1"))
    assert "helper p1 was not paired with household h1 on 2021-04-02" in reason
    assert "paired 2020-01-01 to 2021-03-31" in reason
    (reason,) = problems(Activity("a1", "visit", date(2021, 4, 2), "p9", "h1"))
    assert "never paired" in reason


def test_a_group_visit_on_a_member_activity_day_needs_no_pairing() -> None:
    ok = Activity("a1", "visit", date(2021, 4, 16), "p9", "h1", event="day_0416")
    assert problems(ok) == []
    wrong_day = Activity("a1", "visit", date(2021, 4, 17), "p9", "h1", event="day_0416")
    (reason,) = problems(wrong_day)
    assert reason == "event: member activity day 'day_0416' is 2021-04-16, not 2021-04-17"
    season = Activity("a1", "visit", date(2021, 4, 16), "p9", "h1", event="spring_ploughing_2021")
    assert "is a season window, not a member activity day" in problems(season)[0]
    unknown = Activity("a1", "visit", date(2021, 4, 16), "p9", "h1", event="nope")
    assert "not a known member activity day" in problems(unknown)[0]


def test_kind_member_and_date_are_checked_with_where() -> None:
    bad = Activity("a1", "dance", date(2021, 5, 1), "p2", "h1", member_id="h1-7")
    found = activity_problems(
        bad,
        PAIRINGS,
        kinds=ActivityKindRegistry(),
        household=household("h1"),
        today=date(2021, 4, 30),
        source="activities.csv",
        line=7,
    )
    assert [p.field for p in found] == ["kind", "on", "member_id"]
    assert all(str(p).startswith("activities.csv line 7: ") for p in found)
    assert WindowKind.ACTIVITY_DAY == "activity_day"
