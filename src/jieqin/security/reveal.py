"""Revealing sensitive fields: allowed by the role, given a purpose, audited first.

An export with ``include_sensitive``, an explanation with ``reveal`` and every other
reveal asks :func:`check_reveal` (may this principal reveal, and why), then
:func:`record_reveal` writes the audit entry, committed in a unit of work of its
own, before the data leaves: if the entry cannot be written, nothing is revealed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from jieqin._masking import mask_text
from jieqin.errors import InvalidValue, StorageError
from jieqin.security.roles import Principal
from jieqin.storage.base import UnitOfWork

__all__ = ["REVEAL_ACTION", "check_reveal", "record_reveal"]

#: The audit log's action for a reveal.
REVEAL_ACTION = "reveal"

#: At most this many ids are listed in one reveal's audit entry (the count is exact).
MAX_IDS = 1000


@runtime_checkable
class _Recording(Protocol):
    def record(
        self, action: str, entity: str, entity_id: str | None, changes: Mapping[str, Any]
    ) -> None: ...


def check_reveal(principal: Principal, purpose: str | None, *, what: str) -> str:
    """The purpose, cleaned, if ``principal`` may reveal ``what``.

    :raises NotPermitted: the principal's role may not reveal.
    :raises InvalidValue: no purpose was given.
    """
    if not principal.role.reveal:
        raise principal.refuse(f"reveal sensitive fields ({what})")
    text = " ".join((purpose or "").split())
    if not text:
        raise InvalidValue(
            f"revealing {what} needs a purpose (--purpose TEXT; purpose= in the API): "
            "it is written to the audit log",
            field="purpose",
        )
    return text


def record_reveal(
    open_unit_of_work: Callable[[], UnitOfWork],
    principal: Principal,
    *,
    what: str,
    entity: str,
    purpose: str | None,
    ids: Iterable[str] = (),
    count: int | None = None,
) -> None:
    """Check the reveal, then write and commit its audit entry: who, what, why.

    ``open_unit_of_work`` opens a writing unit of work of the principal's actor. The
    entry's ``changes`` hold ``what``, the ``ids`` (up to :data:`MAX_IDS`), the
    ``count``, the role and the ``purpose`` (ID- and phone-shaped text masked).

    :raises StorageError: the entry could not be written; nothing may be revealed.
    """
    reason = check_reveal(principal, purpose, what=what)
    listed = sorted(set(ids))
    changes: dict[str, Any] = {
        "what": what,
        "role": principal.role.name,
        "purpose": mask_text(reason),
        "count": len(listed) if count is None else count,
    }
    if listed:
        changes["ids"] = listed[:MAX_IDS]
    with open_unit_of_work() as uow:
        if not isinstance(uow, _Recording):
            raise StorageError(
                f"the storage cannot write a reveal to its audit log ({type(uow).__name__} "
                "has no record method): nothing was revealed"
            )
        uow.record(REVEAL_ACTION, entity, listed[0] if len(listed) == 1 else None, changes)
        uow.commit()
