"""The monitoring repositories of :class:`~jieqin.storage.tables_in_memory.TablesUnitOfWork`:
observations (a feed's record stored once) and risk warnings."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import Any

from jieqin.errors import ConflictError
from jieqin.model import Observation, RiskWarning
from jieqin.storage._table_repositories import TableRepository
from jieqin.storage.base import FeedRecord

__all__ = ["Observations", "Warnings", "feed_conflict"]


def feed_conflict(feed: str, record: str, stored_id: str, observation_id: str) -> ConflictError:
    """Why a second observation of a feed's record is refused (every backend says it
    alike)."""
    return ConflictError(
        f"observations: the write was refused: record {record} of feed {feed} is stored "
        f"as observation {stored_id}, not {observation_id}; a feed's record is stored once"
    )


def _of_households(
    records: Iterable[Any], household_ids: Iterable[str]
) -> dict[str, builtins.list[Any]]:
    wanted = set(household_ids)
    found: dict[str, builtins.list[Any]] = {}
    for item in sorted(records, key=lambda r: r.household_id):
        if item.household_id in wanted:
            found.setdefault(item.household_id, []).append(item)
    return {h: sorted(items, key=_record_id) for h, items in found.items()}


def _record_id(item: Any) -> str:
    return str(getattr(item, "observation_id", None) or item.warning_id)


class Observations(TableRepository[Observation]):
    """Observations; the pair (``feed``, ``feed_record``) names one stored observation."""

    def _check(
        self, table: Mapping[Any, Any], items: builtins.list[Any], replacing: Mapping[Any, Any]
    ) -> None:
        wanted = {(o.feed, o.feed_record) for o in items if o.feed is not None}
        if not wanted:
            return
        holders = {
            (o.feed, o.feed_record): o.observation_id
            for o in table.values()
            if o.feed is not None and (o.feed, o.feed_record) in wanted
        }
        batch: dict[FeedRecord, str] = {}
        for o in items:
            if o.feed is None:
                continue
            pair = (o.feed, o.feed_record)
            held = holders.get(pair)
            other = batch.setdefault(pair, o.observation_id)
            if held is not None and held != o.observation_id:
                raise feed_conflict(o.feed, o.feed_record, held, o.observation_id)
            if other != o.observation_id:
                raise feed_conflict(o.feed, o.feed_record, other, o.observation_id)

    def feed_records(self, records: Iterable[FeedRecord]) -> dict[FeedRecord, Observation]:
        wanted = set(records)
        if not wanted:
            return {}
        return {
            (o.feed, o.feed_record): o
            for o in self._uow.table(self._spec.name).values()
            if o.feed is not None and (o.feed, o.feed_record) in wanted
        }

    def of_households(self, household_ids: Iterable[str]) -> dict[str, builtins.list[Observation]]:
        return _of_households(self._uow.table(self._spec.name).values(), household_ids)


class Warnings(TableRepository[RiskWarning]):
    """Risk warnings."""

    def of_households(self, household_ids: Iterable[str]) -> dict[str, builtins.list[RiskWarning]]:
        return _of_households(self._uow.table(self._spec.name).values(), household_ids)
