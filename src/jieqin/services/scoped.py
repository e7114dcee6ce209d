"""A helper's view of the campaign: only the households paired with them.

A helper (a council member, an agency staffer) needs to see the households they
visit, those households' members, needs and activities, and nothing else: not
another helper's households, not the campaign's other records. :class:`HelperView`
reads through units of work and filters by the helper's pairings in force on a day,
so what it returns is decided by the stored pairings alone. It never writes.

A record is in the view when its household is paired with the helper on the view's
day; a household outside the view is reported as not found, exactly like one that
does not exist, so the view does not reveal which households exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from jieqin.errors import NotFound
from jieqin.model import Activity, Helper, Household, Member, Need, Pairing
from jieqin.storage.base import UnitOfWork

__all__ = ["HelperView"]


class HelperView:
    """Read-only access to one helper's paired households, their members, needs, activities.

    :param unit_of_work: makes a new unit of work (``campaign.unit_of_work``); the view
        opens one per call and never commits.
    :param helper_id: the helper whose view this is.
    :param on: the day whose pairings count; default: today.
    :raises NotFound: there is no helper with this id.
    """

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        helper_id: str,
        *,
        on: date | None = None,
    ) -> None:
        self._unit_of_work = unit_of_work
        self.helper_id = helper_id
        self.on = on if on is not None else date.today()
        with self._unit_of_work() as uow:
            self._helper = uow.helpers.get(helper_id)

    @property
    def helper(self) -> Helper:
        """The helper themself."""
        return self._helper

    def pairings(self) -> list[Pairing]:
        """The helper's pairings in force on the view's day."""
        with self._unit_of_work() as uow:
            return self._pairings(uow)

    def household_ids(self) -> frozenset[str]:
        """The ids of the households paired with the helper on the view's day."""
        return frozenset(p.household_id for p in self.pairings())

    def households(self) -> list[Household]:
        """The paired households, ordered by id."""
        with self._unit_of_work() as uow:
            ids = sorted({p.household_id for p in self._pairings(uow)})
            return [uow.households.get(h) for h in ids]

    def household(self, household_id: str) -> Household:
        """One paired household; :class:`NotFound` for any other, stored or not."""
        with self._unit_of_work() as uow:
            if household_id not in {p.household_id for p in self._pairings(uow)}:
                raise NotFound(f"no household {household_id!r} among helper {self.helper_id}'s")
            return uow.households.get(household_id)

    def members(self) -> list[Member]:
        """Every member of the paired households, household by household."""
        return [m for h in self.households() for m in h.members]

    def needs(self, **filters: object) -> list[Need]:
        """Needs of the paired households matching ``filters`` (as ``uow.needs.list``)."""
        with self._unit_of_work() as uow:
            return [
                need
                for household_id in self._scope(uow, filters)
                for need in uow.needs.list(**{**filters, "household_id": household_id})
            ]

    def activities(self, **filters: object) -> list[Activity]:
        """Activities with the paired households matching ``filters``, by any helper."""
        with self._unit_of_work() as uow:
            return [
                activity
                for household_id in self._scope(uow, filters)
                for activity in uow.activities.list(**{**filters, "household_id": household_id})
            ]

    def _pairings(self, uow: UnitOfWork) -> list[Pairing]:
        return [
            p
            for p in uow.pairings.active_on(self.on, helper_id=self.helper_id)
            if p.helper_id == self.helper_id
        ]

    def _scope(self, uow: UnitOfWork, filters: dict[str, object]) -> list[str]:
        ids = sorted({p.household_id for p in self._pairings(uow)})
        asked = filters.pop("household_id", None)
        if asked is not None:
            ids = [h for h in ids if h == asked]
        return ids

    def __repr__(self) -> str:
        return f"<HelperView {self.helper_id} on {self.on.isoformat()}>"
