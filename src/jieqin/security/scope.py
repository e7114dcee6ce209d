"""A unit of work for a principal: every read filtered, every write outside it refused.

:class:`ScopedUnitOfWork` wraps whatever unit of work a backend returns (memory,
SQL or a plugin's), so the scope holds on every backend alike. Each repository
method is named in :data:`METHODS` with how it is scoped; a method not named there
is refused, so a repository method added later cannot bypass the scope.

What is in a principal's scope:

- a household whose region code starts with one of the principal's prefixes (for a
  helper: a household paired with them on the day);
- a helper whose home region is within the prefixes (for a helper: themself);
- pairings, handovers, needs, referrals, activities, decisions, grants, consents,
  plan items, objections and grievances of a household in scope; one that names a member must
  name a member of a household in scope (or a member no longer stored), so a record
  about someone else's member never shows;
- a member move from or to a household in scope;
- programmes, funds and allocation plans (reference data, not regional) for any role
  that reads them.

A record outside the scope reads as absent: ``get`` raises the very
:class:`~jieqin.errors.NotFound` an absent record raises, ``find`` returns ``None``,
lists and counts leave it out. A write of a record outside the scope, or that would
replace one outside it, raises :class:`~jieqin.security.roles.NotPermitted`.
Filtering happens in Python over what the backend returns (no repository takes a
region-prefix filter); each household's region is read once per unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, cast

from jieqin.errors import NotFound
from jieqin.security.roles import NotPermitted, Principal, ScopeKind
from jieqin.storage._common import ENTITIES, GRANT_PAYMENTS

if TYPE_CHECKING:
    from jieqin.activities.overdue import FollowUpArrays
    from jieqin.clock import Clock
    from jieqin.errors import Problem
    from jieqin.storage.base import (
        ActivityRepository,
        AuditLog,
        ConsentRepository,
        DecisionRepository,
        EliminationRepository,
        FundRepository,
        GrantRepository,
        GrievanceRepository,
        HandoverRepository,
        HelperRepository,
        HouseholdRepository,
        NeedRepository,
        ObjectionRepository,
        ObservationRepository,
        PairingRepository,
        PlanItemRepository,
        PlanRepository,
        ProgramRepository,
        ReadModel,
        ReferralRepository,
        UnitOfWork,
        WarningRepository,
        WriteChecks,
    )

__all__ = ["METHODS", "READ_MODEL_METHODS", "ScopedUnitOfWork"]

_KEYED: Mapping[str, str] = {
    "add": "write_one",
    "add_many": "write_many",
    "upsert_many": "write_many",
    "update": "write_one",
    "get": "get",
    "find": "find",
    "find_many": "find_many",
    "stored": "stored",
    "list": "list",
    "count": "count",
}

#: Every public method of every repository, and how the scope treats it.
METHODS: Mapping[str, Mapping[str, str]] = {
    "helpers": _KEYED,
    "households": {
        **_KEYED,
        "member": "member",
        "household_of": "household_of",
        "owners": "owners",
        "holders": "holders",
        "upsert_rows": "upsert_rows",
        "move_member": "move_member",
        "moves": "moves",
    },
    "pairings": {**_KEYED, "active_on": "list", "end": "end", "of_households": "of_households"},
    "handovers": {k: _KEYED[k] for k in ("add", "add_many", "list", "count")},
    "needs": _KEYED,
    "referrals": _KEYED,
    "activities": _KEYED,
    "programs": _KEYED,
    "funds": {
        **_KEYED,
        "lock": "lock",
        "spent": "spent",
        "reserved": "spent",
        "top_up": "fund_change",
        "close": "fund_change",
        "changes": "reference",
    },
    "grants": {
        **_KEYED,
        "lock_programs": "lock",
        "revoke": "end",
        "record_payments": "write_many",
    },
    "decisions": _KEYED,
    "consents": _KEYED,
    "plans": _KEYED,
    "plan_items": _KEYED,
    "objections": _KEYED,
    "grievances": _KEYED,
    "eliminations": _KEYED,
    "observations": {**_KEYED, "feed_records": "mapping", "of_households": "of_households"},
    "warnings": {**_KEYED, "of_households": "of_households"},
    "audit": {"entries": "audit", "count": "audit"},
}

#: The read model's methods: the index of the county in each figure's key (``None``:
#: the key is the county itself), or how else the method is scoped.
READ_MODEL_METHODS: Mapping[str, int | str | None] = {
    "helpers": 0,
    "households": None,
    "activities": 1,
    "needs": 0,
    "referrals": 0,
    "grants": 0,
    "payments": 0,
    "grievances": 0,
    "monitored_households": 0,
    "warnings": 0,
    "eliminations": 0,
    "latest_activity_day": "latest",
    "follow_up": "follow_up",
}

#: Records that belong to a household (and may name one of its members).
_OF_HOUSEHOLD = frozenset(
    {
        "pairings",
        "handovers",
        "needs",
        "referrals",
        "activities",
        "decisions",
        "grants",
        "consents",
        "plan_items",
        "objections",
        "grievances",
        "eliminations",
        "observations",
        "warnings",
    }
)
_REFERENCE = frozenset({"programs", "funds", "plans"})


class _Scope:
    """Decides, record by record, what one principal sees within one unit of work."""

    def __init__(self, inner: UnitOfWork, principal: Principal) -> None:
        self.inner = inner
        self.principal = principal
        self._regions: dict[str, str | None] = {}
        self._paired: frozenset[str] | None = None

    @property
    def everywhere(self) -> bool:
        return self.principal.everywhere

    def paired(self) -> frozenset[str]:
        """A helper principal's households: paired with them on the day."""
        if self._paired is None:
            helper = self.principal.helper_id
            day = self.principal.on or self.inner.today
            self._paired = frozenset(
                p.household_id
                for p in self.inner.pairings.active_on(day, helper_id=helper)
                if p.helper_id == helper
            )
        return self._paired

    def households(self, ids: Iterable[str]) -> set[str]:
        """Which of these household ids are in scope (stored, and within it)."""
        wanted = set(ids)
        if self.everywhere:
            return wanted
        if self.principal.role.scope is ScopeKind.HELPER:
            return wanted & self.paired()
        missing = wanted - self._regions.keys()
        if missing:
            found = self.inner.households.find_many(missing)
            for hid in missing:
                self._regions[hid] = found[hid].region.code if hid in found else None
        return {
            h for h in wanted if (r := self._regions[h]) is not None and self.principal.covers(r)
        }

    def forget(self, household_ids: Iterable[str]) -> None:
        """Households were written: read their regions again when next asked."""
        for hid in household_ids:
            self._regions.pop(hid, None)

    def members(self, member_ids: Iterable[str]) -> set[str]:
        """Which of these member ids are of a household in scope, or not stored at all."""
        wanted = set(member_ids)
        if self.everywhere or not wanted:
            return wanted
        owners = self.inner.households.owners(wanted)
        seen = self.households(owners.values())
        return {m for m in wanted if m not in owners or owners[m] in seen}

    def keep(self, kind: str, items: Sequence[Any]) -> list[Any]:
        """The records of ``kind`` (a repository name) in scope, in their order."""
        if self.everywhere or kind in _REFERENCE or not items:
            return list(items)
        if kind == "helpers":
            return [h for h in items if self._helper_in(h)]
        if kind == "households":
            if self.principal.role.scope is ScopeKind.HELPER:
                return [h for h in items if h.household_id in self.paired()]
            return [h for h in items if self.principal.covers(h.region.code)]
        if kind == "member_moves":
            seen = self.households(
                h for m in items for h in (m.from_household_id, m.to_household_id)
            )
            return [m for m in items if m.from_household_id in seen or m.to_household_id in seen]
        if kind in _OF_HOUSEHOLD:
            seen = self.households(i.household_id for i in items)
            named = self.members(
                m for i in items if (m := getattr(i, "member_id", None)) is not None
            )
            return [
                i
                for i in items
                if i.household_id in seen
                and (getattr(i, "member_id", None) is None or i.member_id in named)
            ]
        raise NotPermitted(f"no scope is defined for {kind}")

    def _helper_in(self, helper: Any) -> bool:
        if self.principal.role.scope is ScopeKind.HELPER:
            return bool(helper.helper_id == self.principal.helper_id)
        return self.principal.covers(helper.home_region.code)

    def admit(self, kind: str, items: Sequence[Any], stored: Iterable[Any] = ()) -> None:
        """Refuse a write of ``items`` (replacing ``stored``) that leaves the scope."""
        principal = self.principal
        if not principal.role.may_write(kind if kind != "member_moves" else "households"):
            raise principal.refuse(f"write {kind}")
        if principal.role.scope is ScopeKind.HELPER:
            for item in items:
                if getattr(item, "helper_id", principal.helper_id) != principal.helper_id:
                    raise principal.refuse(f"write {kind} of helper {item.helper_id}")
        for batch, how in ((list(items), "write"), (list(stored), "replace")):
            kept = {id(i) for i in self.keep(kind, batch)}
            outside = [i for i in batch if id(i) not in kept]
            if outside:
                raise principal.refuse(
                    f"{how} {kind} {_key_text(kind, outside[0])}: outside the scope"
                )


def _key_text(kind: str, item: object) -> str:
    spec = ENTITIES.get(kind)
    if spec is None or not spec.key_fields:
        return str(getattr(item, "household_id", "") or getattr(item, "member_id", ""))
    return spec.key_text(spec.key(item))


def _absent(kind: str, key: Any) -> NotFound:
    """The error the backends raise for an absent record of ``kind``."""
    spec = ENTITIES[kind]
    return NotFound(f"no {spec.cls.__name__.lower()} {spec.key_text(key)}")


class _ScopedRepository:
    """One repository seen through a principal's scope (see :data:`METHODS`)."""

    __slots__ = ("_inner", "_methods", "_name", "_scope")

    def __init__(self, name: str, inner: object, scope: _Scope) -> None:
        self._name = name
        self._inner = inner
        self._scope = scope
        self._methods = METHODS[name]

    def __getattr__(self, method: str) -> Callable[..., Any]:
        how = self._methods.get(method) if not method.startswith("_") else None
        if how is None:
            raise AttributeError(f"{self._name}.{method} is not available to a scoped principal")
        handler = _HANDLERS[how]
        return partial(handler, self, method)

    def __repr__(self) -> str:
        return f"<{self._name} for {self._scope.principal.describe()}>"

    # -- helpers of the handlers ------------------------------------------------------

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._inner, method)(*args, **kwargs)

    def _readable(self) -> _Scope:
        scope = self._scope
        if not scope.principal.role.may_read(self._name):
            raise scope.principal.refuse(f"read {self._name}")
        return scope

    def _stored_of(self, items: Sequence[Any]) -> list[Any]:
        spec = ENTITIES.get(self._name)
        if spec is None or not spec.key_fields or not items:
            return []
        return list(self._call("find_many", [spec.key(i) for i in items]).values())

    def _written(self, items: Sequence[Any]) -> None:
        if self._name == "households":
            self._scope.forget(h.household_id for h in items)


def _write_one(repo: _ScopedRepository, method: str, item: Any) -> Any:
    repo._readable()
    repo._scope.admit(repo._name, [item], repo._stored_of([item]))
    result = repo._call(method, item)
    repo._written([item])
    return result


def _write_many(repo: _ScopedRepository, method: str, items: Iterable[Any]) -> Any:
    repo._readable()
    batch = list(items)
    repo._scope.admit(repo._name, batch, repo._stored_of(batch))
    result = repo._call(method, batch)
    repo._written(batch)
    return result


def _upsert_rows(repo: _ScopedRepository, method: str, rows: Sequence[Any]) -> Any:
    batch = [r.to_household() for r in rows]
    repo._readable()
    repo._scope.admit("households", batch, repo._stored_of(batch))
    result = repo._call(method, rows)
    repo._written(batch)
    return result


def _get(repo: _ScopedRepository, method: str, key: Any) -> Any:
    found = _find(repo, "find", key)
    if found is None:
        raise _absent(repo._name, key)
    return found


def _find(repo: _ScopedRepository, method: str, key: Any) -> Any:
    scope = repo._readable()
    found = repo._call("find", key)
    if found is None or not scope.keep(repo._name, [found]):
        return None
    return found


def _find_many(repo: _ScopedRepository, method: str, keys: Iterable[Any]) -> dict[Any, Any]:
    scope = repo._readable()
    found: dict[Any, Any] = repo._call("find_many", list(keys))
    kept = {id(v) for v in scope.keep(repo._name, list(found.values()))}
    return {k: v for k, v in found.items() if id(v) in kept}


def _stored(repo: _ScopedRepository, method: str, keys: Iterable[Any]) -> set[Any]:
    if repo._scope.everywhere or repo._name in _REFERENCE:
        repo._readable()
        return set(repo._call(method, keys))
    return set(_find_many(repo, "find_many", keys))


def _list(repo: _ScopedRepository, method: str, *args: Any, **filters: object) -> list[Any]:
    scope = repo._readable()
    return scope.keep(repo._name, repo._call(method, *args, **filters))


def _count(repo: _ScopedRepository, method: str, **filters: object) -> int:
    scope = repo._readable()
    if scope.everywhere or repo._name in _REFERENCE:
        return int(repo._call(method, **filters))
    return len(_list(repo, "list", **filters))


def _moves(repo: _ScopedRepository, method: str, **filters: object) -> list[Any]:
    scope = repo._readable()
    return scope.keep("member_moves", repo._call(method, **filters))


def _household_of(repo: _ScopedRepository, method: str, member_id: str) -> str:
    scope = repo._readable()
    owner = repo._call("owners", [member_id]).get(member_id)
    if owner is None or not scope.households([owner]):
        raise NotFound(f"no member {member_id}")
    return str(owner)


def _member(repo: _ScopedRepository, method: str, member_id: str) -> Any:
    _household_of(repo, "household_of", member_id)
    return repo._call(method, member_id)


def _owners(repo: _ScopedRepository, method: str, member_ids: Iterable[str]) -> dict[str, str]:
    scope = repo._readable()
    found: dict[str, str] = repo._call(method, list(member_ids))
    seen = scope.households(found.values())
    return {m: h for m, h in found.items() if h in seen}


def _holders(
    repo: _ScopedRepository, method: str, resident_ids: Iterable[str]
) -> dict[str, tuple[str, str]]:
    scope = repo._readable()
    found: dict[str, tuple[str, str]] = repo._call(method, list(resident_ids))
    seen = scope.households(h for _, h in found.values())
    return {r: (m, h) for r, (m, h) in found.items() if h in seen}


def _move_member(
    repo: _ScopedRepository, method: str, member_id: str, to_household_id: str, *a: Any, **k: Any
) -> Any:
    scope = repo._readable()
    if not scope.principal.role.may_write("households"):
        raise scope.principal.refuse("write households")
    source = _household_of(repo, "household_of", member_id)
    if not scope.households([to_household_id]):
        raise scope.principal.refuse(
            f"move a member to household {to_household_id}: outside the scope"
        )
    result = repo._call(method, member_id, to_household_id, *a, **k)
    scope.forget([source, to_household_id])
    return result


def _of_households(
    repo: _ScopedRepository, method: str, household_ids: Iterable[str]
) -> dict[str, list[Any]]:
    scope = repo._readable()
    seen = scope.households(household_ids)
    found: dict[str, list[Any]] = repo._call(method, sorted(seen))
    return {h: scope.keep(repo._name, pairings) for h, pairings in found.items()}


def _mapping(repo: _ScopedRepository, method: str, *args: Any) -> dict[Any, Any]:
    """A read that returns records by some key (observations by feed record)."""
    scope = repo._readable()
    found: dict[Any, Any] = repo._call(method, *args)
    kept = {id(v) for v in scope.keep(repo._name, list(found.values()))}
    return {k: v for k, v in found.items() if id(v) in kept}


def _end(repo: _ScopedRepository, method: str, key: Any, *args: Any, **kwargs: Any) -> Any:
    stored = _find(repo, "find", key)
    if stored is None:
        raise _absent(repo._name, key)
    repo._scope.admit(repo._name, [stored], [stored])
    return repo._call(method, key, *args, **kwargs)


def _spent(repo: _ScopedRepository, method: str, fund_id: str) -> Any:
    repo._readable()
    return repo._call(method, fund_id)


def _reference(repo: _ScopedRepository, method: str, *args: Any, **kwargs: Any) -> Any:
    """A read of reference data (funds' changes): the role may read the repository."""
    repo._readable()
    return repo._call(method, *args, **kwargs)


def _fund_change(repo: _ScopedRepository, method: str, *args: Any, **kwargs: Any) -> Any:
    """A top-up or closing: the role may write funds (reference data)."""
    repo._readable()
    principal = repo._scope.principal
    if not principal.role.may_write(repo._name):
        raise principal.refuse(f"{method.replace('_', ' ')} {repo._name}")
    return repo._call(method, *args, **kwargs)


def _lock(repo: _ScopedRepository, method: str, *args: Any) -> Any:
    repo._readable()
    principal = repo._scope.principal
    if not principal.role.may_write("grants"):
        raise principal.refuse(f"lock {repo._name} (only an allocation does)")
    return repo._call(method, *args)


def _audit(repo: _ScopedRepository, method: str, **filters: object) -> Any:
    principal = repo._scope.principal
    if not principal.role.audit_log:
        raise principal.refuse("read the audit log")
    return repo._call(method, **filters)


_HANDLERS: Mapping[str, Callable[..., Any]] = {
    "write_one": _write_one,
    "write_many": _write_many,
    "upsert_rows": _upsert_rows,
    "get": _get,
    "find": _find,
    "find_many": _find_many,
    "stored": _stored,
    "list": _list,
    "count": _count,
    "moves": _moves,
    "member": _member,
    "household_of": _household_of,
    "owners": _owners,
    "holders": _holders,
    "move_member": _move_member,
    "of_households": _of_households,
    "mapping": _mapping,
    "end": _end,
    "spent": _spent,
    "reference": _reference,
    "fund_change": _fund_change,
    "lock": _lock,
    "audit": _audit,
}


class _ScopedReadModel:
    """The read model restricted to a principal's counties, or refused.

    The figures are kept by county, so a principal scoped by regions reads the
    counties within its prefixes; one scoped finer than a county (a township, a
    village) or to a helper cannot read them, and a role without ``figures`` never.
    The overdue rows are filtered household by household.
    """

    __slots__ = ("_inner", "_scope", "_units")

    def __init__(self, inner: ReadModel, scope: _Scope, units: ScopedUnitOfWork) -> None:
        self._inner = inner
        self._scope = scope
        self._units = units

    def __getattr__(self, method: str) -> Callable[..., Any]:
        how = READ_MODEL_METHODS.get(method, "") if not method.startswith("_") else ""
        if how == "":
            raise AttributeError(f"read_model.{method} is not available to a scoped principal")
        principal = self._scope.principal
        if not principal.role.figures:
            raise principal.refuse("read the report figures")
        inner = getattr(self._inner, method)
        if principal.everywhere:
            return cast("Callable[..., Any]", inner)
        if how == "follow_up":
            return partial(self._follow_up, inner)
        if how == "latest":
            return self._latest
        if principal.role.scope is not ScopeKind.REGIONS or any(
            len(p) > 6 for p in principal.regions
        ):
            raise principal.refuse("read figures kept by county (its scope is finer than a county)")
        return partial(self._figures, inner, cast("int | None", how))

    def _figures(self, inner: Callable[..., Any], at: int | None, *args: Any) -> Any:
        figures: Mapping[Any, Any] = inner(*args)
        covers = self._scope.principal.covers
        return {k: v for k, v in figures.items() if covers(k if at is None else k[at])}

    def _latest(self) -> date | None:
        days = [a.on for a in self._units.activities.list(voided_on=None)]
        return max(days, default=None)

    def _follow_up(self, inner: Callable[..., FollowUpArrays], *args: Any) -> FollowUpArrays:
        import attrs
        import numpy as np

        rows = inner(*args)
        seen = self._scope.households(rows.household_ids)
        mask = np.fromiter((h in seen for h in rows.household_ids), dtype=bool, count=len(rows))
        picked = np.flatnonzero(mask)

        def cut(values: Any) -> Any:
            return np.asarray(values)[picked]

        return attrs.evolve(
            rows,
            helper_ids=[rows.helper_ids[int(i)] for i in picked],
            household_ids=[rows.household_ids[int(i)] for i in picked],
            start=cut(rows.start),
            facts=cut(rows.facts),
            last_by_kind={k: cut(v) for k, v in rows.last_by_kind.items()},
            last_by_kinds={k: cut(v) for k, v in rows.last_by_kinds.items()},
        )


class ScopedUnitOfWork:
    """A unit of work for a principal, over any backend's unit of work.

    Its repositories, audit log and read model filter every read and refuse every
    write outside the principal's scope and role (:class:`NotPermitted`). It offers
    no way back to the unit of work it wraps. ``read_only`` refuses every write
    whatever the role allows.
    """

    __slots__ = ("__inner", "__repositories", "__scope", "_read_only", "actor", "read_only")

    def __init__(self, inner: UnitOfWork, principal: Principal, *, read_only: bool = False) -> None:
        self.__inner = inner
        self.__scope = _Scope(inner, principal)
        self._read_only = read_only
        self.__repositories: dict[str, object] = {}
        #: Who is audited for the writes (the principal's actor).
        self.actor: str = inner.actor
        #: Whether writes are refused.
        self.read_only: bool = read_only or inner.read_only

    @property
    def principal(self) -> Principal:
        """Who this unit of work is for."""
        return self.__scope.principal

    def _repository(self, name: str) -> Any:
        repo = self.__repositories.get(name)
        if repo is None:
            inner = getattr(self.__inner, name)
            if self._read_only and name != "audit":
                inner = _ReadOnly(name, inner, self.__scope.principal)
            repo = self.__repositories[name] = _ScopedRepository(name, inner, self.__scope)
        return repo

    @property
    def helpers(self) -> HelperRepository:
        return cast("HelperRepository", self._repository("helpers"))

    @property
    def households(self) -> HouseholdRepository:
        return cast("HouseholdRepository", self._repository("households"))

    @property
    def pairings(self) -> PairingRepository:
        return cast("PairingRepository", self._repository("pairings"))

    @property
    def handovers(self) -> HandoverRepository:
        return cast("HandoverRepository", self._repository("handovers"))

    @property
    def needs(self) -> NeedRepository:
        return cast("NeedRepository", self._repository("needs"))

    @property
    def referrals(self) -> ReferralRepository:
        return cast("ReferralRepository", self._repository("referrals"))

    @property
    def activities(self) -> ActivityRepository:
        return cast("ActivityRepository", self._repository("activities"))

    @property
    def programs(self) -> ProgramRepository:
        return cast("ProgramRepository", self._repository("programs"))

    @property
    def funds(self) -> FundRepository:
        return cast("FundRepository", self._repository("funds"))

    @property
    def grants(self) -> GrantRepository:
        return cast("GrantRepository", self._repository("grants"))

    @property
    def decisions(self) -> DecisionRepository:
        return cast("DecisionRepository", self._repository("decisions"))

    @property
    def consents(self) -> ConsentRepository:
        return cast("ConsentRepository", self._repository("consents"))

    @property
    def plans(self) -> PlanRepository:
        return cast("PlanRepository", self._repository("plans"))

    @property
    def plan_items(self) -> PlanItemRepository:
        return cast("PlanItemRepository", self._repository("plan_items"))

    @property
    def objections(self) -> ObjectionRepository:
        return cast("ObjectionRepository", self._repository("objections"))

    @property
    def grievances(self) -> GrievanceRepository:
        return cast("GrievanceRepository", self._repository("grievances"))

    @property
    def eliminations(self) -> EliminationRepository:
        return cast("EliminationRepository", self._repository("eliminations"))

    @property
    def observations(self) -> ObservationRepository:
        return cast("ObservationRepository", self._repository("observations"))

    @property
    def warnings(self) -> WarningRepository:
        return cast("WarningRepository", self._repository("warnings"))

    @property
    def audit(self) -> AuditLog:
        return cast("AuditLog", self._repository("audit"))

    @property
    def read_model(self) -> ReadModel:
        """The figures and overdue rows of this principal's scope."""
        return cast("ReadModel", _ScopedReadModel(self.__inner.read_model, self.__scope, self))

    @property
    def today(self) -> date:
        return self.__inner.today

    def attach(
        self,
        *,
        checks: WriteChecks | None = None,
        notifier: Callable[..., object] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.__inner.attach(checks=checks, notifier=notifier, clock=clock)

    def problems(self, kind: str, items: Sequence[Any]) -> list[Problem]:
        """What the write checks say of a batch the principal may write (payments of
        grants: a role that writes grants)."""
        if not self.__scope.principal.role.may_write("grants" if kind == GRANT_PAYMENTS else kind):
            raise self.__scope.principal.refuse(f"write {kind}")
        return self.__inner.problems(kind, items)

    def commit(self) -> None:
        self.__inner.commit()

    def rollback(self) -> None:
        self.__inner.rollback()

    def notify(self, hook_name: str, **kwargs: object) -> None:
        self.__inner.notify(hook_name, **kwargs)

    def __enter__(self) -> Self:
        self.__inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__inner.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"<ScopedUnitOfWork for {self.principal.describe()}>"


class _ReadOnly:
    """A repository whose writing methods are refused (a read-only scoped unit of work)."""

    __slots__ = ("_inner", "_name", "_principal")

    def __init__(self, name: str, inner: object, principal: Principal) -> None:
        self._name = name
        self._inner = inner
        self._principal = principal

    def __getattr__(self, method: str) -> Any:
        how = METHODS[self._name].get(method, "")
        if how in _WRITES:
            raise self._principal.refuse(f"write {self._name} in a read-only unit of work")
        return getattr(self._inner, method)


_WRITES = frozenset({"write_one", "write_many", "upsert_rows", "move_member", "end", "lock"})
