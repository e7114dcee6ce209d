"""The pairing use case: read the campaign, plan the pairing, write it atomically.

Everything is read through one unit of work: helpers, households, open needs and
the pairings in force. A dry run returns the plan and writes nothing; otherwise
the ended pairings, the new pairings and the handovers are written together, the
``jieqin_pairings_committed`` notification runs, and the unit of work commits
(a plugin raising there rolls everything back).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from datetime import date
from typing import Any

from jieqin.errors import PairingError
from jieqin.pairing import PairingCostTerm, PairingPlan, PairingPolicy, plan_pairings

__all__ = ["pair", "registered_cost_terms"]


def registered_cost_terms(objects: Sequence[object]) -> list[PairingCostTerm]:
    """The plugins' cost terms, checked to be :class:`~jieqin.pairing.PairingCostTerm`."""
    terms: list[PairingCostTerm] = []
    for obj in objects:
        if not isinstance(obj, PairingCostTerm):
            raise PairingError(
                f"a plugin registered {obj!r} as a pairing cost term; expected a "
                "jieqin.pairing.PairingCostTerm"
            )
        terms.append(obj)
    return terms


def pair(
    uow: Any,
    policy: PairingPolicy | None = None,
    *,
    on: date | None = None,
    dry_run: bool = False,
    terms: Sequence[PairingCostTerm] = (),
    executor: Executor | None = None,
) -> PairingPlan:
    """Plan the pairing on ``on`` (today) and, unless ``dry_run``, write it and commit ``uow``."""
    day = on or uow.today()
    plan = plan_pairings(
        uow.helpers.list(),
        uow.households.list(),
        uow.needs.list(),
        uow.pairings.active_on(day),
        policy,
        on=day,
        terms=terms,
        executor=executor,
    )
    if dry_run:
        uow.rollback()
        return plan
    ended = [p for p in plan.ended if p.end is not None]
    uow.pairings.upsert_many(ended)
    uow.pairings.add_many(plan.pairings)
    uow.handovers.add_many(plan.handovers)
    uow.notify(
        "jieqin_pairings_committed",
        pairings=[*ended, *plan.pairings],
        handovers=list(plan.handovers),
    )
    uow.commit()
    return plan
