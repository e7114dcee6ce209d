"""Re-pairing only what changed: equal to a full re-solve where it solves, untouched elsewhere.

In columns, a province is paired, then helpers leave, households leave and others
arrive in some counties; :func:`repair_columns` keeps the pairs that stand and solves
only the counties where someone can be paired. It gives the very plan a solve of
every county gives, the exact optimum (a dense assignment) of each county it
solves, and never solves, nor changes a pair in, a county the changes did not touch.

From model objects, ``plan_pairings(..., changed_only=True)`` with a policy that
re-pairs everyone re-pairs the changed counties exactly as a full re-pairing does
and keeps every pair in force elsewhere, with no handover there; with
``keep_existing`` it is the plan a full run gives.
"""

from __future__ import annotations

import json
from datetime import date

import attrs
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from tests.pairing_world import ON, instances
from tests.test_pairing_continuity import helper, household

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.model import Pairing, RegionLevel
from jieqin.pairing import (
    HelperColumns,
    HouseholdColumns,
    PairingPolicy,
    PairStatus,
    plan_pairings,
)
from jieqin.pairing.columns import level_column, region_keys
from jieqin.pairing.engine import solve_columns
from jieqin.pairing.incremental import changed_partitions, repair_columns, standing_pairs
from jieqin.pairing.problem import PairingProblem

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COUNTY = level_column(RegionLevel.COUNTY)


def _keys(county: np.ndarray, township: np.ndarray, village: np.ndarray) -> np.ndarray:
    code = 610200 + 1 + county
    town = code * 1000 + 1 + township
    return np.stack(
        [np.full(county.size, 61), np.full(county.size, 6102), code, town, town * 1000 + village],
        axis=1,
    ).astype(np.int64)


@st.composite
def provinces(draw: st.DrawFn) -> dict[str, object]:
    """A province of a few counties in columns, a policy, and the changes made after
    its first pairing: which helpers and households leave, which households arrive."""
    counties = draw(st.integers(1, 4))
    n_hh = draw(st.integers(0, 24))
    n_hp = draw(st.integers(0, 16))
    n_new = draw(st.integers(0, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)

    def place(n: int) -> np.ndarray:
        return _keys(rng.integers(0, counties, n), rng.integers(0, 2, n), rng.integers(0, 2, n))

    touched = draw(st.lists(st.integers(0, counties - 1), max_size=counties, unique=True))
    return {
        "keys": place(n_hh + n_new),
        "needs": rng.integers(0, 4, n_hh + n_new),
        "helper_keys": place(n_hp),
        "capacity": rng.integers(0, 3, n_hp),
        "sectors": rng.integers(0, 8, n_hp),
        "n_households": n_hh,
        "touched": frozenset(610201 + c for c in touched),
        "leave_helper": rng.random(n_hp) < 0.3,
        "leave_household": rng.random(n_hh) < 0.3,
        "policy": PairingPolicy(
            locality_limit=draw(st.sampled_from([RegionLevel.COUNTY, RegionLevel.TOWNSHIP])),
            partition_level=RegionLevel.COUNTY,
            max_candidates=draw(st.sampled_from([None, 1, 2, 50])),
        ),
    }


def _households(keys: np.ndarray, needs: np.ndarray, ids: np.ndarray) -> HouseholdColumns:
    return HouseholdColumns.build(ids, keys, needs)


def _churn(world: dict[str, object]):
    """The first pairing, the instance after the changes, and the stored pairing on its rows."""
    keys, needs = world["keys"], world["needs"]
    n = world["n_households"]
    touched = world["touched"]
    ids = np.asarray([f"h{i:03d}" for i in range(keys.shape[0])])
    hp_keys = world["helper_keys"]
    hp_ids = np.asarray([f"p{i:03d}" for i in range(hp_keys.shape[0])])
    helpers = HelperColumns.build(hp_ids, hp_keys, world["capacity"], world["sectors"])
    policy = world["policy"]
    first = solve_columns(_households(keys[:n], needs[:n], ids[:n]), helpers, policy)
    # Changes happen only in the touched counties.
    in_touched = np.isin(keys[:, COUNTY], list(touched))
    hp_touched = np.isin(hp_keys[:, COUNTY], list(touched))
    stay_hp = ~(world["leave_helper"] & hp_touched)
    stay_hh = np.r_[~(world["leave_household"] & in_touched[:n]), in_touched[n:]]
    helper_row = np.cumsum(stay_hp) - 1
    old_rows = np.flatnonzero(stay_hh)
    stored_old = np.r_[first.helper, np.full(keys.shape[0] - n, -1)][old_rows]
    stored = np.full(old_rows.size, -1, np.int64)
    had = np.flatnonzero(stored_old >= 0)
    still = stay_hp[stored_old[had]]
    stored[had[still]] = helper_row[stored_old[had[still]]]
    after = _households(keys[old_rows], needs[old_rows], ids[old_rows])
    hp_rows = np.flatnonzero(stay_hp)
    helpers_after = HelperColumns.build(
        hp_ids[hp_rows], hp_keys[hp_rows], world["capacity"][hp_rows], world["sectors"][hp_rows]
    )
    return first, after, helpers_after, stored, policy


def _dense_optimum(
    households: HouseholdColumns, helpers: HelperColumns, policy: PairingPolicy
) -> tuple[int, int]:
    """(most paired, least cost) of households over the helpers' free places, every
    allowed pair a candidate, by a dense assignment with plain-Python costs."""
    slots = [(j, k) for j in range(len(helpers)) for k in range(int(helpers.free[j]))]
    n = len(households)
    if n == 0:
        return 0, 0
    blocked, big = 10**9, 10**6
    matrix = np.full((n, len(slots) + n), blocked, np.int64)
    for i in range(n):
        for s, (j, k) in enumerate(slots):
            shared = 0
            for col in range(5):
                if households.keys[i, col] != helpers.keys[j, col] or helpers.keys[j, col] < 0:
                    break
                shared += 1
            if shared < int(policy.locality_limit):
                continue
            cost = policy.distance_costs[RegionLevel(shared)]
            matrix[i, s] = cost + _unmet(int(households.needs[i]), int(helpers.sectors[j]), policy)
            matrix[i, s] += policy.workload_step * (int(helpers.load[j]) + k)
        matrix[i, len(slots) + i] = big
    rows, cols = linear_sum_assignment(matrix)
    real = cols < len(slots)
    return int(real.sum()), int(matrix[rows[real], cols[real]].sum())


def _unmet(needs: int, sectors: int, policy: PairingPolicy) -> int:
    """The weights of the needs (bits, in the policy's order) no sector covers."""
    from jieqin.pairing.columns import need_bits, sector_bits

    sector_bit = sector_bits(policy)
    cost = 0
    for kind, bit in need_bits(policy).items():
        if not needs >> bit & 1:
            continue
        covered = any(sectors >> sector_bit[s] & 1 for s in policy.need_sectors.get(kind, ()))
        if not covered:
            cost += policy.need_weights[kind]
    return cost


@SETTINGS
@given(provinces())
def test_repair_equals_a_full_re_solve_and_leaves_untouched_counties_alone(world):
    _, households, helpers, stored, policy = _churn(world)
    repair = repair_columns(households, helpers, stored, policy)
    full = repair_columns(households, helpers, stored, policy, skip_settled=False)
    assert np.array_equal(repair.plan.helper, full.plan.helper)
    assert np.array_equal(repair.plan.reason, full.plan.reason)
    assert repair.plan.total_cost == full.plan.total_cost
    assert set(repair.changed) <= set(full.changed)
    # A county the changes did not touch is not solved again and keeps every pair.
    assert not set(repair.changed) - world["touched"]
    county = households.keys[:, COUNTY]
    untouched = ~np.isin(county, list(world["touched"]))
    assert np.array_equal(repair.plan.helper[untouched], stored[untouched])
    # Each county solved is solved to its exact optimum when every pair is a candidate.
    if policy.max_candidates is None:
        open_hh = households.keys[repair.open_rows, COUNTY]
        leftover = attrs.evolve(
            helpers,
            load=np.bincount(repair.plan.helper[repair.kept], minlength=len(helpers)),
        )
        for region in repair.changed:
            rows = np.flatnonzero(open_hh == region)
            part_hp = np.flatnonzero(helpers.keys[:, COUNTY] == region)
            expected = _dense_optimum(
                _households(
                    households.keys[repair.open_rows[rows]],
                    households.needs[repair.open_rows[rows]],
                    np.asarray(households.ids)[repair.open_rows[rows]],
                ),
                HelperColumns(
                    np.asarray(helpers.ids)[part_hp],
                    helpers.keys[part_hp],
                    helpers.sectors[part_hp],
                    helpers.capacity[part_hp],
                    leftover.load[part_hp],
                ),
                policy,
            )
            got = repair.open_plan
            paired = int((got.helper[rows] >= 0).sum())
            cost = int(got.terms[rows].sum() + got.workload[rows].sum())
            assert (paired, cost) == expected


@SETTINGS
@given(provinces())
def test_stored_pairs_stand_within_places_and_the_limit(world):
    _, households, helpers, stored, policy = _churn(world)
    keep = standing_pairs(households, helpers, stored, policy)
    assert np.all((keep == stored) | (keep == -1))
    load = np.bincount(keep[keep >= 0], minlength=len(helpers))
    assert np.all(load <= helpers.capacity)
    col = level_column(policy.locality_limit)
    rows = np.flatnonzero(keep >= 0)
    assert np.all(households.keys[rows, col] == helpers.keys[keep[rows], col])


def test_a_repair_with_nothing_changed_solves_nothing():
    world = {
        "keys": _keys(np.array([0, 0, 1, 1, 1]), np.array([0, 1, 0, 0, 1]), np.zeros(5, int)),
        "needs": np.array([1, 0, 2, 0, 3]),
        "helper_keys": _keys(np.array([0, 1, 1]), np.array([0, 0, 1]), np.zeros(3, int)),
        "capacity": np.array([1, 2, 3]),
        "sectors": np.array([1, 2, 4]),
        "n_households": 5,
        "touched": frozenset(),
        "leave_helper": np.zeros(3, bool),
        "leave_household": np.zeros(5, bool),
        "policy": PairingPolicy(),
    }
    first, households, helpers, stored, policy = _churn(world)
    repair = repair_columns(households, helpers, stored, policy)
    assert repair.changed == ()
    assert np.array_equal(repair.plan.helper, first.helper)
    assert repair.plan.total_cost == first.total_cost
    world["leave_helper"] = np.array([False, True, False])
    world["touched"] = frozenset({610202})
    _, households, helpers, stored, policy = _churn(world)
    assert repair_columns(households, helpers, stored, policy).changed == (610202,)


@st.composite
def campaigns(draw: st.DrawFn):
    """Helpers and households, their first pairing's pairs in force, and what changes
    after: helpers who leave or stop, households who leave."""
    helpers, households = draw(instances(max_helpers=6, max_households=8, max_capacity=2))
    first = plan_pairings(helpers, households, policy=PairingPolicy(), on=ON)
    existing = list(first.pairings)
    gone = draw(st.sets(st.sampled_from([h.helper_id for h in helpers]))) if helpers else set()
    stopped = draw(st.sets(st.sampled_from([h.helper_id for h in helpers]))) if helpers else set()
    left = (
        draw(st.sets(st.sampled_from([h.household_id for h in households])))
        if households
        else set()
    )
    after_helpers = [
        attrs.evolve(h, active=False) if h.helper_id in stopped else h
        for h in helpers
        if h.helper_id not in gone
    ]
    after_households = [h for h in households if h.household_id not in left]
    policy = PairingPolicy(
        keep_existing=False,
        handover_cost=draw(st.sampled_from([0, 30, 200])),
        max_candidates=draw(st.sampled_from([None, 1, 50])),
    )
    return after_helpers, after_households, existing, policy


def _county(region) -> int:
    return int(region_keys([region])[0, COUNTY])


@SETTINGS
@given(campaigns())
def test_changed_only_re_pairs_changed_counties_as_a_full_run_and_keeps_the_rest(campaign):
    helpers, households, existing, policy = campaign
    full = plan_pairings(helpers, households, (), existing, policy, on=ON)
    only = plan_pairings(helpers, households, (), existing, policy, on=ON, changed_only=True)
    problem = PairingProblem.build(helpers, households, (), existing, policy, ON)
    changed = changed_partitions(problem)
    county_of = {h.household_id: _county(h.region) for h in households}
    in_force = {p.household_id: p.helper_id for p in existing}

    def pairs(plan, inside: bool):
        return sorted(
            (p.household_id, p.helper_id, p.cost)
            for p in plan.pairs
            if (county_of[p.household_id] in changed) == inside
        )

    assert pairs(only, True) == pairs(full, True)
    unpaired = {u.household_id for u in only.unpaired if county_of[u.household_id] in changed}
    assert unpaired == {
        u.household_id for u in full.unpaired if county_of[u.household_id] in changed
    }
    for p in only.pairs:
        if county_of[p.household_id] not in changed:
            assert p.status is PairStatus.KEPT
            assert in_force[p.household_id] == p.helper_id
    for u in only.unpaired:
        assert county_of[u.household_id] in changed or u.household_id not in in_force
    # No handover for a household that stays in a county that did not change.
    assert all(
        county_of[h.household_id] in changed for h in only.changes if h.household_id in county_of
    )


@SETTINGS
@given(campaigns())
def test_changed_only_keeping_existing_is_the_full_plan(campaign):
    helpers, households, existing, policy = campaign
    keep = attrs.evolve(policy, keep_existing=True)
    full = plan_pairings(helpers, households, (), existing, keep, on=ON)
    only = plan_pairings(helpers, households, (), existing, keep, on=ON, changed_only=True)
    assert only.to_dict() == full.to_dict()


def test_pairs_in_force_are_kept_in_the_county_whose_helpers_all_stay():
    # An explicit case: two counties, one loses its helper.
    helpers, households = _two_counties()
    first = plan_pairings(helpers, households, policy=PairingPolicy(), on=ON)
    existing: list[Pairing] = list(first.pairings)
    after = [h for h in helpers if h.helper_id != "p1"]
    policy = PairingPolicy(keep_existing=False, handover_cost=0)
    only = plan_pairings(after, households, (), existing, policy, on=ON, changed_only=True)
    problem = PairingProblem.build(after, households, (), existing, policy, ON)
    assert changed_partitions(problem) == frozenset({_county(households[0].region)})
    by_household = {p.household_id: p for p in only.pairs}
    assert by_household["h3"].status is PairStatus.KEPT
    changes = {h.household_id for h in only.changes}
    assert "h1" in changes
    assert changes <= {"h1", "h2"}


def _two_counties():
    return (
        [
            helper("p1", "610202001001", capacity=1),
            helper("p2", "610202001002", capacity=1),
            helper("p3", "610203001001", capacity=2),
        ],
        [
            household("h1", "610202001001"),
            household("h2", "610202001002"),
            household("h3", "610203001001"),
        ],
    )


def test_cli_pair_changed_only_keeps_the_counties_that_did_not_change(tmp_path, capsys):
    db = str(tmp_path / "pair.db")
    with jieqin.connect(f"sqlite:///{db}") as campaign:
        with campaign.unit_of_work("test") as uow:
            uow.helpers.add_many(
                [
                    helper("p1", "610202001001", capacity=2),
                    helper("p2", "610202001002", capacity=1),
                    helper("p3", "610203001001", capacity=1),
                ]
            )
            uow.households.add_many(
                [
                    household("h1", "610202001001"),
                    household("h2", "610202001002"),
                    household("h3", "610202001001"),
                    household("h4", "610203001002"),
                ]
            )
            uow.commit()
        first = campaign.pair(on=date(2022, 3, 1))
        with campaign.unit_of_work() as uow:
            uow.helpers.update(attrs.evolve(uow.helpers.get("p2"), active=False))
            uow.commit()
    assert {p.household_id: p.helper_id for p in first.pairs}["h4"] == "p3"
    # A helper joins in h4's own village: re-pairing everyone would hand h4 to p4.
    with jieqin.connect(f"sqlite:///{db}") as campaign, campaign.unit_of_work() as uow:
        uow.helpers.add(helper("p4", "610203001002", capacity=1))
        uow.commit()
    args = ["pair", "--db", db, "--on", "2022-09-01", "--keep-existing=false"]
    args += ["--handover-cost", "0"]
    assert run_cli(cli, [*args, "--dry-run", "--json"]) == 0
    everyone = json.loads(capsys.readouterr().out)
    assert {p["household_id"]: p["helper_id"] for p in everyone["pairs"]}["h4"] == "p4"
    assert run_cli(cli, [*args, "--changed-only", "--dry-run", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    status = {p["household_id"]: (p["helper_id"], p["status"]) for p in shown["pairs"]}
    assert status["h4"] == ("p3", "kept")  # county 610203 did not change
    assert {h["household_id"] for h in shown["handovers"]} <= {"h1", "h2", "h3"}
    assert any(h["from_helper_id"] == "p2" for h in shown["handovers"])
