"""Needs: survey intake, needs derived by rules, routing with explanations, resolution."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import jieqin
from jieqin.errors import InvalidInput, InvalidValue
from jieqin.model import (
    Activity,
    EmploymentStatus,
    Fund,
    Health,
    HealthCondition,
    Helper,
    Household,
    Member,
    NeedSource,
    NeedStatus,
    Pairing,
    Quarter,
    RegionCode,
    Relation,
    RouteKind,
    Schooling,
    SchoolLevel,
    Sex,
    StatusChange,
    Year,
)
from jieqin.model.identity import birthplace_codes, check_digit
from jieqin.needs import STANDARD_NEED_KINDS, SurveyAnswer, intake, resolve_by_activity
from jieqin.services.needs import complete_referral, resolve_with_activity

SCHOLARSHIP = "tc_freshman_scholarship"
ILLNESS = "tc_major_illness_grant"
CENTER = "tc_employment_promotion_center"
Q1 = Quarter(2021, 1)


def member(mid: str, born: date, relation=Relation.HEAD, **facts) -> Member:
    place = birthplace_codes(born.year, within="6102")[0]
    first = f"{place}{born:%Y%m%d}{sum(map(ord, mid)) % 1000:03d}"
    return Member(mid, "张三", Sex.FEMALE, born, first + check_digit(first), relation, **facts)


def household(hid: str, *people: Member) -> Household:
    return Household(
        hid, RegionCode("610203001001"), people, [StatusChange("lifted_out", date(2019, 1, 1))]
    )


def world(campaign: jieqin.Campaign) -> None:
    homes = [
        household(
            "h1",
            member("h1-1", date(1970, 1, 1)),
            member(
                "h1-2",
                date(2003, 1, 1),
                Relation.CHILD,
                schooling=Schooling(SchoolLevel.COLLEGE, 2021),
            ),
        ),
        household(
            "h3", member("h3-1", date(1960, 1, 1), health=Health(HealthCondition.MAJOR_ILLNESS))
        ),
        household(
            "h4", member("h4-1", date(1961, 1, 1), health=Health(HealthCondition.CHRONIC_ILLNESS))
        ),
        household(
            "h6", member("h6-1", date(1980, 1, 1), employment=EmploymentStatus.UNEMPLOYED_SEEKING)
        ),
        household(
            "h7", member("h7-1", date(1981, 1, 1), employment=EmploymentStatus.UNEMPLOYED_SEEKING)
        ),
    ]
    with campaign.unit_of_work("test") as uow:
        uow.households.add_many(homes)
        uow.helpers.add_many(
            [
                Helper(
                    "p1", "李医生", "city_member", RegionCode("610203"), {"medical"}, capacity=5
                ),
                Helper(
                    "p2",
                    "王社工",
                    "agency_staff",
                    RegionCode("610203"),
                    {"social_work"},
                    capacity=5,
                ),
            ]
        )
        uow.pairings.add_many(
            [Pairing("p1", h, date(2020, 6, 1)) for h in ("h1", "h3", "h4")]
            + [Pairing("p2", "h6", date(2020, 6, 1))]
        )
        for program in campaign.aid_programs().values():
            uow.programs.add(program.program)
            uow.funds.add(
                Fund(f"f-{program.program_id}", program.program_id, Year(2021), Decimal(50_000))
            )
        uow.commit()


@pytest.fixture
def campaign():
    with jieqin.connect("memory://") as c:
        world(c)
        yield c


def test_needs_derived_from_member_facts_of_paired_households(campaign):
    new = campaign.derive_needs(Year(2021))
    got = sorted((n.member_id, n.kind) for n in new)
    # h7 is not paired; h4's chronic illness raises no major-illness need
    assert got == [("h1-2", "schooling"), ("h3-1", "medical"), ("h6-1", "employment")]
    assert all(n.source is NeedSource.RULE for n in new)
    assert campaign.derive_needs(Year(2021)) == []  # idempotent


def test_routing_prefers_programme_then_agency_then_helper_and_says_why(campaign):
    campaign.survey_needs(
        [
            SurveyAnswer("h1", "schooling", member_id="h1-2"),
            SurveyAnswer("h3", "medical", member_id="h3-1"),
            SurveyAnswer("h4", "medical", member_id="h4-1"),
            SurveyAnswer("h6", "skills_training", member_id="h6-1"),
            SurveyAnswer("h6", "winter_heating"),
            SurveyAnswer("h1", "winter_food"),
        ],
        Q1,
    )
    results = {(r.need.household_id, r.need.kind): r for r in campaign.route_needs(Q1)}
    school = results[("h1", "schooling")].route
    assert (school.kind, school.target) == (RouteKind.PROGRAM, SCHOLARSHIP)
    assert "college_freshman" in school.explanation
    assert results[("h3", "medical")].route.target == ILLNESS
    chronic = results[("h4", "medical")]
    assert (chronic.route.kind, chronic.route.target) == (RouteKind.HELPER, "p1")
    assert f"not eligible for {ILLNESS}" in chronic.explanation
    training = results[("h6", "skills_training")].route
    assert (training.kind, training.target) == (RouteKind.REFERRAL, CENTER)
    assert results[("h6", "winter_heating")].route.target == "p2"
    food = results[("h1", "winter_food")]
    assert food.route is None
    assert "no paired helper brings" in food.explanation
    with campaign.unit_of_work("t") as uow:
        referrals = uow.referrals.list()
        assert [r.agency for r in referrals] == [CENTER]
        assert uow.needs.count(status="routed") == 5
        assert uow.needs.count(status="open") == 1


def test_an_unrouted_need_keeps_why_the_router_found_no_route(campaign_url):
    with jieqin.connect(campaign_url) as campaign:
        world(campaign)
        campaign.survey_needs(
            [
                SurveyAnswer("h1", "winter_food"),
                SurveyAnswer("h7", "schooling", member_id="h7-1"),
            ],
            Q1,
        )
        results = {r.need.household_id: r for r in campaign.route_needs(Q1)}
        food, school = results["h1"], results["h7"]
        assert (food.route, school.route) == (None, None)
        assert food.explanation == (
            "no route; no programme serves winter_food needs; no agency takes winter_food "
            "needs; no paired helper brings agriculture, social_work"
        )
        # h7 is not paired, and h7-1 is no freshman: what the rules decided, no more
        assert school.explanation == (
            f"no route; not eligible for {SCHOLARSHIP} (failed: college_freshman "
            "(school_level 'none' not in {'college'} and year_of_entry 0 != period_year "
            "2021); household_paired (paired no != yes)); no agency takes schooling needs; "
            "the household has no paired helper"
        )
        stored = {n.household_id: n for n in campaign.needs(Q1)}
        assert stored["h1"].unrouted_reason == food.explanation
        assert stored["h7"].unrouted_reason == school.explanation
        assert stored["h7"].status is NeedStatus.OPEN
        # routing again finds the same: nothing is written again
        with campaign.unit_of_work("t") as uow:
            before = len(list(uow.audit.entries()))
        campaign.route_needs(Q1)
        with campaign.unit_of_work("t") as uow:
            assert len(list(uow.audit.entries())) == before


def test_a_grant_resolves_the_need_routed_to_the_programme(campaign):
    campaign.derive_needs(Year(2021))
    campaign.route_needs(Year(2021))
    plan = campaign.allocate(SCHOLARSHIP, Year(2021))
    assert plan.grants[0].need_id is not None
    with campaign.unit_of_work("t") as uow:
        need = uow.needs.get(plan.grants[0].need_id)
    assert need.status is NeedStatus.RESOLVED
    assert need.resolved_by == f"grant:{plan.grants[0].grant_id}"


def test_a_completed_referral_or_practical_help_resolves_a_need(campaign):
    campaign.survey_needs(
        [
            SurveyAnswer("h6", "employment", member_id="h6-1"),
            SurveyAnswer("h4", "medical", member_id="h4-1"),
        ],
        Q1,
    )
    campaign.route_needs(Q1)
    with campaign.unit_of_work("t") as uow:
        referral = uow.referrals.list()[0]
        resolved = complete_referral(
            uow, referral.referral_id, date(2021, 4, 1), outcome="training_arranged"
        )
    assert resolved.resolved_by == f"referral:{referral.referral_id}"
    with campaign.unit_of_work("t") as uow:
        need = next(n for n in uow.needs.list() if n.household_id == "h4")
        uow.activities.add(
            Activity("a1", "practical_help", date(2021, 4, 2), "p1", "h4", need_id=need.need_id)
        )
        uow.commit()
    with campaign.unit_of_work("t") as uow:
        done = resolve_with_activity(uow, need.need_id, "a1")
    assert done.status is NeedStatus.RESOLVED
    with pytest.raises(InvalidValue, match="practical help"):
        resolve_by_activity(need, Activity("a2", "visit", date(2021, 4, 2), "p1", "h4"))


def test_a_survey_with_an_unknown_kind_is_rejected_whole(campaign):
    answers = [SurveyAnswer("h1", "employment", line=2), SurveyAnswer("h1", "spaceship", line=3)]
    with pytest.raises(InvalidInput, match="survey line 3: kind: unknown need kind 'spaceship'"):
        campaign.survey_needs(answers, Q1)
    with campaign.unit_of_work("t") as uow:
        assert uow.needs.count() == 0
    first = campaign.survey_needs(answers[:1], Q1)
    again = campaign.survey_needs(answers[:1], Q1)
    assert len(first) == 1
    assert again == []


def test_winter_check_as_needs():
    from jieqin_tongchuan import WINTER_CHECK

    answers = WINTER_CHECK.answers(
        "h1", {"food": False, "clothing_and_bedding": True, "heating": False}
    )
    needs = intake(answers, Quarter(2021, 4), known_kinds=STANDARD_NEED_KINDS)
    assert sorted(n.kind for n in needs) == ["winter_food", "winter_heating"]


def test_needs_noted_on_visits(campaign):
    (need,) = campaign.survey_needs([SurveyAnswer("h4", "housing")], Q1, on_visit=True)
    assert need.source is NeedSource.VISIT
    assert need.member_id is None
