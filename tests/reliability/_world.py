"""A small, fixed campaign touching every kind of record, for the reliability tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from jieqin.model import (
    Activity,
    Decision,
    Fund,
    Grant,
    Health,
    HealthCondition,
    Helper,
    Household,
    Member,
    Need,
    NeedSource,
    Observation,
    Pairing,
    Program,
    ProgramKind,
    Referral,
    RegionCode,
    StatusChange,
    Year,
    birthplace_codes,
)
from jieqin.model.identity import check_digit
from jieqin.model.monitoring import feed_observation_id

DIAGNOSES = ("尿毒症", "肺结核")


def resident_id(day: date, seq: int, *, within: str = "6102") -> str:
    """A valid resident ID number born on ``day`` in a place near Tongchuan."""
    place = (birthplace_codes(day.year, within=within) or birthplace_codes(day.year))[0]
    first17 = f"{place}{day:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def household(n: int, *, village: str = "610202001001") -> Household:
    """Household ``hh<n>`` with a head who has a major illness and a phone."""
    born = date(1960 + n % 30, 1 + n % 12, 1 + n % 28)
    head = Member(
        member_id=f"hh{n}-1",
        name="李秀英",
        sex="female",
        birth_date=born,
        resident_id=resident_id(born, 2 * (n % 400)),
        health=Health(HealthCondition.MAJOR_ILLNESS, DIAGNOSES[n % 2]),
        phone=f"139{n:08d}",
    )
    return Household(
        f"hh{n}",
        RegionCode(village),
        [head],
        [StatusChange("lifted_out", date(2020, 1, 1))],
    )


def helper(n: int, *, capacity: int = 5) -> Helper:
    return Helper(
        f"p{n}",
        "王伟",
        "city_member",
        RegionCode("610202"),
        sectors={"medical"},
        capacity=capacity,
        phone=f"138{n:08d}",
    )


PROGRAM = Program(
    "major-illness",
    "大病救助",
    "省慈善协会",
    ProgramKind.CASH_GRANT,
    amount=Decimal("5000.00"),
    serves={"medical"},
)


def fund(budget: str = "60000.00", *, fund_id: str = "f2021") -> Fund:
    return Fund(fund_id, PROGRAM.program_id, Year(2021), Decimal(budget))


def every_kind() -> dict[str, list[object]]:
    """One or two records of every kind, consistent with each other."""
    hh = household(1)
    head = hh.members[0]
    decision = Decision(
        "d1",
        PROGRAM.program_id,
        Year(2021),
        hh.household_id,
        head.member_id,
        "granted",
        date(2021, 3, 1),
        "v1",
        amount=Decimal("5000.00"),
        reason="major illness",
    )
    return {
        "helpers": [helper(1), helper(2)],
        "households": [hh, household(2)],
        "pairings": [
            Pairing("p1", "hh1", date(2021, 1, 1)),
            Pairing("p2", "hh2", date(2021, 1, 1)),
        ],
        "needs": [
            Need(
                "n1",
                "hh1",
                "medical",
                Year(2021),
                NeedSource.SURVEY,
                date(2021, 2, 1),
                head.member_id,
            )
        ],
        "referrals": [Referral("r1", "n1", "hh1", "health_bureau", date(2021, 2, 3))],
        "activities": [Activity("a1", "visit", date(2021, 2, 1), "p1", "hh1")],
        "programs": [PROGRAM],
        "funds": [fund()],
        "decisions": [decision],
        "grants": [
            Grant(
                "g1",
                PROGRAM.program_id,
                "f2021",
                Year(2021),
                "hh1",
                head.member_id,
                Decimal("5000.00"),
                date(2021, 3, 1),
                "d1",
                need_id="n1",
            )
        ],
        "observations": [
            Observation(
                "o1",
                "hh1",
                "medical",
                Year(2021),
                MEDICAL_AMOUNT,
                "declaration",
                date(2021, 12, 1),
                member_id=head.member_id,
            ),
            Observation(
                feed_observation_id("civil_affairs", "MZ-1"),
                "hh2",
                "income",
                Year(2021),
                Decimal("6120.00"),
                "feed",
                date(2021, 12, 2),
                feed="civil_affairs",
                feed_record="MZ-1",
            ),
        ],
    }


#: The medical expenditure of :func:`every_kind` (a health fact: no message shows it).
MEDICAL_AMOUNT = Decimal("7321.55")


def sensitive_values(records: dict[str, list[object]]) -> dict[str, list[str]]:
    """The resident IDs, phones and diagnoses in ``records``, for :func:`find_sensitive`."""
    ids: list[str] = []
    phones: list[str] = []
    diagnoses: list[str] = []
    for hh in records.get("households", []):
        assert isinstance(hh, Household)
        for m in hh.members:
            ids.append(m.resident_id)
            phones.extend([m.phone] if m.phone else [])
            diagnoses.extend([m.health.diagnosis] if m.health.diagnosis else [])
    for h in records.get("helpers", []):
        assert isinstance(h, Helper)
        phones.extend([h.phone] if h.phone else [])
    return {"resident_ids": ids, "phones": phones, "diagnoses": diagnoses}
