"""Re-pairing everyone (``keep_existing=False``): continuity is worth ``handover_cost``.

On random small instances with pairs in force that may all continue and households
without a helper: a household paired before is still paired, with its helper or
handed to a named one (a ``re_paired`` handover that names the new helper); it is
left unpaired only under ``make_room``, with a ``made_room`` handover, and then its
handover cost is in the plan's total; the total is every pair's cost, handover costs
included; and the plan is the exact optimum that brute force finds, counting a
handover cost for every household that changes or (under ``make_room``) loses its
helper.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.pairing_world import ON, instances, pair_cost
from tests.test_pairing_continuity import OTHER_TOWNSHIP, VILLAGE, helper, household

from jieqin.model import Helper, Household, Pairing, RegionLevel
from jieqin.pairing import HandoverReason, PairingPlan, PairingPolicy, PairStatus, plan_pairings

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BEFORE = ON - timedelta(days=365)


@st.composite
def re_pairings(
    draw: st.DrawFn,
) -> tuple[list[Helper], list[Household], list[Pairing], PairingPolicy]:
    """An instance, pairs in force that may all continue (each household's helper
    allowed and within its places), and a policy that re-pairs everyone."""
    helpers, households = draw(instances(max_helpers=4, max_households=6, max_capacity=2))
    policy = PairingPolicy(
        locality_limit=draw(st.sampled_from([RegionLevel.CITY, RegionLevel.COUNTY])),
        keep_existing=False,
        handover_cost=draw(st.sampled_from([0, 5, 30, 200])),
        max_candidates=draw(st.sampled_from([None, 1, 50])),
        make_room=draw(st.booleans()),
    )
    load = [0] * len(helpers)
    existing = []
    for h in households:
        room = [
            j
            for j, p in enumerate(helpers)
            if load[j] < policy.capacity(p.capacity) and pair_cost(p, h, policy) is not None
        ]
        if room and draw(st.booleans()):
            j = draw(st.sampled_from(room))
            load[j] += 1
            existing.append(Pairing(helpers[j].helper_id, h.household_id, BEFORE))
    return helpers, households, existing, policy


def brute_force(
    helpers: list[Helper],
    households: list[Household],
    existing: list[Pairing],
    policy: PairingPolicy,
) -> tuple[int, int]:
    """(most paired, least cost) over every assignment, by the rules of re-pairing:
    without ``make_room`` a household paired before is never left unpaired while
    some largest pairing pairs it; a change of helper costs ``handover_cost``, and so
    does (under ``make_room``) losing one."""
    current = {p.household_id: p.helper_id for p in existing}
    options = [
        [None, *(j for j, p in enumerate(helpers) if pair_cost(p, h, policy) is not None)]
        for h in households
    ]
    best: tuple[int, int, int] | None = None
    for choice in itertools.product(*options):
        load = [0] * len(helpers)
        cost = paired = dropped = 0
        for h, j in zip(households, choice, strict=True):
            had = current.get(h.household_id)
            if j is None:
                dropped += had is not None
                cost += policy.handover_cost if had is not None and policy.make_room else 0
                continue
            load[j] += 1
            cost += (pair_cost(helpers[j], h, policy) or 0) + policy.slot_cost(load[j])
            cost += policy.handover_cost if had not in (None, helpers[j].helper_id) else 0
            paired += 1
        if any(n > policy.capacity(p.capacity) for n, p in zip(load, helpers, strict=True)):
            continue
        unpaired = len(households) - paired
        rank = (unpaired if policy.make_room else unpaired + dropped, cost, -paired)
        if best is None or rank < best:
            best = rank
    assert best is not None
    return -best[2], best[1]


def _check_continuity(plan: PairingPlan, existing: list[Pairing], policy: PairingPolicy) -> None:
    """Every household paired before: kept, or handed to the helper named, or (only
    under ``make_room``) left with a ``made_room`` handover."""
    pairs = {p.household_id: p for p in plan.primary}
    handovers = {h.household_id: h for h in plan.handovers}
    for before in existing:
        pair = pairs.get(before.household_id)
        handover = handovers.get(before.household_id)
        if pair is not None and pair.helper_id == before.helper_id:
            assert pair.status is PairStatus.KEPT
            assert handover is None
        elif pair is not None:
            assert pair.status is PairStatus.CHANGED
            assert handover is not None
            assert handover.reason is HandoverReason.RE_PAIRED
            assert (handover.from_helper_id, handover.to_helper_id) == (
                before.helper_id,
                pair.helper_id,
            )
            assert {t.name: t.value for t in pair.costs}.get("handover", 0) == policy.handover_cost
        else:
            assert policy.make_room, f"{before.household_id} lost its helper to make room"
            assert handover is not None
            assert handover.reason is HandoverReason.MADE_ROOM
            assert handover.to_helper_id is None
    for handover in plan.handovers:
        if handover.reason is HandoverReason.RE_PAIRED:
            assert handover.to_helper_id is not None


@SETTINGS
@given(re_pairings())
def test_a_household_paired_before_keeps_a_named_helper_and_the_total_counts_handovers(case):
    helpers, households, existing, policy = case
    plan = plan_pairings(helpers, households, existing=existing, policy=policy, on=ON)
    _check_continuity(plan, existing, policy)
    made_room = sum(1 for h in plan.handovers if h.reason is HandoverReason.MADE_ROOM)
    charged = sum(t.value for p in plan.pairs for t in p.costs if t.name == "handover")
    assert plan.handover_cost == charged + made_room * policy.handover_cost
    assert plan.total_cost == sum(p.cost for p in plan.pairs) + made_room * policy.handover_cost
    summary = plan.summary()
    assert summary["new_pairings"] == summary["new"]
    assert summary["handovers"] == len(plan.handovers) - summary["new"]
    if policy.max_candidates != 1:  # every allowed pair is a candidate: the plan is exact
        assert (len(plan.primary), plan.total_cost) == brute_force(
            helpers, households, existing, policy
        )


def _crowded(make_room: bool) -> PairingPlan:
    """One place, held by a household far away; a newcomer in the helper's own village."""
    policy = PairingPolicy(keep_existing=False, handover_cost=10, make_room=make_room)
    return plan_pairings(
        [helper("p1")],
        [household("far", OTHER_TOWNSHIP), household("near", VILLAGE)],
        existing=[Pairing("p1", "far", date(2021, 1, 1))],
        policy=policy,
        on=date(2022, 3, 1),
    )


def test_a_newcomer_never_takes_the_place_of_a_household_whose_pair_may_continue():
    plan = _crowded(make_room=False)
    assert [(p.household_id, p.status) for p in plan.pairs] == [("far", PairStatus.KEPT)]
    assert plan.handovers == ()
    assert [u.household_id for u in plan.unpaired] == ["near"]


def test_make_room_lets_the_newcomer_in_and_says_why_and_charges_the_handover():
    plan = _crowded(make_room=True)
    # Keeping "far" costs 60 (same county); pairing "near" 0 (same village) plus 10 for the loss.
    assert [(p.household_id, p.status) for p in plan.pairs] == [("near", PairStatus.NEW)]
    assert [
        (h.household_id, h.reason, h.from_helper_id, h.to_helper_id) for h in plan.handovers
    ] == [
        ("far", HandoverReason.MADE_ROOM, "p1", None),
        ("near", HandoverReason.FIRST_PAIRING, None, "p1"),
    ]
    assert plan.total_cost == 10
    assert plan.summary()["new_pairings"] == 1
    assert plan.summary()["handovers"] == 1
    assert plan.summary()["handover_cost"] == 10


def test_a_helper_beyond_the_cheapest_candidates_is_kept_when_moving_costs_more():
    # One candidate: the helper of the household's own village (distance 0). The
    # helper in force lives in another township (distance 60: same county), outside
    # that village, and moving costs a handover of 70: it stays, though it is no
    # candidate by region.
    helpers = [helper("far", OTHER_TOWNSHIP), helper("near", VILLAGE)]
    plan = plan_pairings(
        helpers,
        [household("h1")],
        existing=[Pairing("far", "h1", date(2021, 1, 1))],
        policy=PairingPolicy(keep_existing=False, handover_cost=70, max_candidates=1),
        on=date(2022, 3, 1),
    )
    assert [(p.helper_id, p.status) for p in plan.pairs] == [("far", PairStatus.KEPT)]
