"""Storage: the repository and unit-of-work protocols and the built-in backends.

``memory://`` is :mod:`jieqin.storage.memory`; ``sqlite:`` and ``postgresql+psycopg:``
are :mod:`jieqin.storage.sql`. Other backends come from plugins; one that holds a
campaign's tables in memory and persists them its own way (files, a document store)
subclasses :class:`~jieqin.storage.tables_in_memory.TablesUnitOfWork`.
"""

from jieqin.storage.audit_chain import AuditVerification, verify_audit
from jieqin.storage.base import (
    AuditEntry,
    AuditLog,
    PairingKey,
    Repository,
    Storage,
    UnitOfWork,
)
from jieqin.storage.tables_in_memory import (
    KINDS,
    Changes,
    EntitySpec,
    Tables,
    TablesUnitOfWork,
    describe,
    difference,
    plain,
)

__all__ = [
    "KINDS",
    "AuditEntry",
    "AuditLog",
    "AuditVerification",
    "Changes",
    "EntitySpec",
    "PairingKey",
    "Repository",
    "Storage",
    "Tables",
    "TablesUnitOfWork",
    "UnitOfWork",
    "describe",
    "difference",
    "plain",
    "verify_audit",
]
