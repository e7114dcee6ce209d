"""The ``jieqin plugins``, ``jieqin init`` and ``jieqin db upgrade`` commands."""

from __future__ import annotations

import json
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
