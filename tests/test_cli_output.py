"""What the command prints: the codes, the parameters in force, tables that wrap rather
than cut, a plain CSV report, hints written the way jieqin was run, and single-record
errors without a ``line 1:`` prefix."""

from __future__ import annotations

import csv
import json
import os
import shlex
import subprocess
import sys
import unicodedata
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner
from rich.table import Table

import jieqin
from jieqin import hookimpl
from jieqin.cli import cli
from jieqin.cli._common import as_invoked, invoked_as, run_cli
from jieqin.codes import CODE_KINDS, code_kind, registered_codes
from jieqin.errors import InvalidValue
from jieqin.plugins import Registry, make_plugin_manager
from jieqin.rules import DatedValue, Parameter, Parameters

sys.path.insert(0, str(Path(__file__).parent))
from activity_world import world
from test_reports_backends import load
from world_plugin import WORLDS


def invoke(*args: str, env: dict[str, str | None] | None = None) -> click.testing.Result:
    """``jieqin ARGS`` with its output piped (``COLUMNS`` unset unless ``env`` sets it)."""
    return CliRunner().invoke(
        cli, list(args), env={"COLUMNS": None, **(env or {})}, catch_exceptions=False
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "campaign.db"
    with jieqin.connect(f"sqlite:///{path}", plugins=[WORLDS]) as campaign:
        load(campaign, world())
    return str(path)


# --- jieqin codes ----------------------------------------------------------------------


class Township:
    """A regional plugin: a tier, a monitored status, a relabelled sector, a region."""

    @hookimpl
    def jieqin_register_tiers(self, register: object) -> None:
        register("township_member", "乡镇政协委员")  # type: ignore[operator]

    @hookimpl
    def jieqin_register_household_statuses(self, register: object) -> None:
        register("flood_hit", "洪灾受灾户", monitored=True)  # type: ignore[operator]

    @hookimpl(tryfirst=True)
    def jieqin_register_sectors(self, register: object) -> None:
        register("law", "法律服务")  # type: ignore[operator]

    @hookimpl
    def jieqin_register_region_names(self, register: object) -> None:
        register("610204100", "董家河镇")  # type: ignore[operator]


def township_registry() -> Registry:
    return Registry.gather(make_plugin_manager(autoload=False, plugins=[Township()]))


def test_codes_name_the_plugin_that_registered_each() -> None:
    codes = {(c.kind, c.code): c for c in registered_codes(township_registry())}
    # no plugin here registers an agency or a programme
    assert {kind for kind, _ in codes} == set(CODE_KINDS) - {"agencies", "programs"}
    assert codes["tiers", "township_member"].plugin == "Township"
    assert codes["tiers", "township_member"].label == "乡镇政协委员"
    assert codes["tiers", "city_member"].plugin == "vocabularies"
    assert codes["tiers", "city_member"].english == "city council member"
    # the plugin registered first keeps the code; its label has no English one
    assert (codes["sectors", "law"].plugin, codes["sectors", "law"].label) == (
        "Township",
        "法律服务",
    )
    assert codes["sectors", "law"].english is None
    assert codes["regions", "610204100"].plugin == "Township"
    assert codes["relations", "spouse"].label == "配偶"
    assert codes["health_conditions", "major_illness"].plugin == "jieqin"


def test_codes_mark_the_monitoring_categories() -> None:
    statuses = registered_codes(township_registry(), "household_statuses")
    monitored = {c.code for c in statuses if c.details["monitored"]}
    assert monitored == {"unstable", "edge_of_poverty", "sudden_difficulty", "flood_hit"}
    assert township_registry().monitored_statuses() == monitored


def test_a_kind_is_asked_for_by_any_of_its_names() -> None:
    assert code_kind("tier") == code_kind("Tiers") == "tiers"
    assert code_kind("need-kinds") == code_kind("need_kind") == "need_kinds"
    assert code_kind("programme") == "programs"
    with pytest.raises(InvalidValue, match="kinds: tiers, sectors, household_statuses"):
        code_kind("colour")


def test_codes_command_lists_and_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke("codes", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    kinds = {r["kind"] for r in rows}
    assert {"tiers", "sectors", "need_kinds", "activity_kinds", "relations"} <= kinds
    assert all({"code", "label", "plugin"} <= set(r) for r in rows)
    needs = {r["code"]: r for r in rows if r["kind"] == "need_kinds"}
    assert needs["medical"]["sensitive"] is True
    assert "medical" in needs["medical"]["sectors"]
    result = invoke("codes", "status")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert set(lines) >= {"poor", "unstable", "moved_away"}
    assert "monitored" in lines["unstable"]
    assert "monitored" not in lines["poor"]


def test_an_unknown_kind_is_one_line_listing_the_kinds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli(cli, ["codes", "colours"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("Error: unknown kind of code 'colours'; kinds: tiers, ")


# --- jieqin aid programs ------------------------------------------------------------------


def test_parameters_in_force_say_since_source_and_next_change() -> None:
    amount = Parameter(
        "grant_amount",
        (
            DatedValue(date(2021, 1, 1), Decimal("5000.00"), "notice 2021"),
            DatedValue(date(2022, 1, 1), Decimal("6000.00"), "notice 2022"),
        ),
        unit="yuan",
    )
    parameters = Parameters.of(amount, Parameter("min_age", (DatedValue(date(2021, 7, 1), 16),)))
    before, mid = (
        parameters.in_force(["grant_amount", "min_age"], d)
        for d in (date(2020, 6, 1), date(2021, 9, 1))
    )
    assert before[0].as_dict()["value"] is None
    assert before[0].next_change == date(2021, 1, 1)
    assert mid[0].as_dict() == {
        "name": "grant_amount",
        "value": "5000.00",
        "unit": "yuan",
        "since": "2021-01-01",
        "source": "notice 2021",
        "next_change": "2022-01-01",
        "description": "",
    }
    assert (mid[1].value, mid[1].since, mid[1].next_change) == (16, date(2021, 7, 1), None)
    with pytest.raises(InvalidValue):
        parameters.in_force(["no_such"], date(2021, 1, 1))


def test_aid_programs_shows_every_parameter_in_force(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    assert run_cli(cli, ["init", "--db", str(path)]) == 0
    result = invoke("aid", "programs", "--on", "2021-03-01", "--json", "--db", str(path))
    rows = {r["program"]: r for r in json.loads(result.output)}
    if "tc_freshman_scholarship" not in rows:
        pytest.skip("the Tongchuan plugin is not installed")
    (amount,) = rows["tc_freshman_scholarship"]["parameters"]
    assert amount["name"] == "freshman_scholarship_amount"
    assert (amount["value"], amount["since"]) == ("5000.00", "2021-01-01")
    assert "2021" in amount["source"]
    result = invoke("aid", "programs", "--on", "2021-03-01", "--db", str(path))
    assert amount["source"] in result.output
    assert "2021-01-01" in result.output
    result = invoke("aid", "programs", "--on", "2020-03-01", "--db", str(path))
    assert "not in force yet" in result.output


# --- tables wrap rather than cut -------------------------------------------------------


def glyphs(text: str) -> Counter[str]:
    """The characters of ``text`` but spaces and table rules."""
    return Counter(
        ch for ch in text if not ch.isspace() and not unicodedata.name(ch, "").startswith("BOX")
    )


def test_a_narrow_terminal_wraps_every_cell_in_full() -> None:
    result = invoke("codes", "need_kinds", env={"COLUMNS": "36"})
    assert result.exit_code == 0
    assert "…" not in result.output
    assert max(len(line.rstrip()) for line in result.output.splitlines()) <= 36
    codes = registered_codes(Registry.gather(make_plugin_manager()), "need_kinds")
    cells = "".join(
        c.code + c.label + (c.english or "") + c.plugin + c.detail_text() for c in codes
    )
    headings = "code label english plugin details"
    assert glyphs(result.output) == glyphs(cells + headings)


def test_a_piped_table_keeps_each_row_on_one_line() -> None:
    result = invoke("codes", "household_statuses")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    row = next(line for line in lines if line.split()[:1] == ["moved_away"])
    assert "registration moved away: off the campaign" in row
    assert "vocabularies" in row


def test_the_text_report_folds_into_a_narrow_width(db: str) -> None:
    with jieqin.connect(f"sqlite:///{db}") as campaign:
        report = campaign.report("2021", by_region=True)
    narrow = jieqin.reports.render(report, "table", width=30)
    assert "…" not in narrow
    assert max(len(line) for line in narrow.splitlines()) <= 30
    whole = jieqin.reports.render(report, "table")
    assert glyphs(narrow) == glyphs(whole)
    assert "Major illness grant (Provincial charity association)" in whole


def test_print_tables_folds_a_long_word() -> None:
    from jieqin.cli._output import wrapping

    table = wrapping(Table("code", "x"))
    assert all(c.overflow == "fold" and not c.no_wrap for c in table.columns)


# --- the CSV report ---------------------------------------------------------------------


def test_the_csv_report_is_a_plain_csv(db: str, tmp_path: Path) -> None:
    out = tmp_path / "2021.csv"
    result = invoke("report", "--db", db, "--period", "2021", "--format", "csv", "-o", str(out))
    assert result.exit_code == 0
    with out.open(encoding="utf-8", newline="") as f:
        first = f.readline()
        f.seek(0)
        records = list(csv.DictReader(f))
    assert first.strip() == "region,figure,key,detail,count,amount"
    helpers = next(r for r in records if r["region"] == "all" and r["figure"] == "helpers")
    assert int(helpers["count"]) > 0


# --- hints name the command as it was run -------------------------------------------------


def test_invoked_as_keeps_the_path_or_the_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "my env" / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "jieqin"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", os.defpath)
    assert invoked_as(str(script), []) == shlex.quote(str(script))
    assert invoked_as(".venv/bin/jieqin", []) == ".venv/bin/jieqin"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.defpath}")
    assert invoked_as(str(script), []) == "jieqin"  # run from PATH
    main = "/site-packages/jieqin/__main__.py"
    assert invoked_as(main, ["python3", "-m", "jieqin"]) == "python3 -m jieqin"
    assert invoked_as(main, [".venv/bin/python", "-m", "jieqin"]) == ".venv/bin/python -m jieqin"
    assert invoked_as("/usr/bin/pytest", []) == "jieqin"  # not jieqin: run in-process


def test_as_invoked_rewrites_only_quoted_commands() -> None:
    text = "run `jieqin init --db x.db` first; jieqin is not on PATH (`jieqin`)"
    assert as_invoked(text, ".venv/bin/jieqin") == (
        "run `.venv/bin/jieqin init --db x.db` first; jieqin is not on PATH (`.venv/bin/jieqin`)"
    )
    assert as_invoked(text, "jieqin") == text


def _script() -> Path:
    script = Path(sys.executable).with_name("jieqin")
    if not script.exists():
        pytest.skip("no jieqin script beside the interpreter")
    return script


def test_an_error_hint_names_the_script_as_run(tmp_path: Path) -> None:
    script = _script()
    env = {**os.environ, "PATH": os.defpath}
    relative = os.path.relpath(script, tmp_path)
    ran = subprocess.run(
        [relative, "report", "--db", "missing.db"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 1
    assert f"`{relative} init --db missing.db`" in ran.stderr


def test_an_error_hint_names_python_m_jieqin(tmp_path: Path) -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "jieqin", "report", "--db", "missing.db"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 1
    assert f"`{shlex.quote(sys.executable)} -m jieqin init --db missing.db`" in ran.stderr


def test_the_demo_follow_up_uses_the_command_as_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from jieqin.cli.demo import _follow_up

    monkeypatch.setattr(sys, "argv", [".venv/bin/jieqin", "demo"])
    result = SimpleNamespace(refused=("tc_freshman_scholarship", "HH0007-3"), seconds=1.0)
    _follow_up(result, Path("my demo.db"), Path("/tmp/my demo.db"))
    out = capsys.readouterr().out
    assert (
        "  .venv/bin/jieqin aid explain tc_freshman_scholarship HH0007-3 --db 'my demo.db'" in out
    )
    assert "  .venv/bin/jieqin report --db 'my demo.db' --by-region" in out
    assert "\n  jieqin " not in out


# --- one record, no "line 1:" -----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["log", "visit", "--helper", "nobody", "--household", "h1", "--on", "2021-06-01"],
            "Error: helper_id: no helper nobody",
        ),
        (
            ["members", "move", "h1-1", "--to", "h2", "--on", "2021-10-01"],
            "Error: member_id: member h1-1 is the only member of h1",
        ),
    ],
)
def test_a_single_command_error_has_no_line_prefix(
    db: str, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(cli, [*args, "--db", db]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [message]


def test_a_one_record_import_still_names_its_line(db: str, tmp_path: Path) -> None:
    path = tmp_path / "activities.csv"
    path.write_text(
        "activity_id,kind,on,helper_id,household_id,member_id,need_id,note,event\n"
        "x1,visit,2021-06-01,nobody,h1,,,,\n",
        encoding="utf-8",
    )
    with jieqin.connect(f"sqlite:///{db}") as campaign, pytest.raises(jieqin.InvalidInput) as info:
        campaign.import_file("activities", path)
    assert str(info.value) == "activities.csv line 2: helper_id: no helper nobody"


def test_a_batch_still_names_each_record(db: str) -> None:
    bad = [
        jieqin.Activity("x1", "visit", date(2021, 6, 1), "p1", "h1"),
        jieqin.Activity("x2", "visit", date(2021, 6, 1), "nobody", "h1"),
    ]
    with jieqin.connect(f"sqlite:///{db}") as campaign, pytest.raises(jieqin.InvalidInput) as info:
        campaign.log_activities(bad)
    assert str(info.value) == "line 2: helper_id: no helper nobody"


# --- the CLI reference shows no click sentinel -------------------------------------------


def test_the_cli_reference_shows_no_sentinel() -> None:
    code = (
        "from mkdocs_click._docs import make_command_docs\n"
        "from jieqin.cli import cli\n"
        "print('\\n'.join(make_command_docs('jieqin', cli, depth=1, style='table',"
        " list_subcommands=True)))\n"
    )
    pytest.importorskip("mkdocs_click")
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "| `--json` | boolean |" in ran.stdout
    assert "## jieqin codes" in ran.stdout or "### codes" in ran.stdout
    assert "Sentinel" not in ran.stdout
    assert "UNSET" not in ran.stdout


def test_no_help_shows_a_sentinel() -> None:
    for path in (["--help"], ["codes", "--help"], ["aid", "programs", "--help"]):
        result = invoke(*path)
        assert result.exit_code == 0
        assert "Sentinel" not in result.output
