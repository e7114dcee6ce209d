"""The ``jieqin plugins``, ``jieqin init`` and ``jieqin db upgrade`` commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.storage.sql import upgrade
from jieqin.storage.sql.backend import _head

from .conftest import InstallPlugin


def test_plugins_json_lists_name_version_and_hooks(
    install_plugin: InstallPlugin, capsys: pytest.CaptureFixture[str]
) -> None:
    install_plugin(
        "jieqin-yintai",
        "1.2.3",
        "yintai",
        """
        from jieqin import hookimpl

        @hookimpl
        def jieqin_register_tiers(register):
            register("township_member", "乡镇政协委员")
        """,
    )
    assert run_cli(cli, ["plugins", "--json"]) == 0
    listed = {item["name"]: item for item in json.loads(capsys.readouterr().out)}
    assert listed["yintai"]["version"] == "1.2.3"
    assert listed["yintai"]["hooks"] == ["jieqin_register_tiers"]
    assert "jieqin_register_storage_backends" in listed["sqlalchemy"]["hooks"]
    assert all(set(item) >= {"name", "version", "hooks"} for item in listed.values())


REGIONAL = """
from jieqin import hookimpl

@hookimpl
def jieqin_register_tiers(register):
    register("township_member", "乡镇政协委员")

@hookimpl
def jieqin_register_need_kinds(register):
    register("medical", "看病就医", sectors=("medical", "social_work"))

@hookimpl
def jieqin_register_region_names(register):
    for code, name in {"610402": "秦都区", "610403": "杨陵区", "610404": "渭城区"}.items():
        register(code, name)

@hookimpl
def jieqin_register_agencies(register):
    register("yt_civil_affairs", "印台区民政局", need_kinds=("social_insurance",))
"""


def test_plugins_json_lists_what_each_plugin_registered(
    install_plugin: InstallPlugin, capsys: pytest.CaptureFixture[str]
) -> None:
    install_plugin("jieqin-yintai", "1.2.3", "yintai", REGIONAL)
    assert run_cli(cli, ["plugins", "--json"]) == 0
    listed = {item["name"]: item for item in json.loads(capsys.readouterr().out)}
    yintai = listed["yintai"]["registered"]
    assert yintai["tiers"] == ["township_member"]
    assert yintai["need_kinds"] == ["medical"]
    assert yintai["region_names"] == 3
    assert yintai["agencies"] == ["yt_civil_affairs"]
    assert yintai["backends"] == []
    assert listed["memory"]["registered"]["backends"] == ["memory"]
    assert "postgresql+psycopg" in listed["sqlalchemy"]["registered"]["backends"]
    vocabularies = listed["vocabularies"]["registered"]
    assert "city_member" in vocabularies["tiers"]
    assert "medical" not in vocabularies["need_kinds"]
    assert "unstable" in vocabularies["household_statuses"]
    override = {"what": "need kind", "key": "medical", "kept": "yintai", "ignored": "vocabularies"}
    assert listed["yintai"]["overridden"] == [override]
    assert override in listed["vocabularies"]["overridden"]


def test_plugins_table_shows_registrations_and_codes_registered_twice(
    install_plugin: InstallPlugin, capsys: pytest.CaptureFixture[str]
) -> None:
    install_plugin("jieqin-yintai", "1.2.3", "yintai", REGIONAL)
    assert run_cli(cli, ["plugins"]) == 0
    out = capsys.readouterr().out
    title = re.search(r"^registered\s*$", out, re.MULTILINE)
    assert title is not None
    registered = out[title.end() : out.index("registered twice")]
    yintai = registered[registered.index("yintai") :]  # the last plugin by name
    assert "township_member" in yintai
    assert re.search(r"region names\s+3", yintai)
    assert "yt_civil_affairs" in yintai
    twice = out[out.index("registered twice") :]
    assert re.search(r"need kind\s+medical\s+yintai\s+vocabularies", twice)


def test_plugins_lists_the_plugins_then_the_error_of_one_that_fails_to_register(
    install_plugin: InstallPlugin, capsys: pytest.CaptureFixture[str]
) -> None:
    install_plugin(
        "jieqin-broken",
        "0.9",
        "broken",
        """
        from jieqin import hookimpl

        @hookimpl
        def jieqin_register_programs(register):
            raise LookupError("programme table missing")
        """,
    )
    assert run_cli(cli, ["plugins", "--json"]) == 1
    captured = capsys.readouterr()
    listed = {item["name"]: item for item in json.loads(captured.out)}
    assert listed["broken"]["hooks"] == ["jieqin_register_programs"]
    assert listed["broken"]["registered"] is None
    assert "plugin 'broken' (distribution jieqin-broken 0.9)" in captured.err
    assert "programme table missing" in captured.err


def test_plugins_table(clean_plugin_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(cli, ["plugins"]) == 0
    out = capsys.readouterr().out
    assert "vocabularies" in out
    assert "jieqin_register_need_kinds" in out


def test_init_creates_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "campaign.db"
    assert run_cli(cli, ["init", "--db", str(path)]) == 0
    assert path.exists()
    assert f"schema revision {_head()}" in capsys.readouterr().out


def test_an_old_database_is_refused_until_db_upgrade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.db"
    upgrade(f"sqlite:///{path}", "0001")
    assert run_cli(cli, ["init", "--db", str(path)]) == 1
    assert "jieqin db upgrade" in capsys.readouterr().err
    assert run_cli(cli, ["db", "upgrade", "--db", str(path)]) == 0
    assert f"from 0001 to {_head()}" in capsys.readouterr().out
    assert run_cli(cli, ["db", "upgrade", "--db", str(path)]) == 0
    assert "already at schema revision" in capsys.readouterr().out
    assert run_cli(cli, ["init", "--db", str(path)]) == 0


def test_db_upgrade_refuses_a_store_that_is_not_sql(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(cli, ["db", "upgrade", "--url", "memory://"]) == 1
    assert "not a SQL database" in capsys.readouterr().err
