"""The SQL repositories of monitoring: observations and risk warnings.

A medical expenditure's amount is a health fact: with a key provider it is sealed at
rest (``observations.sealed``, ``amount_fen`` ``NULL``) like a member's diagnosis. A
feed's record (``feed``, ``feed_record``) is stored once: the schema holds the pair
unique, and a write that would store it a second time is refused, naming the record,
before the database is asked.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from jieqin.model import Observation, RiskWarning
from jieqin.storage._monitoring import feed_conflict
from jieqin.storage.base import FeedRecord
from jieqin.storage.sql import encryption, mappers
from jieqin.storage.sql.functions import among
from jieqin.storage.sql.mappers import Row
from jieqin.storage.sql.repositories import CHUNK, SqlRepository
from jieqin.storage.sql.tables import OBSERVATIONS, RISK_WARNINGS

__all__ = [
    "ObservationRepository",
    "WarningRepository",
    "open_observation",
    "sealed_observations",
]

#: The observation columns sealed (for a medical expenditure).
OBSERVATION_SEALED = ("amount_fen",)


def observation_context(observation_id: str) -> str:
    return f"observations/{observation_id}"


def seal_observation_row(
    sealer: encryption.Sealer | None, row: dict[str, Any], sensitive: bool
) -> dict[str, Any]:
    """An observation row as written: a medical amount sealed when there is a sealer."""
    if sealer is None or not sensitive:
        return {**row, "sealed": None}
    values = {name: row[name] for name in OBSERVATION_SEALED}
    sealed = sealer.seal(values, context=observation_context(row["observation_id"]))
    cleared = dict.fromkeys(OBSERVATION_SEALED) if sealed is not None else {}
    return {**row, **cleared, "sealed": sealed}


def open_observation(sealer: encryption.Sealer | None, row: Row) -> Row:
    return encryption.open_row(
        sealer, row, OBSERVATION_SEALED, observation_context(row["observation_id"])
    )


def sealed_observations(
    sealer: encryption.Sealer | None,
) -> tuple[Callable[[Observation], dict[str, Any]], Callable[[Row], Observation]]:
    """The observation mappers, with a medical amount sealed at rest when there is a
    sealer."""

    def to_row(o: Observation) -> dict[str, Any]:
        return seal_observation_row(sealer, mappers.observation_row(o), o.sensitive)

    def from_row(r: Row) -> Observation:
        return mappers.observation_from(open_observation(sealer, r))

    return to_row, from_row


def rekey_observations(
    conn: sa.Connection, sealer: encryption.Sealer, *, decrypt: bool = False
) -> int:
    """Seal every medical observation's amount again with the current key (or write it
    back in clear); returns how many rows were written."""
    o = OBSERVATIONS
    rows = conn.execute(
        sa.select(o.c.observation_id, o.c.kind, o.c.amount_fen, o.c.sealed).where(
            sa.or_(o.c.sealed.is_not(None), o.c.kind.in_(_sensitive_kinds()))
        )
    ).mappings()
    updates = []
    for row in rows:
        fen = open_observation(sealer, row)["amount_fen"]
        sealed = None
        if not decrypt and row["kind"] in _sensitive_kinds():
            sealed = sealer.seal(
                {"amount_fen": fen}, context=observation_context(row["observation_id"])
            )
        updates.append(
            {"k": row["observation_id"], "amount_fen": None if sealed else fen, "sealed": sealed}
        )
    if updates:
        conn.execute(
            o.update()
            .where(o.c.observation_id == sa.bindparam("k"))
            .values(amount_fen=sa.bindparam("amount_fen"), sealed=sa.bindparam("sealed")),
            updates,
        )
    return len(updates)


def _sensitive_kinds() -> list[str]:
    from jieqin.model.monitoring import SENSITIVE_KINDS

    return sorted(kind.value for kind in SENSITIVE_KINDS)


def _of_households(
    repo: SqlRepository[Any], household_ids: Iterable[str], order: sa.Column[Any]
) -> dict[str, builtins.list[Any]]:
    wanted = sorted(set(household_ids))
    table = OBSERVATIONS if order.table is OBSERVATIONS else RISK_WARNINGS
    found: dict[str, builtins.list[Any]] = {}
    conn = repo._uow.connection
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        query = sa.select(table).where(among(conn, table.c.household_id, chunk)).order_by(order)
        for row in conn.execute(query).mappings():
            item = repo._from_row(row)
            found.setdefault(item.household_id, []).append(item)
    return dict(sorted(found.items()))


class ObservationRepository(SqlRepository[Observation]):
    """Observations; a feed's record is stored once."""

    def _feed_check(self, items: Sequence[Observation]) -> None:
        pairs = {(o.feed, o.feed_record) for o in items if o.feed is not None}
        if not pairs:
            return
        held = {pair: o.observation_id for pair, o in self.feed_records(pairs).items()}  # type: ignore[arg-type]
        batch: dict[FeedRecord, str] = {}
        for o in items:
            if o.feed is None or o.feed_record is None:
                continue
            pair = (o.feed, o.feed_record)
            for other in (held.get(pair), batch.setdefault(pair, o.observation_id)):
                if other is not None and other != o.observation_id:
                    raise feed_conflict(o.feed, o.feed_record, other, o.observation_id)

    def _insert(self, conn: sa.Connection, items: Sequence[Any]) -> None:
        self._feed_check(items)
        super()._insert(conn, items)

    def _upsert(self, conn: sa.Connection, items: Sequence[Any]) -> None:
        self._feed_check(items)
        super()._upsert(conn, items)

    def _replace(self, conn: sa.Connection, item: Any) -> None:
        self._feed_check([item])
        super()._replace(conn, item)

    def feed_records(self, records: Iterable[FeedRecord]) -> dict[FeedRecord, Observation]:
        wanted = set(records)
        by_record = sorted({record for _, record in wanted})
        found: dict[FeedRecord, Observation] = {}
        o = OBSERVATIONS
        for start in range(0, len(by_record), CHUNK):
            chunk = by_record[start : start + CHUNK]
            query = sa.select(o).where(among(self._conn, o.c.feed_record, chunk))
            for row in self._conn.execute(query).mappings():
                pair = (row["feed"], row["feed_record"])
                if pair in wanted:
                    found[pair] = self._from_row(row)
        return found

    def of_households(self, household_ids: Iterable[str]) -> dict[str, builtins.list[Observation]]:
        return _of_households(self, household_ids, OBSERVATIONS.c.observation_id)


class WarningRepository(SqlRepository[RiskWarning]):
    """Risk warnings."""

    def of_households(self, household_ids: Iterable[str]) -> dict[str, builtins.list[RiskWarning]]:
        return _of_households(self, household_ids, RISK_WARNINGS.c.warning_id)
