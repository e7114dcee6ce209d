"""Property tests of Tongchuan's programmes with the strategies jieqin ships."""

from __future__ import annotations

from decimal import Decimal

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from jieqin_tongchuan import (
    EMPLOYMENT_CENTER,
    FRESHMAN_SCHOLARSHIP,
    MAJOR_ILLNESS_GRANT,
    REGION_NAMES,
    WINTER_CHECK,
    programs,
)

import jieqin
from jieqin import (
    Context,
    Health,
    HealthCondition,
    Population,
    SchoolLevel,
    Subject,
    Year,
)
from jieqin.testing.strategies import healths, households, members, schoolings

PROGRAMS = {p.program_id: p for p in programs()}
SCHOLARSHIP = PROGRAMS[FRESHMAN_SCHOLARSHIP]
ILLNESS = PROGRAMS[MAJOR_ILLNESS_GRANT]


@settings(max_examples=20, deadline=None)
@given(
    members(schooling=st.none() | schoolings(min_year=2018, max_year=2023)),
    st.integers(2021, 2024),
    st.booleans(),
)
def test_scholarship_iff_college_freshman_of_a_paired_household(m, year, paired):
    h = jieqin.Household(
        "h1",
        jieqin.RegionCode("610202001001"),
        [attrs.evolve(m, relation="head")],
        [jieqin.StatusChange("lifted_out", jieqin.Year(2019).start)],
    )
    context = Context(Year(year), paired_households={"h1"} if paired else set())
    expected = (
        paired
        and m.schooling is not None
        and m.schooling.level is SchoolLevel.COLLEGE
        and m.schooling.year_of_entry == year
    )
    subject = Subject(h.members[0], h, context)
    assert SCHOLARSHIP.explain(subject).eligible is expected
    assert bool(SCHOLARSHIP.eligible(Population.from_households([h]), context)[0]) is expected
    assert SCHOLARSHIP.amount_on(context.day) == Decimal("5000.00")


@settings(max_examples=20, deadline=None)
@given(members(health=healths()), st.booleans())
def test_major_illness_grant_needs_a_major_illness_not_a_chronic_one(m, paired):
    h = jieqin.Household(
        "h1",
        jieqin.RegionCode("610204001001"),
        [attrs.evolve(m, relation="head")],
        [jieqin.StatusChange("lifted_out", jieqin.Year(2019).start)],
    )
    context = Context(Year(2021), paired_households={"h1"} if paired else set())
    expected = paired and m.health.condition is HealthCondition.MAJOR_ILLNESS
    assert ILLNESS.explain(Subject(h.members[0], h, context)).eligible is expected
    chronic = attrs.evolve(
        h, members=[attrs.evolve(h.members[0], health=Health(HealthCondition.CHRONIC_ILLNESS))]
    )
    assert not ILLNESS.decides(Subject(chronic.members[0], chronic, context))


@settings(max_examples=15, deadline=None)
@given(
    st.lists(households(max_members=4), min_size=1, max_size=5, unique_by=lambda h: h.household_id),
    st.data(),
)
def test_population_and_single_decisions_agree(hs, data):
    paired = data.draw(st.sets(st.sampled_from([h.household_id for h in hs])))
    context = Context(Year(data.draw(st.integers(2021, 2030))), paired_households=paired)
    population = Population.from_households(hs)
    for program in PROGRAMS.values():
        one = [program.decides(Subject(m, h, context)) for h in hs for m in h.members]
        assert program.eligible(population, context).tolist() == one


def test_registered_through_the_entry_point():
    with jieqin.connect("memory://") as campaign:
        assert set(campaign.aid_programs()) >= {FRESHMAN_SCHOLARSHIP, MAJOR_ILLNESS_GRANT}
        agency = campaign.registry.agencies[EMPLOYMENT_CENTER]
        assert agency.need_kinds == {"employment", "skills_training"}
        for code, name in REGION_NAMES.items():
            assert campaign.registry.region_name(code) == name


def test_winter_check_turns_what_is_lacking_into_needs():
    answers = WINTER_CHECK.answers("h1", {"food": True, "heating": False})
    assert sorted(a.kind for a in answers) == ["winter_clothing", "winter_heating"]
