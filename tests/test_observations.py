"""Observations and risk warnings: the write checks, import and export (CSV, JSON Lines,
XLSX; English and Chinese headers), idempotent re-import, and masking of medical amounts."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

import jieqin
from jieqin.cli import cli
from jieqin.clock import FixedClock
from jieqin.errors import InvalidInput
from jieqin.io.exporter import export
from jieqin.io.importer import import_file
from jieqin.io.kinds import OBSERVATIONS
from jieqin.io.template import write_template
from jieqin.model import Observation, Quarter, Year, feed_observation_id
from jieqin.services.observations import record_observations
from jieqin.testing.contract import (
    make_helper,
    make_household,
    make_observation,
    make_warning,
)

TODAY = date(2022, 3, 1)
MEDICAL = Decimal("18650.40")
SECRET = "18650.4"  # the medical amount as any output could spell it


def _observations() -> list[Observation]:
    return [
        make_observation("ob001"),
        make_observation(
            "ob002", kind="income", amount=Decimal("5321.75"), member_id=None, source="survey"
        ),
        make_observation(
            feed_observation_id("medical_insurance", "YB-0007"),
            household_id="hh002",
            member_id="hh002-m1",
            period=Quarter(2021, 4),
            amount=Decimal("3120.33"),
            source="feed",
            feed="medical_insurance",
            feed_record="YB-0007",
            note="住院自付",
        ),
        make_observation(
            "ob004", kind="schooling", amount=Decimal("2400"), member_id="hh001-m3", source="visit"
        ),
    ]


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    return str(request.getfixturevalue(f"{request.param}_url"))


def _open(url: str) -> jieqin.Campaign:
    campaign = jieqin.connect(url, clock=FixedClock(TODAY))
    with campaign.unit_of_work("setup") as uow:
        if not uow.households.count():
            uow.households.add_many([make_household("hh001"), make_household("hh002", members=1)])
            uow.helpers.add_many([make_helper("h001")])
            uow.commit()
    return campaign


@pytest.fixture
def campaign(url: str) -> Iterator[jieqin.Campaign]:
    with _open(url) as c:
        yield c


def _problems(error: pytest.ExceptionInfo[InvalidInput]) -> str:
    return "\n".join(str(p) for p in error.value.problems)


# -- the write checks ------------------------------------------------------------------


def test_the_checks_refuse_what_cannot_be_recorded(campaign: jieqin.Campaign) -> None:
    bad = [
        make_observation("b1", household_id="hh404", member_id=None),
        make_observation("b2", member_id="hh002-m1"),
        make_observation("b3", recorded_on=date(2022, 3, 2)),
        make_observation("b4", period=Year(2023)),
        make_observation("b5", period=Quarter(2022, 2)),
    ]
    with campaign.unit_of_work("clerk") as uow:
        with pytest.raises(InvalidInput) as error:
            uow.observations.add_many(bad)
        assert uow.observations.count() == 0
    text = _problems(error)
    assert "line 1: household_id: no household hh404" in text
    assert "member hh002-m1 belongs to household hh002, not hh001" in text
    assert "2022-03-02 is in the future (today is 2022-03-01)" in text
    assert "period 2023 has not started" in text
    assert "period 2022Q2 has not started" in text
    assert [p.line for p in error.value.problems] == [1, 2, 3, 4, 5]
    assert SECRET not in text


def test_a_feed_record_is_stored_once_and_given_again_changes_nothing(
    campaign: jieqin.Campaign,
) -> None:
    fed = _observations()[2]
    with campaign.unit_of_work("clerk") as uow:
        assert record_observations(uow, [fed]).written == 1
        uow.commit()
    audited = _audit_count(campaign)
    again = attrs.evolve(fed, recorded_on=date(2022, 2, 1))  # the same row, delivered later
    other_id = attrs.evolve(fed, observation_id="ob-other")
    with campaign.unit_of_work("clerk") as uow:
        done = record_observations(uow, [fed, again, other_id])
        assert (done.written, done.unchanged) == (0, 3)
        uow.commit()
    assert _audit_count(campaign) == audited
    changed = attrs.evolve(fed, amount=Decimal("3120.34"))
    with campaign.unit_of_work("clerk") as uow, pytest.raises(InvalidInput) as error:
        record_observations(uow, [_observations()[1], changed])
    text = _problems(error)
    assert "line 2: amount: record YB-0007 of feed medical_insurance was delivered before" in text
    assert "--corrections" in text
    assert "3120.3" not in text
    # under another id, with other facts: the write checks refuse it too
    with campaign.unit_of_work("clerk") as uow, pytest.raises(InvalidInput) as error:
        uow.observations.add(attrs.evolve(changed, observation_id="ob-x"))
    assert "feed_record: record YB-0007 of feed medical_insurance is stored as observation" in (
        _problems(error)
    )
    with campaign.unit_of_work("clerk") as uow:
        assert uow.observations.list() == [fed]


def test_a_warning_names_a_monitored_category_and_a_stored_assignee(
    campaign: jieqin.Campaign,
) -> None:
    assigned = make_warning(
        "w1", status="assigned", assigned_to="h404", assigned_on=date(2022, 1, 6)
    )
    township = attrs.evolve(assigned, warning_id="w2", assigned_to="township:6102")
    checked = attrs.evolve(
        assigned,
        warning_id="w3",
        assigned_to="h001",
        status="confirmed",
        checked_by="h001",
        checked_on=date(2022, 1, 10),
        decided_by="clerk:li",
        decided_on=date(2022, 1, 11),
        category="poor",
    )
    future = make_warning("w4", raised_on=date(2022, 3, 5), check_due=date(2022, 3, 20))
    with campaign.unit_of_work("clerk") as uow, pytest.raises(InvalidInput) as error:
        uow.warnings.add_many([assigned, township, checked, future])
    text = _problems(error)
    assert "line 1: assigned_to: no helper h404" in text
    assert "line 2: assigned_to: 'township:6102' is not a township's clerk" in text
    assert "line 3: category: unknown monitored household status 'poor'" in text
    assert "line 4: raised_on: 2022-03-05 is in the future" in text
    good = [
        attrs.evolve(assigned, assigned_to="h001"),
        attrs.evolve(township, assigned_to="township:610202001"),
        attrs.evolve(checked, category="edge_of_poverty"),
    ]
    with campaign.unit_of_work("clerk") as uow:
        uow.warnings.add_many(good)
        uow.commit()


def test_a_stored_warning_only_moves_forward(campaign: jieqin.Campaign) -> None:
    raised = make_warning("w1")
    assigned = attrs.evolve(
        raised, status="assigned", assigned_to="h001", assigned_on=date(2022, 1, 6)
    )
    with campaign.unit_of_work("clerk") as uow:
        uow.warnings.add(raised)
        uow.warnings.update(assigned)
        uow.commit()
    with campaign.unit_of_work("clerk") as uow:
        with pytest.raises(InvalidInput, match="it moves on only to checked, not back"):
            uow.warnings.update(raised)
        with pytest.raises(InvalidInput, match=r"other facts \(assigned_on\)"):
            uow.warnings.update(attrs.evolve(assigned, assigned_on=date(2022, 1, 7)))
        with pytest.raises(InvalidInput, match=r"other facts \(check_due\)"):
            uow.warnings.update(attrs.evolve(assigned, check_due=date(2022, 2, 1)))
        assert uow.warnings.get("w1") == assigned


# -- import and export -----------------------------------------------------------------


def _stored(campaign: jieqin.Campaign) -> list[Observation]:
    with campaign.unit_of_work("reader", read_only=True) as uow:
        return uow.observations.list()


def _audit_count(campaign: jieqin.Campaign) -> int:
    with campaign.unit_of_work("reader", read_only=True) as uow:
        return uow.audit.count()


def _write(campaign: jieqin.Campaign, path: Path, fmt: str, headers: str, **kw: bool) -> None:
    if fmt == "xlsx":
        with path.open("wb") as out:
            export(campaign, "observations", out, format=fmt, headers=headers, **kw)
        return
    with path.open("w", encoding="utf-8", newline="") as text:
        export(campaign, "observations", text, format=fmt, headers=headers, **kw)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
@pytest.mark.parametrize("headers", ["en", "zh"])
def test_observations_round_trip_and_import_again_changes_nothing(
    url: str, tmp_path: Path, fmt: str, headers: str
) -> None:
    observations = sorted(_observations(), key=lambda o: o.observation_id)
    with _open(url) as source:
        with source.unit_of_work("clerk") as uow:
            uow.observations.add_many(observations)
            uow.commit()
        path = tmp_path / f"observations.{fmt}"
        _write(source, path, fmt, headers, include_sensitive=True)
    if headers == "zh" and fmt != "jsonl":
        with path.open("rb") as raw:
            assert "户编号".encode() in raw.read() or fmt == "xlsx"
    with _open("memory://") as target:
        assert import_file(target, path, "observations").records == 4
        assert _stored(target) == observations
        audited = _audit_count(target)
        assert import_file(target, path, "observations").records == 4
        assert _stored(target) == observations
        assert _audit_count(target) == audited  # nothing written, not even an audit entry


def test_a_shifted_row_never_quotes_its_medical_amount_in_another_column(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    # a delimiter lost after the member: the kind reads "2021", the period the amount
    path = tmp_path / "obs.csv"
    path.write_text(
        "observation_id,household_id,member_id,kind,period,amount,source,recorded_on\n"
        "o1,hh001,hh001-m2 medical,2021,18650.40,declaration,2022-01-05,\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as error:
        import_file(campaign, path, "observations")
    text = _problems(error)
    assert "obs.csv line 2: period: is not valid here; the value, a number" in text
    assert "18650" not in text
    assert "18650" not in error.value.said("zh")
    assert _stored(campaign) == []


def test_a_feed_row_whose_id_is_not_text_is_refused_not_given_the_feed_id(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    path = tmp_path / "obs.jsonl"
    row = {
        "observation_id": [],
        "household_id": "hh001",
        "kind": "income",
        "period": "2021",
        "amount": "0.00",
        "source": "feed",
        "recorded_on": "2022-01-05",
        "feed": "medical_insurance",
        "feed_record": "r0",
    }
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as error:
        import_file(campaign, path, "observations")
    assert "observation_id" in _problems(error)
    assert _stored(campaign) == []


def test_a_chinese_ledger_with_chinese_words_imports(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    path = tmp_path / "收支监测.csv"
    path.write_text(
        "户编号,成员编号,类型,期间,金额,来源,记录日期,数据部门,部门记录编号,备注,记录编号\n"
        "hh001,hh001-m2,医疗支出,2021,18650.40,部门数据,2022年1月5日,医保局,YB-1,住院,\n"
        "hh002,,人均纯收入,2021Q4,1320,入户调查,2022/1/6,,,,s-1\n"
        "hh002,,收入,2021Q3,1320,入户调查,2022/1/6,,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput, match="line 4: 记录编号: required field is missing"):
        import_file(campaign, path, "observations")
    path.write_text("\n".join(path.read_text(encoding="utf-8").splitlines()[:3]), "utf-8")
    assert import_file(campaign, path, "observations").records == 2
    medical, income = sorted(_stored(campaign), key=lambda o: o.household_id)
    assert medical.observation_id == feed_observation_id("医保局", "YB-1")
    assert (medical.kind, medical.source, medical.amount) == ("medical", "feed", MEDICAL)
    assert medical.recorded_on == date(2022, 1, 5)
    assert (income.kind, income.period, income.amount) == ("income", Quarter(2021, 4), 1320)


def test_a_bad_file_writes_nothing_and_never_repeats_an_amount(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    path = tmp_path / "obs.csv"
    path.write_text(
        "observation_id,household_id,member_id,kind,period,amount,source,recorded_on\n"
        "o1,hh001,hh001-m2,medical,2021,18650.40,declaration,2022-01-05\n"
        "o2,hh001,hh001-m2,medical,2021,-18650.40,declaration,2022-01-05\n"
        "o3,hh001,,medical,2021,18650.4x,declaration,2022-01-05\n"
        "o4,hh009,,income,2021,100,declaration,2022-01-05\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as error:
        import_file(campaign, path, "observations", report_errors=True)
    text = _problems(error)
    assert "obs.csv line 3: amount: is not an amount in yuan" in text
    assert "obs.csv line 4: amount: is not an amount in yuan" in text
    assert "obs.csv line 5: household_id: no household hh009" in text
    assert SECRET not in text
    assert _stored(campaign) == []
    # in a workbook the problem names the sheet, row and header as written
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "监测记录"
    sheet.append(["户编号", "类型", "期间", "金额", "来源", "记录日期", "监测记录编号"])
    sheet.append(["hh001", "医疗", "2021", "-5", "申报", "2022-01-05", "o9"])
    book.save(tmp_path / "obs.xlsx")
    with pytest.raises(InvalidInput) as error:
        import_file(campaign, tmp_path / "obs.xlsx", "observations")
    said = _problems(error)
    assert "sheet 监测记录" in said
    assert "row 2" in said
    assert "金额" in said


def test_a_masked_export_and_the_audit_never_show_a_medical_amount(
    campaign: jieqin.Campaign, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    observations = _observations()
    with caplog.at_level(logging.DEBUG), campaign.unit_of_work("clerk") as uow:
        uow.observations.add_many(observations)
        for o in observations:
            uow.observations.update(attrs.evolve(o, note="核对"))
        logging.getLogger("jieqin").info("stored %r", observations[0])
        uow.commit()
    for fmt in ("csv", "jsonl", "xlsx"):
        path = tmp_path / f"masked.{fmt}"
        _write(campaign, path, fmt, "zh")
        if fmt == "xlsx":
            from openpyxl import load_workbook

            rows = load_workbook(path).active.iter_rows(values_only=True)  # type: ignore[union-attr]
            text = "\n".join(",".join(str(c) for c in row) for row in rows)
        else:
            text = path.read_text(encoding="utf-8")
        for hidden in (SECRET, "3120.33", "hh001-m2"):  # the member too
            assert hidden not in text, (fmt, hidden)
        for shown in ("5321.75", "2400"):  # income and schooling stay
            assert shown in text, (fmt, shown)
    out = io.StringIO()
    export(campaign, "observations", out, format="jsonl")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    medical = [r for r in lines if r["kind"] == "medical"]
    assert {(r["amount"], r["member_id"]) for r in medical} == {("<masked>", "<masked>")}
    with campaign.unit_of_work("auditor", read_only=True) as uow:
        audit = json.dumps([dict(e.changes) for e in uow.audit.entries()], ensure_ascii=False)
    assert SECRET not in audit
    assert "3120.33" not in audit
    assert SECRET not in caplog.text
    assert "amount=<masked>" in repr(observations[0])
    assert "amount=Decimal('5321.75')" in repr(observations[1])


def test_templates_name_the_columns(tmp_path: Path) -> None:
    with jieqin.connect("memory://") as campaign:
        text = io.StringIO()
        write_template(OBSERVATIONS, text, registry=campaign.registry, format="csv", headers="zh")
        header = text.getvalue().splitlines()[0].split(",")
        assert header[:6] == ["监测记录编号", "户编号", "成员编号", "类型", "期间", "金额"]
        assert "记录日期" in header
        assert "来源" in header
        write_template(OBSERVATIONS, tmp_path / "t.xlsx", registry=campaign.registry)


def test_the_command_line_imports_lists_and_masks(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    with _open(db):
        pass
    path = tmp_path / "obs.csv"
    path.write_text(
        "户编号,成员编号,类型,期间,金额,来源,记录日期,监测记录编号\n"
        "hh001,hh001-m2,医疗,2021,18650.40,申报,2022-01-05,o1\n"
        "hh002,,收入,2021,5321.75,调查,2022-01-05,o2\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    first = runner.invoke(cli, ["--lang", "en", "observations", "import", str(path), "--url", db])
    assert first.exit_code == 0, first.output
    assert "Imported 2 observations from obs.csv." in first.output
    again = runner.invoke(cli, ["--lang", "en", "import", "observations", str(path), "--url", db])
    assert again.exit_code == 0, again.output
    listed = runner.invoke(cli, ["--lang", "en", "observations", "--json", "--url", db])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [(r["observation_id"], r["amount"]) for r in rows] == [
        ("o1", "<masked>"),
        ("o2", "5321.75"),
    ]
    template = runner.invoke(
        cli, ["template", "observations", "--format", "csv", "--headers", "zh"]
    )
    assert template.exit_code == 0, template.output
    assert "户编号" in template.output
    path.write_text(path.read_text(encoding="utf-8").replace("2022-01-05,o2", "2032-01-05,o2"))
    bad = runner.invoke(cli, ["--lang", "en", "observations", "import", str(path), "--url", db])
    assert bad.exit_code != 0
    said = str(bad.exception)
    assert "obs.csv line 3: 记录日期: 2032-01-05 is in the future" in said
    assert SECRET not in said
