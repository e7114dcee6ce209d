"""Roles and principals: who works in a unit of work, what they may do, and where.

A :class:`Role` is data: the repositories it may read and write, whether it may
reveal sensitive fields, read the audit log or the report figures, and how its
principals are scoped (by region prefixes, to one helper's paired households, or
everywhere). A :class:`Principal` is an actor with a role and a scope. The five
standard roles are :data:`STANDARD_ROLES`; a configuration file or a plugin may
define others (see :mod:`jieqin.security.config`).

Nothing here reads storage: the scope is applied by
:class:`~jieqin.security.scope.ScopedUnitOfWork`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from attrs import field, frozen

from jieqin.errors import InvalidValue, JieqinError

__all__ = [
    "EVERYWHERE",
    "REPOSITORIES",
    "STANDARD_ROLES",
    "NotPermitted",
    "Principal",
    "Role",
    "ScopeKind",
]

#: Every repository of a unit of work, by the name the unit of work gives it.
REPOSITORIES: frozenset[str] = frozenset(
    {
        "helpers",
        "households",
        "pairings",
        "handovers",
        "needs",
        "referrals",
        "activities",
        "programs",
        "funds",
        "grants",
        "decisions",
        "consents",
        "plans",
        "plan_items",
        "objections",
        "grievances",
        "eliminations",
        "observations",
        "warnings",
    }
)

#: The region prefix every code starts with: a principal scoped to it sees every region.
EVERYWHERE = ""


class NotPermitted(JieqinError, PermissionError):
    """The principal's role or scope does not allow this read, write or reveal."""


class ScopeKind(StrEnum):
    """How a role's principals are scoped."""

    #: Households whose region code starts with one of the principal's prefixes.
    REGIONS = "regions"
    #: The households paired with the principal's helper on the day.
    HELPER = "helper"
    #: Every record (the principal's regions are ignored).
    EVERYTHING = "everything"


def _repositories(value: Iterable[str] | str) -> frozenset[str]:
    names = [value] if isinstance(value, str) else list(value)
    if "*" in names:
        return REPOSITORIES
    unknown = sorted(set(names) - REPOSITORIES)
    if unknown:
        raise InvalidValue(
            f"unknown repositories {', '.join(unknown)}; known: {', '.join(sorted(REPOSITORIES))}",
            field="repositories",
        )
    return frozenset(names)


def _name(instance: object, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{attribute.name} must be a non-empty text", field=attribute.name)


@frozen
class Role:
    """What a role's principals may do: permissions as data, checked in one place.

    ``reads`` and ``writes`` are repository names (:data:`REPOSITORIES`; ``"*"`` for
    all). ``reveal``: may show sensitive fields in clear (with a purpose, audited).
    ``audit_log``: may read the audit log. ``figures``: may read the report figures
    and the overdue rows (the read model). ``decides``: may decide pending plans.
    ``scope``: how its principals' records are chosen (:class:`ScopeKind`).
    """

    name: str = field(validator=_name)
    reads: frozenset[str] = field(converter=_repositories)
    writes: frozenset[str] = field(converter=_repositories)
    scope: ScopeKind = field(converter=ScopeKind)
    reveal: bool = False
    audit_log: bool = False
    figures: bool = False
    decides: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.writes <= self.reads:
            extra = ", ".join(sorted(self.writes - self.reads))
            raise InvalidValue(
                f"role {self.name!r} writes {extra} but may not read them", field="writes"
            )

    def may_read(self, repository: str) -> bool:
        """Whether the role may read ``repository``."""
        return repository in self.reads

    def may_write(self, repository: str) -> bool:
        """Whether the role may write ``repository``."""
        return repository in self.writes

    def permissions(self) -> dict[str, Any]:
        """The role as plain data (the permissions table of the documentation)."""
        return {
            "role": self.name,
            "reads": sorted(self.reads),
            "writes": sorted(self.writes),
            "scope": self.scope.value,
            "reveal": self.reveal,
            "audit_log": self.audit_log,
            "figures": self.figures,
            "decides": self.decides,
        }


_REFERENCE = frozenset({"programs", "funds"})

#: The standard roles. A configuration file or a plugin may define more, or replace one.
STANDARD_ROLES: Mapping[str, Role] = {
    role.name: role
    for role in (
        Role(
            "admin",
            REPOSITORIES,
            REPOSITORIES,
            ScopeKind.EVERYTHING,
            reveal=True,
            audit_log=True,
            figures=True,
            decides=True,
        ),
        Role(
            "clerk",
            REPOSITORIES,
            REPOSITORIES - _REFERENCE,
            ScopeKind.REGIONS,
            reveal=True,
            figures=True,
        ),
        Role(
            "approver",
            REPOSITORIES,
            {
                "decisions",
                "grants",
                "needs",
                "programs",
                "plans",
                "plan_items",
                "objections",
                "grievances",
                "eliminations",
                "warnings",
            },
            ScopeKind.REGIONS,
            figures=True,
            decides=True,
        ),
        Role("auditor", REPOSITORIES, (), ScopeKind.EVERYTHING, audit_log=True, figures=True),
        Role(
            "helper",
            {"helpers", "households", "pairings", "needs", "referrals", "activities"},
            {"activities"},
            ScopeKind.HELPER,
        ),
    )
}


def _prefixes(value: Iterable[str] | str) -> frozenset[str]:
    codes = [value] if isinstance(value, str) else list(value)
    out = set()
    for code in codes:
        text = str(code).strip()
        text = EVERYWHERE if text == "*" else text
        if not (text.isdigit() or text == EVERYWHERE) or len(text) > 12:
            raise InvalidValue(
                f"region prefix {code!r} is not up to 12 digits (or '*' for every region)",
                field="regions",
            )
        out.add(text)
    return frozenset(out)


@frozen
class Principal:
    """Who works in a unit of work: an actor (written to the audit log), a role, a scope.

    ``regions``: region-code prefixes (``"610203"`` for a county, ``"*"`` for all)
    of a role scoped by regions. ``helper_id``: the helper of a role scoped to a
    helper. ``on``: the day whose pairings make a helper's scope (default: the unit
    of work's today).
    """

    actor: str = field(validator=_name)
    role: Role
    regions: frozenset[str] = field(default=frozenset(), converter=_prefixes)
    helper_id: str | None = None
    on: date | None = None

    def __attrs_post_init__(self) -> None:
        if self.role.scope is ScopeKind.REGIONS and not self.regions:
            raise InvalidValue(
                f"principal {self.actor!r} ({self.role.name}) needs region prefixes",
                field="regions",
            )
        if self.role.scope is ScopeKind.HELPER and not self.helper_id:
            raise InvalidValue(
                f"principal {self.actor!r} ({self.role.name}) needs the helper it is",
                field="helper",
            )

    @property
    def everywhere(self) -> bool:
        """Whether the scope holds every record."""
        scope = self.role.scope
        return scope is ScopeKind.EVERYTHING or (
            scope is ScopeKind.REGIONS and EVERYWHERE in self.regions
        )

    @property
    def unrestricted(self) -> bool:
        """Whether nothing is filtered or refused: every record, every permission."""
        role = self.role
        return (
            self.everywhere
            and role.reads == REPOSITORIES
            and role.writes == REPOSITORIES
            and role.audit_log
            and role.figures
        )

    def covers(self, region: str) -> bool:
        """Whether a region code is within the principal's region prefixes."""
        return any(region.startswith(prefix) for prefix in self.regions)

    def describe(self) -> str:
        """``clerk:wang (clerk, regions 610203)``: for messages."""
        if self.everywhere:
            where = "everywhere"
        elif self.role.scope is ScopeKind.HELPER:
            where = f"helper {self.helper_id}"
        else:
            where = "regions " + ", ".join(sorted(self.regions))
        return f"{self.actor} ({self.role.name}, {where})"

    def refuse(self, what: str) -> NotPermitted:
        """The error saying this principal may not do ``what``."""
        return NotPermitted(f"{self.describe()} may not {what}")
