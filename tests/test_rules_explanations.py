"""Explanations that tell the truth: a check prints its result with the values compared,
and a refusal names the conditions that caused it, a minimal set, and nothing else."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from jieqin.model import (
    Household,
    Member,
    Program,
    RegionCode,
    Relation,
    Sex,
    StatusChange,
    Year,
)
from jieqin.rules import (
    AidProgram,
    AllOf,
    AnyOf,
    Condition,
    Context,
    NotCondition,
    Parameters,
    Subject,
    all_of,
    any_of,
    check,
    fact,
    household_paired,
    not_,
    param,
    subjects_of,
)
from jieqin.rules.expressions import SubjectFacts
from jieqin.testing.strategies import conditions, contexts, households

PARAMS = Parameters.from_mapping(
    {"wn_heating_min_age": {"values": [{"since": "2015-01-01", "value": 70, "source": "n"}]}}
)

#: Winter heating: the elderly or the disabled, of a paired household, not migrants.
HEATING = AidProgram(
    Program("wn_heating", "冬季取暖补贴", "县民政局", "in_kind"),
    all_of(
        "wn_heating",
        any_of(
            "in_need",
            check("elderly", fact("age") >= param("wn_heating_min_age")),
            check("disabled", fact("disability_grade") > 0),
        ),
        household_paired(),
        not_("not_migrant", check("migrant", fact("employment") == "migrant_worker")),
    ),
    parameters=PARAMS,
)


def _home(born: date, **facts: object) -> Household:
    head = Member("h1-1", "张三", Sex.MALE, born, None, Relation.HEAD, **facts)  # type: ignore[arg-type]
    return Household(
        "h1", RegionCode("610203001001"), [head], [StatusChange("lifted_out", date(2019, 1, 1))]
    )


def _explain(home: Household, *, paired: bool, on: date = date(2021, 12, 1), reveal=False):
    context = Context(Year(on.year), on, {"h1"} if paired else set())
    return HEATING.explain(Subject(home.members[0], home, context), reveal=reveal)


def _detail(explained, name: str) -> str:
    return next(c.detail for c in explained.conditions if c.name == name)


def test_a_check_prints_its_result_with_the_values_compared() -> None:
    old = _explain(_home(date(1948, 1, 1)), paired=True)  # 73 on 2021-12-01
    young = _explain(_home(date(1952, 6, 1)), paired=True)  # 69
    assert _detail(old, "elderly") == "age 73 >= wn_heating_min_age 70"
    assert _detail(young, "elderly") == "age 69 < wn_heating_min_age 70"
    assert _detail(young, "household_paired") == "paired yes == yes"
    assert _detail(young, "migrant") == "employment 'farming' != 'migrant_worker'"
    assert _detail(young, "not_migrant") == (
        "migrant failed (employment 'farming' != 'migrant_worker')"
    )


def test_every_comparison_reads_as_what_is_true() -> None:
    facts = SubjectFacts(
        Subject(_home(date(1952, 6, 1)).members[0], _home(date(1952, 6, 1)), Context(Year(2021)))
    )
    age = fact("age")  # 68 on 2021-01-01
    cases = {
        age >= 70: "age 68 < 70",
        age > 68: "age 68 <= 68",
        age < 68: "age 68 >= 68",
        age <= 60: "age 68 > 60",
        age == 60: "age 68 != 60",
        age != 68: "age 68 == 68",
        age.isin([1, 2]): "age 68 not in {1, 2}",
        (age >= 16) & (age <= 60): "age 68 > 60",  # only the part that failed
        (age < 16) | (age > 70): "age 68 >= 16 and age 68 <= 70",
        ~(age >= 60): "age 68 >= 60",
        age >= 60: "age 68 >= 60",
    }
    for expr, shown in cases.items():
        assert expr.render(facts, {}, False) == shown, expr.describe()


def test_a_sensitive_test_reads_the_same_whether_it_held_or_not() -> None:
    disabled = _explain(_home(date(1980, 1, 1), disability_grade=2), paired=True)
    not_disabled = _explain(_home(date(1980, 1, 1)), paired=True)
    assert _detail(disabled, "disabled") == "tested: disability_grade <masked> > 0"
    assert _detail(not_disabled, "disabled") == _detail(disabled, "disabled")
    revealed = _explain(_home(date(1980, 1, 1), disability_grade=2), paired=True, reveal=True)
    assert _detail(revealed, "disabled") == "disability_grade 2 > 0"
    # and people never read it, nor what it decided: the rule reads a sensitive fact
    assert disabled.shown_reason() == "<masked>"
    shown = {c["name"]: c for c in disabled.shown_conditions()}
    assert not {"wn_heating", "in_need", "disabled"} & set(shown)
    assert "disability" not in " ".join(
        c["detail"] for c in shown.values() if c["name"] != "<masked>"
    )


def test_an_unpaired_73_year_old_is_told_only_that_the_household_is_unpaired() -> None:
    explained = _explain(_home(date(1948, 1, 1)), paired=False)
    assert not explained.eligible
    assert explained.reason() == "failed: household_paired (paired no != yes)"
    assert "disabled" not in explained.reason()  # the any_of held: it decided nothing
    assert "elderly" not in explained.reason()


def test_a_failed_any_of_is_named_with_its_failed_parts() -> None:
    explained = _explain(_home(date(1952, 6, 1)), paired=True)
    assert explained.reason() == (
        "failed: in_need (none held: elderly (age 69 < wn_heating_min_age 70), "
        "disabled (tested: disability_grade <masked> > 0))"
    )
    both = _explain(_home(date(1952, 6, 1)), paired=False)
    assert both.reason().startswith("failed: in_need (none held: ")
    assert both.reason().endswith("; household_paired (paired no != yes)")


def test_a_failed_not_names_the_part_that_held() -> None:
    explained = _explain(_home(date(1948, 1, 1), employment="migrant_worker"), paired=True)
    assert explained.reason() == (
        "failed: not_migrant (migrant held (employment 'migrant_worker' == 'migrant_worker'))"
    )


def test_a_top_condition_that_is_not_all_of_is_its_own_cause() -> None:
    program = AidProgram(
        Program("old", "敬老", "县民政局", "cash_grant"),
        check("elderly", fact("age") >= param("wn_heating_min_age")),
        parameters=PARAMS,
    )
    home = _home(date(1952, 6, 1))
    explained = program.explain(Subject(home.members[0], home, Context(Year(2021))))
    assert explained.reason() == "failed: elderly (age 68 < wn_heating_min_age 70)"


# --- the cause is minimal, for any rule and any member -------------------------------


def _value(c: Condition, held: dict[str, bool], taken: frozenset[str]) -> bool:
    """The condition's value with the ``taken`` conditions taken as held, every other
    check as it was: a reference evaluation, independent of the rules engine."""
    if c.name in taken:
        return True
    if isinstance(c, AnyOf):
        return any(_value(p, held, taken) for p in c.parts)
    if isinstance(c, AllOf):
        return all(_value(p, held, taken) for p in c.parts)
    if isinstance(c, NotCondition):
        return not _value(c.part, held, taken)
    return held[c.name]


def _through_all_of_only(rule: Condition, name: str) -> bool:
    """Whether ``name`` is reached from the top through ``all_of`` conditions only."""
    if rule.name == name:
        return True
    if isinstance(rule, AllOf) and not isinstance(rule, AnyOf):
        return any(_through_all_of_only(p, name) for p in rule.parts)
    return False


def _below(c: Condition) -> set[str]:
    return {d.name for d in c.walk()} - {c.name}


def _check_cause(program: AidProgram, subject: Subject) -> None:
    rule = program.eligibility
    values = program.values_on(subject.context.day)
    explained = program.explain(subject, reveal=True)
    held = {c.name: c.held for c in explained.conditions}
    facts = SubjectFacts(subject)
    cause = rule.cause(facts, values)
    names = frozenset(c.name for c in cause)
    assert len(names) == len(cause)
    if explained.eligible:
        assert cause == ()
        assert explained.reason() == "all conditions held"
        return
    assert cause, "a refusal has a cause"
    assert _value(rule, held, frozenset()) is False
    # never a condition that held; only through all_of (nothing below an any_of that held)
    assert not any(held[n] for n in names)
    assert all(_through_all_of_only(rule, n) for n in names)
    assert not any(isinstance(c, AllOf) and not isinstance(c, AnyOf) for c in cause)
    # taking them as held makes the rule hold, leaving any one out does not
    assert _value(rule, held, names) is True
    for n in names:
        assert _value(rule, held, names - {n}) is False, n
    # the reason says each cause, and names no other condition (but what a cause lists)
    reason = explained.reason()
    for c in cause:
        assert c.why(facts, values, True) in reason
    listed = set().union(*(_below(c) for c in cause))
    for other in {c.name for c in rule.walk()} - names - listed - {rule.name}:
        assert not re.search(rf"\b{re.escape(other)}\b", reason), (other, reason)


@st.composite
def cases(draw: st.DrawFn):
    homes = draw(
        st.lists(
            households(max_members=3), min_size=1, max_size=3, unique_by=lambda h: h.household_id
        )
    )
    return homes, draw(conditions(max_depth=4)), draw(contexts(homes))


@settings(max_examples=80, deadline=None)
@given(cases())
def test_the_cause_of_any_refusal_is_minimal(case) -> None:
    homes, rule, context = case
    program = AidProgram(Program("aid", "测试", "测试", "cash_grant"), rule)
    for subject in subjects_of(homes, context):
        _check_cause(program, subject)


@st.composite
def switch_trees(draw: st.DrawFn) -> tuple[Condition, dict[str, bool]]:
    """Trees whose checks are switches (a parameter each, held or not): every shape of
    refusal, far more often than real facts give."""
    counter = iter(range(1000))
    switches: dict[str, bool] = {}

    def node(depth: int) -> Condition:
        n = next(counter)
        kind = draw(st.sampled_from(["check", "all", "any", "not"])) if depth < 4 else "check"
        if kind == "check":
            switches[f"s{n}x"] = draw(st.booleans())
            return check(f"s{n}x", param(f"s{n}x") == True)  # noqa: E712
        if kind == "not":
            return not_(f"not{n}x", node(depth + 1))
        parts = [node(depth + 1) for _ in range(draw(st.integers(1, 3)))]
        return (all_of if kind == "all" else any_of)(f"{kind}{n}x", *parts)

    return all_of("rule", node(0)), switches


@settings(max_examples=200, deadline=None)
@given(switch_trees())
def test_the_cause_is_minimal_for_every_shape_of_tree(tree) -> None:
    rule, switches = tree
    parameters = Parameters.from_mapping(
        {name: {"values": [{"since": "2015-01-01", "value": v}]} for name, v in switches.items()}
    )
    program = AidProgram(Program("aid", "测试", "测试", "cash_grant"), rule, parameters=parameters)
    home = _home(date(1970, 1, 1))
    subject = Subject(home.members[0], home, Context(Year(2021)))
    assert program.explain(subject).eligible is _value(rule, switches, frozenset())
    _check_cause(program, subject)
