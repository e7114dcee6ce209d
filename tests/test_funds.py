"""Funds over a year and grants revoked: the Python API on memory, SQLite and PostgreSQL.

A fund is added, topped up (a dated, audited change) and closed; an allocation grants
from the budget in force and never past it; a revoked grant keeps its record, its
amount goes back to the fund, the report stops counting it, the decision history
keeps both decisions, and a later allocation may grant the member again.
"""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.errors import (
    AllocationError,
    ConflictError,
    FundClosed,
    GrantRevoked,
    InvalidInput,
    InvalidValue,
    NotFound,
)
from jieqin.model import Fund, Need, NeedStatus, Outcome, Route, RouteKind
from jieqin.services.aid import decision_id, grant_id

sys.path.insert(0, str(Path(__file__).parent))
from test_aid import SCHOLARSHIP, YEAR, setup

FUND = f"f-{SCHOLARSHIP}"


def _grant_line(campaign: jieqin.Campaign) -> tuple[int | None, Decimal | None]:
    """The report's scholarship line for 2021: (count, amount)."""
    lines = [g for g in campaign.report("2021").totals.grants if g.program == SCHOLARSHIP]
    if not lines:
        return (0, Decimal("0.00"))
    (line,) = lines
    return line.count, line.amount


def _line(campaign: jieqin.Campaign, fund_id: str = FUND) -> dict[str, object]:
    (line,) = [x for x in campaign.funds() if x.fund.fund_id == fund_id]
    return line.summary()


# -- funds --------------------------------------------------------------------------------


def test_a_top_up_lets_the_wait_listed_be_granted_in_rank_order(campaign: jieqin.Campaign) -> None:
    setup(campaign, budget="5000")
    first = campaign.allocate(SCHOLARSHIP, YEAR, on=date(2021, 9, 1))
    assert [g.member_id for g in first.grants] == ["h6-2"]
    line = _line(campaign)
    assert (line["budget"], line["granted"], line["remaining"]) == ("5000.00", "5000.00", "0.00")
    assert (line["wait_listed"], line["grants"], line["topped_up"]) == (1, 1, "0.00")

    change = campaign.top_up_fund(
        FUND, "5000", reason="市慈善协会追加拨款", on=date(2021, 9, 15), actor="clerk:wang"
    )
    assert (change.number, change.amount, change.actor) == (1, Decimal("5000.00"), "clerk:wang")
    line = _line(campaign)
    assert (line["initial_budget"], line["topped_up"], line["budget"]) == (
        "5000.00",
        "5000.00",
        "10000.00",
    )
    assert (line["remaining"], line["wait_listed"]) == ("5000.00", 1)

    second = campaign.allocate(SCHOLARSHIP, YEAR, on=date(2021, 9, 16))
    assert [g.member_id for g in second.grants] == ["h1-2"]
    assert (second.budget, second.spent_before, second.remaining) == (
        Decimal("10000.00"),
        Decimal("5000.00"),
        Decimal("0.00"),
    )
    line = _line(campaign)
    assert (line["granted"], line["remaining"], line["wait_listed"]) == ("10000.00", "0.00", 0)
    assert _grant_line(campaign) == (2, Decimal("10000.00"))
    assert campaign.allocate(SCHOLARSHIP, YEAR).grants == ()
    with campaign.unit_of_work("auditor") as uow:
        (entry,) = uow.audit.entries(action="top_up")
        assert (entry.actor, entry.entity_id, entry.changes["amount"]) == (
            "clerk:wang",
            FUND,
            "5000.00",
        )


def test_adding_topping_up_and_closing_refuse_what_cannot_be(campaign: jieqin.Campaign) -> None:
    setup(campaign)
    fund = campaign.add_fund(
        "F2021-B", SCHOLARSHIP, YEAR, "60000", name="2021年新生助学金", actor="clerk:wang"
    )
    assert (fund.funder, fund.name) == (campaign.aid_program(SCHOLARSHIP).program.funder, fund.name)
    with pytest.raises(ConflictError, match=r"F2021-B already exists.*funds top-up"):
        campaign.add_fund("F2021-B", SCHOLARSHIP, YEAR, "1")
    with pytest.raises(NotFound, match="no aid programme 'nope'"):
        campaign.add_fund("F-nope", "nope", YEAR, "1")
    with pytest.raises(InvalidValue, match="grants once per year"):
        campaign.add_fund("F-q", SCHOLARSHIP, jieqin.Quarter(2021, 1), "1")
    with pytest.raises(InvalidValue, match="negative"):
        campaign.add_fund("F-neg", SCHOLARSHIP, YEAR, "-5")
    for amount in ("0", "-100"):
        with pytest.raises(InvalidValue, match="more than 0"):
            campaign.top_up_fund("F2021-B", amount, reason="x")
    with pytest.raises(InvalidValue, match="why"):
        campaign.top_up_fund("F2021-B", "100", reason="  ")
    with pytest.raises(NotFound, match=r"no fund F-none.*funds list"):
        campaign.top_up_fund("F-none", "100", reason="x")
    with pytest.raises(InvalidInput, match="future"):
        campaign.top_up_fund("F2021-B", "100", reason="x", on=date(2999, 1, 1))
    campaign.close_fund("F2021-B", reason="并入主基金", on=date(2021, 6, 30))
    with pytest.raises(FundClosed, match="F2021-B was closed on 2021-06-30"):
        campaign.top_up_fund("F2021-B", "100", reason="late")
    with pytest.raises(FundClosed):
        campaign.close_fund("F2021-B", reason="again")
    line = _line(campaign, "F2021-B")
    assert (line["budget"], line["closed_on"]) == ("60000.00", "2021-06-30")
    assert [c.kind.value for c in campaign.fund_changes("F2021-B")] == ["close"]


def test_a_plain_write_of_a_fund_cannot_change_its_ledger(campaign: jieqin.Campaign) -> None:
    setup(campaign)
    campaign.top_up_fund(FUND, "100", reason="追加", on=date(2021, 3, 1))
    with campaign.unit_of_work("clerk") as uow:
        fund = uow.funds.get(FUND)
        with pytest.raises(InvalidInput, match=r"topped up by 100\.00"):
            uow.funds.update(Fund(FUND, SCHOLARSHIP, YEAR, fund.budget, fund.funder))
        with pytest.raises(InvalidInput, match=r"funds\.close"):
            uow.funds.update(attrs.evolve(fund, closed_on=date(2021, 4, 1)))
        with pytest.raises(InvalidInput, match="top-ups are recorded"):
            uow.funds.add(Fund("F-new", SCHOLARSHIP, YEAR, "500", topped_up="10"))


def test_allocation_picks_the_open_fund_and_names_the_command_that_fixes_it(
    campaign: jieqin.Campaign,
) -> None:
    setup(campaign, budget="5000")
    with pytest.raises(AllocationError) as missing:
        campaign.allocate(SCHOLARSHIP, jieqin.Year(2022))
    assert "jieqin funds add FUND_ID --program tc_freshman_scholarship --period 2022" in str(
        missing.value
    )
    campaign.add_fund("f-second", SCHOLARSHIP, YEAR, "5000")
    with pytest.raises(AllocationError) as several:
        campaign.allocate(SCHOLARSHIP, YEAR)
    assert f"several funds for {SCHOLARSHIP} in 2021: f-second, {FUND}" in str(several.value)
    assert "--fund" in str(several.value)
    plan = campaign.allocate(SCHOLARSHIP, YEAR, fund_id="f-second")
    assert plan.fund_id == "f-second"
    assert [g.fund_id for g in plan.grants] == ["f-second"]
    with pytest.raises(NotFound, match="no fund f-third"):
        campaign.allocate(SCHOLARSHIP, YEAR, fund_id="f-third")
    # a closed fund grants nothing; the one open fund left is chosen by itself
    campaign.close_fund("f-second", reason="spent", on=date(2021, 9, 2))
    with pytest.raises(FundClosed, match="f-second was closed"):
        campaign.allocate(SCHOLARSHIP, YEAR, fund_id="f-second")
    again = campaign.allocate(SCHOLARSHIP, YEAR)
    assert again.fund_id == FUND
    assert [g.member_id for g in again.grants] == ["h1-2"]
    campaign.close_fund(FUND, reason="year over", on=date(2021, 12, 31))
    with pytest.raises(AllocationError, match=r"is closed .*jieqin funds add"):
        campaign.allocate(SCHOLARSHIP, YEAR)


# -- grants revoked ------------------------------------------------------------------------


def test_a_revocation_changes_the_report_exactly_and_the_member_may_be_granted_again(
    campaign: jieqin.Campaign,
) -> None:
    setup(campaign, budget="10000")
    campaign.allocate(SCHOLARSHIP, YEAR, on=date(2021, 9, 1))
    assert _grant_line(campaign) == (2, Decimal("10000.00"))
    first = grant_id(SCHOLARSHIP, YEAR, "h1-2")

    revoked = campaign.revoke_grant(first, "重复申报", date(2021, 10, 8), actor="clerk:wang")
    assert (revoked.revoked_on, revoked.revoke_reason) == (date(2021, 10, 8), "重复申报")
    assert _grant_line(campaign) == (1, Decimal("5000.00"))
    line = _line(campaign)
    assert (line["granted"], line["remaining"], line["grants"], line["revoked"]) == (
        "5000.00",
        "5000.00",
        1,
        1,
    )
    history = campaign.decision_history(SCHOLARSHIP, "h1-2", YEAR)
    assert [d.outcome for d in history] == [Outcome.GRANTED, Outcome.REVOKED]
    assert history[0].decision_id == decision_id(SCHOLARSHIP, YEAR, "h1-2")
    assert "重复申报" in history[1].reason
    assert first in history[1].reason
    _, stored = campaign.explain(SCHOLARSHIP, "h1-2", YEAR)
    assert stored is not None
    assert stored.outcome is Outcome.REVOKED

    with pytest.raises(GrantRevoked, match=f"{first} was already revoked on 2021-10-08"):
        campaign.revoke_grant(first, "again")
    with pytest.raises(NotFound, match=r"no grant g-none.*grants list"):
        campaign.revoke_grant("g-none", "x")
    other = grant_id(SCHOLARSHIP, YEAR, "h6-2")
    with pytest.raises(InvalidValue, match="before that"):
        campaign.revoke_grant(other, "x", date(2021, 8, 1))
    with pytest.raises(InvalidValue, match="why"):
        campaign.revoke_grant(other, "")

    regrant = campaign.allocate(SCHOLARSHIP, YEAR, on=date(2021, 10, 9))
    assert [g.grant_id for g in regrant.grants] == [grant_id(SCHOLARSHIP, YEAR, "h1-2", 1)]
    assert regrant.already_granted == ("h6-2",)
    assert _grant_line(campaign) == (2, Decimal("10000.00"))
    history = campaign.decision_history(SCHOLARSHIP, "h1-2", YEAR)
    assert [d.outcome for d in history] == [Outcome.GRANTED, Outcome.REVOKED, Outcome.GRANTED]
    assert [g.in_force for g in campaign.grants(household_id="h1")] == [False, True]
    with campaign.unit_of_work("auditor") as uow:
        (entry,) = uow.audit.entries(action="revoke")
        assert (entry.actor, entry.entity_id) == ("clerk:wang", first)


def test_a_revoked_grant_routes_its_need_again(campaign: jieqin.Campaign) -> None:
    setup(campaign, budget="10000")
    routed = Need("n-h1-2", "h1", "schooling", YEAR, "survey", date(2021, 3, 1), member_id="h1-2")
    route = Route(RouteKind.PROGRAM, SCHOLARSHIP, "college freshman")
    with campaign.unit_of_work("clerk") as uow:
        uow.needs.add(attrs.evolve(routed, status=NeedStatus.ROUTED, route=route))
        uow.commit()
    campaign.allocate(SCHOLARSHIP, YEAR, on=date(2021, 9, 1))
    first = grant_id(SCHOLARSHIP, YEAR, "h1-2")

    def need() -> Need:
        with campaign.unit_of_work("reader", read_only=True) as uow:
            (found,) = [n for n in uow.needs.list(member_id="h1-2") if n.kind == "schooling"]
            return found

    assert (need().status, need().resolved_by) == (NeedStatus.RESOLVED, f"grant:{first}")
    campaign.revoke_grant(first, "退学", date(2021, 11, 1))
    assert (need().status, need().resolved_by) == (NeedStatus.ROUTED, None)
    campaign.allocate(SCHOLARSHIP, YEAR, on=date(2021, 11, 2))
    again = grant_id(SCHOLARSHIP, YEAR, "h1-2", 1)
    assert (need().status, need().resolved_by) == (NeedStatus.RESOLVED, f"grant:{again}")


# -- the ledger as a property --------------------------------------------------------------

_STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("top_up"), st.integers(1, 12_000)),
        st.tuples(st.just("revoke"), st.integers(0, 5)),
        st.tuples(st.just("allocate"), st.just(0)),
    ),
    max_size=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(budget=st.integers(0, 12_000), steps=_STEPS)
def test_the_fund_is_never_overspent_and_every_figure_follows_the_ledger(
    budget: int, steps: list[tuple[str, int]]
) -> None:
    """Whatever top-ups, revocations and allocations happen, in any order: what the
    fund granted is the sum of its grants in force and never above its budget, the
    budget is the initial one plus the top-ups, the report counts exactly the grants
    in force, and no member holds two grants in force."""
    with jieqin.connect("memory://") as campaign:
        setup(campaign, budget=str(budget))
        topped = Decimal(0)
        for what, n in steps:
            if what == "top_up":
                campaign.top_up_fund(FUND, n, reason="追加", on=date(2021, 9, 1))
                topped += n
            elif what == "allocate":
                campaign.allocate(SCHOLARSHIP, YEAR, on=date(2021, 9, 2))
            else:
                standing = [g for g in campaign.grants(program_id=SCHOLARSHIP) if g.in_force]
                if standing:
                    pick = standing[n % len(standing)]
                    campaign.revoke_grant(pick.grant_id, "复核", date(2021, 9, 3))
        grants = campaign.grants(program_id=SCHOLARSHIP)
        in_force = [g for g in grants if g.in_force]
        line = _line(campaign)
        granted = sum((g.amount for g in in_force), Decimal("0.00"))
        assert Decimal(str(line["granted"])) == granted
        assert Decimal(str(line["budget"])) == Decimal(budget) + topped
        assert granted <= Decimal(str(line["budget"]))
        assert Decimal(str(line["remaining"])) == Decimal(str(line["budget"])) - granted
        assert _grant_line(campaign) == (len(in_force), granted)
        members = [g.member_id for g in in_force]
        assert len(members) == len(set(members))
        assert line["revoked"] == len(grants) - len(in_force)
