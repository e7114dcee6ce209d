"""Resolving and closing needs by hand, completing referrals, and the needs listing's
filters, on every backend: each a dated, audited write, and each refused when the
need or referral is unknown or settled already."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

import jieqin
from jieqin.errors import InvalidValue, NeedSettled, NotFound, ReferralCompleted
from jieqin.model import Activity, Need, NeedSource, NeedStatus, Year

sys.path.insert(0, str(Path(__file__).parent))
from activity_world import YINTAI
from test_activity_voids import load


@pytest.fixture
def loaded(campaign: jieqin.Campaign) -> jieqin.Campaign:
    load(campaign)
    with campaign.unit_of_work("test") as uow:
        uow.needs.add(
            Need("n4", "h1", "schooling", Year(2021), NeedSource.SURVEY, date(2021, 2, 1), "h1-1")
        )
        uow.commit()
    return campaign


def _need(campaign: jieqin.Campaign, need_id: str) -> Need:
    with campaign.unit_of_work("reader", read_only=True) as uow:
        return uow.needs.get(need_id)


def test_a_need_resolved_by_hand_keeps_the_words_the_day_and_who(
    loaded: jieqin.Campaign,
) -> None:
    before = loaded.report("2021")
    resolved = loaded.resolve_need("n4", "学校减免学费", date(2021, 9, 1), actor="clerk:wang")
    assert (resolved.status, resolved.resolved_on, resolved.resolved_by) == (
        NeedStatus.RESOLVED,
        date(2021, 9, 1),
        "学校减免学费",
    )
    assert _need(loaded, "n4") == resolved
    with loaded.unit_of_work("reader", read_only=True) as uow:
        (entry,) = uow.audit.entries(entity="needs", entity_id="n4", action="update")
    assert entry.actor == "clerk:wang"
    assert entry.changes["status"] == {"from": "open", "to": "resolved"}
    # the report counts needs raised, by kind and route: resolving one moves no figure
    assert loaded.report("2021").as_dict() == before.as_dict()


def test_a_need_resolved_by_a_record_takes_its_day(loaded: jieqin.Campaign) -> None:
    resolved = loaded.resolve_need("n2", "grant:g1")
    assert (resolved.resolved_by, resolved.resolved_on) == ("grant:g1", date(2021, 8, 20))
    loaded.log_activity(Activity("help1", "practical_help", date(2021, 11, 2), "p1", "h1"))
    resolved = loaded.resolve_need("n4", "activity:help1")
    assert (resolved.resolved_by, resolved.resolved_on) == ("activity:help1", date(2021, 11, 2))


def test_resolving_with_a_record_that_did_not_resolve_it_fails(loaded: jieqin.Campaign) -> None:
    with pytest.raises(InvalidValue, match="only practical help"):
        loaded.resolve_need("n4", "activity:a1")  # a contact
    loaded.log_activity(Activity("help1", "practical_help", date(2021, 11, 2), "p1", "h1"))
    loaded.void_activity("help1", "logged by mistake", date(2021, 11, 3))
    with pytest.raises(InvalidValue, match="help1 was voided"):
        loaded.resolve_need("n4", "activity:help1")
    with pytest.raises(InvalidValue, match="someone else"):
        loaded.resolve_need("n4", "grant:g1")  # a grant to h3
    with pytest.raises(NotFound):
        loaded.resolve_need("n4", "grant:nope")
    with pytest.raises(InvalidValue, match="jieqin referrals complete r1"):
        loaded.resolve_need("n1", "referral:r1")
    assert _need(loaded, "n4").status is NeedStatus.OPEN


def test_a_closed_need_says_why_and_nothing_settles_it_again(loaded: jieqin.Campaign) -> None:
    closed = loaded.close_need("n3", "全户迁出", date(2021, 7, 1))
    assert (closed.status, closed.resolved_on, closed.resolved_by) == (
        NeedStatus.CLOSED,
        date(2021, 7, 1),
        "全户迁出",
    )
    with pytest.raises(NeedSettled, match="n3 was already closed on 2021-07-01"):
        loaded.resolve_need("n3", "helped after all")
    with pytest.raises(NeedSettled):
        loaded.close_need("n3", "again")
    loaded.resolve_need("n4", "done", date(2021, 9, 1))
    with pytest.raises(NeedSettled, match="n4 was already resolved"):
        loaded.close_need("n4", "moved")
    assert _need(loaded, "n3") == closed


def test_settling_an_unknown_need_or_without_words_fails(loaded: jieqin.Campaign) -> None:
    with pytest.raises(NotFound, match="no need nope"):
        loaded.resolve_need("nope", "done")
    with pytest.raises(NotFound, match="no need nope"):
        loaded.close_need("nope", "moved")
    with pytest.raises(InvalidValue, match="what resolved"):
        loaded.resolve_need("n4", " ")
    with pytest.raises(InvalidValue, match="why"):
        loaded.close_need("n4", "")
    with pytest.raises(InvalidValue, match="before the need was raised"):
        loaded.close_need("n4", "moved", date(2021, 1, 1))
    assert _need(loaded, "n4").status is NeedStatus.OPEN


def test_completing_a_referral_resolves_its_need(loaded: jieqin.Campaign) -> None:
    assert [r.referral_id for r in loaded.referrals(pending=True)] == ["r1"]
    need = loaded.complete_referral(
        "r1", date(2021, 4, 1), "已安排就业培训", outcome="training_arranged", actor="clerk:wang"
    )
    assert (need.need_id, need.status, need.resolved_by, need.resolved_on) == (
        "n1",
        NeedStatus.RESOLVED,
        "referral:r1",
        date(2021, 4, 1),
    )
    (referral,) = loaded.referrals()
    assert (referral.status, referral.completed_on, referral.note, referral.outcome) == (
        "completed",
        date(2021, 4, 1),
        "已安排就业培训",
        "training_arranged",
    )
    assert loaded.referrals(pending=True) == []
    with pytest.raises(ReferralCompleted, match="r1 was completed on 2021-04-01"):
        loaded.complete_referral("r1", date(2021, 4, 2), outcome="employed")
    with pytest.raises(NotFound, match="no referral nope"):
        loaded.complete_referral("nope", outcome="employed")


def test_a_referral_completes_even_when_its_need_was_settled(loaded: jieqin.Campaign) -> None:
    loaded.close_need("n1", "moved away", date(2021, 3, 20))
    need = loaded.complete_referral("r1", date(2021, 4, 1), outcome="employed")
    assert (need.status, need.resolved_by) == (NeedStatus.CLOSED, "moved away")
    assert loaded.referrals()[0].completed_on == date(2021, 4, 1)


def test_a_referral_is_not_completed_before_it_was_made(loaded: jieqin.Campaign) -> None:
    with pytest.raises(InvalidValue, match="before the referral was made"):
        loaded.complete_referral("r1", date(2021, 1, 1), outcome="employed")
    assert [r.referral_id for r in loaded.referrals(pending=True)] == ["r1"]
    assert _need(loaded, "n1").status is NeedStatus.OPEN


def test_the_needs_listing_filters(loaded: jieqin.Campaign) -> None:
    def ids(**filters: object) -> list[str]:
        return sorted(n.need_id for n in loaded.needs(**filters))  # type: ignore[arg-type]

    assert ids() == ["n1", "n2", "n3", "n4"]
    assert ids(kind="schooling") == ["n2", "n4"]
    assert ids(status="open") == ["n1", "n2", "n3", "n4"]
    assert ids(routed_to="referral") == ["n1"]
    assert ids(routed_to="employment_center") == ["n1"]
    assert ids(routed_to="program:scholarship") == ["n2"]
    assert ids(routed_to="unrouted") == ["n3", "n4"]
    assert ids(region=YINTAI) == ["n2"]
    assert ids(region="61") == ["n1", "n2", "n3", "n4"]
    assert ids(member_id="h1-1") == ["n4"]
    assert ids(kind="schooling", region=YINTAI, routed_to="program") == ["n2"]
    loaded.close_need("n3", "moved", date(2021, 7, 1))
    assert ids(status="closed") == ["n3"]
    assert ids(period=Year(2022)) == []
    with pytest.raises(InvalidValue, match="unknown need kind 'schoolin'"):
        loaded.needs(kind="schoolin")
    with pytest.raises(InvalidValue, match="unknown need status"):
        loaded.needs(status="done")
    with pytest.raises(InvalidValue, match="not a region code"):
        loaded.needs(region="王益区")
