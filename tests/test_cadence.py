"""Follow-up cadence: categories, policies, plugins and the vectorised overdue scan."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jieqin.activities import (
    ANY_KIND,
    ActivitySetup,
    Cadence,
    CadencePolicy,
    CampaignWindow,
    FollowUpArrays,
    HouseholdCategory,
    HouseholdFacts,
    default_policy,
    household_facts,
    overdue,
)
from jieqin.errors import InvalidValue, PluginError
from jieqin.plugins.hookspecs import hookimpl

sys.path.insert(0, str(Path(__file__).parent))
from activity_world import household


def arrays(rows: list[tuple[str, str, date, HouseholdFacts, dict[str, date]]]) -> FollowUpArrays:
    kinds = sorted({k for *_, last in rows for k in last})
    return FollowUpArrays(
        helper_ids=[r[0] for r in rows],
        household_ids=[r[1] for r in rows],
        start=np.array([r[2].toordinal() for r in rows], dtype=np.int64),
        facts=np.array([r[3].bits for r in rows], dtype=np.int64),
        last_by_kind={
            k: np.array([r[4][k].toordinal() if k in r[4] else 0 for r in rows], dtype=np.int64)
            for k in kinds
        },
    )


def test_facts_pick_the_strictest_category() -> None:
    policy = default_policy()
    assert policy.category_of(HouseholdFacts()) == "standard"
    assert policy.category_of(HouseholdFacts(monitored=True)) == "monitored"
    assert policy.category_of(HouseholdFacts(disabled=True, monitored=True)) == (
        "major_illness_or_disability"
    )
    assert household_facts(household("h1", major_illness=True), date(2021, 1, 1)).major_illness
    assert household_facts(household("h2", disability=1), date(2021, 1, 1)).disabled
    assert household_facts(household("h3", status="unstable"), date(2021, 1, 1)).monitored
    for bits in range(8):
        assert HouseholdFacts.from_bits(bits).bits == bits


def test_default_policy_is_stricter_for_illness_and_disability() -> None:
    policy = default_policy()
    standard = {c.track: c.every_days for c in policy.cadences("standard")}
    strict = {c.track: c.every_days for c in policy.cadences("major_illness_or_disability")}
    assert set(standard) == set(strict) == {"contact", "visit"}
    assert all(strict[t] < standard[t] for t in standard)
    assert standard == {"contact": 31, "visit": 92}


def test_overdue_lists_days_behind_most_urgent_first() -> None:
    as_of = date(2021, 12, 31)
    rows = arrays(
        [
            # contacted and visited recently: on time
            (
                "p1",
                "h1",
                date(2021, 1, 1),
                HouseholdFacts(),
                {"contact": date(2021, 12, 20), "visit": date(2021, 11, 1)},
            ),
            # visit 100 days ago: 8 days past the quarterly visit
            (
                "p1",
                "h2",
                date(2021, 1, 1),
                HouseholdFacts(),
                {"contact": date(2021, 12, 20), "visit": as_of - timedelta(100)},
            ),
            # ill: contact 20 days ago is 6 days past the fortnight
            (
                "p2",
                "h3",
                date(2021, 1, 1),
                HouseholdFacts(major_illness=True),
                {"visit": as_of - timedelta(20)},
            ),
            # never visited; paired 40 days ago: contact 9 days late, visit not yet due
            ("p3", "h4", as_of - timedelta(40), HouseholdFacts(), {}),
        ]
    )
    result = overdue(default_policy(), as_of, rows)
    assert [(o.household_id, o.days_overdue) for o in result] == [("h4", 9), ("h2", 8), ("h3", 6)]
    h4 = result[0]
    assert [(t.track, t.last_on) for t in h4.behind] == [("contact", None)]
    assert h4.behind[0].due_on == as_of - timedelta(9)
    assert result[2].category == "major_illness_or_disability"
    assert result[2].behind[0].last_on == as_of - timedelta(20)
    assert result[1].as_dict()["behind"][0]["track"] == "visit"


def test_a_visit_counts_as_contact_but_not_the_other_way_round() -> None:
    as_of = date(2021, 6, 30)
    rows = arrays([("p1", "h1", date(2020, 1, 1), HouseholdFacts(), {"visit": date(2021, 6, 1)})])
    assert overdue(default_policy(), as_of, rows) == []
    rows = arrays([("p1", "h1", date(2020, 1, 1), HouseholdFacts(), {"contact": date(2021, 6, 1)})])
    (late,) = overdue(default_policy(), as_of, rows)
    assert [t.track for t in late.behind] == ["visit"]


def naive_overdue(policy: CadencePolicy, as_of: date, rows: list) -> dict[str, int]:
    """The cadence rule, one pairing at a time, for comparison."""
    out = {}
    for _helper, hid, start, facts, last in rows:
        worst = 0
        for cadence in policy.cadences(policy.category_of(facts)):
            days = [last[k] for k in cadence.kinds if k in last]
            since = max([start, *days])
            worst = max(worst, (as_of - since).days - cadence.every_days)
        if worst > 0:
            out[hid] = worst
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.dates(date(2019, 1, 1), date(2021, 12, 31)),
            st.integers(0, 7),
            st.dictionaries(
                st.sampled_from(sorted(ANY_KIND)),
                st.dates(date(2019, 1, 1), date(2021, 12, 31)),
                max_size=5,
            ),
        ),
        max_size=40,
    ),
    st.dates(date(2021, 6, 1), date(2022, 6, 1)),
)
def test_vectorised_scan_agrees_with_the_rule_row_by_row(raw: list, as_of: date) -> None:
    rows = [
        (f"p{i}", f"h{i}", start, HouseholdFacts.from_bits(bits), last)
        for i, (start, bits, last) in enumerate(raw)
    ]
    policy = default_policy()
    expected = naive_overdue(policy, as_of, rows)
    result = overdue(policy, as_of, arrays(rows))
    assert {o.household_id: o.days_overdue for o in result} == expected
    assert [o.days_overdue for o in result] == sorted(expected.values(), reverse=True)
    # The same days handed over reduced per set of kinds, as SQL storage does.
    per_kind = arrays(rows)
    reduced = attrs.evolve(
        per_kind,
        last_by_kind={},
        last_by_kinds={kinds: per_kind.latest(kinds) for kinds in policy.kind_sets()},
    )
    assert policy.kind_sets() == {ANY_KIND, frozenset({"visit"})}
    assert list(overdue(policy, as_of, reduced)) == list(result)


def test_policy_refuses_bad_cadences() -> None:
    policy = CadencePolicy()
    with pytest.raises(InvalidValue, match="unknown household category"):
        policy.register(Cadence("contact", 7, {"contact"}, "nobody"))
    with pytest.raises(InvalidValue, match="1 to 3660"):
        Cadence("contact", 0, {"contact"})
    with pytest.raises(InvalidValue, match="at least one activity kind"):
        Cadence("contact", 7, set())


class WeeklyVisitDay:
    """A region whose rule is a weekly visit for monitored households."""

    @hookimpl
    def jieqin_register_cadences(self, register):  # type: ignore[no-untyped-def]
        register(
            HouseholdCategory("elderly_alone", 15, lambda facts: facts.monitored, "elderly alone")
        )
        register(Cadence("visit", 7, {"visit"}, "elderly_alone"))
        register(Cadence("contact", 3, ANY_KIND, "elderly_alone"))

    @hookimpl
    def jieqin_register_campaign_windows(self, register):  # type: ignore[no-untyped-def]
        register(CampaignWindow.activity_day("day_2021_10", date(2021, 10, 16), "activity day"))

    @hookimpl
    def jieqin_register_activity_kinds(self, register):  # type: ignore[no-untyped-def]
        register("epidemic_prevention", "epidemic prevention")


def test_plugins_add_categories_cadences_windows_and_kinds() -> None:
    from jieqin.plugins.manager import make_plugin_manager

    pm = make_plugin_manager(autoload=False, plugins=[WeeklyVisitDay()])
    setup = ActivitySetup.from_plugins(pm)
    assert setup.policy.category_of(HouseholdFacts(monitored=True)) == "elderly_alone"
    assert {c.every_days for c in setup.policy.cadences("elderly_alone")} == {3, 7}
    assert setup.calendar.get("day_2021_10") is not None
    assert "epidemic_prevention" in setup.kinds
    rows = arrays(
        [
            (
                "p1",
                "h1",
                date(2021, 1, 1),
                HouseholdFacts(monitored=True),
                {"visit": date(2021, 12, 20)},
            )
        ]
    )
    (late,) = overdue(setup.policy, date(2021, 12, 31), rows)
    assert late.category == "elderly_alone"
    assert [(t.track, t.days_overdue) for t in late.behind] == [
        ("contact", 11 - 3),
        ("visit", 11 - 7),
    ]


class BadCadence:
    @hookimpl
    def jieqin_register_cadences(self, register):  # type: ignore[no-untyped-def]
        register(Cadence("visit", 7, {"visit"}, "no_such_category"))


def test_a_plugin_registering_nonsense_is_named() -> None:
    from jieqin.plugins.manager import make_plugin_manager

    pm = make_plugin_manager(autoload=False, plugins=[BadCadence()])
    with pytest.raises(PluginError, match="no_such_category"):
        ActivitySetup.from_plugins(pm)
