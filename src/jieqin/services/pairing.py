"""The pairing use case: read the campaign, plan the pairing, write it atomically.

Everything is read through one unit of work: helpers, households, open needs and
the pairings in force. A dry run returns the plan and writes nothing; otherwise
the ended pairings, the new pairings and the handovers are written together, the
``jieqin_pairings_committed`` notification runs, and the unit of work commits
(a plugin raising there rolls everything back).

A plan for a day before pairings already recorded (``jieqin pair --on`` after a run
for today) supersedes the later pairings its new ones overlap before it is shown or
written (:func:`~jieqin.pairing.records.superseding_later`): they are withdrawn, never
in force but kept, so no household is left with two open pairings, on any backend.
:func:`end_pairing` ends one pairing by hand, dated and with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from datetime import date, timedelta
from typing import Any

from jieqin.errors import InvalidValue, NotFound, PairingError
from jieqin.i18n import N_
from jieqin.model import Handover, Pairing, PairingRole
from jieqin.pairing import PairingCostTerm, PairingPlan, PairingPolicy, plan_pairings
from jieqin.pairing.records import superseding_later

__all__ = ["end_pairing", "pair", "registered_cost_terms"]


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
    changed_only: bool = False,
) -> PairingPlan:
    """Plan the pairing on ``on`` (today) and, unless ``dry_run``, write it and commit ``uow``.

    ``changed_only``: re-pair only the partitions whose stored pairing no longer
    stands, keeping every pair in force elsewhere (see :func:`~jieqin.pairing.plan_pairings`).
    """
    day = on or uow.today
    plan = plan_pairings(
        uow.helpers.list(),
        uow.households.list(),
        uow.needs.list(),
        uow.pairings.active_on(day),
        policy,
        on=day,
        terms=terms,
        executor=executor,
        changed_only=changed_only,
    )
    withdrawn: set[tuple[str, str, date]] = set()
    if plan.pairings:
        stored = uow.pairings.of_households({p.household_id for p in plan.pairings})
        plan = superseding_later(plan, stored)
        withdrawn = {_key(p) for ps in stored.values() for p in ps if p.withdrawn}
    if dry_run:
        uow.rollback()
        return plan
    # A pairing made again on the first day of one withdrawn replaces that record.
    again = [p for p in plan.pairings if _key(p) in withdrawn]
    ended = [p for p in plan.ended if p.end is not None]
    uow.pairings.upsert_many([*ended, *again])
    uow.pairings.add_many([p for p in plan.pairings if _key(p) not in withdrawn])
    uow.handovers.add_many(plan.handovers)
    uow.notify(
        "jieqin_pairings_committed",
        pairings=[*ended, *plan.pairings],
        handovers=list(plan.handovers),
    )
    uow.commit()
    return plan


def _key(pairing: Pairing) -> tuple[str, str, date]:
    return (pairing.helper_id, pairing.household_id, pairing.start)


def end_pairing(
    uow: Any, helper_id: str, household_id: str, on: date, reason: str
) -> tuple[Pairing, Handover | None]:
    """End the open pairing of ``helper_id`` with ``household_id`` on ``on`` (its last
    day in force), say why, and commit ``uow``.

    Nothing is deleted: the pairing's ``end`` is set and its reason becomes ``reason``
    (the audit log keeps what it was). A primary pairing's end is also a handover
    dated the next day, from the helper to nobody, with ``reason``.

    :raises InvalidValue: no reason, or ``on`` is before the pairing starts.
    :raises NotFound: no such helper or household, or no open pairing of the two.
    """
    why = reason.strip()
    if not why:
        raise InvalidValue("say why the pairing ends", field="reason")
    if uow.helpers.find(helper_id) is None:
        raise NotFound(N_("no helper {helper}", helper=helper_id))
    if uow.households.find(household_id) is None:
        raise NotFound(N_("no household {household}", household=household_id))
    pairing = _open_pairing(uow, helper_id, household_id, on)
    if on < pairing.start:
        raise InvalidValue(
            f"the pairing of helper {helper_id} with household {household_id} starts "
            f"{pairing.start.isoformat()}; it cannot end on {on.isoformat()}, before it starts",
            field="on",
        )
    ended = uow.pairings.end((helper_id, household_id, pairing.start), on, reason=why)
    handover = None
    if pairing.role is PairingRole.PRIMARY:
        handover = Handover(household_id, on + timedelta(days=1), why, helper_id, None)
        uow.handovers.add(handover)
    uow.notify(
        "jieqin_pairings_committed",
        pairings=[ended],
        handovers=[] if handover is None else [handover],
    )
    uow.commit()
    return ended, handover


def _open_pairing(uow: Any, helper_id: str, household_id: str, on: date) -> Pairing:
    """The open pairing of the two that ``on`` would end: the latest started by then
    (the first, if all start later)."""
    found: list[Pairing] = sorted(
        (
            p
            for p in uow.pairings.list(helper_id=helper_id, household_id=household_id)
            if p.end is None
        ),
        key=lambda p: p.start,
    )
    if not found:
        raise NotFound(
            N_(
                "helper {helper} has no open pairing with household {household}",
                helper=helper_id,
                household=household_id,
            )
        )
    started = [p for p in found if p.start <= on]
    return started[-1] if started else found[0]
