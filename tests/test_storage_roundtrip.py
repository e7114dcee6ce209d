"""Property: whatever the model accepts, every backend stores and gives back unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.storage._common import ENTITIES
from jieqin.testing import strategies as jst

STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "helpers": jst.helpers(),
    "households": jst.households(),
    "pairings": jst.pairings(),
    "needs": jst.needs(),
    "referrals": jst.referrals(),
    "activities": jst.activities(),
    "programs": jst.programs(),
    "funds": jst.funds(),
    "grants": jst.grants(),
    "decisions": jst.decisions(),
}


@pytest.fixture(scope="module", params=["memory", "sqlite"])
def campaign(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[jieqin.Campaign]:
    if request.param == "memory":
        url = "memory://"
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('roundtrip') / 'jieqin.db'}"
    with jieqin.connect(url) as connected:
        yield connected


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_records_come_back_unchanged(campaign: jieqin.Campaign, name: str) -> None:
    spec = ENTITIES[name]

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(STRATEGIES[name], min_size=1, max_size=4, unique_by=spec.key))
    def round_trip(records: list[Any]) -> None:
        if name == "households":
            members = [m.member_id for h in records for m in h.members]
            if len(members) != len(set(members)):
                return
        with campaign.unit_of_work("property") as uow:
            repo = getattr(uow, name)
            repo.upsert_many(records)
            for record in records:
                assert repo.get(spec.key(record)) == record
            stored = {spec.key(r): r for r in repo.list()}
            assert stored == {spec.key(r): r for r in records}
            # leaving without commit: the next example starts from an empty store

    round_trip()
