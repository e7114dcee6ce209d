"""A referral programme (``ProgramKind.REFERRAL``) refers the eligible to its agency:
no fund, no grant, a real referral for each eligible member's need, on every backend."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import attrs
import pytest

import jieqin
from jieqin.errors import AllocationError
from jieqin.model import NeedSource, NeedStatus, Outcome, ReferralStatus, RouteKind

sys.path.insert(0, str(Path(__file__).parent))
from referral_world import CENTER, JOB_REFERRAL, NO_AGENCY, YEAR, ReferralProgrammes, connected

ON = date(2021, 3, 1)


@pytest.fixture
def campaign(campaign_url: str) -> Iterator[jieqin.Campaign]:
    with connected(campaign_url, ReferralProgrammes()) as opened:
        yield opened


def test_it_refers_the_eligible_with_no_fund_and_no_grant(campaign: jieqin.Campaign) -> None:
    routed = {r.need.need_id: r.route for r in campaign.route_needs(YEAR, on=ON)}
    assert routed["n1"].target == JOB_REFERRAL  # type: ignore[union-attr]
    plan = campaign.allocate(JOB_REFERRAL, YEAR, on=date(2021, 3, 2))
    assert (plan.grants, plan.fund_id) == ((), "")
    summary = plan.summary()
    assert (summary["referred"], summary["ineligible"], summary["fund"]) == (2, 2, None)
    assert summary["granted_total"] == "0.00"
    with campaign.unit_of_work("reader", read_only=True) as uow:
        assert uow.grants.count() == 0
        assert uow.funds.count() == 0
        made = {r.referral_id for r in plan.referrals}  # type: ignore[attr-defined]
        referrals = {r.member_id: r for r in uow.referrals.list() if r.referral_id in made}
        # h3-1 (a farmer, not eligible) was referred by routing, not by the programme
        assert {r.member_id for r in uow.referrals.list() if r.referral_id not in made} == {"h3-1"}
        decisions = {d.member_id: d for d in uow.decisions.list(program_id=JOB_REFERRAL)}
        n1 = uow.needs.get("n1")
    # the two job seekers are referred to the center, each with their routed need
    assert set(referrals) == {"h1-2", "h2-1"}
    assert {r.need_id for r in referrals.values()} == {"n1", "n2"}
    assert {(r.agency, r.status, r.due_on) for r in referrals.values()} == {
        (CENTER, ReferralStatus.REFERRED, date(2021, 4, 1))
    }
    assert decisions["h1-2"].outcome is Outcome.REFERRED
    assert referrals["h1-2"].referral_id in decisions["h1-2"].reason
    assert {decisions[m].outcome for m in ("h1-1", "h3-1")} == {Outcome.INELIGIBLE}
    assert (n1.status, n1.route.kind, n1.route.target) == (  # type: ignore[union-attr]
        NeedStatus.ROUTED,
        RouteKind.PROGRAM,
        JOB_REFERRAL,
    )


def test_running_it_again_refers_nobody_twice(campaign: jieqin.Campaign) -> None:
    campaign.allocate(JOB_REFERRAL, YEAR, on=ON)
    again = campaign.allocate(JOB_REFERRAL, YEAR, on=date(2021, 3, 5))
    assert (again.summary()["referred"], again.summary()["already_referred"]) == (0, 2)
    assert len(campaign.referrals()) == 2


def test_a_member_with_no_need_gets_one_of_the_kind_served(campaign: jieqin.Campaign) -> None:
    with campaign.unit_of_work("test") as uow:
        uow.needs.update(
            uow.needs.get("n2").__class__(
                "n2", "h2", "employment", YEAR, NeedSource.SURVEY, date(2021, 2, 1), "h2-1",
                status=NeedStatus.CLOSED, resolved_on=date(2021, 2, 20), resolved_by="moved",
            )
        )  # fmt: skip
        uow.commit()
    campaign.allocate(JOB_REFERRAL, YEAR, on=ON)
    (made,) = [r for r in campaign.referrals() if r.member_id == "h2-1"]
    with campaign.unit_of_work("reader", read_only=True) as uow:
        raised = uow.needs.get(made.need_id)
    assert made.need_id != "n2"
    assert (raised.kind, raised.source, raised.status, raised.raised_on) == (
        "employment",
        NeedSource.RULE,
        NeedStatus.ROUTED,
        ON,
    )


def test_completing_its_referral_resolves_the_need(campaign: jieqin.Campaign) -> None:
    campaign.allocate(JOB_REFERRAL, YEAR, on=ON)
    (referral,) = [r for r in campaign.referrals() if r.member_id == "h1-2"]
    need = campaign.complete_referral(referral.referral_id, date(2021, 4, 1), outcome="employed")
    assert (need.need_id, need.status) == ("n1", NeedStatus.RESOLVED)


def test_a_rejection_sends_the_need_elsewhere_and_not_to_the_programme_again(
    campaign: jieqin.Campaign,
) -> None:
    campaign.route_needs(YEAR, on=ON)
    campaign.allocate(JOB_REFERRAL, YEAR, on=ON)
    (referral,) = [r for r in campaign.referrals() if r.member_id == "h1-2"]
    campaign.reject_referral(referral.referral_id, "不在服务范围", date(2021, 3, 3))
    results = {r.need.need_id: r for r in campaign.route_needs(YEAR, on=date(2021, 3, 4))}
    rerouted = results["n1"]
    assert rerouted.route is not None
    assert (rerouted.route.kind, rerouted.route.target) == (RouteKind.REFERRAL, "labour_office")
    assert f"not {JOB_REFERRAL}: agency {CENTER} rejected" in rerouted.explanation


def test_a_dry_run_writes_nothing_and_a_fund_is_refused(campaign: jieqin.Campaign) -> None:
    plan = campaign.allocate(JOB_REFERRAL, YEAR, on=ON, dry_run=True)
    assert len(plan.referrals) == 2  # type: ignore[attr-defined]
    assert campaign.referrals() == []
    with pytest.raises(AllocationError, match="grants from no fund: leave out --fund"):
        campaign.allocate(JOB_REFERRAL, YEAR, on=ON, fund_id="f1")


def test_an_old_definition_without_an_agency_is_refused_clearly(
    campaign: jieqin.Campaign,
) -> None:
    with pytest.raises(AllocationError, match=f"programme {NO_AGENCY} is a referral programme"):
        campaign.allocate(NO_AGENCY, YEAR, on=ON)
    assert campaign.referrals() == []


def test_the_aid_service_refers_for_a_referral_programme(campaign_url: str) -> None:
    from jieqin.services.aid import allocate

    with connected(campaign_url, ReferralProgrammes()) as campaign:
        program = campaign.aid_program(JOB_REFERRAL)
        # the service called as any programme's allocation refers just the same
        with campaign.unit_of_work("clerk") as uow:
            plan = allocate(uow, program, YEAR, on=ON)
        assert plan.summary()["referred"] == 2
        assert len(campaign.referrals()) == 2


class MedicalReferral:
    """Refers members with a major illness to the health bureau: being referred tells
    the bureau a health fact, so each referral needs the member's consent."""

    @staticmethod
    @jieqin.hookimpl
    def jieqin_register_programs(register: object) -> None:
        from jieqin import AidProgram, major_illness
        from jieqin.model import Program, ProgramKind

        program = Program(
            "illness_referral",
            "大病转介",
            "市卫健委",
            ProgramKind.REFERRAL,
            serves=frozenset({"medical"}),
            agency="health_bureau",
        )
        register(AidProgram(program, eligibility=major_illness()))  # type: ignore[operator]


def test_a_referral_that_tells_a_health_fact_waits_for_consent(campaign_url: str) -> None:
    from jieqin.model import Consent, Health, HealthCondition, Relation
    from referral_world import _member, households

    ill = _member(
        "h9-1", date(1970, 1, 1), 19, Relation.HEAD, health=Health(HealthCondition.MAJOR_ILLNESS)
    )
    home = attrs.evolve(households()[2], household_id="h9", members=(ill,))
    with connected(campaign_url, MedicalReferral()) as campaign:
        with campaign.unit_of_work("test") as uow:
            uow.households.add(home)
            uow.commit()
        held = campaign.allocate("illness_referral", YEAR, on=ON)
        assert (len(held.referrals), held.awaiting_consent) == (0, ("h9-1",))  # type: ignore[attr-defined]
        with campaign.unit_of_work("reader", read_only=True) as uow:
            (need,) = uow.needs.list(member_id="h9-1")
            (decision,) = uow.decisions.list(program_id="illness_referral", member_id="h9-1")
        assert need.status is NeedStatus.HELD
        assert decision.outcome is Outcome.WAIT_LISTED
        assert "awaiting consent" in decision.reason
        with campaign.unit_of_work("clerk") as uow:
            uow.consents.add(
                Consent(
                    "c9", "h9-1", "h9", "health_bureau", "大病转介", frozenset({"health"}),
                    date(2021, 2, 1),
                )
            )  # fmt: skip
            uow.commit()
        campaign.route_needs(YEAR, on=date(2021, 3, 2))  # the held need is tried anew
        sent = campaign.allocate("illness_referral", YEAR, on=date(2021, 3, 2))
        (referral,) = sent.referrals  # type: ignore[attr-defined]
        assert (referral.agency, referral.consent_id) == ("health_bureau", "c9")
