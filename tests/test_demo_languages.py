"""The demo's year reported in Chinese and in English: both give the brief's 2021 figures.

The demo runs once, in Chinese; its summary table (the brief's figures beside the
computed ones) and the year's report in each language are read as a person reads
them: by the words of that language, found through the report's own wording and the
campaign's labels, not by codes.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import jieqin
from jieqin.cli import cli
from jieqin.i18n import gettext
from jieqin.reports.labels import ReportLabels
from jieqin.reports.strings import strings

pytest.importorskip("jieqin_tongchuan", reason="the demo needs the Tongchuan plugin")
from jieqin_tongchuan import EMPLOYMENT_CENTER, FRESHMAN_SCHOLARSHIP, MAJOR_ILLNESS_GRANT

pytestmark = pytest.mark.slow

#: The brief's table of 2021 (../shared/domain/BRIEF.md), by the codes the records hold.
ACTIVITIES_2021 = {
    "contact": 6087,
    "visit": 4164,
    "policy_explanation": 3095,
    "warmth": 2013,
    "practical_help": 1147,
}


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo's database and what it printed, run in Chinese."""
    db = tmp_path_factory.mktemp("demo") / "tongchuan.db"
    return db, _invoke("--lang", "zh", "demo", "--db", str(db))


@pytest.fixture(scope="module")
def labels(demo: tuple[Path, str]) -> ReportLabels:
    with jieqin.connect(f"sqlite:///{demo[0]}") as campaign:
        return ReportLabels.from_registry(campaign.registry)


def _rows(text: str, title: str) -> list[list[str]]:
    """The cells of each row of the table under the line that holds ``title``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if title in line)
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("└"):
            break
        if line.startswith("│"):
            rows.append([cell.strip() for cell in line.strip("│").split("│")])
    return rows


def test_the_chinese_summary_shows_every_figure_of_the_brief(demo: tuple[Path, str]) -> None:
    from jieqin.demo.script import BRIEF_2021, LABELS

    rows = _rows(demo[1], "铜川 2021 年，由已存记录计算")
    shown = {row[0]: row[1:] for row in rows}
    assert len(rows) == len(BRIEF_2021) == 12
    for key, expected in BRIEF_2021.items():
        label = gettext(LABELS[key], "zh").strip()
        assert label != LABELS[key].strip(), f"{key} is not said in Chinese"
        computed, brief, mark = shown[label]
        figure = f"{expected:,.2f}" if isinstance(expected, Decimal) else f"{expected:,}"
        assert computed == brief == figure, key
        assert mark == "✓", key
    assert "帮扶人（全部层级）" in shown
    assert shown["勤联系"][0] == "6,087"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_in_either_language_gives_the_2021_figures(
    demo: tuple[Path, str], labels: ReportLabels, lang: str
) -> None:
    text = _invoke("--lang", lang, "report", "--db", str(demo[0]), "--period", "2021")
    words = strings(lang)
    rows = _rows(text, words("totals_title", period="2021"))
    figure = ""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for name, detail, count, amount in rows:
        figure = name or figure  # a figure's name is on its first row only
        found[figure, detail] = (count, amount)

    def name(kind: str, code: str) -> str:
        return labels.name(kind, code, lang=lang)

    assert found[words("helpers"), words("all_tiers")][0] == "755"
    assert found[words("households"), ""][0] == "772"
    for kind, count in ACTIVITIES_2021.items():
        assert found[words("activities"), name("activity_kinds", kind)][0] == f"{count:,}"
    assert found[words("referrals"), name("agencies", EMPLOYMENT_CENTER)][0] == "23"
    grants = {detail: values for (row, detail), values in found.items() if row == words("grants")}
    scholarship = next(
        v for d, v in grants.items() if d.startswith(name("programs", FRESHMAN_SCHOLARSHIP))
    )
    illness = next(
        v for d, v in grants.items() if d.startswith(name("programs", MAJOR_ILLNESS_GRANT))
    )
    assert scholarship == ("14", "70,000.00")
    assert illness == ("12", "60,000.00")


def test_the_two_reports_differ_in_words_only(demo: tuple[Path, str]) -> None:
    """The same figures in the same places: only the words change with the language."""
    args = ("report", "--db", str(demo[0]), "--period", "2021", "--by-region")
    zh, en = (_invoke("--lang", lang, *args) for lang in ("zh", "en"))
    assert zh != en
    numbers = [
        [row[2:] for row in _rows(text, "2021") if any(ch.isdigit() for ch in "".join(row[2:]))]
        for text in (zh, en)
    ]
    assert numbers[0] == numbers[1]
    assert numbers[0]
