"""Referrals that close the loop, on every backend: made with a due day by routing,
accepted, rejected (the need goes back and is routed elsewhere) or completed with an
outcome; illegal steps refused however they are written; agencies that take some
members only; overdue referrals."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import attrs
import pytest

import jieqin
from jieqin.errors import (
    InvalidInput,
    InvalidValue,
    NotFound,
    ReferralCompleted,
    ReferralSettled,
)
from jieqin.model import NeedStatus, ReferralStatus, RouteKind

sys.path.insert(0, str(Path(__file__).parent))
from referral_world import CENTER, LABOUR, YEAR, connected

ROUTED_ON = date(2021, 3, 1)


@pytest.fixture
def campaign(campaign_url: str) -> Iterator[jieqin.Campaign]:
    with connected(campaign_url) as opened:
        yield opened


def _route(campaign: jieqin.Campaign, on: date = ROUTED_ON) -> dict[str, object]:
    return {r.need.need_id: r for r in campaign.route_needs(YEAR, on=on)}


def _referral_of(campaign: jieqin.Campaign, need_id: str) -> jieqin.Referral:
    (open_one,) = [r for r in campaign.referrals(pending=True) if r.need_id == need_id]
    return open_one


def _need(campaign: jieqin.Campaign, need_id: str) -> jieqin.Need:
    with campaign.unit_of_work("reader", read_only=True) as uow:
        return uow.needs.get(need_id)


def test_routing_refers_with_the_due_day_of_the_agency(campaign: jieqin.Campaign) -> None:
    _route(campaign)
    n1, n2 = _referral_of(campaign, "n1"), _referral_of(campaign, "n2")
    # the center takes anyone: 30 days (the core value); referred, not yet answered
    assert (n1.agency, n1.status, n1.due_on) == (CENTER, ReferralStatus.REFERRED, date(2021, 3, 31))
    assert n2.referral_id == "r:n2"
    assert campaign.overdue_referrals(date(2021, 3, 31)) == []
    late = campaign.overdue_referrals(date(2021, 4, 2))
    assert [(o.referral.need_id, o.days_overdue) for o in late] == [("n1", 2), ("n2", 2), ("n3", 2)]


def test_accepted_then_completed_resolves_the_need(campaign: jieqin.Campaign) -> None:
    _route(campaign)
    rid = _referral_of(campaign, "n1").referral_id
    accepted = campaign.accept_referral(rid, date(2021, 3, 5), "已受理", actor="clerk:wang")
    assert (accepted.status, accepted.accepted_on, accepted.note) == (
        ReferralStatus.ACCEPTED,
        date(2021, 3, 5),
        "已受理",
    )
    assert _need(campaign, "n1").status is NeedStatus.ROUTED
    with pytest.raises(InvalidValue, match="before the referral was accepted"):
        campaign.complete_referral(rid, date(2021, 3, 4), outcome="employed")
    with pytest.raises(InvalidValue, match="outcome code"):
        campaign.complete_referral(rid, date(2021, 4, 1))
    with pytest.raises(
        InvalidInput, match=r"unknown referral outcome 'employd'; .*did you mean 'employed'"
    ):
        campaign.complete_referral(rid, date(2021, 4, 1), outcome="employd")
    need = campaign.complete_referral(rid, date(2021, 4, 1), "找到工作", outcome="employed")
    assert (need.status, need.resolved_by, need.resolved_on) == (
        NeedStatus.RESOLVED,
        f"referral:{rid}",
        date(2021, 4, 1),
    )
    (done,) = campaign.referrals(status="completed")
    assert (done.accepted_on, done.completed_on, done.outcome) == (
        date(2021, 3, 5),
        date(2021, 4, 1),
        "employed",
    )
    with pytest.raises(ReferralCompleted, match="completed on 2021-04-01 \\(employed\\)"):
        campaign.complete_referral(rid, date(2021, 4, 2), outcome="employed")
    with pytest.raises(ReferralSettled, match="a completion stands"):
        campaign.reject_referral(rid, "too late")
    assert campaign.overdue_referrals(date(2021, 12, 31))[0].referral.need_id != "n1"


def test_a_rejection_opens_the_need_and_routing_skips_that_agency(
    campaign: jieqin.Campaign,
) -> None:
    _route(campaign)
    first = _referral_of(campaign, "n1")
    assert first.agency == CENTER
    need = campaign.reject_referral(first.referral_id, "不在服务范围", date(2021, 3, 8))
    assert (need.status, need.route) == (NeedStatus.OPEN, None)
    with pytest.raises(ReferralSettled, match="a rejection stands"):
        campaign.reject_referral(first.referral_id, "again", date(2021, 3, 9))
    with pytest.raises(ReferralSettled, match="a rejection stands"):
        campaign.accept_referral(first.referral_id, date(2021, 3, 9))
    # the next routing sends n1 on, to the labour office (h1-2 is 30): never back
    results = _route(campaign, date(2021, 3, 10))
    assert set(results) == {"n1"}  # the others are routed still
    route = results["n1"].route  # type: ignore[attr-defined]
    assert (route.kind, route.target) == (RouteKind.REFERRAL, LABOUR)
    assert f"agency {CENTER} rejected referral {first.referral_id}" in route.explanation
    second = _referral_of(campaign, "n1")
    assert (second.referral_id, second.agency) == ("r:n1:r1", LABOUR)
    assert second.due_on == date(2021, 3, 20)  # the labour office's own 10 days
    # rejected again: no agency is left, and the paired helper brings no sector
    campaign.reject_referral(second.referral_id, "名额已满", date(2021, 3, 12))
    results = _route(campaign, date(2021, 3, 13))
    assert results["n1"].route is None  # type: ignore[attr-defined]
    assert f"agency {LABOUR} rejected" in results["n1"].explanation  # type: ignore[attr-defined]
    rejected = campaign.referrals(status="rejected")
    assert {(r.referral_id, r.rejection_reason) for r in rejected} == {
        (first.referral_id, "不在服务范围"),
        (second.referral_id, "名额已满"),
    }


def test_the_agency_condition_decides_whom_it_takes_and_says_why(
    campaign: jieqin.Campaign,
) -> None:
    # the center rejects both job seekers: h1-2 (30) goes to the labour office,
    # h2-1 (55) does not (the office takes members aged 16 to 45)
    _route(campaign)
    for need_id in ("n1", "n2"):
        campaign.reject_referral(_referral_of(campaign, need_id).referral_id, "full", ROUTED_ON)
    results = _route(campaign, date(2021, 3, 2))
    young, old = results["n1"], results["n2"]
    assert young.route.target == LABOUR  # type: ignore[attr-defined]
    assert "its condition working_age held for member h1-2" in young.explanation  # type: ignore[attr-defined]
    assert old.route is None  # type: ignore[attr-defined]
    assert (
        f"agency {LABOUR} takes employment needs, but its condition working_age did not hold "
        "for member h2-1"
    ) in old.explanation  # type: ignore[attr-defined]
    assert _need(campaign, "n2").status is NeedStatus.OPEN


def test_a_household_need_goes_to_the_agency_when_one_member_meets_its_condition(
    campaign_url: str,
) -> None:
    from referral_world import need

    with connected(campaign_url) as campaign:
        with campaign.unit_of_work("test") as uow:
            uow.needs.add_many([need("n-h1", "h1", None), need("n-h2", "h2", None)])
            uow.referrals.add(
                jieqin.Referral(
                    "x1",
                    "n-h1",
                    "h1",
                    CENTER,
                    ROUTED_ON,
                    status="rejected",
                    rejected_on=ROUTED_ON,
                    rejection_reason="full",
                )
            )
            uow.referrals.add(
                jieqin.Referral(
                    "x2",
                    "n-h2",
                    "h2",
                    CENTER,
                    ROUTED_ON,
                    status="rejected",
                    rejected_on=ROUTED_ON,
                    rejection_reason="full",
                )
            )
            uow.commit()
        results = _route(campaign, date(2021, 3, 2))
    assert results["n-h1"].route.target == LABOUR  # type: ignore[attr-defined]
    assert "held for member h1-2" in results["n-h1"].explanation  # type: ignore[attr-defined]
    assert results["n-h2"].route is None  # type: ignore[attr-defined]
    assert "did not hold for any member of the household" in results["n-h2"].explanation  # type: ignore[attr-defined]


def test_every_way_a_referral_is_written_follows_the_steps(campaign: jieqin.Campaign) -> None:
    _route(campaign)
    referral = _referral_of(campaign, "n1")
    rejected = attrs.evolve(
        referral, status="rejected", rejected_on=date(2021, 3, 2), rejection_reason="full"
    )
    with campaign.unit_of_work("clerk") as uow:
        uow.referrals.update(rejected)
        uow.commit()
    for changed, field in (
        (
            attrs.evolve(rejected, status="referred", rejected_on=None, rejection_reason=""),
            "status",
        ),
        (attrs.evolve(rejected, rejection_reason="other words"), "rejection_reason"),
        (attrs.evolve(rejected, agency=LABOUR), "agency"),
    ):
        with campaign.unit_of_work("clerk") as uow, pytest.raises(InvalidInput) as info:
            uow.referrals.upsert_many([changed])
        assert [p.field for p in info.value.problems] == [field], str(info.value)
    completed = attrs.evolve(
        _referral_of(campaign, "n2"), status="completed", completed_on=date(2021, 3, 2)
    )
    with campaign.unit_of_work("clerk") as uow, pytest.raises(InvalidInput, match="outcome code"):
        uow.referrals.update(completed)
    future = attrs.evolve(
        _referral_of(campaign, "n3"), status="accepted", accepted_on=date(2023, 1, 1)
    )
    with campaign.unit_of_work("clerk") as uow, pytest.raises(InvalidInput, match="in the future"):
        uow.referrals.update(future)
    with campaign.unit_of_work("reader", read_only=True) as uow:
        assert uow.referrals.get(referral.referral_id) == rejected


def test_unknown_referrals_and_bad_days(campaign: jieqin.Campaign) -> None:
    _route(campaign)
    rid = _referral_of(campaign, "n1").referral_id
    with pytest.raises(NotFound, match="no referral nope"):
        campaign.accept_referral("nope")
    with pytest.raises(InvalidValue, match="before the referral was made"):
        campaign.accept_referral(rid, ROUTED_ON - timedelta(days=1))
    with pytest.raises(InvalidValue, match="why"):
        campaign.reject_referral(rid, "  ", ROUTED_ON)
    campaign.accept_referral(rid, ROUTED_ON)
    with pytest.raises(ReferralSettled, match="accepted on 2021-03-01 already"):
        campaign.accept_referral(rid, ROUTED_ON)
    with pytest.raises(ReferralSettled, match="completed \\(with the outcome not_eligible"):
        campaign.reject_referral(rid, "cannot help", ROUTED_ON)
    with pytest.raises(InvalidValue, match="unknown referral status"):
        campaign.referrals(status="lost")


def test_the_steps_are_audited(campaign: jieqin.Campaign) -> None:
    _route(campaign)
    rid = _referral_of(campaign, "n1").referral_id
    campaign.accept_referral(rid, date(2021, 3, 3), actor="clerk:wang")
    campaign.reject_referral(
        _referral_of(campaign, "n2").referral_id, "full", date(2021, 3, 3), actor="clerk:li"
    )
    with campaign.unit_of_work("reader", read_only=True) as uow:
        entries = uow.audit.entries(entity="referrals", entity_id=rid)
        reopened = uow.audit.entries(entity="needs", entity_id="n2", actor="clerk:li")
    assert [e.actor for e in entries][-1] == "clerk:wang"
    assert [e.changes.get("status") for e in reopened] == [{"from": "routed", "to": "open"}]


def test_a_referral_completed_before_statuses_reads_completed() -> None:
    old = jieqin.Referral("r1", "n1", "h1", CENTER, ROUTED_ON, completed_on=date(2021, 4, 1))
    assert (old.status, old.outcome, old.accepted_on) == (ReferralStatus.COMPLETED, None, None)
    assert jieqin.Referral("r2", "n1", "h1", CENTER, ROUTED_ON).status is ReferralStatus.REFERRED
    with pytest.raises(InvalidValue, match="needs rejection_reason"):
        jieqin.Referral(
            "r3", "n1", "h1", CENTER, ROUTED_ON, status="rejected", rejected_on=ROUTED_ON
        )
    with pytest.raises(InvalidValue, match="has no outcome"):
        jieqin.Referral(
            "r4",
            "n1",
            "h1",
            CENTER,
            ROUTED_ON,
            status="accepted",
            accepted_on=ROUTED_ON,
            outcome="employed",
        )
