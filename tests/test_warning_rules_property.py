"""The warning rules decide every household the same at once and one at a time."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jieqin.rules import Context, Parameter, Parameters, Population
from jieqin.rules.monitoring import MonitoringParameters
from jieqin.rules.observations import ObservationTable
from jieqin.rules.parameters import DatedValue
from jieqin.rules.warnings import STANDARD_WARNING_RULES, evaluate, explain
from jieqin.testing.strategies import household_observations, households, periods

#: Shaanxi's own line, above the national one, from 2022: households there are decided
#: with it, the others with the national line.
SHAANXI = Parameters.of(
    Parameter("monitoring_line", (DatedValue(date(2021, 1, 1), 7000, "test: Shaanxi"),))
)


@st.composite
def cases(draw: st.DrawFn):
    homes = draw(
        st.lists(
            households(max_members=4), min_size=1, max_size=6, unique_by=lambda h: h.household_id
        )
    )
    period = draw(periods(min_year=2021, max_year=2025))
    observed = draw(household_observations(homes, period))
    since = draw(st.none() | st.dates(date(2019, 1, 1), date(2026, 12, 31)))
    regional = draw(st.booleans())
    return homes, period, observed, since, regional


@settings(max_examples=40, deadline=None)
@given(cases())
def test_every_warning_rule_decides_the_same_at_once_and_one_household_at_a_time(case):
    homes, period, observed, since, regional = case
    parameters = MonitoringParameters(regional=[("61", SHAANXI)] if regional else [])
    for heads_only in (False, True):
        population = Population.from_households(homes, heads_only=heads_only)
        table = ObservationTable.from_observations(observed, population.household_ids)
        context = Context(period, observations=table, since=since)
        held = evaluate(STANDARD_WARNING_RULES, population, context, parameters)
        for row, home in enumerate(homes):
            explained = explain(STANDARD_WARNING_RULES, home, context, parameters, reveal=True)
            assert [e.eligible for e in explained] == [
                bool(held[r.code][row]) for r in STANDARD_WARNING_RULES
            ]
            for e in explained:
                assert e.conditions[0].held is e.eligible


@settings(max_examples=15, deadline=None)
@given(cases())
def test_a_table_not_aligned_with_the_population_reads_the_same(case):
    homes, period, observed, since, _ = case
    population = Population.from_households(homes)
    aligned = ObservationTable.from_observations(observed, population.household_ids)
    other = ObservationTable.from_observations(observed, population.household_ids[::-1])
    first = evaluate(
        STANDARD_WARNING_RULES, population, Context(period, observations=aligned, since=since)
    )
    second = evaluate(
        STANDARD_WARNING_RULES, population, Context(period, observations=other, since=since)
    )
    for code, mask in first.items():
        assert np.array_equal(mask, second[code]), code


@st.composite
def tables(draw: st.DrawFn):
    """Households and a table of observations built from columns, with every kind the
    facts read (member events among them), around a month."""
    homes = draw(
        st.lists(
            households(max_members=3), min_size=1, max_size=5, unique_by=lambda h: h.household_id
        )
    )
    month = draw(periods(min_year=2021, max_year=2024))
    first = month.start.year * 12 + month.start.month - 1
    kinds = ("income", "medical", "major_illness", "disability", "school_dropout")
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(homes) - 1),
                st.integers(0, len(kinds) - 1),
                st.integers(-26, 3),
                st.sampled_from([1, 1, 1, 3, 12]),
                st.integers(0, 2_000_000),
            ),
            max_size=30,
        )
    )
    since = draw(st.none() | st.dates(date(2019, 1, 1), date(2026, 12, 31)))
    spans = []
    for _, _, offset, months, _ in rows:
        start = first + offset
        start -= start % months  # a quarter or year starts on its boundary
        last = start + months - 1
        end = date(last // 12, last % 12 + 1, 1)
        spans.append((start, months, (end.replace(day=28)).toordinal() + 3))
    return homes, month, rows, kinds, spans, since


@settings(max_examples=40, deadline=None)
@given(tables())
def test_member_events_and_every_kind_decide_the_same_both_ways(case):
    homes, month, rows, kinds, spans, since = case
    population = Population.from_households(homes, heads_only=True)
    table = ObservationTable.from_arrays(
        household_ids=population.household_ids,
        household=[r[0] for r in rows],
        kinds=kinds,
        kind=[r[1] for r in rows],
        first_month=[s[0] for s in spans],
        months=[s[1] for s in spans],
        end_day=[s[2] for s in spans],
        amount_fen=[r[4] for r in rows],
    )
    context = Context(month, observations=table, since=since)
    held = evaluate(STANDARD_WARNING_RULES, population, context)
    for row, home in enumerate(homes):
        explained = explain(STANDARD_WARNING_RULES, home, context, reveal=True)
        assert [e.eligible for e in explained] == [
            bool(held[r.code][row]) for r in STANDARD_WARNING_RULES
        ]
