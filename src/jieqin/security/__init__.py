"""Principals, roles and region scopes; revealing sensitive fields with a purpose.

Every unit of work runs for a :class:`Principal` (an actor, a :class:`Role`, a
scope): ``campaign.unit_of_work(principal=...)`` returns a
:class:`ScopedUnitOfWork` that filters every read and refuses every write outside
it. Roles and principals come from a TOML file (:func:`load_principals`) or the
``jieqin_register_principals`` hook, never from code. See ``docs/security.md``.
"""

from jieqin.security.config import (
    ACTOR_ENV,
    PRINCIPALS_ENV,
    Identity,
    PrincipalEntry,
    Principals,
    acting_as,
    current_identity,
    load_principals,
)
from jieqin.security.reveal import REVEAL_ACTION, check_reveal, record_reveal
from jieqin.security.roles import (
    EVERYWHERE,
    REPOSITORIES,
    STANDARD_ROLES,
    NotPermitted,
    Principal,
    Role,
    ScopeKind,
)
from jieqin.security.scope import METHODS, READ_MODEL_METHODS, ScopedUnitOfWork

__all__ = [
    "ACTOR_ENV",
    "EVERYWHERE",
    "METHODS",
    "PRINCIPALS_ENV",
    "READ_MODEL_METHODS",
    "REPOSITORIES",
    "REVEAL_ACTION",
    "STANDARD_ROLES",
    "Identity",
    "NotPermitted",
    "Principal",
    "PrincipalEntry",
    "Principals",
    "Role",
    "ScopeKind",
    "ScopedUnitOfWork",
    "acting_as",
    "check_reveal",
    "current_identity",
    "load_principals",
    "record_reveal",
]
