"""The records of a plan make it so: pairs in force, less those ended, plus the new ones.

Random pairings in force (some for helpers or households that are gone, some
ended already, some twice for one household, two secondary helpers for one
household), pinned and forbidden pairs and secondary helpers: writing the plan's records over the pairings in force must
give exactly its pairs, and each change of a household's primary helper must be
one handover from the helper before to the helper after.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.pairing_world import ON, instances

from jieqin.errors import PairingError
from jieqin.model import Helper, Household, Pairing, PairingRole, RegionLevel
from jieqin.pairing import HandoverReason, PairingPlan, PairingPolicy, plan_pairings

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _pairings(helper_ids: list[str], household_ids: list[str]) -> st.SearchStrategy[Pairing]:
    starts = st.sampled_from([ON - timedelta(days=d) for d in (700, 365, 30, 0, -5)])
    return st.builds(
        lambda helper, household, start, role, ended: Pairing(
            helper,
            household,
            start,
            role=role,
            end=start + timedelta(days=90) if ended else None,
        ),
        st.sampled_from(helper_ids),
        st.sampled_from(household_ids),
        starts,
        st.sampled_from(list(PairingRole)),
        st.booleans(),
    )


@st.composite
def campaigns(
    draw: st.DrawFn,
) -> tuple[list[Helper], list[Household], list[Pairing], PairingPolicy]:
    """An instance with pairings in force and a policy that pins, forbids and re-pairs."""
    helpers, households = draw(instances(max_helpers=6, max_households=9, max_capacity=3))
    helper_ids = [h.helper_id for h in helpers] + ["p-gone"]
    household_ids = [h.household_id for h in households] + ["h-gone"]
    existing = draw(st.lists(_pairings(helper_ids, household_ids), max_size=10))
    two_secondary = len(helpers) > 2 and bool(households) and draw(st.booleans())
    if two_secondary:  # one household with two secondary helpers in force, with places
        household = draw(st.sampled_from(household_ids[:-1]))
        two = draw(
            st.lists(st.sampled_from(range(len(helpers))), min_size=2, max_size=2, unique=True)
        )
        for i in two:
            helpers[i] = attrs.evolve(helpers[i], capacity=3)
            existing.append(
                Pairing(helpers[i].helper_id, household, ON - timedelta(days=365), role="secondary")
            )
    pairs = st.tuples(st.sampled_from(helper_ids), st.sampled_from(household_ids))
    forbidden = draw(st.frozensets(pairs, max_size=3))
    policy = PairingPolicy(
        locality_limit=RegionLevel.CITY
        if two_secondary
        else draw(st.sampled_from([RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP])),
        keep_existing=draw(st.booleans()),
        max_candidates=draw(st.sampled_from([None, 1, 50])),
        secondary=two_secondary or draw(st.booleans()),
        forbidden=forbidden,
        pinned=draw(st.frozensets(pairs, max_size=1)) - forbidden,
    )
    return helpers, households, existing, policy


def _plan(helpers, households, existing, policy) -> PairingPlan | None:
    try:
        return plan_pairings(helpers, households, existing=existing, policy=policy, on=ON)
    except PairingError as error:
        if not str(error).startswith("pinned pair"):  # only a pin the policy cannot make
            raise
        return None


def _key(pairing: Pairing) -> tuple[str, str, object, str]:
    return pairing.helper_id, pairing.household_id, pairing.start, str(pairing.role)


@SETTINGS
@given(campaigns())
def test_pairs_in_force_less_ended_plus_new_are_the_plan(campaign):
    plan = _plan(*campaign)
    if plan is None:
        return
    existing, policy = campaign[2:]
    # Without secondary helpers the plan leaves secondary pairs in force alone.
    roles = set(PairingRole) if policy.secondary else {PairingRole.PRIMARY}
    in_force = Counter(_key(p) for p in existing if p.active_on(ON) and p.role in roles)
    ended = Counter(_key(p) for p in plan.ended)
    assert ended <= in_force
    # Ended the day before; one that began on the day is withdrawn (never in force).
    assert all(p.end == ON - timedelta(days=1) for p in plan.ended)
    after = in_force - ended + Counter(_key(p) for p in plan.pairings)
    made = Counter((p.helper_id, p.household_id, str(p.role)) for p in plan.pairs)
    assert Counter(key[:2] + key[3:] for key in after.elements()) == made


@SETTINGS
@given(campaigns())
def test_each_change_of_primary_helper_is_one_handover(campaign):
    plan = _plan(*campaign)
    if plan is None:
        return
    existing = campaign[2]
    in_force: dict[str, list[Pairing]] = {}
    for p in existing:
        if p.role is PairingRole.PRIMARY and p.active_on(ON):
            in_force.setdefault(p.household_id, []).append(p)
    before = {h: max(ps, key=lambda p: (p.start, p.helper_id)) for h, ps in in_force.items()}
    after = {p.household_id: p.helper_id for p in plan.primary}
    superseded = Counter(h.household_id for h in plan.handovers if h.reason == "superseded")
    assert superseded == Counter({h: len(ps) - 1 for h, ps in in_force.items() if len(ps) > 1})
    changes = {
        h.household_id: (h.from_helper_id, h.to_helper_id)
        for h in plan.handovers
        if h.reason != HandoverReason.SUPERSEDED
    }
    assert len(changes) == sum(1 for h in plan.handovers if h.reason != "superseded")
    expected = {}
    for household_id in before.keys() | after.keys():
        old = before.get(household_id)
        was, now = (None if old is None else old.helper_id), after.get(household_id)
        if was != now:
            expected[household_id] = (was, now)
    assert changes == expected
