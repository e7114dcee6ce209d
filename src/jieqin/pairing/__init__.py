"""The pairing engine: exact, explained, capacity-aware pairing of helpers with households.

Candidates are generated inside each region partition, costed by vectorised cost
terms, and solved exactly (a minimum-cost assignment on helper slots). The result
is a :class:`PairingPlan` that explains each pair's cost and each household left
unpaired.
"""

from jieqin.pairing.columns import HelperColumns, HouseholdColumns
from jieqin.pairing.continuity import HandoverReason
from jieqin.pairing.costs import CandidateEdges, PairingCostTerm
from jieqin.pairing.engine import ColumnPlan, solve_columns
from jieqin.pairing.partitions import UnpairedReason
from jieqin.pairing.plan import PairingPlan, PairStatus, PlannedPair, UnpairedHousehold
from jieqin.pairing.planner import plan_pairings
from jieqin.pairing.policy import PairingPolicy

__all__ = [
    "CandidateEdges",
    "ColumnPlan",
    "HandoverReason",
    "HelperColumns",
    "HouseholdColumns",
    "PairStatus",
    "PairingCostTerm",
    "PairingPlan",
    "PairingPolicy",
    "PlannedPair",
    "UnpairedHousehold",
    "UnpairedReason",
    "plan_pairings",
    "solve_columns",
]
