"""Paying grants: a batch file for the bank, and the bank's result reconciled.

A grant is decided by an allocation; its money then goes out through a bank (or a
charity that pays). :func:`export_batch` puts the grants of a programme period that
await payment (in force, not paid, in no batch yet) into a new payment batch,
recorded on each grant (``batch_id``, audited as ``batch``), and gives the lines of
the file to send; an earlier batch can be given again (the grants of it that still
await payment). :func:`write_batch` writes them as CSV or XLSX
(:data:`~jieqin.io.kinds.PAYMENT_BATCHES`): the bank matches each row on
``grant_id``. The payee's name and resident ID number are masked unless revealed.

:func:`reconcile` reads the bank's result (:data:`~jieqin.io.kinds.PAYMENT_RESULTS`,
CSV or XLSX, English or Chinese headers): per grant, ``paid`` with the day and the
bank's reference, or ``returned`` with the day and the reason. The whole file is
checked before anything is written, and any bad row writes nothing: an unknown grant,
an amount other than the grant's, a return of a grant never paid, a payment of a
revoked grant, a payment or return that differs from the one recorded. Every problem
names the file, the row, the column and the reason. A row already recorded changes
nothing, so the same file imported twice changes nothing the second time. A returned
grant's money is back in its fund (``FundRepository.spent`` leaves it out).

Every function works in the unit of work it is given; those that write commit it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from decimal import Decimal
from typing import IO, Any

import attrs
from attrs import frozen

from jieqin._masking import mask_name, mask_resident_id
from jieqin.errors import (
    InvalidInput,
    InvalidValue,
    NotFound,
    PaymentRefused,
    Problem,
)
from jieqin.io.headers import HeaderTable
from jieqin.io.importer import DEFAULT_MAX_ERRORS, parse_placed
from jieqin.io.kinds import PAYMENT_BATCHES, PAYMENT_RESULTS
from jieqin.io.text import AUTO
from jieqin.model import Grant, Household, Period
from jieqin.model.money import ZERO
from jieqin.model.payments import PaymentResult, PaymentStatus, payment_step
from jieqin.services.aid import record_id
from jieqin.storage._common import GRANT_PAYMENTS
from jieqin.storage.base import UnitOfWork

__all__ = [
    "BatchLine",
    "PaymentBatch",
    "Reconciliation",
    "batch_id",
    "export_batch",
    "reconcile",
    "write_batch",
]

#: The name shown for a payee whose household the reader may not see.
MASKED_PAYEE = "<masked>"


@frozen
class BatchLine:
    """One row of a payment batch: a grant to pay, its payee and its amount."""

    batch_id: str
    grant_id: str
    household_id: str
    member_id: str | None
    payee_name: str
    """The member's name (for a household grant, the head's): masked unless revealed."""
    resident_id: str | None
    """The payee's resident ID number: masked unless revealed (``None``: none on record)."""
    amount: Decimal
    program_id: str
    period: Period
    fund_id: str

    def row(self) -> dict[str, Any]:
        """The line as the batch file's cells (:data:`~jieqin.io.kinds.PAYMENT_BATCHES`)."""
        return {
            "batch_id": self.batch_id,
            "grant_id": self.grant_id,
            "household_id": self.household_id,
            "member_id": self.member_id,
            "payee_name": self.payee_name,
            "resident_id": self.resident_id,
            "amount": str(self.amount),
            "program_id": self.program_id,
            "period": str(self.period),
            "fund_id": self.fund_id,
        }


@frozen
class PaymentBatch:
    """A batch of grants to pay, as exported."""

    batch_id: str
    lines: tuple[BatchLine, ...]
    new: bool
    """The grants were put in this batch now (else an earlier batch, given again)."""
    left_out: int = 0
    """Grants of an earlier batch that await payment no more (paid, returned or revoked
    since): they are not in the file again."""
    revealed: bool = False
    """Names and resident ID numbers are in clear."""

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    def summary(self) -> dict[str, Any]:
        """The batch as plain data (what ``jieqin payments export --json`` prints)."""
        return {
            "batch": self.batch_id,
            "new": self.new,
            "grants": len(self.lines),
            "total": str(self.total),
            "left_out": self.left_out,
            "revealed": self.revealed,
        }


def batch_id(program_id: str, period: Period, number: int) -> str:
    """The id of the ``number``-th payment batch (from 1) of a programme period."""
    return record_id("pb", program_id, str(period), str(number))


def _awaiting(grant: Grant) -> bool:
    """Whether the grant's money is still to be paid: in force and not paid."""
    return grant.in_force and grant.paid_on is None


def export_batch(
    uow: UnitOfWork,
    program_id: str,
    period: Period,
    *,
    fund_id: str | None = None,
    batch: str | None = None,
    reveal: bool = False,
) -> PaymentBatch:
    """The grants of ``program_id`` for ``period`` (of ``fund_id``, if given) that
    await payment and are in no batch, put in a new batch (commits); or, with
    ``batch``, that earlier batch again (reads only): its grants that still await
    payment. Names and resident ID numbers are masked unless ``reveal`` (the caller
    checks and audits the reveal).

    :raises NotFound: nothing awaits payment (of the batch), or no such batch.
    :raises InvalidValue: the batch is of another programme, period or fund.
    """
    grants = uow.grants.list(program_id=program_id, period=str(period))
    if batch is not None:
        return _again(uow, grants, program_id, period, fund_id, batch, reveal)
    chosen = [
        g
        for g in grants
        if _awaiting(g) and g.batch_id is None and (fund_id is None or g.fund_id == fund_id)
    ]
    if not chosen:
        of_fund = f" from fund {fund_id}" if fund_id else ""
        raise NotFound(
            f"no grant of {program_id} for {period}{of_fund} awaits payment outside a batch "
            "(granted, not paid, in no batch); `jieqin grants list` shows their payments"
        )
    used = {g.batch_id for g in grants if g.batch_id is not None}
    number = len(used) + 1
    while batch_id(program_id, period, number) in used:
        number += 1
    chosen_id = batch_id(program_id, period, number)
    batched = [attrs.evolve(g, batch_id=chosen_id) for g in chosen]
    uow.grants.record_payments(batched)
    lines = _lines(uow, chosen_id, batched, reveal)
    uow.commit()
    return PaymentBatch(chosen_id, lines, new=True, revealed=reveal)


def _again(
    uow: UnitOfWork,
    grants: Sequence[Grant],
    program_id: str,
    period: Period,
    fund_id: str | None,
    batch: str,
    reveal: bool,
) -> PaymentBatch:
    """An earlier batch given again: its grants that still await payment."""
    mine = [g for g in grants if g.batch_id == batch]
    if not mine:
        elsewhere = uow.grants.list(batch_id=batch)
        if elsewhere:
            first = elsewhere[0]
            raise InvalidValue(
                f"batch {batch} is of {first.program_id} for {first.period}, not of "
                f"{program_id} for {period}",
                field="batch",
            )
        raise NotFound(
            f"no payment batch {batch}; `jieqin grants list --json` shows grants' batches"
        )
    funds = sorted({g.fund_id for g in mine})
    if fund_id is not None and funds != [fund_id]:
        raise InvalidValue(
            f"batch {batch} pays from fund {', '.join(funds)}, not {fund_id}", field="fund"
        )
    waiting = [g for g in mine if _awaiting(g)]
    if not waiting:
        raise NotFound(
            f"nothing of batch {batch} awaits payment: its {len(mine)} grants were paid, "
            "returned or revoked since"
        )
    lines = _lines(uow, batch, waiting, reveal)
    return PaymentBatch(batch, lines, new=False, left_out=len(mine) - len(waiting), revealed=reveal)


def _lines(
    uow: UnitOfWork, batch: str, grants: Sequence[Grant], reveal: bool
) -> tuple[BatchLine, ...]:
    households = uow.households.find_many({g.household_id for g in grants})
    lines = []
    for grant in grants:
        name, number = _payee(households.get(grant.household_id), grant.member_id)
        lines.append(
            BatchLine(
                batch_id=batch,
                grant_id=grant.grant_id,
                household_id=grant.household_id,
                member_id=grant.member_id,
                payee_name=name if reveal else mask_name(name),
                resident_id=None
                if number is None
                else (number if reveal else mask_resident_id(number)),
                amount=grant.amount,
                program_id=grant.program_id,
                period=grant.period,
                fund_id=grant.fund_id,
            )
        )
    return tuple(lines)


def _payee(household: Household | None, member_id: str | None) -> tuple[str, str | None]:
    """The payee's name and resident ID number: the member, or the household's head."""
    if household is None:
        return MASKED_PAYEE, None
    try:
        payee = household.member(member_id) if member_id is not None else household.head
    except (KeyError, StopIteration):
        return MASKED_PAYEE, None
    return payee.name, payee.resident_id


def write_batch(
    batch: PaymentBatch,
    out: IO[Any] | str | os.PathLike[str],
    *,
    format: str = "csv",
    headers: str = "en",
) -> int:
    """Write the batch's lines to ``out`` (a text stream for CSV; a binary stream or a
    path for XLSX); returns how many rows. Text cells a spreadsheet would run as a
    formula are neutralised (:func:`jieqin.io.cells.neutralise_cell`)."""
    rows = [line.row() for line in batch.lines]
    if format == "xlsx":
        from jieqin.io.xlsx_format import write_xlsx

        return write_xlsx(PAYMENT_BATCHES, rows, out, headers=headers)
    if format != "csv":
        raise InvalidValue(f"a batch is written as csv or xlsx, not {format!r}", field="format")
    from jieqin.io.csv_format import write_csv

    return write_csv(PAYMENT_BATCHES, rows, out, headers=headers)  # type: ignore[arg-type]


# -- the bank's result --------------------------------------------------------------------


@frozen
class Reconciliation:
    """What a result file recorded."""

    source: str
    rows: int
    paid: int
    """Rows that recorded a payment now."""
    returned: int
    """Rows that recorded a return now: that money is back in its fund."""
    unchanged: int
    """Rows recorded before (the same file again changes nothing)."""
    paid_amount: Decimal = ZERO
    returned_amount: Decimal = ZERO

    def summary(self) -> dict[str, Any]:
        """Plain data (what ``jieqin payments reconcile --json`` prints)."""
        return {
            "source": self.source,
            "rows": self.rows,
            "paid": self.paid,
            "returned": self.returned,
            "unchanged": self.unchanged,
            "paid_amount": str(self.paid_amount),
            "returned_amount": str(self.returned_amount),
        }


#: A grant's field -> the result file's column that gave it.
_COLUMN_OF = {
    "paid_on": "paid_on",
    "payment_reference": "reference",
    "returned_on": "returned_on",
    "return_reason": "reason",
    "revoked_on": "status",
    "batch_id": "batch_id",
    "grant_id": "grant_id",
}


def reconcile(
    uow: UnitOfWork,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    encoding: str = AUTO,
    headers: HeaderTable | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
) -> Reconciliation:
    """Record the bank's result file ``path`` (see the module), all or nothing; commits.

    :raises InvalidInput: any bad row, each problem with its file, row, column and
        reason (at most ``max_errors``); nothing was written.
    """
    parsed, places = parse_placed(
        path, PAYMENT_RESULTS, format=format, encoding=encoding, headers=headers
    )
    source = os.path.basename(os.fspath(path))
    problems: list[Problem] = []
    rows: list[tuple[int, PaymentResult]] = []
    for record in parsed:
        if record.problems:
            problems.extend(record.problems)
        elif isinstance(record.value, PaymentResult):
            rows.append((record.line, record.value))
        if len(problems) >= max_errors:
            break
    settled = _Settling(uow, source, rows)
    problems += [places.problem(p) for p in settled.problems(checked=not problems)]
    if problems:
        raise _refusal(problems, max_errors)
    if settled.changed:
        uow.grants.record_payments(settled.changed)
    uow.commit()
    return settled.result()


def _refusal(problems: Sequence[Problem], max_errors: int) -> InvalidInput:
    ordered = sorted(problems, key=lambda p: (p.line or 0, p.field or ""))
    return InvalidInput(ordered[:max_errors], truncated=len(ordered) > max_errors)


class _Settling:
    """The rows of one result file applied, in file order, to the grants they name."""

    def __init__(
        self, uow: UnitOfWork, source: str, rows: Sequence[tuple[int, PaymentResult]]
    ) -> None:
        self.uow = uow
        self.source = source
        self.rows = rows
        self.stored: dict[str, Grant] = uow.grants.find_many({r.grant_id for _, r in rows})
        self.now: dict[str, Grant] = dict(self.stored)
        self.found: list[Problem] = []
        self.steps: list[str | None] = []
        for line, row in rows:
            self.steps.append(self._apply(line, row))

    def _problem(self, line: int, column: str, reason: str) -> None:
        self.found.append(Problem(reason, field=column, source=self.source, line=line))

    def _apply(self, line: int, row: PaymentResult) -> str | None:
        """Move the grant's payment by one row; ``None`` when the row changes nothing
        (or is refused, a problem recorded)."""
        grant = self.now.get(row.grant_id)
        if grant is None:
            self._problem(line, "grant_id", f"no grant {row.grant_id}")
            return None
        before = len(self.found)
        if row.amount != grant.amount:
            self._problem(
                line, "amount", f"is {row.amount}; grant {grant.grant_id} is of {grant.amount} yuan"
            )
        if row.batch_id is not None and row.batch_id != grant.batch_id:
            self._problem(
                line,
                "batch_id",
                f"grant {grant.grant_id} is in batch {grant.batch_id or 'none'}, not "
                f"{row.batch_id}",
            )
        target = self._target(line, grant, row)
        if target is None or len(self.found) > before:
            return None
        try:
            step = payment_step(grant, target)
        except PaymentRefused as exc:
            self._problem(line, _refused_column(grant, row), str(exc))
            return None
        self.now[grant.grant_id] = target
        return step

    def _target(self, line: int, grant: Grant, row: PaymentResult) -> Grant | None:
        """The grant as the row would leave it (the model's invariants checked)."""
        if grant.revoked_on is not None and grant.paid_on is None:
            self._problem(
                line,
                "status",
                f"grant {grant.grant_id} was revoked on {grant.revoked_on}: a revoked grant "
                "is not paid (was it paid before it was revoked? settle it with the bank)",
            )
            return None
        paid_on = row.paid_on if row.paid_on is not None else grant.paid_on
        reference = row.reference or grant.payment_reference
        changes: dict[str, Any] = {"paid_on": paid_on, "payment_reference": reference}
        if row.status is PaymentStatus.RETURNED:
            if paid_on is None:
                self._problem(
                    line,
                    "paid_on",
                    f"grant {grant.grant_id} was never paid: its money cannot come back "
                    "(give the day it was paid, or a paid row before this one)",
                )
                return None
            changes |= {"returned_on": row.returned_on, "return_reason": row.reason}
        try:
            return attrs.evolve(grant, **changes)
        except InvalidValue as exc:
            self._problem(line, _COLUMN_OF.get(exc.field or "", "status"), exc.reason)
            return None

    @property
    def changed(self) -> list[Grant]:
        """The grants whose payment the file moves on, as it leaves them."""
        return [g for k, g in self.now.items() if g != self.stored[k]]

    def problems(self, *, checked: bool = True) -> list[Problem]:
        """Every row's problem, and (``checked``, when there is none) the write checks'
        ones (a day after today)."""
        found = list(self.found)
        changed = self.changed
        if changed and checked and not found:
            lines = {row.grant_id: line for line, row in self.rows}
            for problem in self.uow.problems(GRANT_PAYMENTS, changed):
                index = (problem.line or 1) - 1
                grant = changed[index]
                column = _COLUMN_OF.get(problem.field or "", problem.field or "grant_id")
                found.append(
                    Problem(
                        problem.reason, field=column, source=self.source, line=lines[grant.grant_id]
                    )
                )
        return found

    def result(self) -> Reconciliation:
        paid = returned = unchanged = 0
        paid_amount = returned_amount = ZERO
        for (_, row), step in zip(self.rows, self.steps, strict=True):
            amount = self.stored[row.grant_id].amount
            if step == "return":
                returned += 1
                returned_amount += amount
            elif step == "pay":
                paid += 1
                paid_amount += amount
            else:
                unchanged += 1
        return Reconciliation(
            self.source, len(self.rows), paid, returned, unchanged, paid_amount, returned_amount
        )


def _refused_column(grant: Grant, row: PaymentResult) -> str:
    """The column a refused step is about: the status (a revoked grant), the return
    recorded before, else the payment recorded before."""
    if grant.revoked_on is not None:
        return "status"
    if row.status is PaymentStatus.RETURNED and grant.returned_on is not None:
        return "returned_on"
    return "paid_on"
