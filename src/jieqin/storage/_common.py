"""What the backends share: the unit-of-work life cycle, record keys, audit payloads."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import attrs

from jieqin.clock import Clock, SystemClock
from jieqin.errors import StorageError
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
    Need,
    Objection,
    Observation,
    Pairing,
    Plan,
    PlanItem,
    Program,
    Referral,
    RegionCode,
    RiskWarning,
)
from jieqin.model.periods import Month, Quarter, Year

if TYPE_CHECKING:
    from jieqin.errors import Problem
    from jieqin.storage.base import WriteChecks

__all__ = [
    "ENTITIES",
    "FUND_CHANGES",
    "GRANT_PAYMENTS",
    "SENSITIVE_FIELDS",
    "BaseUnitOfWork",
    "EntitySpec",
    "closed_message",
    "describe",
    "difference",
    "paid_message",
    "payment_changes",
    "plain",
    "revoked_message",
    "unique_by_key",
]

T = TypeVar("T")

#: At most this many problems are listed in one refusal.
MAX_PROBLEMS = 100

#: Fields whose values never go into the audit log (or any log).
SENSITIVE_FIELDS = frozenset(
    {
        "resident_id",
        "phone",
        "health",
        "diagnosis",
        "disability_grade",
        "description",
        "statement",
    }
)
"""``description`` is what a person said in a grievance, ``statement`` what an objector
said of someone on a public notice: in their words."""


@attrs.frozen
class EntitySpec:
    """A kind of record: its class, the repository name and its key fields."""

    name: str
    cls: type
    key_fields: tuple[str, ...]

    def key(self, item: object) -> Any:
        """The record's id: a string, or a tuple for a composite key."""
        if len(self.key_fields) == 1:
            return getattr(item, self.key_fields[0])
        return tuple(getattr(item, f) for f in self.key_fields)

    def key_text(self, key: Any) -> str:
        """The id as the audit log writes it (``h1/hh1/2021-01-01`` for a pairing)."""
        if isinstance(key, tuple):
            return "/".join(str(plain(k)) for k in key)
        return str(plain(key))

    def check_type(self, item: object) -> None:
        """Refuse a record of another class than this kind's."""
        if not isinstance(item, self.cls):
            raise StorageError(f"{self.name} stores {self.cls.__name__}, not {type(item).__name__}")


ENTITIES: Mapping[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        EntitySpec("helpers", Helper, ("helper_id",)),
        EntitySpec("households", Household, ("household_id",)),
        EntitySpec("pairings", Pairing, ("helper_id", "household_id", "start")),
        EntitySpec("handovers", Handover, ()),
        EntitySpec("needs", Need, ("need_id",)),
        EntitySpec("referrals", Referral, ("referral_id",)),
        EntitySpec("activities", Activity, ("activity_id",)),
        EntitySpec("programs", Program, ("program_id",)),
        EntitySpec("funds", Fund, ("fund_id",)),
        EntitySpec("grants", Grant, ("grant_id",)),
        EntitySpec("decisions", Decision, ("decision_id",)),
        EntitySpec("consents", Consent, ("consent_id",)),
        EntitySpec("grievances", Grievance, ("grievance_id",)),
        EntitySpec("plans", Plan, ("plan_id",)),
        EntitySpec("plan_items", PlanItem, ("item_id",)),
        EntitySpec("objections", Objection, ("objection_id",)),
        EntitySpec("eliminations", Elimination, ("elimination_id",)),
        EntitySpec("observations", Observation, ("observation_id",)),
        EntitySpec("warnings", RiskWarning, ("warning_id",)),
    )
}
"""The keyed kinds of record, by repository name (handovers are an append-only list)."""

FUND_CHANGES = EntitySpec("fund_changes", FundChange, ("fund_id", "number"))
"""Funds' top-ups and closings: kept beside the funds, written and read through the
fund repository (``funds.top_up``, ``funds.close``, ``funds.changes``)."""


GRANT_PAYMENTS = "grant_payments"
"""What the write checks call a batch of stored grants whose payment moves on
(``grants.record_payments``): checked as payments, never as grants written."""


def closed_message(fund: Fund) -> str:
    """Why a closed fund refuses a top-up, a closing or a grant (every backend says it
    alike)."""
    return f"fund {fund.fund_id} was closed on {fund.closed_on}; it grants nothing more"


def revoked_message(grant: Grant) -> str:
    """Why a revoked grant cannot be revoked again (every backend says it alike)."""
    return (
        f"grant {grant.grant_id} was already revoked on {grant.revoked_on} "
        f"({grant.revoke_reason}); a revocation stands"
    )


def paid_message(grant: Grant) -> str:
    """Why a paid grant whose money did not come back cannot be revoked (every backend
    says it alike)."""
    return (
        f"grant {grant.grant_id} was paid on {grant.paid_on}: a paid grant is revoked only "
        "once its money came back (`jieqin payments reconcile` records the bank's return)"
    )


def plain(value: object) -> Any:
    """A domain value as plain data: enums by value, periods and regions as text,
    dates ISO, money as a decimal string, attrs records as dicts (sensitive masked)."""
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (Year, Quarter, Month)):
        return str(value)
    if isinstance(value, RegionCode):
        return value.code
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if attrs.has(type(value)):
        return describe(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(plain(v) for v in value)
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    return str(value)


def _masked(name: str, value: object, hidden: frozenset[str] = frozenset()) -> Any:
    if name in SENSITIVE_FIELDS or name in hidden:
        return None if value is None else "<set>"
    return plain(value)


def masked_fields(item: object) -> frozenset[str]:
    """The fields of ``item`` that tell a sensitive fact by what the record is (the
    amount of a medical expenditure), beside :data:`SENSITIVE_FIELDS`."""
    hidden = getattr(item, "masked_fields", None)
    return hidden if isinstance(hidden, frozenset) else frozenset()


def describe(item: object) -> dict[str, Any]:
    """The fields of a record as plain data, sensitive ones masked."""
    hidden = masked_fields(item)
    return {
        a.name: _masked(a.name, getattr(item, a.name), hidden)
        for a in attrs.fields(type(item))  # type: ignore[arg-type]
    }


def difference(old: object, new: object) -> dict[str, Any]:
    """``{"field": {"from": old, "to": new}}`` for each field that changed."""
    before, after = describe(old), describe(new)
    hidden = SENSITIVE_FIELDS | masked_fields(old) | masked_fields(new)
    changes: dict[str, Any] = {}
    for name in after:
        if name in hidden and (name in masked_fields(old)) != (name in masked_fields(new)):
            changes[name] = {"from": "<set>", "to": "<changed>"}
        elif before[name] != after[name]:
            changes[name] = {"from": before[name], "to": after[name]}
        elif name in hidden and getattr(old, name) != getattr(new, name):
            changes[name] = {"from": "<set>", "to": "<changed>"}
    return changes


class BaseUnitOfWork:
    """The life cycle every backend's unit of work shares.

    Subclasses implement ``_commit`` and ``_rollback`` (and ``_close`` if they hold a
    connection). Leaving the ``with`` block without :meth:`commit` rolls back; queued
    notifications run at :meth:`commit`, before the writes become permanent, and a
    notification that raises rolls everything back. Repositories call :meth:`admit`
    before every write: the campaign's write checks, and no writes when read-only.
    """

    actor: str

    def __init__(self, actor: str, *, read_only: bool = False) -> None:
        if not isinstance(actor, str) or not actor.strip():
            raise StorageError("a unit of work needs an actor (who is writing), e.g. 'clerk:wang'")
        self.actor = actor
        self.read_only = read_only
        self._before_commit: list[Callable[[], None]] = []
        self._notifier: Callable[..., object] | None = None
        self._checks: WriteChecks | None = None
        self._clock: Clock = SystemClock()

    def attach(
        self,
        *,
        checks: WriteChecks | None = None,
        notifier: Callable[..., object] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Give the unit of work the campaign's write checks, notifier and clock."""
        if checks is not None:
            self._checks = checks
        if notifier is not None:
            self._notifier = notifier
        if clock is not None:
            self._clock = clock

    @property
    def today(self) -> date:
        """Today, by the unit of work's clock."""
        return self._clock.today()

    def require_writable(self) -> None:
        """Refuse to write in a read-only unit of work."""
        if self.read_only:
            raise StorageError(
                "this unit of work is read-only (a report, listing or export, or a database "
                "jieqin may not write): nothing was written"
            )

    def problems(self, kind: str, items: Sequence[Any]) -> list[Problem]:
        """What the write checks say of a batch of ``kind``, without writing it."""
        if self._checks is None:
            return []
        return self._checks.problems(self, kind, items)  # type: ignore[arg-type]

    def admit(self, kind: str, items: Sequence[Any]) -> None:
        """Before a write: refuse it when read-only, or when the checks find problems."""
        self.require_writable()
        found = self.problems(kind, items)
        if found:
            from jieqin.errors import InvalidInput

            raise InvalidInput(found[:MAX_PROBLEMS], truncated=len(found) > MAX_PROBLEMS)

    def notify(self, hook_name: str, **kwargs: object) -> None:
        notifier = self._notifier
        if notifier is None:
            return

        def call() -> None:
            notifier(hook_name, **kwargs)

        self._before_commit.append(call)

    def commit(self) -> None:
        pending, self._before_commit = self._before_commit, []
        try:
            for callback in pending:
                callback()
        except BaseException:
            self.rollback()
            raise
        self._commit()

    def rollback(self) -> None:
        self._before_commit = []
        self._rollback()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            self._close()

    def _commit(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        return None


def matches(item: object, filters: Mapping[str, object]) -> bool:
    """Whether ``item``'s fields equal every filter value (compared as plain data)."""
    return all(plain(getattr(item, name)) == plain(wanted) for name, wanted in filters.items())


def check_filters(spec_cls: type, filters: Mapping[str, object]) -> None:
    """Refuse a filter on a field the record does not have."""
    names = {a.name for a in attrs.fields(spec_cls)}
    unknown = sorted(set(filters) - names)
    if unknown:
        raise StorageError(
            f"cannot filter {spec_cls.__name__} by {', '.join(unknown)}; "
            f"fields are {', '.join(sorted(names))}"
        )


def handover_batch(items: Iterable[Handover]) -> list[Handover]:
    """The handovers to append, as a list; refuse anything that is not a ``Handover``.

    Shared by every backend so each refuses a wrong record with the same message.
    """
    batch = list(items)
    for item in batch:
        if not isinstance(item, Handover):
            raise StorageError(f"handovers stores Handover, not {type(item).__name__}")
    return batch


def unique_by_key(spec: EntitySpec, items: Iterable[T]) -> dict[Any, T]:
    """The batch of an ``upsert_many``: each record type-checked, one per key.

    A key given twice keeps its first position and its last record, so a batch that
    repeats a record is written (and audited) once. Shared by every backend.
    """
    batch: dict[Any, T] = {}
    for item in items:
        spec.check_type(item)
        batch[spec.key(item)] = item
    return batch


def payment_changes(
    spec: EntitySpec,
    grants: Iterable[Grant],
    find_many: Callable[[Iterable[str]], Mapping[Any, Grant]],
) -> tuple[list[tuple[str, Grant]], dict[Any, Grant]]:
    """What ``grants.record_payments(grants)`` changes, as every backend plans it: each
    grant whose payment moves on with its step's name (``batch``, ``pay``, ``return``),
    and the stored grants they replace. Grants whose payment is as stored are left out.

    :raises NotFound: a grant is not stored. :raises PaymentRefused: a step that goes
        back or sideways (:func:`~jieqin.model.payments.payment_step`).
    """
    from jieqin.errors import NotFound
    from jieqin.model.payments import payment_step

    batch = unique_by_key(spec, grants)
    stored = find_many(batch)
    missing = sorted(set(batch) - set(stored))
    if missing:
        raise NotFound(f"no grant {missing[0]}")
    steps = [(payment_step(stored[k], g), g) for k, g in batch.items()]
    return [(step, g) for step, g in steps if step is not None], dict(stored)
