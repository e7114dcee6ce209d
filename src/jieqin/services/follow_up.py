"""The follow-up use case: which pairings are behind their cadence on a day.

The storage's read model hands over every pairing in force with its household's
cadence facts and latest activity days; the cadence itself is computed once,
vectorised, over all of them (:func:`jieqin.activities.overdue`). Read-only.
"""

from __future__ import annotations

from datetime import date

from jieqin.activities.cadence import CadencePolicy
from jieqin.activities.overdue import FollowUpArrays, OverdueList, overdue
from jieqin.model.vocab import MONITORED_STATUSES
from jieqin.storage.base import UnitOfWork

__all__ = ["follow_up_arrays", "overdue_pairings"]


def follow_up_arrays(
    uow: UnitOfWork,
    as_of: date,
    policy: CadencePolicy,
    monitored: frozenset[str] = MONITORED_STATUSES,
) -> FollowUpArrays:
    """Pairings in force on ``as_of`` with the latest activity day per set of kinds."""
    return uow.read_model.follow_up(as_of, policy.kind_sets(), monitored)


def overdue_pairings(
    uow: UnitOfWork,
    as_of: date,
    policy: CadencePolicy,
    monitored: frozenset[str] = MONITORED_STATUSES,
) -> OverdueList:
    """Pairings behind their cadence on ``as_of``, most days overdue first."""
    return overdue(policy, as_of, follow_up_arrays(uow, as_of, policy, monitored))
