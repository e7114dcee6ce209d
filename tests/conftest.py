"""Shared test set-up.

The storage fixtures (``sqlite_url``, ``postgresql_url``, ``campaign_url``,
``campaign``) come from :mod:`jieqin.testing.fixtures`, which jieqin registers as a
pytest plugin; this file adds what only jieqin's own tests need.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import jieqin
from jieqin.plugins.manager import BLOCKED_ENV, DISABLE_AUTOLOAD_ENV

sys.path.insert(0, str(Path(__file__).parent))
from activity_world import world
from world_plugin import WORLDS

pytest_plugins = ["pytester"]

#: Installs a distribution with a ``jieqin`` entry point: (dist, version, name, source).
InstallPlugin = Callable[[str, str, str, str], None]


@pytest.fixture(autouse=True)
def english_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite reads the command line's English wording whatever the machine's locale:
    jieqin speaks Chinese by default, and the tests of its Chinese ask for it (--lang zh,
    JIEQIN_LANG=zh, or the ``no_language_chosen`` fixture for the default itself)."""
    monkeypatch.setenv("JIEQIN_LANG", "en")


@pytest.fixture
def no_language_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing chooses the language: no JIEQIN_LANG, no locale variables (the default)."""
    for name in ("JIEQIN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clean_plugin_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No plugin-loading variables from the caller's environment."""
    monkeypatch.delenv(DISABLE_AUTOLOAD_ENV, raising=False)
    monkeypatch.delenv(BLOCKED_ENV, raising=False)


@pytest.fixture
def install_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_plugin_env: None
) -> Iterator[InstallPlugin]:
    """Install plugin distributions into a directory on ``sys.path`` for one test.

    Each is a real distribution (a ``.dist-info`` with ``METADATA`` and
    ``entry_points.txt``) that :mod:`importlib.metadata` finds like any installed one.
    """
    site = tmp_path / "site"
    site.mkdir()
    modules: list[str] = []

    def install(distribution: str, version: str, name: str, source: str) -> None:
        module = f"{distribution.replace('-', '_')}_plugin"
        (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = site / f"{distribution.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(f"[jieqin]\n{name} = {module}\n", encoding="utf-8")
        modules.append(module)
        importlib.invalidate_caches()

    monkeypatch.syspath_prepend(str(site))
    yield install
    for module in modules:
        sys.modules.pop(module, None)


@pytest.fixture
def campaign(campaign_url: str) -> Iterator[jieqin.Campaign]:
    """A campaign on ``campaign_url`` that knows the programmes and agencies the tests'
    sample worlds name (:mod:`world_plugin`)."""
    with jieqin.connect(campaign_url, plugins=[WORLDS]) as connected:
        yield connected


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def sql_campaign(request: pytest.FixtureRequest) -> Iterator[jieqin.Campaign]:
    """A SQL campaign (SQLite, then PostgreSQL) holding the helpers and households of
    :func:`activity_world.world`, for tests that write the other tables by hand."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgresql_url")
    with jieqin.connect(url, plugins=[WORLDS]) as campaign:
        data = world()
        with campaign.unit_of_work("test") as uow:
            for name in ("helpers", "households"):
                getattr(uow, name).add_many(data[name])
            uow.commit()
        yield campaign
