"""Candidate generation inside one region partition.

Each household's candidates are the ``max_candidates`` cheapest helpers with free
places among those of the smallest region around it (its village, township,
county, ... up to the locality limit) that holds at least that many. Costs are
computed by the cost terms over the arrays of all these edges at once, and ties
are broken by helper row (helpers are sorted by id), so the same input gives the
same candidates. A household's pair in force is always a candidate as well.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from attrs import frozen

from jieqin.pairing.columns import LEVELS, HelperColumns, HouseholdColumns, IntArray, level_column
from jieqin.pairing.costs import CandidateEdges, PairingCostTerm, evaluate_terms
from jieqin.pairing.policy import PairingPolicy

__all__ = ["Candidates", "generate_candidates"]


@frozen
class Candidates:
    """Candidate edges, each household's together, with each term's cost and the total."""

    household: IntArray
    helper: IntArray
    terms: IntArray
    """``(edges, terms)`` whole cost units."""
    cost: IntArray
    """Sum over terms, per edge."""


def _group_ranges(keys: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Stable order of ``keys`` and, per distinct key, its value and start in that order."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if ordered.size else ordered
    return order, ordered[starts] if ordered.size else ordered, starts


def _block_levels(
    households: HouseholdColumns,
    helpers: HelperColumns,
    members: IntArray,
    pool: IntArray,
    col: int,
) -> IntArray:
    """Level of the smallest region holding both ends of each edge of the block
    ``members`` x ``pool`` (row by row), whose ends agree down to column ``col``."""
    level = np.full((members.size, pool.size), col + 1, np.int64)
    agree = np.ones((members.size, pool.size), bool)
    for deeper in range(col + 1, len(LEVELS)):
        key = helpers.keys[pool, deeper]
        agree &= (households.keys[members, deeper][:, None] == key) & (key >= 0)
        level += agree
    return level.ravel()


def generate_candidates(
    households: HouseholdColumns,
    helpers: HelperColumns,
    policy: PairingPolicy,
    terms: Sequence[PairingCostTerm],
    forbidden: IntArray | None = None,
) -> Candidates:
    """Candidate edges of one partition (every helper here shares its region at the limit).

    ``forbidden`` holds ``household_row * len(helpers) + helper_row`` codes of pairs
    that must not be made.
    """
    available = np.flatnonzero(helpers.free > 0)
    scope = _scopes(households, helpers, available, policy)
    blocks_hh: list[IntArray] = []
    blocks_hp: list[IntArray] = []
    blocks_level: list[IntArray] = []
    shapes: list[tuple[int, int]] = []
    for col in np.unique(scope):
        rows = np.flatnonzero(scope == col)
        hh_blocks, hp_blocks, level_blocks, block_shapes = _pools(
            households, helpers, available, rows, int(col)
        )
        blocks_level += level_blocks
        blocks_hh += hh_blocks
        blocks_hp += hp_blocks
        shapes += block_shapes
    if not blocks_hh:
        empty = np.zeros(0, np.int64)
        none = Candidates(empty, empty, np.zeros((0, len(terms)), np.int64), empty)
        return _with_current(none, households, helpers, policy, terms, forbidden)
    hh = np.concatenate(blocks_hh)
    hp = np.concatenate(blocks_hp)
    edges = CandidateEdges(hh, hp, np.concatenate(blocks_level), households, helpers, policy)
    matrix = evaluate_terms(terms, edges)
    cost = np.zeros(hh.size, np.int64)
    for column in range(matrix.shape[1]):
        cost += matrix[:, column]
    allowed = None
    if forbidden is not None and forbidden.size:
        allowed = ~np.isin(hh * len(helpers) + hp, forbidden)
    keep = _select(cost, allowed, shapes, policy.max_candidates)
    chosen = Candidates(hh[keep], hp[keep], matrix[keep], cost[keep])
    return _with_current(chosen, households, helpers, policy, terms, forbidden)


def _with_current(
    chosen: Candidates,
    households: HouseholdColumns,
    helpers: HelperColumns,
    policy: PairingPolicy,
    terms: Sequence[PairingCostTerm],
    forbidden: IntArray | None,
) -> Candidates:
    """``chosen`` with each household's pair in force (its current helper, when that
    helper has a place and the pair is allowed) as a candidate too, so that staying
    is always on the table however far down the cheapest list it is."""
    rows = np.flatnonzero(households.current >= 0)
    if rows.size == 0:
        return chosen
    current = households.current[rows]
    n_helpers = len(helpers)
    codes = rows * n_helpers + current
    missing = (helpers.free[current] > 0) & ~np.isin(
        codes, chosen.household * n_helpers + chosen.helper
    )
    if forbidden is not None and forbidden.size:
        missing &= ~np.isin(codes, forbidden)
    hh, hp = rows[missing], current[missing]
    same = (households.keys[hh] == helpers.keys[hp]) & (helpers.keys[hp] >= 0)
    level = np.cumprod(same, axis=1).sum(axis=1).astype(np.int64)
    allowed = level >= int(policy.locality_limit)
    hh, hp, level = hh[allowed], hp[allowed], level[allowed]
    if hh.size == 0:
        return chosen
    matrix = evaluate_terms(terms, CandidateEdges(hh, hp, level, households, helpers, policy))
    all_hh = np.concatenate([chosen.household, hh])
    all_hp = np.concatenate([chosen.helper, hp])
    order = np.lexsort((all_hp, all_hh))
    all_terms = np.concatenate([chosen.terms, matrix])
    all_cost = np.concatenate([chosen.cost, matrix.sum(axis=1).astype(np.int64)])
    return Candidates(all_hh[order], all_hp[order], all_terms[order], all_cost[order])


def _scopes(
    households: HouseholdColumns,
    helpers: HelperColumns,
    available: IntArray,
    policy: PairingPolicy,
) -> IntArray:
    """Per household, the column of the smallest region around it, up to the limit, that
    holds at least ``max_candidates`` of the ``available`` helpers."""
    limit_col = level_column(policy.locality_limit)
    k = policy.max_candidates
    scope = np.full(len(households), limit_col, np.int64)
    if k is not None and available.size:
        for col in range(limit_col + 1, len(LEVELS)):
            helper_keys = np.sort(helpers.keys[available, col])
            hh_keys = households.keys[:, col]
            count = np.searchsorted(helper_keys, hh_keys, "right") - np.searchsorted(
                helper_keys, hh_keys, "left"
            )
            scope[(count >= k) & (hh_keys >= 0)] = col
    return scope


def _pools(
    households: HouseholdColumns,
    helpers: HelperColumns,
    available: IntArray,
    rows: IntArray,
    col: int,
) -> tuple[list[IntArray], list[IntArray], list[IntArray], list[tuple[int, int]]]:
    """The households at ``rows`` by their region of column ``col``, each region's with
    its ``available`` helpers: a block of edges (household rows, helper rows, levels,
    shape) each."""
    hh_order, hh_values, hh_starts = _group_ranges(households.keys[rows, col])
    hp_keys = helpers.keys[available, col]
    hp_order, hp_values, hp_starts = _group_ranges(hp_keys)
    hp_ends = np.r_[hp_starts[1:], hp_keys.size] if hp_keys.size else hp_starts
    hh_ends = np.r_[hh_starts[1:], rows.size]
    where = np.searchsorted(hp_values, hh_values)
    blocks_hh: list[IntArray] = []
    blocks_hp: list[IntArray] = []
    blocks_level: list[IntArray] = []
    shapes: list[tuple[int, int]] = []
    for g, value in enumerate(hh_values):
        at = int(where[g])
        if at >= hp_values.size or hp_values[at] != value or value < 0:
            continue
        members = rows[hh_order[hh_starts[g] : hh_ends[g]]]
        pool = np.sort(available[hp_order[hp_starts[at] : hp_ends[at]]])
        blocks_hh.append(np.repeat(members, pool.size))
        blocks_hp.append(np.tile(pool, members.size))
        blocks_level.append(_block_levels(households, helpers, members, pool, col))
        shapes.append((members.size, pool.size))
    return blocks_hh, blocks_hp, blocks_level, shapes


def _select(
    cost: IntArray, allowed: np.ndarray | None, shapes: list[tuple[int, int]], k: int | None
) -> IntArray:
    """Edges to keep: per household the ``k`` cheapest allowed ones (ties: lower helper
    row); ``allowed`` ``None``: every edge is."""
    out: list[IntArray] = []
    offset = 0
    for rows, cols in shapes:
        size = rows * cols
        block_cost = cost[offset : offset + size].reshape(rows, cols)
        block_allowed = None if allowed is None else allowed[offset : offset + size]
        if k is None or cols <= k:
            picked = np.arange(size) if block_allowed is None else np.flatnonzero(block_allowed)
        else:
            # Unique keys: cost first, then position (helper rows ascend within a block).
            key = block_cost * cols + np.arange(cols)
            if block_allowed is not None:
                key = np.where(block_allowed.reshape(rows, cols), key, np.iinfo(np.int64).max)
            part = np.argpartition(key, k - 1, axis=1)[:, :k]
            flat = (np.arange(rows)[:, None] * cols + part).ravel()
            picked = flat if block_allowed is None else flat[block_allowed[flat]]
        out.append(picked + offset)
        offset += size
    return np.concatenate(out)
