"""Storage: the repository and unit-of-work protocols and the built-in backends.

``memory://`` is :mod:`jieqin.storage.memory`; ``sqlite:`` and ``postgresql+psycopg:``
are :mod:`jieqin.storage.sql`. Other backends come from plugins.
"""

from jieqin.storage.base import (
    AuditEntry,
    AuditLog,
    PairingKey,
    Repository,
    Storage,
    UnitOfWork,
)

__all__ = ["AuditEntry", "AuditLog", "PairingKey", "Repository", "Storage", "UnitOfWork"]
