"""Revision 0013 (referral life cycle): a referral stored before it is ``completed`` when
it had a completion day and ``referred`` otherwise, with no due day; on SQLite and
PostgreSQL, exactly as a database made at the newest revision holds them."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

import jieqin
from jieqin.model import Referral, ReferralStatus
from jieqin.storage.sql.backend import alembic_config, create_engine, upgrade

sys.path.insert(0, str(Path(__file__).parent))
from referral_world import CENTER, connected
from reliability.test_migrations import _dump, _fill, _postgresql_schema

MADE = date(2021, 3, 1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two fresh databases of one kind: the newest revision's, and the one to migrate."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'head.db'}", f"sqlite:///{tmp_path / 'old.db'}"
        return
    server = request.getfixturevalue("postgresql_server")
    with _postgresql_schema(server) as head, _postgresql_schema(server) as old:
        yield head, old


def test_stored_referrals_become_referred_or_completed(database_urls: tuple[str, str]) -> None:
    head_url, old_url = database_urls
    with connected(head_url) as campaign, campaign.unit_of_work("clerk") as uow:
        uow.referrals.add_many(
            [
                Referral("r-open", "n1", "h1", CENTER, MADE, "h1-2", note="sent"),
                Referral("r-done", "n2", "h2", CENTER, MADE, "h2-1", completed_on=date(2021, 4, 1)),
            ]
        )
        uow.commit()
    engine = create_engine(head_url)
    reference = _dump(engine)
    engine.dispose()
    engine = create_engine(old_url)
    try:
        with engine.connect() as conn:
            command.upgrade(alembic_config(conn), "0012")
            conn.commit()
        _fill(engine, reference)
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("referrals")}
        assert "status" not in columns
    finally:
        engine.dispose()
    upgrade(old_url)
    engine = create_engine(old_url)
    try:
        assert _dump(engine)["referrals"] == reference["referrals"]
    finally:
        engine.dispose()
    with jieqin.connect(old_url) as campaign, campaign.unit_of_work("r", read_only=True) as uow:
        stored = {r.referral_id: r for r in uow.referrals.list()}
    assert (stored["r-open"].status, stored["r-open"].due_on) == (ReferralStatus.REFERRED, None)
    assert (stored["r-done"].status, stored["r-done"].outcome) == (ReferralStatus.COMPLETED, None)
