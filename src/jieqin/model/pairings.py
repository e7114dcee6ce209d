"""Pairings of helpers with households, and the handovers between them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from attrs import field, frozen

from jieqin.model._fields import date_field, enum_field, id_field, optional_date, optional_id

__all__ = ["CostTerm", "Handover", "Pairing", "PairingRole"]


class PairingRole(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


@frozen
class CostTerm:
    """One term of the cost that made a pair: ``distance``, ``strength_match``, ``workload``..."""

    name: str
    value: float


def _cost_tuple(values: Iterable[CostTerm]) -> tuple[CostTerm, ...]:
    return tuple(values)


@frozen
class Pairing:
    """A helper paired with a household from ``start`` until ``end`` (open when ``None``).

    A pairing that ends the day before it starts was never in force: it was
    *withdrawn* (replaced on its first day, or superseded by a pairing made for an
    earlier day). It stays on record, and no figure counts it.
    """

    helper_id: str = field(validator=id_field)
    household_id: str = field(validator=id_field)
    start: date = field(validator=date_field)
    role: PairingRole = field(default=PairingRole.PRIMARY, converter=enum_field(PairingRole))  # type: ignore[misc]
    end: date | None = field(default=None, validator=optional_date)
    reason: str = ""
    costs: tuple[CostTerm, ...] = field(default=(), converter=_cost_tuple)

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    @property
    def withdrawn(self) -> bool:
        """Whether the pairing was never in force (it ends before it starts)."""
        return self.end is not None and self.end < self.start

    @property
    def cost(self) -> float:
        return sum(term.value for term in self.costs)


@frozen
class Handover:
    """A household's primary helper changed on ``on`` (``None`` for a first pairing or an end)."""

    household_id: str = field(validator=id_field)
    on: date = field(validator=date_field)
    reason: str
    from_helper_id: str | None = field(default=None, validator=optional_id)
    to_helper_id: str | None = field(default=None, validator=optional_id)
