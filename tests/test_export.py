"""Exporting: masked by default, in the import format, round trip with --include-sensitive."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.io.exporter import write_records
from jieqin.io.importer import parse_file
from jieqin.io.sensitive import MASKED, mask_phone

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
KINDS = ["helpers", "households", "pairings", "needs", "activities"]
RESIDENT_IDS = [
    row["resident_id"]
    for row in csv.DictReader(io.StringIO((EXAMPLES / "households.csv").read_text("utf-8")))
]


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgresql_url"))
    if request.param == "memory":
        return f"memory://export-{uuid.uuid4().hex}"
    return f"sqlite:///{tmp_path / 'campaign.db'}"


@pytest.fixture
def campaign(url: str) -> Iterator[jieqin.Campaign]:
    with jieqin.connect(url) as opened:
        for kind in KINDS:
            opened.import_file(kind, EXAMPLES / f"{kind}.csv")
        yield opened


def _values(path: Path, kind: str) -> list[object]:
    parsed = list(parse_file(path, kind))
    assert all(p.ok for p in parsed), [p.problems for p in parsed]
    return [p.value for p in parsed]


def _export(campaign: jieqin.Campaign, kind: str, **options: object) -> str:
    out = io.StringIO()
    campaign.export(kind, out, **options)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_sensitive_facts_are_masked_by_default(campaign: jieqin.Campaign, fmt: str) -> None:
    text = _export(campaign, "households", format=fmt)
    for number in RESIDENT_IDS:
        assert number not in text
        # the same placeholder for every member: not even the masked digits show
        assert jieqin.mask_resident_id(number) not in text
    assert "13900000001" not in text
    assert mask_phone("13900000001") not in text
    assert "尿毒症" not in text
    assert "major_illness" not in text
    assert MASKED in text
    helpers = _export(campaign, "helpers", format=fmt)
    assert "13800000001" not in helpers
    assert "138******01" not in helpers
    assert MASKED in helpers


def test_masked_csv_keeps_the_import_columns(campaign: jieqin.Campaign) -> None:
    rows = list(csv.DictReader(io.StringIO(_export(campaign, "households"))))
    assert len(rows) == 6
    assert rows[0]["household_id"] == "hh-001"
    assert rows[0]["status_history"] == "poor@2016-01-01;lifted_out@2020-06-30"
    masked = ("resident_id", "health_condition", "diagnosis", "disability_grade", "phone")
    for row in rows:  # the same placeholder in every row, whether the fact is there or not
        assert [row[column] for column in masked] == [MASKED] * len(masked), row


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("kind", KINDS)
def test_include_sensitive_round_trips(
    campaign: jieqin.Campaign, tmp_path: Path, kind: str, fmt: str
) -> None:
    path = tmp_path / f"{kind}.{fmt}"
    exported = _export(campaign, kind, format=fmt, include_sensitive=True, purpose="backup")
    path.write_text(exported, "utf-8")
    assert _values(path, kind) == _values(EXAMPLES / f"{kind}.csv", kind)
    with jieqin.connect(f"memory://again-{uuid.uuid4().hex}") as fresh:
        for earlier in KINDS[: KINDS.index(kind)]:  # what the records name
            fresh.import_file(earlier, EXAMPLES / f"{earlier}.csv")
        fresh.import_file(kind, path)
        with fresh.unit_of_work(actor="test") as uow:
            assert getattr(uow, kind).list() == _values(EXAMPLES / f"{kind}.csv", kind)


def test_jsonl_export_is_one_object_per_line(campaign: jieqin.Campaign) -> None:
    lines = _export(campaign, "needs", format="jsonl").splitlines()
    assert [json.loads(line)["need_id"] for line in lines] == ["nd-001", "nd-002", "nd-003"]


def test_write_records_counts_and_reports_progress() -> None:
    helpers = _values(EXAMPLES / "helpers.csv", "helpers")
    ticks: list[None] = []
    out = io.StringIO()
    count = write_records(helpers, "helpers", out, on_record=lambda: ticks.append(None))
    assert count == len(ticks) == 3


def test_cli_export_to_a_file_and_to_stdout(
    campaign: jieqin.Campaign, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out" / "households.jsonl"
    target.parent.mkdir()
    assert run_cli(cli, ["export", "households", "-o", str(target), "--url", url]) == 0
    assert "Exported 2 households" in capsys.readouterr().err
    records = [json.loads(line) for line in target.read_text("utf-8").splitlines()]
    assert [r["household_id"] for r in records] == ["hh-001", "hh-002"]
    assert list(target.parent.iterdir()) == [target]
    assert run_cli(cli, ["export", "activities", "--url", url]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["activity_id"] for r in rows] == ["ac-001", "ac-002", "ac-003", "ac-004"]


def test_cli_export_in_gbk_with_sensitive_facts_imports_back(
    campaign: jieqin.Campaign, url: str, tmp_path: Path
) -> None:
    target = tmp_path / "households.csv"
    args = ["export", "households", "-o", str(target), "--encoding", "gbk", "--url", url]
    assert run_cli(cli, [*args, "--include-sensitive", "--purpose", "backup"]) == 0
    target.read_bytes().decode("gbk")
    assert _values(target, "households") == _values(EXAMPLES / "households.csv", "households")
