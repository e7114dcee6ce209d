"""The audit log: every write is in it with its actor and time, and nothing can change it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

import attrs
import pytest
import sqlalchemy as sa

import jieqin
from jieqin.errors import JieqinError
from jieqin.privacy import find_sensitive
from jieqin.storage.base import AuditEntry
from jieqin.storage.sql.backend import SqlStorage, SqlUnitOfWork

from . import _world

ACTOR = "clerk:wang"


#: An audit entry's hash and the previous entry's, as ``repr`` shows them.
HASHES = re.compile(r"sha256:[0-9a-f]{64}")


def written(entries: Iterable[AuditEntry]) -> set[tuple[str, str]]:
    """``(entity, id)`` of every record the entries say was written."""
    out: set[tuple[str, str]] = set()
    for e in entries:
        if e.entity_id is not None:
            out.add((e.entity, e.entity_id))
        out.update((e.entity, str(i)) for i in e.changes.get("ids", ()))
    return out


def _key(entity: str, record: object) -> str:
    if entity == "pairings":
        return f"{record.helper_id}/{record.household_id}/{record.start.isoformat()}"  # type: ignore[attr-defined]
    fields = attrs.fields(type(record))
    return str(getattr(record, fields[0].name))


def test_every_write_is_audited_with_actor_and_time(campaign: jieqin.Campaign) -> None:
    records = _world.every_kind()
    before = datetime.now(UTC)
    with campaign.unit_of_work(actor=ACTOR) as uow:
        uow.helpers.add(records["helpers"][0])
        for entity, items in records.items():
            batch = items[1:] if entity == "helpers" else items
            getattr(uow, entity).add_many(batch)
        uow.commit()
    with campaign.unit_of_work(actor="clerk:li") as uow:
        uow.helpers.update(_world.helper(1, capacity=2))
        uow.households.upsert_many([_world.household(3)])
        uow.pairings.end(("p2", "hh2", date(2021, 1, 1)), date(2021, 6, 30), reason="moved")
        uow.commit()
    after = datetime.now(UTC)

    with campaign.unit_of_work(actor="reader") as uow:
        entries = uow.audit.entries()
        by_actor = {a: uow.audit.entries(actor=a) for a in (ACTOR, "clerk:li")}
    assert len(entries) == len(by_actor[ACTOR]) + len(by_actor["clerk:li"])
    for entry in entries:
        assert entry.at.tzinfo is not None
        assert before <= entry.at <= after
        assert entry.actor in (ACTOR, "clerk:li")
    expected = {(entity, _key(entity, r)) for entity, items in records.items() for r in items}
    assert written(by_actor[ACTOR]) == expected
    assert written(by_actor["clerk:li"]) == {
        ("helpers", "p1"),
        ("households", "hh3"),
        ("pairings", "p2/hh2/2021-01-01"),
    }
    assert [e.entry_id for e in entries] == sorted({e.entry_id for e in entries})
    # the chain's hashes are hex digits, in which a run of digits may look like a phone
    text = HASHES.sub("sha256:…", "\n".join(repr(e) for e in entries))
    assert find_sensitive(text, **_world.sensitive_values(records)) == []


def test_a_rolled_back_write_leaves_no_entry(campaign: jieqin.Campaign) -> None:
    with campaign.unit_of_work(actor=ACTOR) as uow:
        uow.helpers.add(_world.helper(1))
        assert uow.audit.count(actor=ACTOR) == 1

    def fail_midway() -> None:
        with campaign.unit_of_work(actor=ACTOR) as uow:
            uow.helpers.add(_world.helper(2))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_midway()
    with campaign.unit_of_work() as uow:
        assert uow.audit.count() == 0
        assert uow.helpers.count() == 0


def test_the_audit_log_offers_no_way_to_change_it(campaign: jieqin.Campaign) -> None:
    with campaign.unit_of_work(actor=ACTOR) as uow:
        uow.helpers.add_many([_world.helper(1), _world.helper(2)])
        uow.commit()
    with campaign.unit_of_work(actor="intruder") as uow:
        public = {n for n in dir(uow.audit) if not n.startswith("_")}
        assert public == {"entries", "count"}
        entry = uow.audit.entries()[0]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            entry.actor = "someone else"  # type: ignore[misc]
        changes = entry.changes
        if isinstance(changes, dict):
            changes["count"] = 99
            changes.get("ids", []).append("forged")
        uow.audit.entries().clear()
        uow.commit()
    with campaign.unit_of_work() as uow:
        (again,) = uow.audit.entries()
        assert again.actor == ACTOR
        assert again.changes == {"count": 2, "ids": ["p1", "p2"]}


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"])
def test_the_database_refuses_to_rewrite_the_audit_log(
    campaign: jieqin.Campaign, statement: str
) -> None:
    if not isinstance(campaign.storage, SqlStorage):
        pytest.skip("only SQL databases take hand-written statements")
    with campaign.unit_of_work(actor=ACTOR) as uow:
        uow.helpers.add(_world.helper(1))
        uow.commit()

    def rewrite() -> None:
        with campaign.unit_of_work(actor="intruder") as uow:
            assert isinstance(uow, SqlUnitOfWork)
            uow.connection.execute(sa.text(statement))
            uow.commit()

    with pytest.raises((sa.exc.DBAPIError, JieqinError), match="append-only"):
        rewrite()
    with campaign.unit_of_work() as uow:
        assert [e.actor for e in uow.audit.entries()] == [ACTOR]
