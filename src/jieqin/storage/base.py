"""The storage protocols: repositories, the unit of work, the audit log, a backend.

The services are written against these protocols, never against a database. A unit
of work is a transaction with a repository per aggregate; leaving its ``with`` block
without :meth:`UnitOfWork.commit` rolls every write back (as in *Architecture
Patterns with Python*)::

    with campaign.unit_of_work(actor="clerk:wang") as uow:
        uow.helpers.add(helper)
        uow.commit()

Every write appends to the audit log in the same transaction: who (the actor), when,
what changed. The audit log has no method to change or delete an entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, runtime_checkable

from attrs import frozen

from jieqin.model import (
    Activity,
    Decision,
    Fund,
    Grant,
    Handover,
    Helper,
    Household,
    Member,
    Need,
    Pairing,
    Program,
    Referral,
)

__all__ = [
    "ActivityRepository",
    "AuditEntry",
    "AuditLog",
    "DecisionRepository",
    "FundRepository",
    "GrantRepository",
    "HandoverRepository",
    "HelperRepository",
    "HouseholdRepository",
    "NeedRepository",
    "PairingKey",
    "PairingRepository",
    "ProgramRepository",
    "ReferralRepository",
    "Repository",
    "Storage",
    "UnitOfWork",
]

T = TypeVar("T")
K = TypeVar("K", contravariant=True)

#: A pairing is identified by its helper, its household and the day it started.
PairingKey = tuple[str, str, date]


@frozen
class AuditEntry:
    """One write, as the audit log keeps it.

    ``action`` is ``add``, ``add_many``, ``upsert``, ``upsert_many``, ``update`` or
    ``end``; ``entity`` the repository name (``households``); ``entity_id`` the id of the
    record written (``None`` for a bulk write, whose ``changes`` list the ids);
    ``changes`` what was written: the fields of a new record, ``{"field": {"from": old,
    "to": new}}`` for a change. Resident ID numbers, phone numbers and health facts are
    never kept in clear; the entry only says that they were set or changed.
    """

    entry_id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    changes: Mapping[str, Any]


@runtime_checkable
class Repository(Protocol[T, K]):
    """What every keyed repository offers.

    ``list`` and ``count`` take keyword filters on the record's plain fields
    (``uow.needs.list(status="open", period="2021Q1")``); values may be given as domain
    values (enums, periods, region codes) or as their text.
    """

    def add(self, item: T) -> None:
        """Store a new record; :class:`~jieqin.errors.ConflictError` if its id exists."""

    def add_many(self, items: Iterable[T]) -> int:
        """Store many new records in bulk; returns how many."""

    def upsert_many(self, items: Iterable[T]) -> int:
        """Insert new records, replace those whose id exists (idempotent); returns how many."""

    def update(self, item: T) -> None:
        """Replace a stored record; :class:`~jieqin.errors.NotFound` if it is not there."""

    def get(self, key: K) -> T:
        """The record with this id; :class:`~jieqin.errors.NotFound` if there is none."""

    def find(self, key: K) -> T | None:
        """The record with this id, or ``None``."""

    def list(self, **filters: object) -> list[T]:
        """Records matching every filter, ordered by id."""

    def count(self, **filters: object) -> int:
        """How many records match every filter."""


class HelperRepository(Repository[Helper, str], Protocol):
    """Helpers by ``helper_id``."""


class HouseholdRepository(Repository[Household, str], Protocol):
    """Households by ``household_id``, with their members and status history."""

    def member(self, member_id: str) -> Member:
        """A member of any household; :class:`~jieqin.errors.NotFound` if there is none."""

    def household_of(self, member_id: str) -> str:
        """The id of the household a member belongs to."""


class PairingRepository(Repository[Pairing, PairingKey], Protocol):
    """Pairings by ``(helper_id, household_id, start)``."""

    def active_on(self, day: date, **filters: object) -> list[Pairing]:
        """Pairings in force on ``day`` (started, and not ended before it)."""

    def end(self, key: PairingKey, on: date, *, reason: str | None = None) -> Pairing:
        """End an open pairing on ``on``; returns the ended pairing."""


class HandoverRepository(Protocol):
    """Handovers are appended and read in the order they were recorded."""

    def add(self, item: Handover) -> None: ...

    def add_many(self, items: Iterable[Handover]) -> int: ...

    def list(self, **filters: object) -> list[Handover]: ...

    def count(self, **filters: object) -> int: ...


class NeedRepository(Repository[Need, str], Protocol):
    """Needs by ``need_id``; ``update`` changes status, route and resolution."""


class ReferralRepository(Repository[Referral, str], Protocol):
    """Referrals by ``referral_id``."""


class ActivityRepository(Repository[Activity, str], Protocol):
    """Activities by ``activity_id``."""


class ProgramRepository(Repository[Program, str], Protocol):
    """Aid programmes by ``program_id``."""


class FundRepository(Repository[Fund, str], Protocol):
    """Funds by ``fund_id``."""

    def lock(self, fund_id: str) -> Fund:
        """Take the fund for this unit of work so no concurrent allocation overspends it.

        PostgreSQL: ``SELECT ... FOR UPDATE``; SQLite: the database write lock (as
        ``BEGIN IMMEDIATE``); memory: units of work are already serial. Call it before
        reading what has been spent.
        """

    def spent(self, fund_id: str) -> Decimal:
        """The sum of the grants paid from the fund."""


class GrantRepository(Repository[Grant, str], Protocol):
    """Grants by ``grant_id``; a member gets one grant per programme period.

    A second grant with the same ``(program_id, period, member_id)`` raises
    :class:`~jieqin.errors.ConflictError`.
    """


class DecisionRepository(Repository[Decision, str], Protocol):
    """Decisions by ``decision_id``."""


class AuditLog(Protocol):
    """The append-only audit log: read it, never change it."""

    def entries(self, **filters: object) -> list[AuditEntry]:
        """Entries in the order they were written; filters: ``actor``, ``entity``,
        ``entity_id``, ``action``."""

    def count(self, **filters: object) -> int:
        """How many entries match."""


class UnitOfWork(Protocol):
    """A transaction with a repository per aggregate.

    ``sql_backed`` says whether ``connection`` is a SQLAlchemy ``Connection`` in the
    transaction, for queries that are best pushed to SQL (report aggregates).
    """

    actor: str
    sql_backed: bool
    helpers: HelperRepository
    households: HouseholdRepository
    pairings: PairingRepository
    handovers: HandoverRepository
    needs: NeedRepository
    referrals: ReferralRepository
    activities: ActivityRepository
    programs: ProgramRepository
    funds: FundRepository
    grants: GrantRepository
    decisions: DecisionRepository
    audit: AuditLog

    @property
    def connection(self) -> Any:
        """The SQLAlchemy ``Connection`` of this transaction; ``None`` when not SQL-backed."""

    def commit(self) -> None:
        """Make the writes so far permanent (after the queued notifications ran)."""

    def rollback(self) -> None:
        """Forget the writes since the last commit."""

    def notify(self, hook_name: str, **kwargs: object) -> None:
        """Queue a notification hook to be called when this unit of work commits."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class Storage(Protocol):
    """A storage backend: where a campaign's records live."""

    url: str
    sql_backed: bool

    def unit_of_work(self, actor: str = "jieqin") -> UnitOfWork:
        """A new unit of work; ``actor`` is recorded with every write in the audit log."""

    def close(self) -> None:
        """Release connections and files."""


#: A callback a unit of work runs when it commits, before the writes are permanent.
BeforeCommit = Callable[[], None]
