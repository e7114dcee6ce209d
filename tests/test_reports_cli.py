"""The ``jieqin log``, ``jieqin overdue`` and ``jieqin report`` commands."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import jieqin
from jieqin.cli import cli

sys.path.insert(0, str(Path(__file__).parent))
from activity_world import world
from test_reports_backends import load
from world_plugin import WORLDS


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "campaign.db"
    with jieqin.connect(f"sqlite:///{path}", plugins=[WORLDS]) as campaign:
        load(campaign, world())
    return str(path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_report_json_is_one_object_with_the_agreed_keys(db: str) -> None:
    code, out, _ = run("report", "--db", db, "--period", "2021", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["period"] == "2021"
    assert set(data["activities"]) == {
        "contact",
        "visit",
        "policy_explanation",
        "warmth",
        "practical_help",
    }
    assert sum(data["activities"].values()) == 46
    assert data["referrals"] == [{"agency": "employment_center", "count": 1}]
    assert {g["program"]: Decimal(g["amount"]) for g in data["grants"]} == {
        "illness": Decimal(5000),
        "scholarship": Decimal(5000),
    }


def test_report_defaults_to_the_year_of_the_latest_activity(db: str) -> None:
    code, out, _ = run("report", "--db", db, "--format", "json")
    assert code == 0
    assert json.loads(out)["period"] == "2021"


def test_report_formats_and_output_file(db: str, tmp_path: Path) -> None:
    code, out, _ = run("report", "--db", db, "--period", "2021Q4", "--by-region", "--lang", "zh")
    assert code == 0
    assert "结对户" in out
    assert "印台区" in out
    assert "610203" not in out  # the code only on request
    code, out, _ = run("report", "--db", db, "--period", "2021", "--format", "csv")
    assert code == 0
    reader = csv.DictReader(io.StringIO(out))
    records = list(reader)
    assert reader.fieldnames == ["region", "figure", "key", "detail", "count", "amount"]
    assert (records[0]["region"], records[0]["figure"]) == ("all", "helpers")
    totals = [r for r in records if r["region"] == "all" and r["figure"] == "activities"]
    assert sum(int(r["count"]) for r in totals) == 46
    page = tmp_path / "report.html"
    code, _, err = run(
        "report", "--db", db, "--period", "2021", "--format", "html", "-o", str(page)
    )
    assert code == 0
    assert "Wrote the 2021 report" in err
    assert page.read_text(encoding="utf-8").count("<svg") == 3


def test_report_suppresses_small_cells_for_publication(db: str) -> None:
    code, out, _ = run("report", "--db", db, "--period", "2021", "--json", "--suppress-below", "5")
    assert code == 0
    data = json.loads(out)
    assert data["suppressed_below"] == 5
    assert data["households"] is None
    assert data["activities"]["warmth"] is None


def test_log_then_overdue(db: str) -> None:
    code, out, _ = run("overdue", "--db", db, "--as-of", "2022-01-15", "--json")
    assert code == 0
    before = {o["household_id"]: o for o in json.loads(out)}
    assert "h1" in before
    code, out, _ = run(
        "log",
        "visit",
        "--db",
        db,
        "--helper",
        "p1",
        "--household",
        "h1",
        "--on",
        "2022-01-14",
        "--json",
    )
    assert code == 0
    assert json.loads(out)["kind"] == "visit"
    code, out, _ = run("overdue", "--db", db, "--as-of", "2022-01-15", "--json")
    after = {o["household_id"] for o in json.loads(out)}
    assert "h1" not in after
    code, out, _ = run("overdue", "--db", db, "--as-of", "2022-01-15")
    assert "behind on" in out


def test_log_refuses_an_unpaired_helper_in_one_line(db: str) -> None:
    from jieqin.cli._common import run_cli

    code = run_cli(
        cli,
        ["log", "visit", "--db", db, "--helper", "p3", "--household", "h1", "--on", "2021-06-01"],
    )
    assert code == 1


@pytest.mark.usefixtures("no_language_chosen")
def test_the_text_report_is_chinese_first_with_codes_on_request(db: str) -> None:
    code, zh, _ = run("report", "--db", db, "--period", "2021", "--by-region")
    assert code == 0
    assert "jieqin 工作报告 2021：合计" in zh
    assert "市政协委员" in zh
    assert "city_member" not in zh
    assert "勤联系" in zh
    assert "contact" not in zh
    code, coded, _ = run("report", "--db", db, "--period", "2021", "--by-region", "--codes")
    assert code == 0
    assert "市政协委员 (city_member)" in coded
    assert "印台区 (610203)" in coded
    code, en, _ = run("report", "--db", db, "--period", "2021", "--by-region", "--lang", "en")
    assert code == 0
    assert "jieqin report 2021: totals" in en
    assert "city council member" in en
    assert "paired households" in en
    assert "合计" not in en


def test_the_languages_report_the_same_figures(db: str, tmp_path: Path) -> None:
    """The zh and en pages differ in words only: the same numbers in the same order."""
    pages = {}
    for lang in ("zh", "en"):
        page = tmp_path / f"{lang}.html"
        args = ("report", "--db", db, "--period", "2021", "--format", "html", "-o", str(page))
        code, _, _ = run(*args, "--lang", lang)
        assert code == 0
        pages[lang] = page.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in pages["zh"]
    assert '<html lang="en">' in pages["en"]
    cells = {lang: re.findall(r"<td class=n>([^<]*)</td>", page) for lang, page in pages.items()}
    assert cells["zh"] == cells["en"]
    assert cells["zh"]


def test_an_unknown_report_language_is_one_line(db: str) -> None:
    result = CliRunner().invoke(cli, ["report", "--db", db, "--lang", "fr"])
    assert result.exit_code == 2
    assert "'fr' is not one of 'zh', 'en'" in result.output
