"""Where principals come from: a TOML file and the ``jieqin_register_principals`` hook.

The file (named by ``--principals`` or ``JIEQIN_PRINCIPALS``) maps actor names to a
role and a scope, and may define roles of its own::

    [principals."clerk:wang"]
    role = "clerk"
    regions = ["610203"]          # region-code prefixes; "*" for every region

    [principals."helper:hp-001"]
    role = "helper"
    helper = "hp-001"

    [roles.township_clerk]         # a role of your own (see jieqin.security.Role)
    reads = ["*"]
    writes = ["needs", "activities"]
    scope = "regions"

Plugins register principals with ``register(actor, role, regions=..., helper_id=...)``.
A principal in the file wins over a plugin's of the same actor. The command line
names who it runs as with ``--as ACTOR`` or ``JIEQIN_ACTOR``
(:func:`acting_as`); with no file and no plugin principals at all, it runs as a
local administrator, as a single-user installation always has.
"""

from __future__ import annotations

import contextvars
import os
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from attrs import field, frozen

from jieqin.errors import InvalidValue
from jieqin.security.roles import STANDARD_ROLES, NotPermitted, Principal, Role

__all__ = [
    "ACTOR_ENV",
    "PRINCIPALS_ENV",
    "Identity",
    "PrincipalEntry",
    "Principals",
    "acting_as",
    "current_identity",
    "load_principals",
]

#: The environment variable naming who the command line runs as.
ACTOR_ENV = "JIEQIN_ACTOR"
#: The environment variable naming the principals file.
PRINCIPALS_ENV = "JIEQIN_PRINCIPALS"


def _texts(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(codes)


@frozen
class PrincipalEntry:
    """A principal as configured: the role by name (or a role given whole), its scope."""

    actor: str
    role: str | Role
    regions: tuple[str, ...] = field(default=(), converter=_texts)
    helper_id: str | None = None
    source: str = ""

    def resolve(self, roles: Mapping[str, Role]) -> Principal:
        """The principal, its role looked up in ``roles``."""
        role = self.role
        if isinstance(role, str):
            if role not in roles:
                raise InvalidValue(
                    f"{self.source}: principal {self.actor!r} has unknown role {role!r}; "
                    f"known: {', '.join(sorted(roles))}",
                    field="role",
                )
            role = roles[role]
        return Principal(self.actor, role, self.regions, helper_id=self.helper_id)


@frozen
class Principals:
    """The configured principals by actor, and the roles they may name."""

    entries: Mapping[str, PrincipalEntry] = field(factory=dict)
    roles: Mapping[str, Role] = field(factory=lambda: dict(STANDARD_ROLES))

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __contains__(self, actor: object) -> bool:
        return actor in self.entries

    def get(self, actor: str) -> Principal:
        """The principal named ``actor``; :class:`NotPermitted` if none is configured."""
        entry = self.entries.get(actor)
        if entry is None:
            raise NotPermitted(f"{actor!r} is not a configured principal")
        return entry.resolve(self.roles)

    def merged(self, other: Principals) -> Principals:
        """These principals and roles, then ``other``'s where these have none."""
        return Principals({**other.entries, **self.entries}, {**other.roles, **self.roles})


def _text_list(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InvalidValue(f"{where} must be a text or a list of texts", field=where)


def _role_from(name: str, table: object, where: str) -> Role:
    if not isinstance(table, dict):
        raise InvalidValue(f"{where} must be a table", field=where)
    known = {"reads", "writes", "scope", "reveal", "audit_log", "figures", "decides"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise InvalidValue(f"{where}: unknown keys {', '.join(unknown)}", field=where)
    flags = {k: table[k] for k in known - {"reads", "writes", "scope"} if k in table}
    if not all(isinstance(v, bool) for v in flags.values()):
        raise InvalidValue(
            f"{where}: {', '.join(sorted(flags))} must be true or false", field=where
        )
    try:
        return Role(
            name,
            _text_list(table.get("reads", []), f"{where}.reads"),
            _text_list(table.get("writes", []), f"{where}.writes"),
            table.get("scope", "regions"),
            **flags,
        )
    except ValueError as exc:
        raise InvalidValue(f"{where}: {exc}", field=where) from None


def _entry_from(actor: str, table: object, where: str) -> PrincipalEntry:
    if not isinstance(table, dict):
        raise InvalidValue(f"{where} must be a table", field=where)
    unknown = sorted(set(table) - {"role", "regions", "helper"})
    if unknown:
        raise InvalidValue(f"{where}: unknown keys {', '.join(unknown)}", field=where)
    role = table.get("role")
    if not isinstance(role, str):
        raise InvalidValue(f"{where}.role must name a role", field=f"{where}.role")
    helper = table.get("helper")
    if helper is not None and not isinstance(helper, str):
        raise InvalidValue(f"{where}.helper must be a helper id", field=f"{where}.helper")
    regions = _text_list(table.get("regions", []), f"{where}.regions")
    return PrincipalEntry(actor, role, regions, helper, source=where)


def load_principals(path: str | os.PathLike[str]) -> Principals:
    """Read a principals file; every principal is checked against its role now.

    :raises InvalidValue: the file is missing, not TOML, or names an unknown role,
        key or region prefix; the message says which file and which entry.
    """
    name = os.fspath(path)
    try:
        data = tomllib.loads(Path(name).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidValue(
            f"cannot read the principals file {name}: {exc.strerror}", field="principals"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidValue(
            f"principals file {name} is not TOML: {exc}", field="principals"
        ) from None
    unknown = sorted(set(data) - {"principals", "roles"})
    if unknown:
        raise InvalidValue(f"{name}: unknown tables {', '.join(unknown)}", field="principals")
    roles: dict[str, Role] = dict(STANDARD_ROLES)
    for role_name, table in _table(data, "roles", name).items():
        roles[role_name] = _role_from(role_name, table, f"{name}: roles.{role_name}")
    entries = {
        actor: _entry_from(actor, table, f"{name}: principals.{actor}")
        for actor, table in _table(data, "principals", name).items()
    }
    principals = Principals(entries, roles)
    for actor in entries:
        try:
            principals.get(actor)
        except InvalidValue as exc:
            if name in str(exc):
                raise
            raise InvalidValue(f"{name}: principals.{actor}: {exc}", field="principals") from None
    return principals


def _table(data: Mapping[str, Any], key: str, name: str) -> Mapping[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise InvalidValue(f"{name}: {key} must be a table", field=key)
    return table


@frozen
class Identity:
    """Who the command line runs as: an actor name and the principals file, if given."""

    actor: str | None = None
    principals_file: str | None = None


_IDENTITY: contextvars.ContextVar[Identity | None] = contextvars.ContextVar(
    "jieqin_identity", default=None
)


def current_identity() -> Identity | None:
    """The identity :func:`acting_as` set, or ``None`` (a library caller's)."""
    return _IDENTITY.get()


@contextmanager
def acting_as(actor: str | None, principals_file: str | None = None) -> Iterator[Identity]:
    """Run what is inside as ``actor``: every campaign's unit of work without a principal
    of its own is then for the principal this actor is configured as.

    The command line wraps each command in it (``--as``, ``--principals``).
    """
    identity = Identity(actor.strip() if actor else None, principals_file or None)
    token = _IDENTITY.set(identity)
    try:
        yield identity
    finally:
        _IDENTITY.reset(token)
