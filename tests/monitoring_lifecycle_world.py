"""A small monitored village for the tests of the warning lifecycle and risk elimination.

Household ``hh001`` (lifted out in 2019, unstable since March 2021) is paired with
helper ``h001``; ``hh002`` (lifted out) has no helper. Its income per person is observed
month by month (at ``MONTHLY`` yuan a month: 8,400 a year, above the 2021 line of
6,000). The campaign's clock is a :class:`Calendar` the test moves on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import jieqin
from jieqin.model import Month, Pairing, StatusChange
from jieqin.model.monitoring import Observation, RiskWarning
from jieqin.services.warning_lifecycle import assign
from jieqin.testing.contract import make_helper, make_household

TODAY = date(2021, 12, 7)
MONTHLY = Decimal("700")
LIFTED = date(2019, 1, 1)
MONITORED = date(2021, 3, 1)


class Calendar:
    """The campaign's clock, moved on by the test."""

    def __init__(self, day: date = TODAY) -> None:
        self.day = day

    def today(self) -> date:
        return self.day


def income(household_id: str, month: Month, amount: Decimal = MONTHLY) -> Observation:
    """A survey's observation of a household's monthly income per person."""
    return Observation(
        observation_id=f"ob:{household_id}:{month}",
        household_id=household_id,
        kind="income",
        period=month,
        amount=amount,
        source="survey",
        recorded_on=month.end,
    )


def months(first: Month, count: int) -> list[Month]:
    out = [first]
    while len(out) < count:
        m = out[-1]
        out.append(Month(m.year + 1, 1) if m.month == 12 else Month(m.year, m.month + 1))
    return out


def populate(
    campaign: jieqin.Campaign,
    *,
    observed: Iterable[Month] = months(Month(2021, 3), 9),
    amounts: dict[str, Decimal] | None = None,
) -> None:
    """Store the village: two households, one helper, and ``hh001``'s incomes."""
    with campaign.unit_of_work("setup") as uow:
        uow.helpers.add_many([make_helper("h001"), make_helper("h002")])
        uow.households.add_many(
            [
                make_household(
                    "hh001",
                    status_history=(
                        StatusChange("lifted_out", LIFTED),
                        StatusChange("unstable", MONITORED),
                    ),
                ),
                make_household(
                    "hh002", members=1, status_history=(StatusChange("lifted_out", LIFTED),)
                ),
            ]
        )
        uow.pairings.add(Pairing("h001", "hh001", date(2021, 1, 1)))
        uow.observations.add_many(
            [income("hh001", m, (amounts or {}).get(str(m), MONTHLY)) for m in observed]
        )
        uow.commit()


def warning(
    household_id: str = "hh001",
    warning_id: str = "rw1",
    *,
    raised_on: date = date(2021, 12, 1),
    rules: tuple[str, ...] = ("income_fell",),
    days: int = 15,
) -> RiskWarning:
    """A raised warning of ``household_id`` for November 2021, due ``days`` later."""
    from datetime import timedelta

    return RiskWarning(
        warning_id=warning_id,
        household_id=household_id,
        rules=rules,
        period=Month(2021, 11),
        raised_on=raised_on,
        check_due=raised_on + timedelta(days=days),
    )


def raise_warnings(campaign: jieqin.Campaign, *warnings: RiskWarning) -> list[RiskWarning]:
    """Store the warnings, assigned as the warning run assigns them."""
    with campaign.unit_of_work("warnings") as uow:
        assigned = [assign(uow, w) for w in warnings]
        uow.warnings.add_many(assigned)
        uow.commit()
    return assigned
