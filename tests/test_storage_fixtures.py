"""The fixtures jieqin ships for plugin authors, run in a separate pytest."""

from __future__ import annotations

import pytest

TESTS = """
import jieqin

def test_on_every_backend(campaign):
    with campaign.unit_of_work("t") as uow:
        assert uow.helpers.count() == 0

def test_needs_the_server(postgresql_url):
    assert "search_path" in postgresql_url
"""


@pytest.fixture
def unreachable(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv(
        "JIEQIN_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:1/test"
    )
    pytester.makepyfile(test_plugin=TESTS)
    return pytester


def test_postgresql_tests_skip_with_a_reason_when_the_server_is_absent(
    unreachable: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JIEQIN_REQUIRE_POSTGRESQL", raising=False)
    result = unreachable.runpytest_subprocess("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, skipped=2)
    result.stdout.fnmatch_lines(
        ["*PostgreSQL server not available: cannot connect to 127.0.0.1:1*"]
    )


def test_postgresql_tests_fail_when_the_server_is_required(
    unreachable: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIEQIN_REQUIRE_POSTGRESQL", "1")
    result = unreachable.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines(["*PostgreSQL is required (JIEQIN_REQUIRE_POSTGRESQL=1)*"])


@pytest.mark.postgresql
def test_each_test_gets_its_own_empty_schema(postgresql_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(postgresql_url)
    try:
        with engine.connect() as conn:
            schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
            tables = conn.execute(
                sa.text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema},
            ).scalar_one()
    finally:
        engine.dispose()
    assert schema.startswith("jieqin_test_")
    assert tables == 0
