"""The probable-duplicates use case: read the stored households, list the pairs.

It only reads: a clerk reviews the pairs, and nothing is merged or changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jieqin.duplicates import DEFAULT_THRESHOLD, ProbableDuplicate, probable_duplicates

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = ["probable_duplicates_in"]


def probable_duplicates_in(
    uow: UnitOfWork, *, threshold: float = DEFAULT_THRESHOLD
) -> list[ProbableDuplicate]:
    """The probable duplicate members among every stored household."""
    return probable_duplicates(uow.households.list(), threshold=threshold)
