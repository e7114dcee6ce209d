"""The rules engine: one definition, explained for one member and vectorised for many."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jieqin.errors import InvalidInput, InvalidValue
from jieqin.model import (
    Health,
    HealthCondition,
    Household,
    Program,
    Quarter,
    Schooling,
    SchoolLevel,
    Year,
)
from jieqin.rules import (
    AidProgram,
    AmountTier,
    Context,
    Parameters,
    Population,
    Subject,
    age_between,
    all_of,
    any_of,
    check,
    college_freshman,
    fact,
    household_paired,
    major_illness,
    not_,
    not_granted_before,
    param,
    subjects_of,
)
from jieqin.testing.strategies import households, periods

PARAMS = Parameters.from_mapping(
    {
        "min_age": {
            "values": [
                {"since": "2015-01-01", "value": 16, "source": "notice 2015"},
                {"since": "2021-07-01", "value": 18, "source": "notice 2021-7"},
            ]
        },
        "max_age": {"values": [{"since": "2015-01-01", "value": 60, "source": "notice 2015"}]},
        "max_disability_grade": {"values": [{"since": "2015-01-01", "value": 2}]},
        "amount": {"unit": "yuan", "values": [{"since": "2015-01-01", "value": "5000"}]},
    }
)

#: A rule that uses every kind of node: all / any / not, parameters, categories, flags.
RULE = all_of(
    "eligible",
    age_between("min_age", "max_age"),
    any_of(
        "in_need",
        major_illness(),
        college_freshman(),
        check(
            "severely_disabled",
            (fact("disability_grade") > 0)
            & (fact("disability_grade") <= param("max_disability_grade")),
        ),
        check("monitored", fact("monitored") == True),  # noqa: E712
    ),
    household_paired(),
    not_("not_migrant", check("migrant", fact("employment") == "migrant_worker")),
    not_granted_before("aid"),
)

PROGRAM = AidProgram(
    Program("aid", "救助", "省慈善协会", "cash_grant", serves={"medical"}),
    RULE,
    version="2021.1",
    parameters=PARAMS,
    amount_parameter="amount",
)


def _unique(hs: list[Household]) -> bool:
    return len({h.household_id for h in hs}) == len(hs)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(households(max_members=5), min_size=1, max_size=6).filter(_unique),
    periods(min_year=2018, max_year=2024),
    st.data(),
)
def test_population_and_one_by_one_decide_identically(hs, period, data):
    ids = [h.household_id for h in hs]
    paired = data.draw(st.sets(st.sampled_from(ids)))
    members = [m.member_id for h in hs for m in h.members]
    granted = data.draw(st.sets(st.sampled_from(members)))
    on = data.draw(st.dates(period.start, period.end))
    context = Context(period, on, paired, {("aid", m) for m in granted})
    population = Population.from_households(hs)
    vectorised = PROGRAM.eligible(population, context)
    one_by_one = [PROGRAM.explain(s).eligible for s in subjects_of(hs, context)]
    assert vectorised.tolist() == one_by_one
    assert one_by_one == [PROGRAM.decides(s) for s in subjects_of(hs, context)]


def _with(household: Household, **member_changes: object) -> Household:
    import attrs

    head = attrs.evolve(household.members[0], **member_changes)
    return attrs.evolve(household, members=(head, *household.members[1:]))


@settings(max_examples=15, deadline=None)
@given(households(max_members=1))
def test_chronic_illness_is_not_a_major_illness(h):
    rule = all_of("sick", major_illness())
    program = AidProgram(Program("ill", "大病", "省慈善协会", "cash_grant"), rule)
    context = Context(Year(2021))
    chronic = _with(h, health=Health(HealthCondition.CHRONIC_ILLNESS, "高血压"))
    major = _with(h, health=Health(HealthCondition.MAJOR_ILLNESS, "尿毒症"))
    refused = program.explain(Subject(chronic.members[0], chronic, context))
    assert not refused.eligible
    explained = program.explain(Subject(major.members[0], major, context))
    assert explained.eligible
    # health is sensitive: the member's value is masked in the explanation and the
    # inputs unless revealed, and the detail says the test, not its result, so that
    # it reads the same held or not; the diagnosis is never read at all
    assert explained.conditions[-1].detail == "tested: health <masked> == 'major_illness'"
    assert refused.conditions[-1].detail == explained.conditions[-1].detail
    assert "尿毒症" not in repr(explained)
    assert explained.inputs["health"] == "<masked>"
    assert explained.inputs["resident_id"] != major.members[0].resident_id
    revealed = program.explain(Subject(major.members[0], major, context), reveal=True)
    assert revealed.inputs["health"] == "major_illness"
    assert revealed.conditions[-1].detail == "health 'major_illness' == 'major_illness'"
    told = program.explain(Subject(chronic.members[0], chronic, context), reveal=True)
    assert told.conditions[-1].detail == "health 'chronic_illness' != 'major_illness'"


@settings(max_examples=15, deadline=None)
@given(households(max_members=1), st.integers(2015, 2025))
def test_freshman_only_in_the_year_of_entry(h, year):
    program = AidProgram(Program("s", "助学", "市慈善协会", "scholarship"), college_freshman())
    freshman = _with(h, schooling=Schooling(SchoolLevel.COLLEGE, year))
    for period, expected in ((Year(year), True), (Year(year + 1), False), (Quarter(year, 3), True)):
        subject = Subject(freshman.members[0], freshman, Context(period))
        assert program.explain(subject).eligible is expected
    senior = _with(h, schooling=Schooling(SchoolLevel.SENIOR_SECONDARY, year))
    assert not program.decides(Subject(senior.members[0], senior, Context(Year(year))))


@settings(max_examples=5, deadline=None)
@given(households(max_members=1))
def test_explanation_names_each_condition_and_its_values(h):
    context = Context(Year(2021), date(2021, 3, 1), paired_households=set())
    explained = PROGRAM.explain(Subject(h.members[0], h, context))
    names = [c.name for c in explained.conditions]
    assert names[0] == "eligible"
    assert {"age_in_range", "in_need", "household_paired", "not_migrant", "migrant"} <= set(names)
    paired = next(c for c in explained.conditions if c.name == "household_paired")
    assert not paired.held
    assert paired.detail == "paired no != yes"
    assert not explained.eligible
    assert "household_paired (paired no != yes)" in explained.reason()
    assert explained.parameters["min_age"] == "16 (since 2015-01-01; notice 2015)"


def test_parameter_in_force_on_the_decision_day():
    assert PARAMS.value_on("min_age", date(2021, 6, 30)) == 16
    assert PARAMS.value_on("min_age", date(2021, 7, 1)) == 18
    with pytest.raises(InvalidValue, match="no value in force"):
        PARAMS.value_on("min_age", date(2014, 12, 31))
    with pytest.raises(InvalidValue, match="unknown parameter"):
        PARAMS.value_on("nope", date(2021, 1, 1))
    assert PROGRAM.amount_on(date(2021, 1, 1)) == Decimal("5000.00")


def test_parameters_load_from_toml_and_json(tmp_path):
    toml = tmp_path / "params.toml"
    toml.write_text(
        '[amount]\nunit = "yuan"\n[[amount.values]]\nsince = 2021-01-01\nvalue = "5000"\n'
        'source = "省慈善协会 2021"\n[[amount.values]]\nsince = 2022-01-01\nvalue = 6000\n',
        encoding="utf-8",
    )
    loaded = Parameters.load(toml)
    assert loaded.value_on("amount", date(2021, 12, 31)) == Decimal("5000.00")
    assert loaded.value_on("amount", date(2022, 1, 1)) == Decimal("6000.00")
    js = tmp_path / "params.json"
    js.write_text('{"min_age": {"values": [{"since": "2020-01-01", "value": 17}]}}')
    merged = PARAMS | Parameters.load(js)
    assert merged.value_on("min_age", date(2021, 1, 1)) == 17
    assert PROGRAM.with_parameters(Parameters.load(js)).values_on(date(2021, 1, 1))["min_age"] == 17


def test_bad_parameter_files_name_the_file_and_field(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[amount]\nunit = "yuan"\n[[amount.values]]\nsince = "2021-13-01"\nvalue = 1\n')
    with pytest.raises(InvalidInput, match=r"bad.toml: amount.values\[0\].since"):
        Parameters.load(bad)
    floaty = tmp_path / "float.toml"
    floaty.write_text("[rate]\n[[rate.values]]\nsince = 2021-01-01\nvalue = 0.1\n")
    with pytest.raises(InvalidInput, match="binary fraction"):
        Parameters.load(floaty)
    broken = tmp_path / "broken.json"
    broken.write_text('{"a": \n')
    with pytest.raises(InvalidInput, match=r"broken\.json line 2"):
        Parameters.load(broken)


def test_rule_version_changes_with_the_logic():
    other = AidProgram(PROGRAM.program, all_of("eligible", major_illness()), version="2021.1")
    assert PROGRAM.rule_version.startswith("aid/2021.1#")
    assert other.rule_version != PROGRAM.rule_version
    same = AidProgram(PROGRAM.program, RULE, version="2021.1", parameters=PARAMS)
    assert same.rule_version == PROGRAM.rule_version


def test_programme_must_define_the_parameters_it_uses():
    with pytest.raises(InvalidValue, match="min_age"):
        AidProgram(PROGRAM.program, age_between("min_age", "max_age"))


def test_category_facts_compare_only_for_equality():
    with pytest.raises(InvalidValue, match="health"):
        fact("health") > "healthy"  # noqa: B015
    with pytest.raises(InvalidValue, match="unknown fact"):
        fact("income")


def test_condition_names_are_unique_within_a_rule():
    with pytest.raises(InvalidValue, match="unique"):
        all_of("x", major_illness(), major_illness())


TIERED = AidProgram(
    Program("tiered", "分档救助", "省慈善协会", "cash_grant"),
    all_of("any_member", check("alive", fact("age") >= 0)),
    parameters=Parameters.from_mapping(
        {
            "base": {"unit": "yuan", "values": [{"since": "2015-01-01", "value": "2000"}]},
            "severe": {"unit": "yuan", "values": [{"since": "2015-01-01", "value": "8000.50"}]},
            "sick": {"unit": "yuan", "values": [{"since": "2015-01-01", "value": "5000"}]},
        }
    ),
    amount_parameter="base",
    amount_tiers=[
        AmountTier(
            check(
                "severe_disability",
                (fact("disability_grade") > 0) & (fact("disability_grade") <= 2),
            ),
            "severe",
        ),
        AmountTier(major_illness(), "sick"),
    ],
)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(households(max_members=4), min_size=1, max_size=5).filter(_unique),
    periods(min_year=2018, max_year=2024),
)
def test_entitlement_tiers_agree_one_by_one_and_vectorised(hs, period):
    context = Context(period)
    fen = TIERED.amounts_fen(Population.from_households(hs), context).tolist()
    explained = [TIERED.explain(s) for s in subjects_of(hs, context)]
    assert fen == [int(e.amount * 100) for e in explained]
    for s, e in zip(subjects_of(hs, context), explained, strict=True):
        grade = s.member.disability_grade
        if grade is not None and grade <= 2:
            assert e.amount == Decimal("8000.50")
        elif s.member.health.condition is HealthCondition.MAJOR_ILLNESS:
            assert e.amount == Decimal("5000.00")
        else:
            # the tier taken tells the health fact: its name is shown only when revealed
            revealed = TIERED.explain(s, reveal=True)
            assert (e.amount, revealed.amount_basis) == (Decimal("2000.00"), "base amount")
