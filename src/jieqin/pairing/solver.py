"""The exact solver: a minimum-cost assignment of households to helper slots.

A helper with ``c`` free places becomes ``c`` slot columns; the ``k``-th slot costs
the policy's convex workload cost for a ``k``-th household on top of the pair's
cost. Because each further slot costs at least as much as the one before, an
optimal assignment fills a helper's slots in order, so the slot assignment is an
exact model of capacity with convex workload cost.

The assignment is solved by :func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching`
(LAPJVsp) on the sparse slot graph. When not every household can be placed, each
gets a private "unpaired" column whose cost exceeds any possible total of real
costs: the optimum then pairs as many households as possible and, among those
assignments, has the least cost. Costs are whole numbers, exact in float64.
"""

from __future__ import annotations

import numpy as np
from attrs import frozen
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching, min_weight_full_bipartite_matching

from jieqin.errors import PairingError
from jieqin.pairing.columns import IntArray

__all__ = ["Assignment", "solve_assignment"]

_EXACT = 2**52


@frozen
class Assignment:
    """The optimum: the edge chosen for each household (``-1``: unpaired) and its slot cost."""

    edge: IntArray
    slot_cost: IntArray
    """Workload cost of the chosen edge (0 where unpaired)."""


@frozen
class _Ranks:
    """Per row of the slot graph: whether it is paired first, and its own unpaired cost."""

    first: np.ndarray
    extra: IntArray

    @classmethod
    def of(cls, rows: IntArray, first: np.ndarray | None, unpaired_cost: IntArray | None) -> _Ranks:
        """The ranks of the households at ``rows`` (none first, no extra cost by default)."""
        return cls(
            np.zeros(rows.size, bool) if first is None else np.asarray(first, bool)[rows],
            np.zeros(rows.size, np.int64)
            if unpaired_cost is None
            else np.asarray(unpaired_cost, np.int64)[rows],
        )

    def columns(self, weight: IntArray) -> np.ndarray:
        """Each row's unpaired column cost: dearer than any total of real costs and
        extras, twice that for a row paired first, plus the row's extra."""
        n_rows = self.first.size
        extra_max = int(self.extra.max()) if n_rows else 0
        big = (int(weight.max()) + extra_max) * n_rows + 1
        top = (2 * big if self.first.any() else big) + extra_max
        if top * (n_rows + 1) >= _EXACT:
            raise PairingError("costs too large to solve exactly; lower the policy weights")
        return np.where(self.first, 2 * big, big) + self.extra


@frozen
class _SlotGraph:
    """The candidate edges expanded to one edge per free slot of their helper, as a
    sparse household x slot matrix of weights."""

    expanded: IntArray
    """The candidate edge of each slot edge."""
    marginal: IntArray
    """The workload cost of each slot edge's slot."""
    column: IntArray
    indptr: IntArray
    rows: IntArray
    """The household of each matrix row (those with at least one slot edge)."""
    weight: IntArray
    n_cols: int


def solve_assignment(
    n_households: int,
    household: IntArray,
    helper: IntArray,
    cost: IntArray,
    free: IntArray,
    load: IntArray,
    step: int,
    *,
    first: np.ndarray | None = None,
    unpaired_cost: IntArray | None = None,
) -> Assignment:
    """Pair as many households as possible, then at least total cost.

    ``household``/``helper``/``cost`` are the candidate edges, each household's together;
    ``free[j]`` is helper ``j``'s open places and ``load[j]`` the households it keeps
    already, so its next household is its ``load[j] + 1``-th and costs
    ``step * load[j]`` in workload. ``first[i]``: household ``i`` is left unpaired
    only when no largest pairing pairs it; ``unpaired_cost[i]``: what leaving it
    unpaired costs on top (both per household, optional).
    """
    edge_out = np.full(n_households, -1, np.int64)
    slot_out = np.zeros(n_households, np.int64)
    if household.size == 0:
        return Assignment(edge_out, slot_out)
    places = free[helper]
    keep = places > 0
    edge_ids = np.flatnonzero(keep)
    if edge_ids.size == 0:
        return Assignment(edge_out, slot_out)
    slots = _slot_graph(household, helper, cost, free, load, step, edge_ids, places[keep])
    row_ind, col_ind = _most_pairs_least_cost(slots, _Ranks.of(slots.rows, first, unpaired_cost))
    # Map each matched (row, column) back to its slot edge.
    total = slots.expanded.size
    lookup = csr_matrix(
        (np.arange(1, total + 1, dtype=np.int64), slots.column, slots.indptr),
        shape=(slots.rows.size, slots.n_cols),
    )
    chosen = np.asarray(lookup[row_ind, col_ind]).ravel() - 1
    households = slots.rows[row_ind]
    edge_out[households] = slots.expanded[chosen]
    slot_out[households] = slots.marginal[chosen]
    return Assignment(edge_out, _ranked_slot_costs(edge_out, helper, load, step, slot_out))


def _slot_graph(
    household: IntArray,
    helper: IntArray,
    cost: IntArray,
    free: IntArray,
    load: IntArray,
    step: int,
    edge_ids: IntArray,
    places: IntArray,
) -> _SlotGraph:
    """The slot graph of the candidate edges ``edge_ids``, whose helpers have ``places``."""
    total = int(places.sum())
    # Expand each edge into one edge per free slot of its helper.
    expanded = np.repeat(edge_ids, places)
    first = np.cumsum(places) - places
    slot = np.arange(total, dtype=np.int64) - np.repeat(first, places)
    hel = helper[expanded]
    base = np.cumsum(free) - free
    column = base[hel] + slot
    marginal = step * (load[hel] + slot)
    weight = cost[expanded] + marginal + 1  # +1: an explicit zero would read as "no edge"
    rows_of = household[expanded]
    # Rows: the households that have at least one edge, in order.
    starts = np.flatnonzero(np.r_[True, rows_of[1:] != rows_of[:-1]])
    indptr = np.zeros(starts.size + 1, np.int64)
    indptr[:-1] = starts
    indptr[-1] = total
    return _SlotGraph(expanded, marginal, column, indptr, rows_of[starts], weight, int(free.sum()))


def _most_pairs_least_cost(slots: _SlotGraph, ranks: _Ranks) -> tuple[IntArray, IntArray]:
    """Matched (row, column) pairs of the slot graph: as many rows as can be matched
    (the ``first`` ones before the others), at the least total weight with the
    unmatched rows' extra costs; rows left unmatched are not in the answer."""
    n_rows, n_cols = slots.rows.size, slots.n_cols
    weight, column, indptr = slots.weight, slots.column, slots.indptr
    graph = csr_matrix((weight.astype(np.float64), column, indptr), shape=(n_rows, n_cols))
    matched = maximum_bipartite_matching(graph, perm_type="column")
    if np.all(matched >= 0):
        row_ind, col_ind = min_weight_full_bipartite_matching(graph)
        return row_ind, col_ind
    # Not every row can be matched: each gets a private "unpaired" column.
    dummy = ranks.columns(weight)
    counts = np.diff(indptr) + 1
    ext_indptr = np.zeros(n_rows + 1, np.int64)
    np.cumsum(counts, out=ext_indptr[1:])
    ext_cols = np.empty(int(ext_indptr[-1]), np.int64)
    ext_weight = np.empty(int(ext_indptr[-1]), np.float64)
    dummy_at = ext_indptr[1:] - 1
    real = np.ones(ext_cols.size, bool)
    real[dummy_at] = False
    ext_cols[real] = column
    ext_weight[real] = weight
    ext_cols[dummy_at] = n_cols + np.arange(n_rows)
    ext_weight[dummy_at] = dummy
    graph = csr_matrix((ext_weight, ext_cols, ext_indptr), shape=(n_rows, n_cols + n_rows))
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    real_match = col_ind < n_cols
    return row_ind[real_match], col_ind[real_match]


def _ranked_slot_costs(
    edge: IntArray, helper: IntArray, load: IntArray, step: int, slot_cost: IntArray
) -> IntArray:
    """Give each helper's households the workload costs of slots 1, 2, ... in household order.

    With equal slot costs the solver may use slot 2 and leave slot 1 open; the total
    is the same, and ranking makes the breakdown independent of that choice.
    """
    paired = np.flatnonzero(edge >= 0)
    if paired.size == 0:
        return slot_cost
    hel = helper[edge[paired]]
    order = np.lexsort((paired, hel))
    sorted_hel = hel[order]
    starts = np.flatnonzero(np.r_[True, sorted_hel[1:] != sorted_hel[:-1]])
    rank = np.arange(order.size) - np.repeat(starts, np.diff(np.r_[starts, order.size]))
    out = slot_cost.copy()
    out[paired[order]] = step * (load[sorted_hel] + rank)
    return out
