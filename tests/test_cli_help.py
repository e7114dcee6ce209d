"""Every command's ``--help`` ends with a usable example, and usage errors exit 2."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from jieqin.cli import cli


def _paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        out.append((*prefix, name))
        if isinstance(command, click.Group):
            out.extend(_paths(command, (*prefix, name)))
    return out


@pytest.mark.parametrize("path", _paths(cli), ids=" ".join)
def test_help_shows_an_example_of_the_command_itself(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    example = result.output.split("Example", 1)[1]
    assert f"jieqin {path[0]}" in example
    assert "Sentinel" not in result.output


def test_the_walk_reaches_codes_and_aid_programs() -> None:
    paths = {" ".join(p) for p in _paths(cli)}
    assert {"codes", "aid programs"} <= paths


def test_codes_help_names_every_kind() -> None:
    from jieqin.codes import CODE_KINDS

    result = CliRunner().invoke(cli, ["codes", "--help"], terminal_width=200)
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert all(kind in text for kind in CODE_KINDS), text


def test_a_usage_error_exits_2() -> None:
    result = CliRunner().invoke(cli, ["report", "--no-such-option"])
    assert result.exit_code == 2


def test_the_walk_reaches_funds_and_grants() -> None:
    paths = {" ".join(p) for p in _paths(cli)}
    assert {
        "funds add",
        "funds top-up",
        "funds close",
        "funds list",
        "grants list",
        "grants revoke",
    } <= paths
