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


def test_a_usage_error_exits_2() -> None:
    result = CliRunner().invoke(cli, ["report", "--no-such-option"])
    assert result.exit_code == 2
