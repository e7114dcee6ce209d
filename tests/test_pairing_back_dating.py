"""Pairing runs for any days, in any order, with pairings ended by hand between them,
leave at most one open pairing per household and role, on every backend.

A run for an earlier day than pairings already recorded (``jieqin pair`` without
``--on``, then ``--on 2021-03-01``) supersedes the later pairings its new ones
overlap: they are withdrawn (never in force, still stored), so no two pairings of a
household and role are ever in force on one day either, and what is listed for a
day is exactly what is in force on it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.test_pairing_continuity import (
    OTHER_TOWNSHIP,
    OTHER_VILLAGE,
    VILLAGE,
    helper,
    household,
)

import jieqin
from jieqin.errors import InvalidValue, NotFound
from jieqin.model import Pairing, PairingRole
from jieqin.pairing import PairingPolicy

DAYS = [date(2021, 1, 1), date(2021, 3, 1), date(2021, 6, 1), date(2022, 1, 1), None]
_NAMESPACES = itertools.count()

policies = st.builds(
    PairingPolicy,
    keep_existing=st.booleans(),
    handover_cost=st.sampled_from([0, 50]),
    secondary=st.booleans(),
    max_per_helper=st.sampled_from([None, 1]),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("pair"), st.sampled_from(DAYS), policies),
        st.tuples(st.just("end"), st.integers(0, 10), st.integers(-40, 400)),
        st.tuples(st.just("leave"), st.integers(0, 2)),
    ),
    min_size=1,
    max_size=6,
)


def _stock(campaign: jieqin.Campaign) -> str:
    """Three helpers and four households under fresh ids; returns their prefix."""
    ns = f"n{next(_NAMESPACES)}-"
    with campaign.unit_of_work("test") as uow:
        uow.helpers.add_many(
            [
                helper(f"{ns}p0", VILLAGE, capacity=2),
                helper(f"{ns}p1", OTHER_VILLAGE, capacity=1),
                helper(f"{ns}p2", OTHER_TOWNSHIP, capacity=2),
            ]
        )
        uow.households.add_many(
            [household(f"{ns}h{i}", (VILLAGE, OTHER_VILLAGE)[i % 2]) for i in range(4)]
        )
        uow.commit()
    return ns


def _stored(campaign: jieqin.Campaign) -> list[Pairing]:
    with campaign.unit_of_work("test", read_only=True) as uow:
        return uow.pairings.list()


def _check(campaign: jieqin.Campaign) -> None:
    """At most one open pairing per household and role; the pairings in force never
    overlap; the listing of each day is what is in force on it."""
    stored = _stored(campaign)
    spans: dict[tuple[str, PairingRole], list[Pairing]] = defaultdict(list)
    for p in stored:
        if not p.withdrawn:
            spans[(p.household_id, p.role)].append(p)
    for (household_id, role), pairings in spans.items():
        open_ = [p for p in pairings if p.end is None]
        assert len(open_) <= 1, f"{household_id} has {len(open_)} open {role} pairings"
        pairings.sort(key=lambda p: p.start)
        for before, after in itertools.pairwise(pairings):
            assert before.end is not None
            assert before.end < after.start, f"{household_id}: {before} overlaps {after}"
    for day in {p.start for p in stored} | {p.end for p in stored if p.end}:
        listed = campaign.pairings(on=day).pairings
        assert {(p.helper_id, p.household_id, p.start) for p in listed} == {
            (p.helper_id, p.household_id, p.start) for p in stored if p.active_on(day)
        }
        assert all(p.since <= p.start and not p.withdrawn for p in listed)


def _end(campaign: jieqin.Campaign, pick: int, offset: int) -> None:
    """End the ``pick``-th open pairing ``offset`` days after it starts (before it, an
    error that changes nothing)."""
    open_ = sorted(
        (p for p in _stored(campaign) if p.end is None),
        key=lambda p: (p.household_id, p.helper_id),
    )
    if not open_:
        return
    target = open_[pick % len(open_)]
    day = date.fromordinal(target.start.toordinal() + offset)
    if offset < 0:
        before = _stored(campaign)
        with pytest.raises(InvalidValue, match="before it starts"):
            campaign.end_pairing(target.helper_id, target.household_id, day, "moved away")
        assert _stored(campaign) == before
        return
    ended = campaign.end_pairing(target.helper_id, target.household_id, day, "moved away")
    assert (ended.end, ended.reason) == (day, "moved away")


def _leave(campaign: jieqin.Campaign, ns: str, which: int) -> None:
    """A helper of this example becomes inactive (the next run hands their households over)."""
    with campaign.unit_of_work("test") as uow:
        found = uow.helpers.get(f"{ns}p{which}")
        uow.helpers.update(attrs.evolve(found, active=False))
        uow.commit()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_any_sequence_of_runs_and_ends_leaves_one_open_pairing_per_household(campaign, steps):
    ns = _stock(campaign)
    for step in steps:
        if step[0] == "pair":
            campaign.pair(step[2], on=step[1])
        elif step[0] == "end":
            _end(campaign, step[1], step[2])
        else:
            _leave(campaign, ns, step[1])
        _check(campaign)


def test_pairing_again_for_an_earlier_day_supersedes_the_pairings_of_today(campaign):
    ns = _stock(campaign)
    today = campaign.pair()
    back = campaign.pair(on=date(2021, 3, 1))
    assert {(p.helper_id, p.household_id) for p in back.pairings} == {
        (p.helper_id, p.household_id) for p in today.pairings
    }
    stored = [p for p in _stored(campaign) if p.household_id.startswith(ns)]
    withdrawn = [p for p in stored if p.withdrawn]
    assert sorted(p.start for p in withdrawn) == sorted(p.start for p in today.pairings)
    assert all(p.reason == "superseded by the pairing from 2021-03-01" for p in withdrawn)
    assert sorted((p.start, p.end) for p in stored if not p.withdrawn) == [
        (date(2021, 3, 1), None)
    ] * len(today.pairings)
    listed = campaign.pairings(on=date(2021, 6, 1)).pairings
    assert {p.since for p in listed} == {date(2021, 3, 1)}
    assert {p.began for p in listed} == {"first_pairing"}


def test_a_back_dated_dry_run_shows_what_it_supersedes_and_writes_nothing(campaign):
    _stock(campaign)
    campaign.pair()
    before = _stored(campaign)
    plan = campaign.pair(on=date(2021, 3, 1), dry_run=True)
    assert {p.start for p in plan.ended} == {p.start for p in before}
    assert all(p.withdrawn for p in plan.ended)
    assert plan.superseded == plan.ended
    assert all(p["withdrawn"] for p in plan.to_dict()["ended"])
    assert _stored(campaign) == before


def test_ending_a_pairing_by_hand(campaign):
    ns = _stock(campaign)
    plan = campaign.pair(on=date(2021, 3, 1))
    pairing = plan.pairings[0]
    ended = campaign.end_pairing(
        pairing.helper_id, pairing.household_id, date(2021, 6, 30), "户主迁出", actor="clerk"
    )
    assert ended.end == date(2021, 6, 30)
    with campaign.unit_of_work("test", read_only=True) as uow:
        (handover,) = uow.handovers.list(household_id=pairing.household_id, reason="户主迁出")
        entries = uow.audit.entries(entity="pairings", action="end")
    assert (handover.on, handover.from_helper_id, handover.to_helper_id) == (
        date(2021, 7, 1),
        pairing.helper_id,
        None,
    )
    assert [e.actor for e in entries] == ["clerk"]
    history = campaign.pairings(history=True, household_id=pairing.household_id)
    (listed,) = history.pairings
    assert (listed.end, listed.ended, listed.reason) == (date(2021, 6, 30), "户主迁出", "户主迁出")
    assert campaign.pairings(on=date(2021, 7, 1), household_id=pairing.household_id).pairings == ()
    # The next run pairs the household again, as a first pairing.
    again = campaign.pair(on=date(2021, 8, 1))
    assert pairing.household_id in {p.household_id for p in again.pairings}
    assert f"{ns}h0" in {p.household_id for p in again.pairs}


@pytest.mark.parametrize(
    ("helper_id", "household_id", "on", "error", "message"),
    [
        ("ghost", "h0", date(2021, 6, 30), NotFound, "no helper ghost"),
        ("p0", "ghost", date(2021, 6, 30), NotFound, "no household ghost"),
        ("p2", "h0", date(2021, 6, 30), NotFound, "has no open pairing"),
        ("p0", "h0", date(2021, 2, 1), InvalidValue, "before it starts"),
        ("p0", "h0", date(2021, 6, 30), NotFound, "has no open pairing"),  # the second time
    ],
)
def test_ending_a_pairing_refuses_what_cannot_be_ended(
    campaign, helper_id, household_id, on, error, message
):
    ns = _stock(campaign)
    campaign.pair(on=date(2021, 3, 1))
    if message == "has no open pairing" and helper_id == "p0":
        campaign.end_pairing(f"{ns}p0", f"{ns}h0", on, "first time")
    before = _stored(campaign)
    with pytest.raises(error, match=message.replace("ghost", f"{ns}ghost")):
        campaign.end_pairing(f"{ns}{helper_id}", f"{ns}{household_id}", on, "moved away")
    assert _stored(campaign) == before


def test_ending_a_pairing_needs_a_reason(campaign):
    ns = _stock(campaign)
    campaign.pair(on=date(2021, 3, 1))
    with pytest.raises(InvalidValue, match="say why"):
        campaign.end_pairing(f"{ns}p0", f"{ns}h0", date(2021, 6, 30), "  ")


def test_a_superseded_pairing_counts_in_no_figure(campaign):
    """Today's run pairs h with a; the run for 2021-03-01 may not (a forbidden pair),
    so it pairs h with b and withdraws a's pairing: this year's report counts b only."""
    with campaign.unit_of_work("test") as uow:
        uow.helpers.add_many([helper("a", VILLAGE), helper("b", OTHER_VILLAGE)])
        uow.households.add(household("h", VILLAGE))
        uow.commit()
    campaign.pair()
    campaign.pair(PairingPolicy(forbidden={("a", "h")}), on=date(2021, 3, 1))
    (withdrawn,) = [p for p in _stored(campaign) if p.withdrawn]
    assert withdrawn.helper_id == "a"
    year = str(campaign.clock.today().year)
    figures = campaign.report(year).as_dict()
    assert (figures["helpers"], figures["households"]) == (1, 1)
    assert campaign.report("2021").as_dict()["helpers"] == 1
    (listed,) = campaign.pairings().pairings
    assert (listed.helper_id, listed.since) == ("b", date(2021, 3, 1))
