"""The synthetic Tongchuan cohort: deterministic, valid, and holding the people the rules turn away."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

import jieqin
from jieqin.demo import Cohort, generate_cohort
from jieqin.demo.cohort import MOVED_AWAY
from jieqin.demo.schedule import ACTIVITIES_2021, MEMBER_ACTIVITY_DAYS_2021, plan_activities

TONGCHUAN_COUNTIES = {"610202", "610203", "610204", "610222"}


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return generate_cohort(2021)


def test_same_seed_same_cohort_other_seed_other_cohort(cohort: Cohort) -> None:
    assert generate_cohort(2021) == cohort
    other = generate_cohort(7)
    assert [h.name for h in other.households[0].members] != [
        h.name for h in cohort.households[0].members
    ]


def test_helpers_span_the_four_tiers_and_the_citys_counties(cohort: Cohort) -> None:
    assert len(cohort.helpers) == 755
    assert len({h.helper_id for h in cohort.helpers}) == 755
    assert set(Counter(h.tier for h in cohort.helpers)) == set(jieqin.Tier)
    assert {h.home_region.code[:6] for h in cohort.helpers} == TONGCHUAN_COUNTIES
    assert {h.capacity for h in cohort.helpers} <= {1, 2}
    assert all(h.sectors for h in cohort.helpers)


def test_households_live_in_villages_with_valid_members(cohort: Cohort) -> None:
    ids: set[str] = set()
    for household in cohort.households:
        assert household.region.level is jieqin.RegionLevel.VILLAGE
        for member in household.members:
            number = member.resident_id
            assert jieqin.validate_resident_id(number) == number
            assert jieqin.resident_id_birth_date(number) == member.birth_date
            assert number[:6] in jieqin.birthplace_codes(member.birth_date.year)
            assert (int(number[16]) % 2 == 1) == (member.sex is jieqin.Sex.MALE)
            assert "\u4e00" <= member.name[0] <= "\u9fff"
            ids.add(number)
    assert len(ids) == len(cohort.members)
    counties = Counter(h.region.code[:6] for h in cohort.households)
    assert set(counties) == TONGCHUAN_COUNTIES | {"610429"}


def test_cohort_holds_the_facts_that_create_needs(cohort: Cohort) -> None:
    members = cohort.members
    employment = Counter(m.employment for m in members)
    assert employment[jieqin.EmploymentStatus.MIGRANT_WORKER] > 100
    assert employment[jieqin.EmploymentStatus.UNEMPLOYED_SEEKING] > 0
    assert any(m.disabled for m in members)
    assert any(m.age_on(date(2021, 12, 31)) >= 80 for m in members)
    levels = {m.schooling.level for m in members if m.schooling}
    assert {jieqin.SchoolLevel.PRIMARY, jieqin.SchoolLevel.COLLEGE} <= levels


def test_cohort_holds_members_the_rules_must_reject(cohort: Cohort) -> None:
    """Second-year students, chronic-only illness and off-campaign households exist."""
    later_year = [
        m
        for m in cohort.members
        if m.schooling
        and m.schooling.level is jieqin.SchoolLevel.COLLEGE
        and m.schooling.year_of_entry < 2021
    ]
    assert later_year
    chronic = [
        m for m in cohort.members if m.health.condition is jieqin.HealthCondition.CHRONIC_ILLNESS
    ]
    assert len(chronic) > 50
    moved = [h for h in cohort.households if h.status == MOVED_AWAY]
    outside = [h for h in cohort.households if h.region.code[:6] not in TONGCHUAN_COUNTIES]
    assert moved
    assert outside
    # Off-campaign households also hold a freshman, a major illness and a job seeker,
    # so a rule that forgot the pairing condition would be caught by the demo's totals.
    off = [m for h in moved + outside for m in h.members]
    assert any(m.schooling and m.schooling.is_first_year(2021) for m in off)
    assert any(m.health.major_illness for m in off)
    assert any(m.employment is jieqin.EmploymentStatus.UNEMPLOYED_SEEKING for m in off)


def test_q1_survey_answers_belong_to_campaign_households(cohort: Cohort) -> None:
    by_id = {h.household_id: h for h in cohort.households}
    kinds = Counter(a.kind for a in cohort.q1_survey)
    assert jieqin.NeedKind.SKILLS_TRAINING in kinds
    assert jieqin.NeedKind.EMPLOYMENT not in kinds  # job seekers' needs come from a rule
    assert len(kinds) > 2
    for answer in cohort.q1_survey:
        household = by_id[answer.household_id]
        assert household.status != MOVED_AWAY
        assert answer.member_id is None or household.member(answer.member_id)


def test_activities_have_the_given_counts_and_stay_inside_pairings() -> None:
    pairings = [jieqin.Pairing(f"H{i:04d}", f"HH{i:04d}", date(2021, 1, 4)) for i in range(40)]
    pairings += [
        jieqin.Pairing("H0099", "HH0099", date(2021, 1, 4), end=date(2021, 6, 30)),
        jieqin.Pairing("H0100", "HH0099", date(2021, 7, 1)),
    ]
    activities = plan_activities(pairings, seed=3)
    assert Counter(a.kind for a in activities) == ACTIVITIES_2021
    assert activities == plan_activities(pairings, seed=3)
    for activity in activities:
        assert any(
            p.helper_id == activity.helper_id
            and p.household_id == activity.household_id
            and p.active_on(activity.on)
            for p in pairings
        ), activity
    months = Counter(a.on.month for a in activities if a.kind == jieqin.ActivityKind.WARMTH)
    assert months[2] + months[12] > 3 * (months[5] + months[10])
    days = {a.on for a in activities if a.event}
    assert days == set(MEMBER_ACTIVITY_DAYS_2021)


@pytest.mark.parametrize("seed", [1, 7, 99])
def test_any_seed_gives_exactly_the_places_the_campaign_needs(seed: int) -> None:
    """Per county, helpers' places equal the households in the campaign, so a full
    pairing uses every helper; the planted people sit in campaign households."""
    cohort = generate_cohort(seed)
    tongchuan = jieqin.RegionCode("610200")
    in_campaign = [
        h for h in cohort.households if h.status != MOVED_AWAY and tongchuan.contains(h.region)
    ]
    assert len(in_campaign) == 772
    places = Counter()
    for helper in cohort.helpers:
        places[helper.home_region.code[:6]] += helper.capacity
    assert places == Counter(h.region.code[:6] for h in in_campaign)
    members = [m for h in in_campaign for m in h.members]
    freshmen = [m for m in members if m.schooling and m.schooling.level == "college"]
    assert sum(m.schooling.year_of_entry == 2021 for m in freshmen if m.schooling) == 14
    assert sum(m.health.major_illness for m in members) == 12
    seekers = [m for m in members if m.employment is jieqin.EmploymentStatus.UNEMPLOYED_SEEKING]
    training = [a for a in cohort.q1_survey if a.kind == jieqin.NeedKind.SKILLS_TRAINING]
    assert len(seekers) + len(training) == 23
