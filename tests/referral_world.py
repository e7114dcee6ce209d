"""A small campaign for the referral tests: agencies that take some members only, a
referral programme, and households of members of several ages and employments.

Only the built-in plugins and these are loaded (no installed regional plugin), so
which agency a need goes to next is known.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import jieqin
from jieqin import AidProgram, age_between, check, fact, hookimpl
from jieqin.clock import FixedClock
from jieqin.model import (
    EmploymentStatus,
    Helper,
    Household,
    Member,
    Need,
    NeedSource,
    Pairing,
    Program,
    ProgramKind,
    RegionCode,
    Relation,
    Sex,
    StatusChange,
    Year,
)
from jieqin.model.identity import birthplace_codes, check_digit
from jieqin.plugins import make_plugin_manager
from jieqin.rules import DatedValue, Parameter, Parameters

#: Takes employment and medical needs of anyone (the tests' own world plugin has it).
CENTER = "employment_center"
#: Takes employment needs of members aged 16 to 45 only, and answers within 10 days.
LABOUR = "labour_office"
#: Refers unemployed members seeking work to the employment center (no money).
JOB_REFERRAL = "job_referral"
#: A referral programme of old definitions: it names no agency.
NO_AGENCY = "old_referral"

TODAY = date(2022, 6, 30)
YEAR = Year(2021)
COUNTY = "610202"


def _days(name: str, value: int, since: date = date(2020, 1, 1)) -> Parameter:
    return Parameter(name, (DatedValue(since, value, "test notice"),), unit="")


LABOUR_PARAMETERS = Parameters.of(
    _days("labour_min_age", 16),
    _days("labour_max_age", 45),
    Parameter(
        "referral_response_days",
        (DatedValue(date(2020, 1, 1), 10, "labour office service pledge"),),
        unit="days",
    ),
)


class ReferralWorld:
    """Registers :data:`CENTER`, ``health_bureau`` and :data:`LABOUR` (with its condition)."""

    __test__ = False

    @staticmethod
    @hookimpl
    def jieqin_register_agencies(register: Callable[..., None]) -> None:
        register(
            CENTER,
            "Employment center",
            need_kinds=("employment", "medical"),
        )
        register(
            "health_bureau",
            "Health bureau",
            need_kinds=("medical",),
        )
        register(
            LABOUR,
            "Labour office",
            need_kinds=("employment",),
            condition=age_between("labour_min_age", "labour_max_age", "working_age"),
            parameters=LABOUR_PARAMETERS,
        )


class ReferralProgrammes:
    """Registers the referral programmes :data:`JOB_REFERRAL` and :data:`NO_AGENCY`."""

    __test__ = False

    @staticmethod
    @hookimpl
    def jieqin_register_programs(register: Callable[[object], None]) -> None:
        register(
            AidProgram(
                Program(
                    JOB_REFERRAL,
                    "就业援助转介",
                    "市人社局",
                    ProgramKind.REFERRAL,
                    serves=frozenset({"employment"}),
                    agency=CENTER,
                ),
                eligibility=check(
                    "seeking_work", fact("employment") == EmploymentStatus.UNEMPLOYED_SEEKING.value
                ),
            )
        )
        register(
            AidProgram(
                Program(NO_AGENCY, "旧转介项目", "市人社局", ProgramKind.REFERRAL),
                eligibility=check("anyone", fact("age") >= 0),
            )
        )


def _member(mid: str, born: date, seq: int, relation: Relation, **facts: object) -> Member:
    place = birthplace_codes(born.year, within="6102")[0]
    first17 = f"{place}{born:%Y%m%d}{seq:03d}"
    return Member(mid, "王小明", Sex.MALE, born, first17 + check_digit(first17), relation, **facts)  # type: ignore[arg-type]


def households() -> list[Household]:
    """``h1``: a young job seeker (30) and his father (60); ``h2``: a job seeker of 55;
    ``h3``: a farmer of 40."""
    seeking = {"employment": EmploymentStatus.UNEMPLOYED_SEEKING}
    since = (StatusChange("lifted_out", date(2019, 1, 1)),)
    region = RegionCode(f"{COUNTY}001001")
    return [
        Household(
            "h1",
            region,
            (
                _member("h1-1", date(1961, 3, 1), 11, Relation.HEAD),
                _member("h1-2", date(1991, 3, 1), 13, Relation.CHILD, **seeking),
            ),
            since,
        ),
        Household(
            "h2", region, (_member("h2-1", date(1966, 3, 1), 15, Relation.HEAD, **seeking),), since
        ),
        Household(
            "h3",
            region,
            (
                _member(
                    "h3-1", date(1981, 3, 1), 17, Relation.HEAD, employment=EmploymentStatus.FARMING
                ),
            ),
            since,
        ),
    ]


def need(need_id: str, household_id: str, member_id: str | None, kind: str = "employment") -> Need:
    return Need(need_id, household_id, kind, YEAR, NeedSource.SURVEY, date(2021, 2, 1), member_id)


@contextmanager
def connected(url: str, *plugins: object) -> Iterator[jieqin.Campaign]:
    """A campaign on ``url`` with the built-in plugins and :class:`ReferralWorld` (no
    installed plugin), on :data:`TODAY`, holding :func:`households`, a helper paired
    with each, and the needs ``n1`` (h1-2), ``n2`` (h2-1) and ``n3`` (h3-1)."""
    pm = make_plugin_manager(autoload=False, plugins=[ReferralWorld(), *plugins])
    with jieqin.connect(url, plugin_manager=pm, clock=FixedClock(TODAY)) as campaign:
        with campaign.unit_of_work("test") as uow:
            uow.helpers.add(Helper("p1", "李委员", "city_member", RegionCode(COUNTY), capacity=5))
            uow.households.add_many(households())
            uow.pairings.add_many([Pairing("p1", h, date(2020, 6, 1)) for h in ("h1", "h2", "h3")])
            uow.needs.add_many(
                [need("n1", "h1", "h1-2"), need("n2", "h2", "h2-1"), need("n3", "h3", "h3-1")]
            )
            uow.commit()
        yield campaign
