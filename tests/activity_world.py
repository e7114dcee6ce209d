"""A small hand-made campaign for the activity, cadence and report tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from jieqin.model import (
    Activity,
    Grant,
    Health,
    HealthCondition,
    Helper,
    Household,
    Member,
    Need,
    NeedSource,
    Pairing,
    Program,
    ProgramKind,
    Referral,
    RegionCode,
    Route,
    RouteKind,
    Sex,
    StatusChange,
    Year,
)
from jieqin.model.identity import check_digit

WANGYI = "610202"  # 王益区
YINTAI = "610203"  # 印台区


def resident_id(born: date, seq: int) -> str:
    first17 = f"610202{born:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def household(
    hid: str,
    county: str = WANGYI,
    *,
    major_illness: bool = False,
    disability: int | None = None,
    status: str = "lifted_out",
) -> Household:
    born = date(1990, 5, 17)
    number = int("".join(ch for ch in hid if ch.isdigit()) or "0")
    head = Member(
        f"{hid}-1",
        "王大山",
        Sex.MALE,
        born,
        resident_id(born, 11 + 2 * number),
        health=Health(
            HealthCondition.MAJOR_ILLNESS if major_illness else HealthCondition.HEALTHY,
            "lung cancer" if major_illness else None,
        ),
        disability_grade=disability,
    )
    return Household(
        hid, RegionCode(f"{county}001001"), (head,), (StatusChange(status, date(2019, 1, 1)),)
    )


def helper(pid: str, tier: str = "city_member", county: str = WANGYI) -> Helper:
    return Helper(pid, "李委员", tier, RegionCode(county))


def world() -> dict[str, list[object]]:
    """Three helpers, four households, a year of activities, needs, referrals and grants."""
    households = [
        household("h1"),
        household("h2", major_illness=True),
        household("h3", YINTAI),
        household("h4", YINTAI, disability=2),
    ]
    helpers = [
        helper("p1"),
        helper("p2", "county_member"),
        helper("p3", "agency_staff", YINTAI),
    ]
    pairings = [
        Pairing("p1", "h1", date(2020, 6, 1)),
        Pairing("p1", "h2", date(2021, 3, 1)),
        Pairing("p2", "h3", date(2020, 1, 1), end=date(2021, 4, 30)),
        Pairing("p3", "h3", date(2021, 5, 1)),
        Pairing("p3", "h4", date(2022, 1, 1)),
    ]
    activities = []
    n = 0
    for month in range(1, 13):
        for hid, pid, kind in (
            ("h1", "p1", "contact"),
            ("h1", "p1", "visit" if month % 3 == 0 else "policy_explanation"),
            ("h2", "p1", "warmth" if month in (1, 12) else "contact"),
            ("h3", "p2" if month <= 4 else "p3", "practical_help" if month == 6 else "visit"),
        ):
            if hid == "h2" and month < 3:
                continue
            n += 1
            activities.append(Activity(f"a{n}", kind, date(2021, month, 10), pid, hid))
    period = Year(2021)
    needs = [
        Need(
            "n1",
            "h1",
            "employment",
            period,
            NeedSource.SURVEY,
            date(2021, 2, 1),
            route=Route(RouteKind.REFERRAL, "employment_center"),
        ),
        Need(
            "n2",
            "h3",
            "schooling",
            period,
            NeedSource.SURVEY,
            date(2021, 2, 3),
            route=Route(RouteKind.PROGRAM, "scholarship"),
        ),
        Need("n3", "h2", "medical", period, NeedSource.RULE, date(2021, 3, 5)),
    ]
    referrals = [Referral("r1", "n1", "h1", "employment_center", date(2021, 3, 1))]
    programs = [
        Program(
            "scholarship",
            "Charity scholarship",
            "Provincial charity association",
            ProgramKind.SCHOLARSHIP,
            Decimal(5000),
        ),
        Program(
            "illness",
            "Major illness grant",
            "Provincial charity association",
            ProgramKind.CASH_GRANT,
            Decimal(5000),
        ),
    ]
    grants = [
        Grant(
            "g1", "scholarship", "f1", period, "h3", "h3-1", Decimal(5000), date(2021, 8, 20), "d1"
        ),
        Grant(
            "g2", "illness", "f2", period, "h2", "h2-1", Decimal("5000.00"), date(2021, 9, 1), "d2"
        ),
    ]
    return {
        "helpers": helpers,
        "households": households,
        "pairings": pairings,
        "activities": activities,
        "needs": needs,
        "referrals": referrals,
        "grants": grants,
        "programs": programs,
    }
