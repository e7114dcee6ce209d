"""Paying grants: a batch file for the bank, its result reconciled all or nothing, and the
money of a returned grant back in its fund exactly once, on every backend."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jieqin
from jieqin.errors import InvalidInput, InvalidValue, JieqinError, NotFound, PaymentRefused
from jieqin.io.cells import TRIGGERS
from jieqin.model import PaymentState, Year
from jieqin.reports.model import PaymentLine
from jieqin.reports.render import to_table
from jieqin.security import STANDARD_ROLES, NotPermitted, Principal
from jieqin.services.payments import write_batch

sys.path.insert(0, str(Path(__file__).parent))
from test_aid import ILLNESS, SCHOLARSHIP, YEAR, setup

FUND = f"f-{SCHOLARSHIP}"
G1 = f"g:{SCHOLARSHIP}:2021:h1-2"
G6 = f"g:{SCHOLARSHIP}:2021:h6-2"
RESULT = ("grant_id", "amount", "status", "paid_on", "returned_on", "reference", "reason")


def granted(campaign: jieqin.Campaign) -> None:
    """The cohort, with the two freshmen granted 5000 yuan each on 2021-09-01."""
    setup(campaign)
    campaign.allocate(SCHOLARSHIP, YEAR, on=date(2021, 9, 1))


def result_file(
    folder: Path,
    rows: Sequence[Sequence[str]],
    name: str = "result.csv",
    header: Sequence[str] = RESULT,
) -> Path:
    """A bank's result file: the header, then the rows."""
    path = folder / name
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def paid_row(grant_id: str, day: str = "2021-09-15", reference: str = "BK1") -> list[str]:
    return [grant_id, "5000.00", "paid", day, "", reference, ""]


def returned_row(grant_id: str, day: str = "2021-10-02", paid_on: str = "") -> list[str]:
    return [grant_id, "5000.00", "returned", paid_on, day, "", "账户已注销"]


def grants_of(campaign: jieqin.Campaign) -> dict[str, Any]:
    return {g.grant_id: g for g in campaign.grants(program_id=SCHOLARSHIP)}


def fund_line(campaign: jieqin.Campaign) -> dict[str, Any]:
    (line,) = [x for x in campaign.funds() if x.fund.fund_id == FUND]
    return line.summary()


def batch_rows(batch: Any, headers: str = "en") -> list[dict[str, str]]:
    out = io.StringIO()
    write_batch(batch, out, headers=headers)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


# -- the batch file -----------------------------------------------------------------------


def test_a_batch_takes_the_grants_awaiting_payment_once(campaign: jieqin.Campaign) -> None:
    granted(campaign)
    batch = campaign.export_payments(SCHOLARSHIP, YEAR, actor="clerk:wang")
    assert batch.new
    assert batch.batch_id == f"pb:{SCHOLARSHIP}:2021:1"
    assert [line.grant_id for line in batch.lines] == [G1, G6]
    assert batch.total == Decimal("10000.00")
    rows = batch_rows(batch)
    assert list(rows[0]) == [
        "batch_id",
        "grant_id",
        "household_id",
        "member_id",
        "payee_name",
        "resident_id",
        "amount",
        "program_id",
        "period",
        "fund_id",
    ]
    assert [(r["grant_id"], r["amount"], r["fund_id"]) for r in rows] == [
        (G1, "5000.00", FUND),
        (G6, "5000.00", FUND),
    ]
    assert {g.batch_id for g in grants_of(campaign).values()} == {batch.batch_id}
    with campaign.unit_of_work("auditor") as uow:
        entries = uow.audit.entries(action="batch")
        assert [(e.entity_id, e.actor) for e in entries] == [(G1, "clerk:wang"), (G6, "clerk:wang")]
    # nothing awaits payment outside a batch: a second export pays nobody twice
    with pytest.raises(NotFound, match="awaits payment"):
        campaign.export_payments(SCHOLARSHIP, YEAR)
    again = campaign.export_payments(SCHOLARSHIP, YEAR, batch=batch.batch_id)
    assert not again.new
    assert batch_rows(again) == rows
    with pytest.raises(NotFound, match="no payment batch"):
        campaign.export_payments(SCHOLARSHIP, YEAR, batch="pb-nope")
    with pytest.raises(InvalidValue, match="not of"):
        campaign.export_payments(SCHOLARSHIP, Year(2022), batch=batch.batch_id)


def test_a_batch_given_again_leaves_out_what_no_longer_awaits_payment(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    granted(campaign)
    batch = campaign.export_payments(SCHOLARSHIP, YEAR)
    campaign.reconcile_payments(result_file(tmp_path, [paid_row(G1)]))
    again = campaign.export_payments(SCHOLARSHIP, YEAR, batch=batch.batch_id)
    assert [line.grant_id for line in again.lines] == [G6]
    assert again.left_out == 1


def test_a_batch_is_masked_unless_revealed_and_a_reveal_is_audited(
    campaign: jieqin.Campaign,
) -> None:
    granted(campaign)
    with campaign.unit_of_work("test") as uow:
        member = uow.households.member("h1-2")
        number = member.resident_id
        assert number is not None
    batch = campaign.export_payments(SCHOLARSHIP, YEAR)
    text = "\n".join(",".join(r.values()) for r in batch_rows(batch))
    assert member.name not in text
    assert number not in text
    line = batch.lines[0]
    assert (line.payee_name, line.resident_id) == (
        member.name[0] + "*",
        number[:4] + "*" * 12 + number[-2:],
    )
    with pytest.raises(InvalidValue, match="purpose"):
        campaign.export_payments(SCHOLARSHIP, YEAR, batch=batch.batch_id, reveal=True)
    clerk = Principal("clerk:li", STANDARD_ROLES["approver"], regions={"6102"})
    with pytest.raises(NotPermitted):
        campaign.acting_as(clerk).export_payments(
            SCHOLARSHIP, YEAR, batch=batch.batch_id, reveal=True, purpose="发放"
        )
    shown = campaign.export_payments(
        SCHOLARSHIP, YEAR, batch=batch.batch_id, reveal=True, purpose="银行代发"
    )
    assert (shown.lines[0].payee_name, shown.lines[0].resident_id) == (member.name, number)
    with campaign.unit_of_work("auditor") as uow:
        (entry,) = uow.audit.entries(action="reveal")
        assert entry.changes["what"] == f"payment batch {batch.batch_id}"
        assert entry.changes["ids"] == [G1, G6]
        assert entry.changes["purpose"] == "银行代发"


def test_a_health_programmes_batch_is_exported_only_revealed(campaign: jieqin.Campaign) -> None:
    setup(campaign)
    campaign.allocate(ILLNESS, YEAR, on=date(2021, 9, 1))
    with pytest.raises(InvalidValue, match="health"):
        campaign.export_payments(ILLNESS, YEAR)
    with campaign.unit_of_work("test") as uow:
        assert {g.batch_id for g in uow.grants.list(program_id=ILLNESS)} == {None}
    batch = campaign.export_payments(ILLNESS, YEAR, reveal=True, purpose="大病救助发放")
    assert [line.member_id for line in batch.lines] == ["h3-1"]


@pytest.mark.parametrize("start", [*sorted(TRIGGERS), "'="])
def test_a_batch_file_is_formula_safe(start: str, tmp_path: Path) -> None:
    with jieqin.connect("memory://") as campaign:
        granted(campaign)
        with campaign.unit_of_work("test") as uow:
            home = uow.households.get("h1")
            people = [
                attrs.evolve(m, name=f'{start}HYPERLINK("http://x")')
                if m.member_id == "h1-2"
                else m
                for m in home.members
            ]
            uow.households.update(attrs.evolve(home, members=people))
            uow.commit()
        batch = campaign.export_payments(SCHOLARSHIP, YEAR, reveal=True, purpose="银行代发")
        cells = [c for r in batch_rows(batch, headers="zh") for c in r.values()]
        assert all(not c or c[0] not in TRIGGERS for c in cells), cells
        assert "'" + f'{start}HYPERLINK("http://x")' in cells
        path = tmp_path / "batch.xlsx"
        write_batch(batch, path, format="xlsx", headers="zh")
        from openpyxl import load_workbook

        book = load_workbook(path)
        sheet = book.active
        assert sheet.title == "发放批次"
        values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert "收款人姓名" in values
        assert all(v[0] not in TRIGGERS for v in values)


# -- the bank's result --------------------------------------------------------------------


def test_a_result_records_payments_and_returns_and_again_changes_nothing(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    granted(campaign)
    campaign.export_payments(SCHOLARSHIP, YEAR)
    first = result_file(tmp_path, [paid_row(G1), paid_row(G6, reference="BK2")], "paid.csv")
    done = campaign.reconcile_payments(first, actor="clerk:wang")
    assert (done.paid, done.returned, done.unchanged) == (2, 0, 0)
    assert done.paid_amount == Decimal("10000.00")
    line = fund_line(campaign)
    assert (line["committed"], line["paid"], line["returned"], line["remaining"]) == (
        "10000.00",
        "10000.00",
        "0.00",
        "90000.00",
    )
    returned = result_file(tmp_path, [returned_row(G6)], "returned.csv")
    done = campaign.reconcile_payments(returned, actor="clerk:wang")
    assert (done.paid, done.returned, done.returned_amount) == (0, 1, Decimal("5000.00"))
    line = fund_line(campaign)
    assert (line["committed"], line["paid"], line["returned"], line["remaining"]) == (
        "5000.00",
        "5000.00",
        "5000.00",
        "95000.00",
    )
    with campaign.unit_of_work("auditor") as uow:
        written = uow.audit.count()
    for again in (first, returned):
        done = campaign.reconcile_payments(again)
        assert (done.paid, done.returned, done.unchanged) == (0, 0, done.rows)
    with campaign.unit_of_work("auditor") as uow:
        assert uow.audit.count() == written  # nothing changed, nothing audited
        assert uow.funds.spent(FUND) == Decimal("5000.00")
    grants = grants_of(campaign)
    assert grants[G1].payment_state is PaymentState.PAID
    assert (grants[G1].paid_on, grants[G1].payment_reference) == (date(2021, 9, 15), "BK1")
    assert grants[G6].payment_state is PaymentState.RETURNED
    assert grants[G6].return_reason == "账户已注销"


def test_paid_and_returned_in_one_file_and_the_batch_file_filled_in(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    granted(campaign)
    batch = campaign.export_payments(SCHOLARSHIP, YEAR)
    rows = batch_rows(batch, headers="zh")
    header = [*rows[0], "发放结果", "发放日期", "退回日期", "银行流水号", "退回原因"]
    filled = [
        [*rows[0].values(), "paid", "2021-09-15", "", "BK1", ""],
        [*rows[1].values(), "paid", "2021-09-15", "", "BK2", ""],
        [*rows[1].values(), "returned", "", "2021-09-20", "", "户名不符"],
    ]
    done = campaign.reconcile_payments(result_file(tmp_path, filled, "回单.csv", header))
    assert (done.paid, done.returned, done.rows) == (2, 1, 3)  # rows: a payment, then its return
    grants = grants_of(campaign)
    assert (grants[G6].paid_on, grants[G6].returned_on) == (date(2021, 9, 15), date(2021, 9, 20))
    assert grants[G6].payment_reference == "BK2"


def test_a_workbook_result_with_chinese_headers(campaign: jieqin.Campaign, tmp_path: Path) -> None:
    from openpyxl import Workbook

    granted(campaign)
    book = Workbook()
    sheet = book.active
    sheet.title = "发放结果"
    sheet.append(["资助编号", "金额", "发放结果", "发放日期", "退回日期", "银行流水号", "退回原因"])
    sheet.append([G1, 5000, "paid", date(2021, 9, 15), None, "BK1", None])
    sheet.append([G6, 5000, "paid", date(2021, 9, 15), None, "BK2", None])
    sheet.append([G6, 4000, "returned", None, date(2021, 9, 30), None, "户名不符"])
    path = tmp_path / "回单.xlsx"
    book.save(path)
    with pytest.raises(InvalidInput) as refused:
        campaign.reconcile_payments(path)
    (problem,) = refused.value.problems
    assert (problem.source, problem.sheet, problem.line, problem.field) == (
        "回单.xlsx",
        "发放结果",
        4,
        "金额",
    )
    assert {g.paid_on for g in grants_of(campaign).values()} == {None}
    sheet.delete_rows(4)
    book.save(path)
    done = campaign.reconcile_payments(path)
    assert done.paid == 2


@pytest.mark.parametrize(
    ("row", "column", "says"),
    [
        (paid_row("g:nope"), "grant_id", "no grant g:nope"),
        ([G6, "4999.99", "paid", "2021-09-15", "", "", ""], "amount", "grant"),
        (returned_row(G6), "paid_on", "never paid"),
        (paid_row(G6, day="2021-08-01"), "paid_on", "before it was decided"),
        (paid_row(G6, day="2999-01-01"), "paid_on", "in the future"),
        ([G6, "5000.00", "sent", "2021-09-15", "", "", ""], "status", "not one of"),
        ([G6, "5000.00", "paid", "2021-13-01", "", "", ""], "paid_on", "2021-13-01"),
        ([G6, "5000.00", "paid", "", "", "", ""], "paid_on", "day it was paid"),
        ([G6, "5000.00", "returned", "2021-09-15", "2021-09-20", "", ""], "reason", "why"),
        ([G6, "5000.00", "paid", "2021-09-15", "", "", "成功"], "reason", "no reason"),
        ([G1, "5000.00", "returned", "2021-09-10", "2021-10-02", "", "x"], "paid_on", "stands"),
        (paid_row(G1), "grant_id", "appears again"),
    ],
)
def test_a_bad_row_writes_nothing_and_says_where(
    tmp_path: Path, row: list[str], column: str, says: str
) -> None:
    with jieqin.connect("memory://") as campaign:
        granted(campaign)
        before = grants_of(campaign)
        path = result_file(tmp_path, [paid_row(G1), row])
        with pytest.raises(InvalidInput) as refused:
            campaign.reconcile_payments(path)
        assert grants_of(campaign) == before
        (problem,) = refused.value.problems
        assert (problem.source, problem.line, problem.field) == ("result.csv", 3, column)
        assert says in problem.reason
        assert str(problem).startswith(f"result.csv line 3: {column}: ")


def test_a_revoked_grant_is_never_paid_and_a_paid_one_revoked_only_once_returned(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    granted(campaign)
    campaign.revoke_grant(G1, "重复申报", date(2021, 9, 10))
    with pytest.raises(InvalidInput, match="revoked grant is not paid"):
        campaign.reconcile_payments(result_file(tmp_path, [paid_row(G1)]))
    campaign.reconcile_payments(result_file(tmp_path, [paid_row(G6)], "paid.csv"))
    with pytest.raises(PaymentRefused, match="revoked only once its money came back"):
        campaign.revoke_grant(G6, "x", date(2021, 9, 20))
    campaign.reconcile_payments(result_file(tmp_path, [returned_row(G6)], "returned.csv"))
    assert fund_line(campaign)["committed"] == "0.00"
    with pytest.raises(InvalidValue, match="before its money came back"):
        campaign.revoke_grant(G6, "x", date(2021, 10, 1))
    revoked = campaign.revoke_grant(G6, "重新核对账户后另行发放", date(2021, 10, 3))
    assert (revoked.in_force, revoked.payment_state) == (False, PaymentState.RETURNED)
    line = fund_line(campaign)
    assert (line["committed"], line["returned"], line["remaining"]) == (
        "0.00",
        "5000.00",
        "100000.00",
    )
    # the slot is free again: a later allocation grants the member anew, unpaid
    plan = campaign.allocate(SCHOLARSHIP, YEAR, on=date(2021, 10, 5))
    assert {g.member_id for g in plan.grants} == {"h1-2", "h6-2"}
    assert fund_line(campaign)["committed"] == "10000.00"


def test_a_paid_grant_is_not_written_over(campaign: jieqin.Campaign, tmp_path: Path) -> None:
    """Whatever writes a grant, its payment is recorded only as a payment."""
    granted(campaign)
    campaign.reconcile_payments(result_file(tmp_path, [paid_row(G1)]))
    grants = grants_of(campaign)
    with campaign.unit_of_work("test") as uow:
        with pytest.raises(InvalidInput, match="a paid grant stays as it is"):
            uow.grants.update(attrs.evolve(grants[G1], amount=Decimal("1.00")))
        with pytest.raises(InvalidInput, match="record_payments"):
            uow.grants.update(attrs.evolve(grants[G6], paid_on=date(2021, 9, 15)))
        with pytest.raises(InvalidInput, match="record_payments"):
            uow.grants.upsert_many([attrs.evolve(grants[G1], paid_on=None, payment_reference="")])


# -- any corrupted file writes nothing -----------------------------------------------------

#: A corruption of one cell: the column, the text put there, what the problem says.
CORRUPTIONS = [
    ("grant_id", "g:nobody", "no grant"),
    ("amount", "5000.01", "grant"),
    ("amount", "five", "amount"),
    ("status", "ok", "not one of"),
    ("paid_on", "2021-02-30", "2021-02-30"),
    ("paid_on", "2030-01-01", "future"),
    ("paid_on", "2020-01-01", "before it was decided"),
    ("returned_on", "2021-09-01", "paid row gives no return day"),
    ("reason", "成功", "paid row gives no reason"),
]


@pytest.fixture(scope="module")
def paid_world() -> Iterator[jieqin.Campaign]:
    with jieqin.connect("memory://") as campaign:
        granted(campaign)
        yield campaign


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    order=st.permutations([G1, G6]),
    where=st.integers(0, 1),
    corruption=st.sampled_from(CORRUPTIONS),
    zh=st.booleans(),
)
def test_any_corrupted_result_writes_nothing_and_names_its_cell(
    paid_world: jieqin.Campaign,
    tmp_path_factory: pytest.TempPathFactory,
    order: list[str],
    where: int,
    corruption: tuple[str, str, str],
    zh: bool,
) -> None:
    column, text, says = corruption
    rows = [paid_row(g) for g in order]
    rows[where][RESULT.index(column)] = text
    from jieqin.io.headers import CHINESE

    names = {c: CHINESE["payment-results"][c][0] for c in RESULT} if zh else {c: c for c in RESULT}
    path = result_file(tmp_path_factory.mktemp("r"), rows, header=[names[c] for c in RESULT])
    before = grants_of(paid_world)
    with pytest.raises(InvalidInput) as refused:
        paid_world.reconcile_payments(path)
    assert grants_of(paid_world) == before
    problems = refused.value.problems
    assert problems, "a bad row is named"
    assert all(p.source == "result.csv" for p in problems)
    bad = [p for p in problems if p.line == where + 2]
    assert bad, problems
    assert bad[0].field == names[column], problems
    assert says in bad[0].reason


# -- a returned grant gives its money back exactly once ------------------------------------

#: A step: pay or return one of the two grants (from a file, maybe a file again), revoke one.
STEPS = st.tuples(
    st.sampled_from(["pay", "return", "pay_and_return", "again", "revoke"]),
    st.sampled_from([G1, G6]),
)


@settings(max_examples=25, deadline=None)
@given(steps=st.lists(STEPS, min_size=1, max_size=8))
def test_returned_money_comes_back_to_the_fund_exactly_once(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, str]]
) -> None:
    folder = tmp_path_factory.mktemp("steps")
    files: list[Path] = []
    with jieqin.connect("memory://") as campaign:
        granted(campaign)
        for n, (step, grant_id) in enumerate(steps):
            rows = {
                "pay": [paid_row(grant_id)],
                "return": [returned_row(grant_id)],
                "pay_and_return": [paid_row(grant_id), returned_row(grant_id)],
            }.get(step)
            try:
                if step == "revoke":
                    campaign.revoke_grant(grant_id, "复核", date(2021, 10, 5))
                elif step == "again":
                    if files:
                        campaign.reconcile_payments(files[-1])
                else:
                    assert rows is not None
                    files.append(result_file(folder, rows, f"r{n}.csv"))
                    campaign.reconcile_payments(files[-1])
            except JieqinError:
                pass  # refused whole: checked below that nothing moved the money
            grants = list(grants_of(campaign).values())
            holding = sum((g.amount for g in grants if g.holds_money), Decimal("0.00"))
            back = sum((g.amount for g in grants if not g.holds_money), Decimal("0.00"))
            with campaign.unit_of_work("test") as uow:
                assert uow.funds.spent(FUND) == holding
            line = fund_line(campaign)
            assert Decimal(line["remaining"]) == Decimal("100000.00") - holding
            assert holding + back == Decimal("5000.00") * len(grants)
            # a grant's money is back once: what is free is what left a grant, no more
            assert Decimal(line["remaining"]) <= Decimal("100000.00")
            for g in grants:
                assert g.holds_money == (g.in_force and g.returned_on is None)


# -- the report, on every backend ------------------------------------------------------------


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql), "jsonl"]
)
def any_campaign(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[jieqin.Campaign]:
    if request.param == "memory":
        url = "memory://"
    elif request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    elif request.param == "postgresql":
        url = request.getfixturevalue("postgresql_url")
    else:
        url = f"jsonl://{tmp_path / 'store'}"
    with jieqin.connect(url) as campaign:
        yield campaign


def test_the_report_shows_paid_unpaid_and_returned_alike_on_every_backend(
    any_campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    granted(any_campaign)
    report = any_campaign.report("2021")
    assert report.totals.payments == (PaymentLine(SCHOLARSHIP, "unpaid", 2, Decimal("10000.00")),)
    any_campaign.reconcile_payments(
        result_file(tmp_path, [paid_row(G1), paid_row(G6), returned_row(G6)])
    )
    report = any_campaign.report("2021", by_region=True)
    expected = (
        PaymentLine(SCHOLARSHIP, "paid", 1, Decimal("5000.00")),
        PaymentLine(SCHOLARSHIP, "returned", 1, Decimal("5000.00")),
    )
    assert report.totals.payments == expected
    assert [f.payments for f in report.regions.values()] == [expected]
    (grants,) = report.totals.grants
    assert (grants.count, grants.amount) == (2, Decimal("10000.00"))
    data = report.as_dict()
    assert data["grant_payments"] == [
        {"program": SCHOLARSHIP, "state": "paid", "count": 1, "amount": "5000.00"},
        {"program": SCHOLARSHIP, "state": "returned", "count": 1, "amount": "5000.00"},
    ]
    zh, en = to_table(report, lang="zh"), to_table(report, lang="en")
    for word in ("资助发放", "已发放", "已退回"):
        assert word in zh
    for word in ("grant payments", "paid", "returned"):
        assert word in en
    suppressed = any_campaign.report("2021", k=2)
    assert [(p.count, p.amount) for p in suppressed.totals.payments] == [(None, None), (None, None)]
    with any_campaign.unit_of_work("test") as uow:
        assert uow.funds.spent(FUND) == Decimal("5000.00")
