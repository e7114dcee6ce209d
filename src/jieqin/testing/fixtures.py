"""pytest fixtures for plugin authors (loaded through the ``pytest11`` entry point).

- ``sqlite_url``: a fresh SQLite database file under ``tmp_path``.
- ``postgresql_url``: a fresh, empty, uniquely named schema on the PostgreSQL server,
  dropped afterwards. The server is ``JIEQIN_TEST_POSTGRESQL_URL`` (default
  ``postgresql+psycopg://postgres@127.0.0.1:5432/test``). When it cannot be reached
  the test is skipped with the reason, unless ``JIEQIN_REQUIRE_POSTGRESQL=1``, when it
  fails. Tests that use it are marked ``postgresql`` automatically.
- ``campaign_url``: parametrized over ``memory``, ``sqlite`` and ``postgresql``.
- ``campaign``: a :class:`~jieqin.Campaign` connected to ``campaign_url``, closed after.
- ``new_campaign``: session-scoped, parametrized like ``campaign_url``: a factory of
  new, empty campaigns (``with new_campaign(plugins=[...]) as campaign``), one per
  hypothesis example, so that it works with ``@given``.
- ``log_masking``: log masking installed for the test (as the ``jieqin`` command
  installs it), removed after; ``import jieqin`` alone masks nothing.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

import pytest

if TYPE_CHECKING:
    from jieqin.campaign import Campaign
    from jieqin.clock import Clock
    from jieqin.privacy import MaskingFilter

__all__ = [
    "POSTGRESQL_URL_ENV",
    "REQUIRE_POSTGRESQL_ENV",
    "NewCampaign",
    "campaign",
    "campaign_url",
    "log_masking",
    "new_campaign",
    "postgresql_server",
    "postgresql_url",
    "sqlite_url",
]

#: The PostgreSQL server the tests use.
POSTGRESQL_URL_ENV = "JIEQIN_TEST_POSTGRESQL_URL"
#: When ``1``, an unreachable PostgreSQL server fails the tests instead of skipping them.
REQUIRE_POSTGRESQL_ENV = "JIEQIN_REQUIRE_POSTGRESQL"

_DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_MARKER = "postgresql: needs the PostgreSQL server (skipped when absent, fatal when JIEQIN_REQUIRE_POSTGRESQL=1)"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the PostgreSQL server ``postgresql``."""
    for item in items:
        if "postgresql_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgresql)


def _server_url() -> str:
    return os.environ.get(POSTGRESQL_URL_ENV, "").strip() or _DEFAULT_SERVER


def _driver_url(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (``postgresql://...``)."""
    scheme, _, rest = url.partition("://")
    return "postgresql://" + rest if scheme.startswith("postgresql") else url


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_POSTGRESQL_ENV, "").strip() in ("1", "true", "yes"):
        pytest.fail(f"PostgreSQL is required ({REQUIRE_POSTGRESQL_ENV}=1) but {reason}")
    pytest.skip(f"PostgreSQL server not available: {reason}")


@pytest.fixture(scope="session")
def postgresql_server() -> str:
    """The URL of the PostgreSQL server, after checking that it answers."""
    url = _server_url()
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg is not installed (pip install 'jieqin[postgresql]')")
        raise
    try:
        with psycopg.connect(_driver_url(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        _unavailable(f"cannot connect to {url.split('@')[-1]}: {str(exc).strip()}")
    return url


@contextmanager
def _fresh_schema(server: str) -> Iterator[str]:
    """A URL whose ``search_path`` is a new, empty schema, dropped on leaving."""
    import psycopg

    schema = f"jieqin_test_{secrets.token_hex(6)}"
    with psycopg.connect(_driver_url(server), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in server else "?"
    options = quote(f"-csearch_path={schema}")
    try:
        yield f"{server}{separator}options={options}"
    finally:
        with psycopg.connect(_driver_url(server), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def postgresql_url(postgresql_server: str) -> Iterator[str]:
    """A URL whose ``search_path`` is a fresh, empty schema; the schema is dropped after."""
    with _fresh_schema(postgresql_server) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL for a new SQLite database file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'jieqin.db'}"


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def campaign_url(request: pytest.FixtureRequest) -> str:
    """A fresh database URL for each backend: memory, SQLite and PostgreSQL."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgresql_url"))


@pytest.fixture
def campaign(campaign_url: str) -> Iterator[Campaign]:
    """A :class:`~jieqin.Campaign` on ``campaign_url``, closed after the test."""
    import jieqin

    with jieqin.connect(campaign_url) as connected:
        yield connected


class NewCampaign(Protocol):
    """Opens a new, empty campaign each time it is called (see :func:`new_campaign`)."""

    def __call__(
        self, *, plugins: Sequence[object] = (), clock: Clock | None = None
    ) -> AbstractContextManager[Campaign]: ...


@pytest.fixture(
    scope="session",
    params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)],
)
def new_campaign(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> NewCampaign:
    """A factory of new, empty campaigns on each backend, for tests with ``@given``.

    hypothesis runs a test body many times within one call of the test function, so a
    function-scoped fixture (``campaign``) would carry one example's records into the
    next. This one is session-scoped and gives a factory: each example opens its own
    campaign, ``with new_campaign(plugins=[my_plugin]) as campaign: ...``, on memory,
    a new SQLite file, or a new PostgreSQL schema (dropped on leaving)."""
    import jieqin

    backend = str(request.param)
    server = request.getfixturevalue("postgresql_server") if backend == "postgresql" else ""
    directory = tmp_path_factory.mktemp("campaigns")

    @contextmanager
    def open_campaign(
        *, plugins: Sequence[object] = (), clock: Clock | None = None
    ) -> Iterator[Campaign]:
        with ExitStack() as stack:
            if backend == "memory":
                url = "memory://"
            elif backend == "sqlite":
                url = f"sqlite:///{directory / secrets.token_hex(6)}.db"
            else:
                url = stack.enter_context(_fresh_schema(server))
            campaign = stack.enter_context(jieqin.connect(url, plugins=plugins, clock=clock))
            yield campaign

    return open_campaign


@pytest.fixture
def log_masking() -> Iterator[MaskingFilter]:
    """Resident IDs and phones masked in every log record of the test, as in the command."""
    from jieqin.privacy import install_log_masking, uninstall_log_masking

    yield install_log_masking()
    uninstall_log_masking()
