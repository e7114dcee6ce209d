"""The helper-scoped view shows a helper their paired households and nothing of anyone else's."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.errors import NotFound
from jieqin.model import Activity, Helper, Household, Need, Pairing, PairingRole
from jieqin.services.scoped import HelperView
from jieqin.testing.strategies import helpers, households, members, needs, one_number_each

DAY0 = date(2021, 1, 1)


@attrs.frozen
class World:
    """A small campaign: helpers, households, pairings over 2021, needs, activities."""

    helpers: tuple[Helper, ...]
    households: tuple[Household, ...]
    pairings: tuple[Pairing, ...]
    needs: tuple[Need, ...]
    activities: tuple[Activity, ...]
    day: date

    def expected_scope(self, helper_id: str) -> set[str]:
        return {
            p.household_id
            for p in self.pairings
            if p.helper_id == helper_id and p.active_on(self.day)
        }


@st.composite
def worlds(draw: st.DrawFn) -> World:
    n_helpers = draw(st.integers(2, 4))
    the_helpers = tuple(attrs.evolve(draw(helpers()), helper_id=f"p{i}") for i in range(n_helpers))
    n_households = draw(st.integers(1, 5))
    people = members(max_birth_date=date(2015, 12, 31))
    the_households = tuple(
        one_number_each(
            _renamed(draw(households(max_members=3, member_strategy=people)), f"h{i}")
            for i in range(n_households)
        )
    )
    pairs: dict[tuple[str, str, date], Pairing] = {}
    for household in the_households:
        for _ in range(draw(st.integers(0, 3))):
            helper = draw(st.sampled_from(the_helpers)).helper_id
            start = DAY0 + timedelta(days=draw(st.integers(0, 364)))
            end = draw(st.none() | st.integers(0, 200).map(lambda d, s=start: s + timedelta(d)))
            role = draw(st.sampled_from(list(PairingRole)))
            key = (helper, household.household_id, start)
            pairs[key] = Pairing(helper, household.household_id, start, role=role, end=end)
    the_needs = []
    the_activities = []
    for household in the_households:
        hid = household.household_id
        for k in range(draw(st.integers(0, 2))):
            need = draw(needs())
            member = draw(st.sampled_from(household.members)).member_id
            the_needs.append(
                attrs.evolve(need, need_id=f"n-{hid}-{k}", household_id=hid, member_id=member)
            )
        for k in range(draw(st.integers(0, 2))):
            the_activities.append(
                Activity(
                    activity_id=f"a-{hid}-{k}",
                    kind=draw(st.sampled_from(["contact", "visit", "warmth"])),
                    on=DAY0 + timedelta(days=draw(st.integers(0, 364))),
                    helper_id=draw(st.sampled_from(the_helpers)).helper_id,
                    household_id=hid,
                )
            )
    day = DAY0 + timedelta(days=draw(st.integers(0, 500)))
    return World(
        the_helpers,
        the_households,
        tuple(pairs.values()),
        tuple(the_needs),
        tuple(the_activities),
        day,
    )


def _renamed(household: Household, household_id: str) -> Household:
    people = [
        attrs.evolve(m, member_id=f"{household_id}-{i}") for i, m in enumerate(household.members)
    ]
    return attrs.evolve(household, household_id=household_id, members=people)


def _store(campaign: jieqin.Campaign, world: World) -> None:
    # Through the storage alone: the random world's activities need not follow pairings.
    with campaign.storage.unit_of_work(actor="test:setup") as uow:
        uow.helpers.add_many(world.helpers)
        uow.households.add_many(world.households)
        uow.pairings.add_many(world.pairings)
        uow.needs.add_many(world.needs)
        uow.activities.add_many(world.activities)
        uow.commit()


def _check_every_helper(url: str, world: World) -> None:
    with jieqin.connect(url) as campaign:
        _store(campaign, world)
        for helper in world.helpers:
            _check_view(
                campaign.for_helper(helper.helper_id, on=world.day), world, helper.helper_id
            )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds())
def test_a_helper_sees_exactly_their_paired_households(world: World) -> None:
    _check_every_helper("memory://", world)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds())
def test_the_same_on_sqlite(tmp_path_factory: pytest.TempPathFactory, world: World) -> None:
    folder = tmp_path_factory.getbasetemp()
    _check_every_helper(f"sqlite:///{folder / uuid.uuid4().hex}.db", world)


def _check_view(view: HelperView, world: World, helper_id: str) -> None:
    scope = world.expected_scope(helper_id)
    outside = [h for h in world.households if h.household_id not in scope]

    assert view.helper.helper_id == helper_id
    assert view.household_ids() == scope
    assert all(p.helper_id == helper_id and p.active_on(world.day) for p in view.pairings())
    assert [h.household_id for h in view.households()] == sorted(scope)

    seen_members = {m.member_id: m for m in view.members()}
    assert seen_members.keys() == {
        m.member_id for h in world.households if h.household_id in scope for m in h.members
    }
    in_scope_ids = {
        m.resident_id for h in world.households if h.household_id in scope for m in h.members
    }
    assert {m.resident_id for m in seen_members.values()} <= in_scope_ids

    assert {n.need_id for n in view.needs()} == {
        n.need_id for n in world.needs if n.household_id in scope
    }
    assert {a.activity_id for a in view.activities()} == {
        a.activity_id for a in world.activities if a.household_id in scope
    }
    for household in outside:
        hid = household.household_id
        with pytest.raises(NotFound):
            view.household(hid)
        assert view.needs(household_id=hid) == []
        assert view.activities(household_id=hid) == []
    with pytest.raises(NotFound):
        view.household("no-such-household")
    for hid in scope:
        assert view.household(hid).household_id == hid


def test_an_unknown_helper_has_no_view() -> None:
    with jieqin.connect("memory://") as campaign, pytest.raises(NotFound):
        HelperView(campaign.unit_of_work, "nobody")
