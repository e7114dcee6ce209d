"""A small campaign for the grievance and appeal tests: two paired households, a helper,
a programme whose age threshold and amount change on 2021-10-01, and a fund.

:class:`SeniorAid` registers the programme (and the campaign's own answer days, when
given) as a plugin; :func:`connected` opens a campaign with it on a fixed day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import jieqin
from jieqin import AidProgram, Parameters, check, fact, hookimpl, param
from jieqin.clock import FixedClock
from jieqin.model import (
    Fund,
    Helper,
    Household,
    Member,
    Pairing,
    Program,
    ProgramKind,
    RegionCode,
    Relation,
    Sex,
    StatusChange,
    Year,
)
from jieqin.rules import DatedValue, Parameter

PROGRAM = "senior_aid"
FUND = "f-senior-2021"
TODAY = date(2021, 12, 31)
DECIDED = date(2021, 9, 1)
CHANGED = date(2021, 10, 1)

#: The programme's values: 60 and 3,000 yuan until 2021-10-01, then 50 and 4,000.
PARAMETERS = Parameters.of(
    Parameter(
        "senior_aid_min_age",
        (
            DatedValue(date(2021, 1, 1), 60, "县民政局 2021-01"),
            DatedValue(CHANGED, 50, "县民政局 2021-10"),
        ),
        unit="years",
    ),
    Parameter(
        "senior_aid_amount",
        (
            DatedValue(date(2021, 1, 1), Decimal("3000.00"), "县民政局 2021-01"),
            DatedValue(CHANGED, Decimal("4000.00"), "县民政局 2021-10"),
        ),
        unit="yuan",
    ),
)


def senior_aid() -> AidProgram:
    return AidProgram(
        Program(PROGRAM, "高龄补贴", "县民政局", ProgramKind.CASH_GRANT),
        check("old_enough", fact("age") >= param("senior_aid_min_age")),
        version="2021.1",
        parameters=PARAMETERS,
        amount_parameter="senior_aid_amount",
    )


class SeniorAid:
    """The programme, and ``answer_days`` (``[(since, days), ...]``) when given."""

    __test__ = False

    def __init__(self, answer_days: list[tuple[date, int]] | None = None) -> None:
        self.answer_days = answer_days

    @hookimpl
    def jieqin_register_programs(self, register: Callable[[object], None]) -> None:
        register(senior_aid())

    @hookimpl
    def jieqin_register_parameters(self, register: Callable[[object], None]) -> None:
        if self.answer_days:
            values = tuple(DatedValue(day, n, "区信访办") for day, n in self.answer_days)
            register(Parameter("grievance_answer_days", values, unit="days"))

    @hookimpl
    def jieqin_register_grievance_categories(self, register: Callable[..., None]) -> None:
        register("land_dispute", "土地纠纷")


def person(member_id: str, born: date, relation: Relation = Relation.HEAD) -> Member:
    return Member(member_id, "张三", Sex.FEMALE, born, None, relation)


def households() -> list[Household]:
    status = [StatusChange("lifted_out", date(2019, 1, 1))]
    return [
        Household(
            "h1",
            RegionCode("610202001001"),
            [person("h1-1", date(1965, 6, 1)), person("h1-2", date(1990, 1, 1), Relation.CHILD)],
            status,
        ),
        Household("h2", RegionCode("610203001001"), [person("h2-1", date(1950, 3, 1))], status),
        Household("h3", RegionCode("610202002001"), [person("h3-1", date(1940, 3, 1))], status),
    ]


def store(campaign: jieqin.Campaign, *, budget: str = "10000", programme: bool = True) -> None:
    """The households, helper ``p1`` paired with h1 and h2, and (``programme``) the
    programme and its fund (a campaign without :class:`SeniorAid` has neither)."""
    with campaign.unit_of_work("setup") as uow:
        uow.households.add_many(households())
        uow.helpers.add(Helper("p1", "李四", "city_member", RegionCode("610202"), {"law"}))
        uow.helpers.add(Helper("p2", "王五", "city_member", RegionCode("610203"), {"law"}))
        uow.pairings.add_many(
            [Pairing("p1", "h1", date(2021, 1, 1)), Pairing("p1", "h2", date(2021, 1, 1))]
        )
        if programme:
            uow.programs.add(senior_aid().program)
            uow.funds.add(Fund(FUND, PROGRAM, Year(2021), Decimal(budget)))
        uow.commit()


@contextmanager
def connected(url: str, **plugin: object) -> Iterator[jieqin.Campaign]:
    with jieqin.connect(url, plugins=[SeniorAid(**plugin)], clock=FixedClock(TODAY)) as c:  # type: ignore[arg-type]
        yield c
