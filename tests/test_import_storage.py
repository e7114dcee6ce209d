"""Importing into real storage: all or nothing, idempotent, audited, from the CLI too."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.errors import InvalidInput
from jieqin.io.importer import parse_file

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
KINDS = ["helpers", "households", "pairings", "needs", "activities"]


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgresql_url"))
    if request.param == "memory":
        return f"memory://import-{uuid.uuid4().hex}"
    return f"sqlite:///{tmp_path / 'campaign.db'}"


@pytest.fixture
def campaign(url: str) -> Iterator[jieqin.Campaign]:
    with jieqin.connect(url) as opened:
        yield opened


def _stored(campaign: jieqin.Campaign, kind: str) -> list[object]:
    with campaign.unit_of_work(actor="test:reader") as uow:
        return list(getattr(uow, kind).list())


def _expected(path: Path, kind: str) -> list[object]:
    return [p.value for p in parse_file(path, kind)]


def _import_examples(campaign: jieqin.Campaign, suffix: str = "csv") -> None:
    for kind in KINDS:
        campaign.import_file(kind, EXAMPLES / f"{kind}.{suffix}", actor="clerk:wang")


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_every_kind_imports_and_reads_back_equal(campaign: jieqin.Campaign, suffix: str) -> None:
    _import_examples(campaign, suffix)
    for kind in KINDS:
        assert _stored(campaign, kind) == _expected(EXAMPLES / f"{kind}.{suffix}", kind)


def test_reimporting_the_same_file_changes_nothing(campaign: jieqin.Campaign) -> None:
    _import_examples(campaign)
    before = {kind: _stored(campaign, kind) for kind in KINDS}
    _import_examples(campaign)
    assert {kind: _stored(campaign, kind) for kind in KINDS} == before


def test_reimporting_a_changed_file_updates_by_id(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    _import_examples(campaign)
    text = (EXAMPLES / "helpers.csv").read_text(encoding="utf-8")
    changed = tmp_path / "helpers.csv"
    changed.write_text(text.replace("刘芳,agency_staff", "刘芳芳,agency_staff"), encoding="utf-8")
    campaign.import_file("helpers", changed)
    helpers = {h.helper_id: h for h in _stored(campaign, "helpers")}  # type: ignore[attr-defined]
    assert len(helpers) == 3
    assert helpers["hp-002"].name == "刘芳芳"


def test_one_bad_row_writes_nothing_even_after_earlier_batches(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    campaign.import_file("helpers", EXAMPLES / "helpers.csv")
    header = (EXAMPLES / "activities.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = [f"ac-{i},visit,2021-02-11,hp-001,hh-001,,,," for i in range(30)]
    rows.append("ac-bad,visit,2021-02-30,hp-001,hh-001,,,,")
    path = tmp_path / "activities.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    campaign.import_file("households", EXAMPLES / "households.csv")
    campaign.import_file("pairings", EXAMPLES / "pairings.csv")
    with pytest.raises(InvalidInput) as info:
        campaign.import_file("activities", path, batch_size=7)
    (problem,) = info.value.problems
    assert (problem.source, problem.line, problem.field) == ("activities.csv", 32, "on")
    assert _stored(campaign, "activities") == []
    assert len(_stored(campaign, "helpers")) == 3


def test_imports_are_in_the_audit_log_with_the_actor(campaign: jieqin.Campaign) -> None:
    campaign.import_file("helpers", EXAMPLES / "helpers.csv", actor="clerk:wang")
    with campaign.unit_of_work(actor="test:reader") as uow:
        entries = uow.audit.entries(entity="helpers")
    assert entries
    assert {e.actor for e in entries} == {"clerk:wang"}


def _cli(*args: str) -> int:
    return run_cli(cli, list(args))


@pytest.fixture
def initialised(url: str) -> None:
    """The database at ``url`` made by ``jieqin init`` (other commands refuse a missing one)."""
    assert _cli("init", "--url", url) == 0


@pytest.mark.usefixtures("initialised")
def test_cli_imports_and_reports(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli("import", "households", str(EXAMPLES / "households.csv"), "--url", url) == 0
    assert capsys.readouterr().out.strip() == "Imported 2 households from households.csv."
    with jieqin.connect(url) as campaign:
        assert len(_stored(campaign, "households")) == 2


@pytest.mark.usefixtures("initialised")
def test_cli_import_of_a_gbk_file(url: str, tmp_path: Path) -> None:
    path = tmp_path / "helpers.csv"
    path.write_bytes((EXAMPLES / "helpers.csv").read_text(encoding="utf-8").encode("gbk"))
    assert _cli("import", "helpers", str(path), "--url", url) == 0
    assert _cli("import", "helpers", str(path), "--url", url, "--encoding", "gbk") == 0
    with jieqin.connect(url) as campaign:
        assert _stored(campaign, "helpers") == _expected(EXAMPLES / "helpers.csv", "helpers")


@pytest.mark.usefixtures("initialised")
def test_cli_names_the_line_and_writes_nothing(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (EXAMPLES / "needs.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("2021Q1", "2021Q5")
    lines[3] = lines[3].replace(",visit,", ",rumour,")
    path = tmp_path / "needs.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _cli("import", "households", str(EXAMPLES / "households.csv"), "--url", url) == 0
    capsys.readouterr()
    assert _cli("import", "needs", str(path), "--url", url) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: needs.csv line 2: period:")
    assert "line 4" not in err
    assert _cli("import", "needs", str(path), "--url", url, "--report-errors") == 1
    err = capsys.readouterr().err
    assert "2 problems" in err
    assert "needs.csv line 2: period:" in err
    assert "needs.csv line 4: source:" in err
    with jieqin.connect(url) as campaign:
        assert _stored(campaign, "needs") == []


@pytest.mark.usefixtures("initialised")
def test_cli_max_errors_truncates(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = (EXAMPLES / "activities.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = [f"ac-{i},visit,2021-02-30,hp-001,hh-001,,,," for i in range(10)]
    path = tmp_path / "activities.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    code = _cli(
        "import", "activities", str(path), "--url", url, "--report-errors", "--max-errors", "3"
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "3 problems (more not shown)" in err
    assert err.count("activities.csv line") == 3
