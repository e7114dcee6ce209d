"""Cost terms: named functions over the arrays of all candidate edges at once.

A term never sees a single pair. It gets a :class:`CandidateEdges` (the household
row and helper row of every edge, and the columns of both sides) and returns one
whole number of cost units per edge, ``>= 0``. Plugins add terms through the
``jieqin_register_pairing_cost_terms(register)`` hook.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from attrs import field, frozen

from jieqin.errors import PairingError
from jieqin.model.vocab import check_code
from jieqin.pairing.columns import (
    LEVELS,
    HelperColumns,
    HouseholdColumns,
    IntArray,
    need_bits,
    sector_bits,
)
from jieqin.pairing.policy import PairingPolicy

__all__ = [
    "CandidateEdges",
    "PairingCostTerm",
    "builtin_terms",
    "evaluate_terms",
    "helper_covers",
]


@frozen
class CandidateEdges:
    """Candidate pairs as parallel arrays: edge ``e`` pairs ``household[e]`` with ``helper[e]``.

    ``household`` and ``helper`` are rows of :attr:`households` and :attr:`helpers`;
    ``level`` is the level of the smallest region holding both (5 = same village).
    """

    household: IntArray
    helper: IntArray
    level: IntArray
    households: HouseholdColumns
    helpers: HelperColumns
    policy: PairingPolicy

    def __len__(self) -> int:
        return int(self.household.size)

    def household_needs(self, kind: str) -> np.ndarray:
        """Whether each edge's household has a need of ``kind`` (a weighted kind)."""
        bit = need_bits(self.policy).get(kind)
        if bit is None:
            return np.zeros(len(self), bool)
        return np.asarray((self.households.needs[self.household] >> bit) & 1 == 1)

    def helper_has_sector(self, sector: str) -> np.ndarray:
        """Whether each edge's helper has ``sector`` (a sector covering a weighted need)."""
        bit = sector_bits(self.policy).get(sector)
        if bit is None:
            return np.zeros(len(self), bool)
        return np.asarray((self.helpers.sectors[self.helper] >> bit) & 1 == 1)


@frozen
class PairingCostTerm:
    """A named cost over all candidate edges: ``compute(edges)`` returns one int per edge.

    ``compute`` must be a module-level function (or another picklable callable) so
    that partitions can be solved in worker processes.
    """

    name: str = field(validator=lambda _i, a, v: check_code(v, field=a.name))
    compute: Callable[[CandidateEdges], np.ndarray]
    description: str = ""


def distance_cost(edges: CandidateEdges) -> np.ndarray:
    """Nearer is cheaper: the policy's cost for the level of the smallest shared region."""
    table = np.zeros(len(LEVELS) + 1, np.int64)
    for level, cost in edges.policy.distance_costs.items():
        table[int(level)] = cost
    return table[edges.level]


def strength_match_cost(edges: CandidateEdges) -> np.ndarray:
    """The weights of the household's needs that none of the helper's sectors covers."""
    policy = edges.policy
    bits = need_bits(policy)
    covers = helper_covers(edges.helpers, policy)
    unmet = edges.households.needs[edges.household] & ~covers[edges.helper]
    # Sum the weights of the unmet bits a byte at a time through 256-entry tables.
    out = np.zeros(len(edges), np.int64)
    weights = np.zeros(64, np.int64)
    for kind, bit in bits.items():
        weights[bit] = policy.need_weights[kind]
    values = np.arange(256)
    for byte in range((max(bits.values(), default=-1) + 8) // 8):
        chunk = weights[8 * byte : 8 * byte + 8]
        table = ((values[:, None] >> np.arange(chunk.size)) & 1) @ chunk
        out += table[(unmet >> (8 * byte)) & 255]
    return out


def helper_covers(helpers: HelperColumns, policy: PairingPolicy) -> IntArray:
    """Per helper, the need kinds its sectors cover (a mask over :func:`need_bits`)."""
    sectors = sector_bits(policy)
    covers = np.zeros(len(helpers), np.int64)
    for kind, bit in need_bits(policy).items():
        cover = 0
        for sector in policy.need_sectors.get(kind, ()):
            cover |= 1 << sectors[sector]
        covers |= ((helpers.sectors & cover) != 0).astype(np.int64) << bit
    return covers


def handover_cost(edges: CandidateEdges) -> np.ndarray:
    """The policy's handover cost on every edge that would change a household's helper."""
    current = edges.households.current[edges.household]
    change = (current >= 0) & (current != edges.helper)
    return np.asarray(change * edges.policy.handover_cost, np.int64)


def builtin_terms(policy: PairingPolicy) -> tuple[PairingCostTerm, ...]:
    """The terms every plan uses: distance, strength match and (when re-pairing) handover."""
    terms = [
        PairingCostTerm("distance", distance_cost, "smaller shared region is cheaper"),
        PairingCostTerm("strength_match", strength_match_cost, "needs the helper's sectors miss"),
    ]
    if not policy.keep_existing and policy.handover_cost:
        terms.append(PairingCostTerm("handover", handover_cost, "a change of helper"))
    return tuple(terms)


def evaluate_terms(terms: Sequence[PairingCostTerm], edges: CandidateEdges) -> IntArray:
    """An ``(edges, terms)`` matrix of whole cost units; checks each term's answer."""
    out = np.zeros((len(edges), len(terms)), np.int64, order="F")  # a term per column
    for col, term in enumerate(terms):
        values = np.asarray(term.compute(edges))
        if values.shape != (len(edges),):
            raise PairingError(
                f"cost term {term.name!r} returned shape {values.shape}, expected ({len(edges)},)"
            )
        integral = values.dtype.kind in "iub" or bool(np.all(np.equal(np.mod(values, 1), 0)))
        if values.size and not integral:
            raise PairingError(f"cost term {term.name!r} returned non-integer costs")
        values = values.astype(np.int64, copy=False)
        if values.size and values.min() < 0:
            raise PairingError(f"cost term {term.name!r} returned a negative cost")
        out[:, col] = values
    return out
