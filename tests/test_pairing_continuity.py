"""Continuity, handovers, pinned and forbidden pairs, and unpaired households that explain themselves."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from jieqin.errors import PairingError
from jieqin.model import (
    Health,
    HealthCondition,
    Helper,
    Household,
    Member,
    Pairing,
    RegionCode,
    StatusChange,
)
from jieqin.pairing import (
    HandoverReason,
    PairingPolicy,
    PairStatus,
    UnpairedReason,
    plan_pairings,
)

ON = date(2022, 3, 1)
VILLAGE = "610202001001"
OTHER_VILLAGE = "610202001002"
OTHER_TOWNSHIP = "610202002001"
OTHER_COUNTY = "610203001001"


def helper(hid: str, region: str = VILLAGE, capacity: int = 1, **changes: object) -> Helper:
    base = Helper(hid, f"帮扶人{hid}", "city_member", RegionCode(region), capacity=capacity)
    return attrs.evolve(base, **changes)


def household(
    hid: str, region: str = VILLAGE, status: str = "lifted_out", **member: object
) -> Household:
    head = Member("m1", "张秀英", "female", date(1949, 12, 31))  # no number: shared freely
    return Household(
        hid,
        RegionCode(region),
        (attrs.evolve(head, member_id=f"{hid}-1", **member),),
        (StatusChange("poor", date(2016, 1, 1)), StatusChange(status, date(2020, 1, 1))),
    )


def pairing(helper_id: str, household_id: str, start: date = date(2021, 1, 1)) -> Pairing:
    return Pairing(helper_id, household_id, start, reason="2021 campaign")


def by_household(plan):
    return {p.household_id: p for p in plan.pairs}


def test_first_pairing_is_a_handover_from_nobody():
    plan = plan_pairings([helper("p1")], [household("h1")], on=ON)
    assert [(p.helper_id, p.household_id, p.status) for p in plan.pairs] == [
        ("p1", "h1", PairStatus.NEW)
    ]
    (handover,) = plan.handovers
    assert (handover.reason, handover.from_helper_id, handover.to_helper_id, handover.on) == (
        HandoverReason.FIRST_PAIRING,
        None,
        "p1",
        ON,
    )
    (record,) = plan.pairings
    assert record.start == ON
    assert record.costs == plan.pairs[0].costs


def test_existing_pairs_are_kept_even_when_another_helper_is_nearer():
    helpers = [helper("far", OTHER_TOWNSHIP), helper("near", VILLAGE)]
    plan = plan_pairings(helpers, [household("h1")], existing=[pairing("far", "h1")], on=ON)
    assert by_household(plan)["h1"].helper_id == "far"
    assert by_household(plan)["h1"].status is PairStatus.KEPT
    assert plan.handovers == ()
    assert plan.pairings == ()
    assert plan.ended == ()


@pytest.mark.parametrize(
    ("helpers", "reason"),
    [
        ([helper("near")], HandoverReason.HELPER_LEFT),
        ([helper("old", active=False), helper("near")], HandoverReason.HELPER_INACTIVE),
    ],
)
def test_helper_gone_hands_the_household_over(helpers, reason):
    plan = plan_pairings(helpers, [household("h1")], existing=[pairing("old", "h1")], on=ON)
    assert by_household(plan)["h1"].helper_id == "near"
    assert by_household(plan)["h1"].status is PairStatus.CHANGED
    (handover,) = plan.handovers
    assert (handover.reason, handover.from_helper_id, handover.to_helper_id) == (
        reason,
        "old",
        "near",
    )
    (ended,) = plan.ended
    assert ended.helper_id == "old"
    assert ended.end == date(2022, 2, 28)


def test_lost_capacity_keeps_the_longest_standing_pair():
    helpers = [helper("p1", capacity=1), helper("p2", OTHER_VILLAGE)]
    existing = [pairing("p1", "h1", date(2021, 5, 1)), pairing("p1", "h2", date(2021, 1, 1))]
    plan = plan_pairings(helpers, [household("h1"), household("h2")], existing=existing, on=ON)
    pairs = by_household(plan)
    assert (pairs["h2"].helper_id, pairs["h2"].status) == ("p1", PairStatus.KEPT)
    assert (pairs["h1"].helper_id, pairs["h1"].status) == ("p2", PairStatus.CHANGED)
    assert [h.reason for h in plan.handovers] == [HandoverReason.HELPER_CAPACITY_REDUCED]


def test_max_per_helper_caps_capacity():
    plan = plan_pairings(
        [helper("p1", capacity=3)],
        [household(f"h{i}") for i in range(3)],
        policy=PairingPolicy(max_per_helper=2),
        on=ON,
    )
    assert len(plan.pairs) == 2
    (unpaired,) = plan.unpaired
    assert unpaired.reason is UnpairedReason.CAPACITY_EXHAUSTED
    assert "610202" in unpaired.detail


def test_re_pairing_policy_changes_helpers_only_when_worth_the_handover_cost():
    helpers = [helper("far", OTHER_TOWNSHIP), helper("near", VILLAGE)]
    existing = [pairing("far", "h1")]
    # Moving saves 60 (same county) - 0 (same village); a handover dearer than that: stay.
    stay = plan_pairings(
        helpers,
        [household("h1")],
        existing=existing,
        policy=PairingPolicy(keep_existing=False, handover_cost=70),
        on=ON,
    )
    assert by_household(stay)["h1"].status is PairStatus.KEPT
    assert stay.handovers == ()
    move = plan_pairings(
        helpers,
        [household("h1")],
        existing=existing,
        policy=PairingPolicy(keep_existing=False, handover_cost=5),
        on=ON,
    )
    assert by_household(move)["h1"].helper_id == "near"
    assert [h.reason for h in move.handovers] == [HandoverReason.RE_PAIRED]
    costs = {t.name: t.value for t in by_household(move)["h1"].costs}
    assert costs["handover"] == 5


def test_household_no_longer_eligible_ends_its_pair():
    plan = plan_pairings(
        [helper("p1")], [household("h1", status="poor")], existing=[pairing("p1", "h1")], on=ON
    )
    assert plan.pairs == ()
    (handover,) = plan.handovers
    assert (handover.reason, handover.to_helper_id) == (HandoverReason.HOUSEHOLD_NOT_ELIGIBLE, None)
    assert plan.ended[0].end is not None


def test_monitored_households_are_eligible_and_others_are_not():
    households = [household("h1", status="unstable"), household("h2", status="poor")]
    plan = plan_pairings([helper("p1", capacity=2)], households, on=ON)
    assert [p.household_id for p in plan.pairs] == ["h1"]
    only_poor = plan_pairings(
        [helper("p1", capacity=2)],
        households,
        policy=PairingPolicy(eligible_statuses={"poor"}),
        on=ON,
    )
    assert [p.household_id for p in only_poor.pairs] == ["h2"]


def test_pinned_pair_is_made_and_hands_over_from_the_old_helper():
    helpers = [helper("near"), helper("asked", OTHER_TOWNSHIP)]
    plan = plan_pairings(
        helpers,
        [household("h1")],
        existing=[pairing("near", "h1")],
        policy=PairingPolicy(pinned={("asked", "h1")}),
        on=ON,
    )
    assert (by_household(plan)["h1"].helper_id, by_household(plan)["h1"].status) == (
        "asked",
        PairStatus.PINNED,
    )
    assert [(h.reason, h.from_helper_id, h.to_helper_id) for h in plan.handovers] == [
        (HandoverReason.PINNED, "near", "asked")
    ]


def test_forbidden_pair_is_never_made():
    helpers = [helper("near"), helper("far", OTHER_TOWNSHIP)]
    plan = plan_pairings(
        helpers, [household("h1")], policy=PairingPolicy(forbidden={("near", "h1")}), on=ON
    )
    assert by_household(plan)["h1"].helper_id == "far"
    alone = plan_pairings(
        [helper("near")], [household("h1")], policy=PairingPolicy(forbidden={("near", "h1")}), on=ON
    )
    assert [u.reason for u in alone.unpaired] == [UnpairedReason.ALL_CANDIDATES_FORBIDDEN]


def test_forbidding_a_kept_pair_ends_it():
    helpers = [helper("near"), helper("far", OTHER_TOWNSHIP)]
    plan = plan_pairings(
        helpers,
        [household("h1")],
        existing=[pairing("near", "h1")],
        policy=PairingPolicy(forbidden={("near", "h1")}),
        on=ON,
    )
    assert by_household(plan)["h1"].helper_id == "far"
    assert [h.reason for h in plan.handovers] == [HandoverReason.FORBIDDEN]


@pytest.mark.parametrize(
    ("pinned", "message"),
    [
        ({("ghost", "h1")}, "no active helper"),
        ({("p1", "ghost")}, "no eligible household"),
        ({("other", "h1")}, "beyond the locality limit"),
        ({("p1", "h1"), ("p1", "h2")}, "capacity"),
    ],
)
def test_impossible_pins_are_refused(pinned, message):
    helpers = [helper("p1"), helper("other", OTHER_COUNTY)]
    with pytest.raises(PairingError, match=message):
        plan_pairings(
            helpers, [household("h1"), household("h2")], policy=PairingPolicy(pinned=pinned), on=ON
        )


def test_infeasible_instance_pairs_what_it_can_and_explains_the_rest():
    helpers = [helper("p1", capacity=1), helper("p2", OTHER_VILLAGE, capacity=1)]
    households = [household("h1"), household("h2"), household("h3"), household("h4", OTHER_COUNTY)]
    plan = plan_pairings(helpers, households, on=ON)
    assert len(plan.pairs) == 2
    reasons = {u.household_id: u.reason for u in plan.unpaired}
    assert reasons["h4"] is UnpairedReason.NO_HELPER_WITHIN_LIMIT
    assert list(reasons.values()).count(UnpairedReason.CAPACITY_EXHAUSTED) == 1
    detail = next(u.detail for u in plan.unpaired if u.household_id == "h4")
    assert "county 610203" in detail


def test_locality_limit_is_never_crossed():
    plan = plan_pairings(
        [helper("p1", OTHER_TOWNSHIP)],
        [household("h1")],
        policy=PairingPolicy(locality_limit="township"),
        on=ON,
    )
    assert plan.pairs == ()
    assert plan.unpaired[0].reason is UnpairedReason.NO_HELPER_WITHIN_LIMIT


def test_strength_match_prefers_the_helper_whose_sector_covers_the_need():
    ill = Health(HealthCondition.MAJOR_ILLNESS, "肺癌")
    helpers = [helper("a_teacher", sectors={"education"}), helper("b_doctor", sectors={"medical"})]
    plan = plan_pairings(helpers, [household("h1", health=ill)], on=ON)
    (pair,) = plan.pairs
    assert pair.helper_id == "b_doctor"
    assert {t.name: t.value for t in pair.costs}["strength_match"] == 0
    assert "cover 1 of 1 needs" in pair.explanation
    assert "肺癌" not in str(plan.to_dict())
    assert "medical" not in pair.explanation


def test_duplicate_ids_are_refused():
    with pytest.raises(PairingError, match="appears twice"):
        plan_pairings([helper("p1"), helper("p1")], [household("h1")], on=ON)


def test_secondary_helpers_use_places_left_after_every_primary_pair():
    helpers = [helper("p1", capacity=2), helper("p2", OTHER_VILLAGE, capacity=1)]
    households = [household("h1"), household("h2")]
    plain = plan_pairings(helpers, households, on=ON)
    plan = plan_pairings(helpers, households, policy=PairingPolicy(secondary=True), on=ON)
    assert plan.primary == plain.pairs
    second = [p for p in plan.pairs if p.role == "secondary"]
    # Three places for two primaries: one household gets a secondary helper, never its primary.
    assert len(second) == 1
    primary_of = {p.household_id: p.helper_id for p in plan.primary}
    assert second[0].helper_id != primary_of[second[0].household_id]
    assert plan.summary()["secondary"] == 1
    assert [p.role for p in plan.pairings].count("secondary") == 1
    assert len(plan.handovers) == 2  # first pairings of the primaries only


def test_secondary_pair_in_force_is_kept_or_ended_with_its_helper():
    helpers = [helper("p1", capacity=1), helper("p2", OTHER_VILLAGE, capacity=1)]
    existing = [pairing("p1", "h1"), attrs.evolve(pairing("p2", "h1"), role="secondary")]
    policy = PairingPolicy(secondary=True)
    plan = plan_pairings(helpers, [household("h1")], existing=existing, policy=policy, on=ON)
    assert {(p.helper_id, str(p.role), p.status) for p in plan.pairs} == {
        ("p1", "primary", PairStatus.KEPT),
        ("p2", "secondary", PairStatus.KEPT),
    }
    assert plan.pairings == ()
    gone = plan_pairings(helpers[:1], [household("h1")], existing=existing, policy=policy, on=ON)
    assert [(p.helper_id, p.role) for p in gone.ended] == [("p2", "secondary")]


def test_a_township_short_of_helpers_borrows_from_the_rest_of_the_county():
    # One candidate each: both households' nearest helper is p1 (same village), which has
    # one place; the other household must still get p2 from another township.
    helpers = [helper("p1", VILLAGE), helper("p2", OTHER_TOWNSHIP)]
    plan = plan_pairings(
        helpers, [household("h1"), household("h2")], policy=PairingPolicy(max_candidates=1), on=ON
    )
    assert sorted(p.helper_id for p in plan.pairs) == ["p1", "p2"]
    assert plan.unpaired == ()
