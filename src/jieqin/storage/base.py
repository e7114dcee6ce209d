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

Every write also passes the campaign's :class:`WriteChecks` first (codes against the
registry, references, dates, one person per resident ID number: see
:mod:`jieqin.services.checks`), whatever calls the repository, and the backend's
own constraints back them up. A unit of work opened ``read_only`` refuses writes and,
on SQLite, never takes the write lock.

Each backend owns a :class:`ReadModel`: the report's figures and the overdue scan's
rows, kept by the backend in the same unit of work as the writes they follow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar, runtime_checkable

from attrs import frozen

from jieqin.model import (
    Activity,
    Consent,
    Decision,
    Elimination,
    Fund,
    FundChange,
    Grant,
    Grievance,
    Handover,
    Helper,
    Household,
    Member,
    MemberMove,
    Need,
    Objection,
    Observation,
    Pairing,
    Plan,
    PlanItem,
    Program,
    Referral,
    Relation,
    RiskWarning,
)
from jieqin.storage.rows import HouseholdRows

if TYPE_CHECKING:
    from jieqin.activities.overdue import FollowUpArrays
    from jieqin.clock import Clock
    from jieqin.errors import Problem

__all__ = [
    "ActivityRepository",
    "AuditEntry",
    "AuditLog",
    "ConsentRepository",
    "DecisionRepository",
    "EliminationKey",
    "EliminationRepository",
    "FeedRecord",
    "FundRepository",
    "GrantRepository",
    "GrievanceKey",
    "GrievanceRepository",
    "HandoverRepository",
    "HelperRepository",
    "HouseholdRepository",
    "HouseholdRowSource",
    "MonitoredKey",
    "NeedRepository",
    "ObjectionRepository",
    "ObservationRepository",
    "PairingKey",
    "PairingRepository",
    "PaymentKey",
    "PlanItemRepository",
    "PlanRepository",
    "ProgramRepository",
    "ReadModel",
    "ReferralRepository",
    "Repository",
    "Storage",
    "UnitOfWork",
    "WarningKey",
    "WarningRepository",
    "WriteChecks",
]

T = TypeVar("T")
K = TypeVar("K", contravariant=True)

#: A pairing is identified by its helper, its household and the day it started.
PairingKey = tuple[str, str, date]


@frozen
class AuditEntry:
    """One write, as the audit log keeps it.

    ``action`` is ``add``, ``add_many``, ``upsert``, ``upsert_many``, ``update``,
    ``end``, ``move``, ``revoke``, ``batch``, ``pay`` or ``return`` (a grant), ``top_up`` or
    ``close`` (a fund); ``entity`` the repository name (``households``); ``entity_id`` the id of the
    record written (``None`` for a bulk write, whose ``changes`` list the ids);
    ``changes`` what was written: the fields of a new record, ``{"field": {"from": old,
    "to": new}}`` for a change. Resident ID numbers, phone numbers and health facts are
    never kept in clear; the entry only says that they were set or changed.

    ``hash`` is a digest of the entry and of ``prev_hash``, the hash of the entry
    before it, so the entries form a chain that any rewrite breaks
    (:mod:`jieqin.storage.audit_chain`).
    """

    entry_id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    changes: Mapping[str, Any]
    prev_hash: str | None = None
    hash: str | None = None


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

    def find_many(self, keys: Iterable[K]) -> dict[Any, T]:
        """The stored records among these ids, by id (one set-based read)."""

    def stored(self, keys: Iterable[K]) -> set[Any]:
        """Which of these ids are stored (one set-based read of the keys alone)."""

    def list(self, **filters: object) -> list[T]:
        """Records matching every filter, ordered by id."""

    def count(self, **filters: object) -> int:
        """How many records match every filter."""


class HelperRepository(Repository[Helper, str], Protocol):
    """Helpers by ``helper_id``."""


class HouseholdRepository(Repository[Household, str], Protocol):
    """Households by ``household_id``, with their members and status history.

    Writing a household replaces its members: a stored member the new version leaves
    out is deleted when nothing refers to them, and otherwise kept as a former member
    (``departed_on`` today), so their needs, decisions and grants stay explainable.
    A resident ID number belongs to at most one stored member.
    """

    def member(self, member_id: str) -> Member:
        """A member (current or former) of any household; :class:`~jieqin.errors.NotFound`
        if there is none."""

    def household_of(self, member_id: str) -> str:
        """The id of the household a member belongs to."""

    def owners(self, member_ids: Iterable[str]) -> dict[str, str]:
        """The household of each of these members that is stored (one set-based read)."""

    def holders(self, resident_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """``resident_id -> (member_id, household_id)`` for the numbers a member holds."""

    def upsert_rows(self, rows: Sequence[HouseholdRows]) -> int:
        """:meth:`upsert_many` for households given as rows (see :mod:`jieqin.storage.rows`)."""

    def move_member(
        self,
        member_id: str,
        to_household_id: str,
        on: date,
        *,
        relation: Relation = Relation.OTHER,
        reason: str = "",
    ) -> MemberMove:
        """Move a member to another household, keeping their id, number and history."""

    def moves(self, **filters: object) -> list[MemberMove]:
        """Members moved, in the order they were moved (filters: ``member_id`` ...)."""


@runtime_checkable
class HouseholdRowSource(Protocol):
    """A household repository that streams its households as table rows.

    The SQL backend offers it: exports and allocations read rows, with no model object
    built for a household they do not need as one. A backend without it is read with
    :meth:`HouseholdRepository.list`.
    """

    def iter_rows(self, size: int = 1000) -> Iterator[list[HouseholdRows]]:
        """Every stored household as rows, ``size`` households at a time, by id."""


class PairingRepository(Repository[Pairing, PairingKey], Protocol):
    """Pairings by ``(helper_id, household_id, start)``."""

    def active_on(self, day: date, **filters: object) -> list[Pairing]:
        """Pairings in force on ``day`` (started, and not ended before it)."""

    def end(self, key: PairingKey, on: date, *, reason: str | None = None) -> Pairing:
        """End an open pairing on ``on``; returns the ended pairing."""

    def of_households(self, household_ids: Iterable[str]) -> dict[str, list[Pairing]]:
        """Every pairing (any dates) of each of these households (one set-based read)."""


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
    """Funds by ``fund_id``, with their top-ups and closing.

    A top-up or a closing is a :class:`~jieqin.model.FundChange` of its own, appended
    with the unit of work's actor and audited (action ``top_up`` or ``close``); the
    storage keeps the fund's ``budget``, ``topped_up`` and ``closed_on`` in step with
    its changes in the same write. A closed fund takes no change and no more grants
    (:class:`~jieqin.errors.FundClosed`).
    """

    def lock(self, fund_id: str) -> Fund:
        """Take the fund for this unit of work so no concurrent allocation overspends it.

        PostgreSQL: ``SELECT ... FOR UPDATE``; SQLite: the database write lock (as
        ``BEGIN IMMEDIATE``); memory: units of work are already serial. Call it before
        reading what has been spent.
        """

    def spent(self, fund_id: str) -> Decimal:
        """The sum of the fund's grants that hold money: in force and not returned (a
        revoked or returned grant's money is back in the fund)."""

    def reserved(self, fund_id: str) -> Decimal:
        """The sum of the fund's money that allocation plans hold back: the items of
        plans awaiting approval, notice or commit (planned, or held by an objection).
        What the fund can still grant is its budget less :meth:`spent` less this."""

    def top_up(self, fund_id: str, amount: Decimal, on: date, *, reason: str) -> FundChange:
        """Add ``amount`` (more than 0) to the fund's budget on ``on``, saying why; the
        fund is locked first (as :meth:`lock`). Returns the change recorded.

        :raises NotFound: no such fund. :raises FundClosed: the fund was closed.
        """
        ...

    def close(self, fund_id: str, on: date, *, reason: str) -> FundChange:
        """Close the fund on ``on``, saying why: it grants nothing more."""
        ...

    def changes(self, **filters: object) -> list[FundChange]:
        """Top-ups and closings by fund and number (filters: ``fund_id``, ``kind`` ...)."""
        ...


class GrantRepository(Repository[Grant, str], Protocol):
    """Grants by ``grant_id``; a member holds one grant in force per programme period.

    A second grant in force with the same ``(program_id, period, member_id)`` raises
    :class:`~jieqin.errors.ConflictError`, as does a second household grant in force
    (``member_id`` ``None``) with the same ``(program_id, period, household_id)``, and so
    does a grant that would take its
    fund past the budget, or any more from a closed fund (the storage checks it,
    whoever writes). A revoked grant keeps its record, counts nowhere, and does not
    stop a new grant.
    """

    def revoke(self, grant_id: str, on: date, *, reason: str) -> Grant:
        """Revoke a grant on ``on``, saying why: its amount goes back to its fund, and
        the report no longer counts it (audited, action ``revoke``). Returns it revoked.

        :raises NotFound: no such grant. :raises GrantRevoked: it was revoked already.
        :raises PaymentRefused: it was paid and its money did not come back.
        """
        ...

    def record_payments(self, grants: Iterable[Grant]) -> int:
        """Record how stored grants were paid: each of ``grants`` is a stored grant with
        its payment moved on (put in a batch, paid, or paid and returned; see
        :func:`~jieqin.model.payments.payment_step`) and nothing else changed. A grant
        whose payment is as stored is left alone; returns how many were changed.

        A returned grant's money goes back to its fund (once). Each change is audited
        with its step as the action (``batch``, ``pay``, ``return``). All or nothing.

        :raises NotFound: a grant is not stored. :raises PaymentRefused: a payment that
            goes back or sideways, of a revoked grant, or a change of anything else.
        """
        ...

    def lock_programs(self, program_ids: Iterable[str]) -> None:
        """Serialise this unit of work with every other that locks one of these programmes.

        An allocation whose rules read the grants of other programmes (or of other
        periods of its own) locks them all before it reads anything, so two
        allocations that exclude each other never both grant. PostgreSQL: advisory
        transaction locks, taken in a fixed order; SQLite: the database write lock a
        writing unit of work already holds; memory: the write lock.
        """


class DecisionRepository(Repository[Decision, str], Protocol):
    """Decisions by ``decision_id``."""


class ConsentRepository(Repository[Consent, str], Protocol):
    """Members' consents by ``consent_id``; a consent is never deleted, it is withdrawn
    (``update`` with ``withdrawn_on`` set)."""


class PlanRepository(Repository[Plan, str], Protocol):
    """Allocation plans by ``plan_id`` (see :mod:`jieqin.model.plans`)."""


class PlanItemRepository(Repository[PlanItem, str], Protocol):
    """The decisions of allocation plans by ``item_id``; ``list(plan_id=...)`` gives a
    plan's."""


class ObjectionRepository(Repository[Objection, str], Protocol):
    """Objections to the people on a plan's public notice, by ``objection_id``."""


class EliminationRepository(Repository[Elimination, str], Protocol):
    """Risk eliminations by ``elimination_id`` (see :mod:`jieqin.model.elimination`);
    ``list(household_id=...)`` gives a household's."""


#: A feed's record: (feed, the feed's own record id).
FeedRecord = tuple[str, str]


class ObservationRepository(Repository[Observation, str], Protocol):
    """Observations by ``observation_id`` (see :mod:`jieqin.model.monitoring`); a feed's
    record is stored once (``feed``, ``feed_record`` unique: a second observation of the
    same record is refused). ``list`` filters include ``household_id``, ``kind``,
    ``period``, ``source``, ``member_id``, ``feed``."""

    def feed_records(self, records: Iterable[FeedRecord]) -> dict[FeedRecord, Observation]:
        """The stored observation of each of these feed records (one set-based read)."""

    def of_households(self, household_ids: Iterable[str]) -> dict[str, list[Observation]]:
        """Every observation of each of these households, in id order (one set-based read;
        a household without any is left out)."""


class WarningRepository(Repository[RiskWarning, str], Protocol):
    """Risk warnings by ``warning_id``; a warning is never deleted, it moves forward
    through its statuses (``update``; the write checks refuse a move back). ``list``
    filters include ``household_id``, ``status``, ``period``, ``assigned_to``."""

    def of_households(self, household_ids: Iterable[str]) -> dict[str, list[RiskWarning]]:
        """Every warning of each of these households, in id order (one set-based read;
        a household without any is left out)."""


class GrievanceRepository(Repository[Grievance, str], Protocol):
    """Grievances and appeals by ``grievance_id``; a grievance is never deleted, it moves
    forward through its stages (``update``; the write checks refuse a move back)."""


class AuditLog(Protocol):
    """The append-only audit log: read it, never change it."""

    def entries(self, **filters: object) -> list[AuditEntry]:
        """Entries in the order they were written; filters: ``actor``, ``entity``,
        ``entity_id``, ``action``."""

    def count(self, **filters: object) -> int:
        """How many entries match."""


#: (month ``YYYY-MM``, county, activity kind, helper tier)
ActivityKey = tuple[str, str, str, str]
#: (county, need kind, route kind or ``unrouted``)
NeedKey = tuple[str, str, str]
#: (county, program id, program name, funder)
GrantKey = tuple[str, str, str, str]
#: (county, grievance category, answer: ``on_time``, ``late`` or ``unanswered``)
GrievanceKey = tuple[str, str, str]
#: (county, program id, payment state: ``unpaid``, ``paid`` or ``returned``)
PaymentKey = tuple[str, str, str]
#: (county, monitoring category, ``at_end`` (still monitored on the range's last day)
#: or ``left`` (not any more))
MonitoredKey = tuple[str, str, str]
#: (county, home check: ``on_time``, ``late`` or ``unchecked``; outcome: ``open``,
#: ``confirmed`` or ``dismissed``)
WarningKey = tuple[str, str, str]
#: (county, the monitoring category the household left)
EliminationKey = tuple[str, str]


class ReadModel(Protocol):
    """The figures a report needs and the rows the overdue scan reads, for a date range.

    Each backend owns its read model and keeps it equal to a count from its rows:
    the SQL backend in tables it maintains in the same unit of work as the writes,
    the memory backends by counting their tables. Counties are the six-digit codes
    of the household's (or helper's) current region; tiers the helper's current tier.
    """

    def helpers(self, first: date, last: date) -> dict[tuple[str, str], int]:
        """Helpers with a pairing in force on a day of the range, by (home county, tier)."""
        ...

    def households(self, first: date, last: date) -> dict[str, int]:
        """Households with a pairing in force on a day of the range, by county."""
        ...

    def activities(self, first: date, last: date) -> dict[ActivityKey, int]:
        """Activities dated in the range, by month, household county, kind and helper tier."""
        ...

    def needs(self, first: date, last: date) -> dict[NeedKey, int]:
        """Needs raised in the range, by county, kind and where they were routed."""
        ...

    def referrals(self, first: date, last: date) -> dict[tuple[str, str], int]:
        """Referrals made in the range, by county and agency."""
        ...

    def grants(self, first: date, last: date) -> dict[GrantKey, tuple[int, Decimal]]:
        """Grants in force decided in the range: (count, amount) by county, program and
        funder (a revoked grant is not counted)."""
        ...

    def payments(self, first: date, last: date) -> dict[PaymentKey, tuple[int, Decimal]]:
        """The grants of :meth:`grants`, (count, amount) by county, program and where
        their money is now: ``unpaid``, ``paid`` or ``returned``."""
        ...

    def grievances(self, first: date, last: date) -> dict[GrievanceKey, int]:
        """Grievances received in the range, by county, category and whether they were
        answered by their due day (``on_time``), after it (``late``) or not yet
        (``unanswered``)."""
        ...

    def monitored_households(
        self, first: date, last: date, monitored: frozenset[str]
    ) -> dict[MonitoredKey, int]:
        """Households whose status was one of ``monitored`` on a day of the range, by
        county, the last such status they had in the range, and whether they still had
        one on its last day (``at_end``) or not (``left``)."""
        ...

    def warnings(self, first: date, last: date) -> dict[WarningKey, int]:
        """Risk warnings raised in the range, by county, whether the home check was
        made by its due day (``on_time``), after it (``late``) or not yet
        (``unchecked``), and what came of it (``open``, ``confirmed``, ``dismissed``).
        Never by rule: a rule can tell a health fact."""
        ...

    def eliminations(self, first: date, last: date) -> dict[EliminationKey, int]:
        """Risk eliminations committed in the range (the household left monitoring
        after approval and notice), by county and the category it left."""
        ...

    def latest_activity_day(self) -> date | None:
        """The day of the latest activity on record."""
        ...

    def follow_up(
        self, as_of: date, kind_sets: Iterable[frozenset[str]], monitored: frozenset[str]
    ) -> FollowUpArrays:
        """Pairings in force on ``as_of``, each with its household's cadence facts and the
        day of its latest activity of each set of kinds up to ``as_of``, in household
        then helper order. ``monitored`` are the statuses that count as monitored."""
        ...


class WriteChecks(Protocol):
    """What every record must satisfy before it is written (see :mod:`jieqin.services.checks`)."""

    def problems(self, uow: UnitOfWork, kind: str, items: Sequence[Any]) -> list[Problem]:
        """Every reason the batch ``items`` of ``kind`` (a repository name) cannot be
        written; each problem's ``line`` is the item's 1-based place in the batch."""
        ...


class UnitOfWork(Protocol):
    """A transaction with a repository per aggregate, and the backend's read model."""

    actor: str
    read_only: bool

    @property
    def helpers(self) -> HelperRepository: ...

    @property
    def households(self) -> HouseholdRepository: ...

    @property
    def pairings(self) -> PairingRepository: ...

    @property
    def handovers(self) -> HandoverRepository: ...

    @property
    def needs(self) -> NeedRepository: ...

    @property
    def referrals(self) -> ReferralRepository: ...

    @property
    def activities(self) -> ActivityRepository: ...

    @property
    def programs(self) -> ProgramRepository: ...

    @property
    def funds(self) -> FundRepository: ...

    @property
    def grants(self) -> GrantRepository: ...

    @property
    def decisions(self) -> DecisionRepository: ...

    @property
    def consents(self) -> ConsentRepository: ...

    @property
    def grievances(self) -> GrievanceRepository: ...

    @property
    def plans(self) -> PlanRepository: ...

    @property
    def plan_items(self) -> PlanItemRepository: ...

    @property
    def objections(self) -> ObjectionRepository: ...

    @property
    def eliminations(self) -> EliminationRepository: ...

    @property
    def observations(self) -> ObservationRepository: ...

    @property
    def warnings(self) -> WarningRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def read_model(self) -> ReadModel:
        """The figures and follow-up rows of what this unit of work sees."""
        ...

    @property
    def today(self) -> date:
        """Today, by the clock the unit of work was given (the system's by default)."""
        ...

    def attach(
        self,
        *,
        checks: WriteChecks | None = None,
        notifier: Callable[..., object] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Give the unit of work the campaign's write checks, notifier and clock."""

    def problems(self, kind: str, items: Sequence[Any]) -> list[Problem]:
        """What the write checks say of a batch, without writing it."""
        ...

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

    def unit_of_work(self, actor: str = "jieqin", *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work; ``actor`` is recorded with every write in the audit log.

        ``read_only``: the unit of work only reads (a report, a listing, an export);
        it refuses writes and takes no write lock.
        """

    def close(self) -> None:
        """Release connections and files."""


#: A callback a unit of work runs when it commits, before the writes are permanent.
BeforeCommit = Callable[[], None]
