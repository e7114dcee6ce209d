"""Who is behind on follow-up: the arrays for :func:`jieqin.activities.overdue`, from storage.

SQL backends read them with a few set-based queries (:mod:`jieqin.reports.sql`); the
memory backend builds them in Python. Either way the cadence itself is computed
once, vectorised, over all active pairings.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import numpy as np

from jieqin.activities.cadence import CadencePolicy, household_facts
from jieqin.activities.overdue import FollowUpArrays, OverdueList, overdue
from jieqin.storage.base import UnitOfWork

__all__ = ["follow_up_arrays", "overdue_pairings"]


def follow_up_arrays(uow: UnitOfWork, as_of: date, policy: CadencePolicy) -> FollowUpArrays:
    """Pairings in force on ``as_of`` with the latest activity day per kind up to it."""
    if uow.sql_backed:
        from jieqin.reports.sql import sql_follow_up

        return sql_follow_up(uow.connection, as_of, policy.kind_sets())
    return _python_follow_up(uow, as_of, policy)


def _python_follow_up(uow: UnitOfWork, as_of: date, policy: CadencePolicy) -> FollowUpArrays:
    pairings = sorted(uow.pairings.active_on(as_of), key=lambda p: (p.household_id, p.helper_id))
    wanted = {p.household_id for p in pairings}
    kinds = policy.kinds()
    latest: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for a in uow.activities.list():
        if a.household_id in wanted and a.kind in kinds and a.on <= as_of:
            day = a.on.toordinal()
            if latest[a.kind].get(a.household_id, 0) < day:
                latest[a.kind][a.household_id] = day
    facts = {
        hid: household_facts(h, as_of).bits
        for hid in wanted
        if (h := uow.households.find(hid)) is not None
    }
    return FollowUpArrays(
        helper_ids=[p.helper_id for p in pairings],
        household_ids=[p.household_id for p in pairings],
        start=np.array([p.start.toordinal() for p in pairings], dtype=np.int64),
        facts=np.array([facts.get(p.household_id, 0) for p in pairings], dtype=np.int64),
        last_by_kind={
            kind: np.array([days.get(p.household_id, 0) for p in pairings], dtype=np.int64)
            for kind, days in latest.items()
        },
        in_id_order=True,
    )


def overdue_pairings(uow: UnitOfWork, as_of: date, policy: CadencePolicy) -> OverdueList:
    """Pairings behind their cadence on ``as_of``, most days overdue first."""
    return overdue(policy, as_of, follow_up_arrays(uow, as_of, policy))
