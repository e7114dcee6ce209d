"""A helper's view of the campaign: only the households paired with them.

A helper (a council member, an agency staffer) needs to see the households they
visit, those households' members, needs and activities, and nothing else: not
another helper's households, not the campaign's other records. :class:`HelperView`
is an immutable helper principal (:class:`~jieqin.security.Principal` with the
``helper`` role and the view's day) that reads through read-only, scoped units of
work (:class:`~jieqin.security.ScopedUnitOfWork`), so what it returns is decided by
the stored pairings alone, and the same scope holds on every backend. It never
writes and holds nothing that could: every unit of work it opens is read-only.

A record is in the view when its household is paired with the helper on the view's
day (and, for a record naming a member, when that member belongs to such a
household); a household outside the view is reported as not found, exactly like
one that does not exist, so the view does not reveal which households exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, NoReturn

from jieqin.model import Activity, Helper, Household, Member, Need, Pairing
from jieqin.security import STANDARD_ROLES, Principal, Role, ScopedUnitOfWork
from jieqin.storage.base import UnitOfWork

__all__ = ["HelperView"]


class HelperView:
    """Read-only access to one helper's paired households, their members, needs, activities.

    :param unit_of_work: opens units of work (``campaign.unit_of_work``); called with
        ``principal=`` and ``read_only=True``, and whatever it returns is scoped to
        the helper and read-only.
    :param helper_id: the helper whose view this is.
    :param on: the day whose pairings count; default: today.
    :param role: the role of the helper principal (default: the standard ``helper``).
    :raises NotFound: there is no helper with this id.

    The view is immutable: its helper and day cannot be changed.
    """

    __slots__ = ("_helper", "_open", "_principal")

    _open: Callable[[], UnitOfWork]
    _principal: Principal
    _helper: Helper

    def __init__(
        self,
        unit_of_work: Callable[..., UnitOfWork],
        helper_id: str,
        *,
        on: date | None = None,
        role: Role | None = None,
    ) -> None:
        principal = Principal(
            f"helper:{helper_id}",
            role or STANDARD_ROLES["helper"],
            helper_id=helper_id,
            on=on if on is not None else date.today(),
        )

        def open_scoped() -> UnitOfWork:
            opened = unit_of_work(principal=principal, read_only=True)
            if (
                isinstance(opened, ScopedUnitOfWork)
                and opened.principal == principal
                and opened.read_only
            ):
                return opened
            return ScopedUnitOfWork(opened, principal, read_only=True)

        object.__setattr__(self, "_open", open_scoped)
        object.__setattr__(self, "_principal", principal)
        with open_scoped() as uow:
            object.__setattr__(self, "_helper", uow.helpers.get(helper_id))

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"a HelperView is immutable: cannot set {name}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"a HelperView is immutable: cannot delete {name}")

    @property
    def principal(self) -> Principal:
        """The helper principal the view reads as."""
        return self._principal

    @property
    def helper_id(self) -> str:
        """The helper whose view this is."""
        return str(self._principal.helper_id)

    @property
    def on(self) -> date:
        """The day whose pairings count."""
        day = self._principal.on
        assert day is not None
        return day

    @property
    def helper(self) -> Helper:
        """The helper themself."""
        return self._helper

    def pairings(self) -> list[Pairing]:
        """The helper's pairings in force on the view's day."""
        with self._open() as uow:
            return self._pairings(uow)

    def household_ids(self) -> frozenset[str]:
        """The ids of the households paired with the helper on the view's day."""
        return frozenset(p.household_id for p in self.pairings())

    def households(self) -> list[Household]:
        """The paired households, ordered by id."""
        with self._open() as uow:
            return uow.households.list()

    def household(self, household_id: str) -> Household:
        """One paired household; :class:`NotFound` for any other, stored or not."""
        with self._open() as uow:
            return uow.households.get(household_id)

    def members(self) -> list[Member]:
        """Every member of the paired households, household by household."""
        return [m for h in self.households() for m in h.members]

    def needs(self, **filters: object) -> list[Need]:
        """Needs of the paired households matching ``filters`` (as ``uow.needs.list``)."""
        with self._open() as uow:
            return uow.needs.list(**filters)

    def activities(self, **filters: object) -> list[Activity]:
        """Activities with the paired households matching ``filters``, by any helper.

        A voided activity is left out (it counts nowhere), unless ``filters`` ask
        for voided ones by ``voided_on``."""
        filters.setdefault("voided_on", None)
        with self._open() as uow:
            return uow.activities.list(**filters)

    def _pairings(self, uow: UnitOfWork) -> list[Pairing]:
        return [
            p
            for p in uow.pairings.active_on(self.on, helper_id=self.helper_id)
            if p.helper_id == self.helper_id
        ]

    def __reduce__(self) -> Any:
        raise TypeError("a HelperView cannot be copied or pickled")

    def __repr__(self) -> str:
        return f"<HelperView {self.helper_id} on {self.on.isoformat()}>"
