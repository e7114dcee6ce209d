"""Any rule, decided one member at a time and over the whole population, decides the same."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jieqin.model import Program
from jieqin.rules import AidProgram, Population, Subject, subjects_of
from jieqin.testing.strategies import conditions, contexts, households


@st.composite
def cases(draw: st.DrawFn):
    homes = draw(
        st.lists(
            households(max_members=4), min_size=1, max_size=5, unique_by=lambda h: h.household_id
        )
    )
    return homes, draw(conditions()), draw(contexts(homes))


@settings(max_examples=60, deadline=None)
@given(cases())
def test_any_rule_decides_the_same_one_by_one_and_vectorised(case):
    homes, rule, context = case
    program = AidProgram(Program("aid", "测试", "测试", "cash_grant"), rule)
    vectorised = program.eligible(Population.from_households(homes), context).tolist()
    explained = [program.explain(s) for s in subjects_of(homes, context)]
    assert vectorised == [e.eligible for e in explained]
    # the explanation's top outcome is the decision, and every condition is reported
    names = {c.name for c in rule.walk()}
    for e in explained:
        assert e.conditions[0].held is e.eligible
        assert {c.name for c in e.conditions} == names


@settings(max_examples=12, deadline=None)
@given(cases())
def test_a_population_in_any_order_decides_each_member_the_same(case):
    homes, rule, context = case
    program = AidProgram(Program("aid", "测试", "测试", "cash_grant"), rule)
    forward = Population.from_households(homes)
    backward = Population.from_households(homes[::-1])
    by_member = dict(
        zip(forward.member_ids, program.eligible(forward, context).tolist(), strict=True)
    )
    again = dict(
        zip(backward.member_ids, program.eligible(backward, context).tolist(), strict=True)
    )
    assert by_member == again
    assert by_member == {
        s.member.member_id: program.decides(Subject(s.member, s.household, context))
        for s in subjects_of(homes, context)
    }
