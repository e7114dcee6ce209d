"""Paying grants: where a grant's money is, and what a bank says it did with it.

A grant is decided (``unpaid``), then paid, and its money may come back (``returned``:
an account closed, a name that did not match). Paying and returning are dated, with
the bank's reference and, for a return, its reason; both stand once recorded. A
returned grant holds no money of its fund any more. A paid grant is revoked only once
its money was returned; a revoked grant is never paid.

:class:`PaymentResult` is one row of a bank's result file, as ``jieqin payments
reconcile`` reads it; :func:`payment_step` says whether a grant may move from one
payment state to another, the one rule every backend and the write checks apply.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from jieqin.errors import InvalidValue, PaymentRefused
from jieqin.model._fields import (
    MAX_TEXT,
    MONEY,
    enum_field,
    id_field,
    nonnegative,
    optional_date,
    optional_id,
)

if TYPE_CHECKING:
    from jieqin.model.aid import Grant

__all__ = [
    "PAYMENT_FIELDS",
    "PaymentResult",
    "PaymentState",
    "PaymentStatus",
    "payment_step",
]

#: The fields of a grant that record its payment; only a payment changes them.
PAYMENT_FIELDS = ("batch_id", "paid_on", "payment_reference", "returned_on", "return_reason")


class PaymentState(StrEnum):
    """Where a grant's money is."""

    UNPAID = "unpaid"
    """Granted, not paid yet: the fund holds the money for it."""
    PAID = "paid"
    """Paid to the household."""
    RETURNED = "returned"
    """Paid, then returned by the bank: the money is back in the fund."""


class PaymentStatus(StrEnum):
    """What a bank's result row says of a grant."""

    PAID = "paid"
    RETURNED = "returned"


def short_text(instance: object, attribute: Any, value: object) -> None:
    """Text of at most :data:`MAX_TEXT` characters (may be empty)."""
    if not isinstance(value, str):
        raise InvalidValue("must be text", field=attribute.name)
    if len(value) > MAX_TEXT:
        raise InvalidValue(
            f"is {len(value)} characters long; at most {MAX_TEXT}", field=attribute.name
        )


@frozen
class PaymentResult:
    """One row of a bank's (or charity's) result file: what became of one grant's payment.

    A ``paid`` row gives the day it was paid (``paid_on``) and may give the bank's
    ``reference``; a ``returned`` row gives the day the money came back
    (``returned_on``) and why (``reason``), and the day it was paid if that was not
    recorded before. ``amount`` must be the grant's; ``batch_id``, if given, its batch.
    """

    grant_id: str = field(validator=id_field)
    status: PaymentStatus = field(converter=enum_field(PaymentStatus))  # type: ignore[misc]
    amount: Decimal = field(converter=MONEY, validator=nonnegative)  # type: ignore[misc]
    paid_on: date | None = field(default=None, validator=optional_date)
    returned_on: date | None = field(default=None, validator=optional_date)
    reference: str = field(default="", validator=short_text)
    reason: str = field(default="", validator=short_text)
    batch_id: str | None = field(default=None, validator=optional_id)

    def __attrs_post_init__(self) -> None:
        if self.status is PaymentStatus.PAID:
            if self.paid_on is None:
                raise InvalidValue("a paid row gives the day it was paid", field="paid_on")
            if self.returned_on is not None:
                raise InvalidValue(
                    "a paid row gives no return day (a returned row says status returned)",
                    field="returned_on",
                )
            if self.reason.strip():
                raise InvalidValue(
                    "a paid row gives no reason (the reason is a returned row's)", field="reason"
                )
            return
        if self.returned_on is None:
            raise InvalidValue(
                "a returned row gives the day the money came back", field="returned_on"
            )
        if not self.reason.strip():
            raise InvalidValue("a returned row says why the money came back", field="reason")
        if self.paid_on is not None and self.returned_on < self.paid_on:
            raise InvalidValue(
                f"returned {self.returned_on.isoformat()}, before it was paid "
                f"{self.paid_on.isoformat()}",
                field="returned_on",
            )


def _payment(grant: Grant) -> tuple[Any, ...]:
    return tuple(getattr(grant, name) for name in PAYMENT_FIELDS)


def _rest(grant: Grant) -> dict[str, Any]:
    """Every field of the grant but its payment's."""
    import attrs

    return {
        a.name: getattr(grant, a.name)
        for a in attrs.fields(type(grant))
        if a.name not in PAYMENT_FIELDS
    }


def payment_step(before: Grant, after: Grant) -> str | None:
    """How ``after`` moves the payment of the stored grant ``before`` on: ``batch`` (put
    in a payment batch), ``pay``, ``return``, or ``None`` when nothing changes.

    A payment only moves forward: a grant's batch, payment and return each stand once
    recorded, a revoked grant is not paid, batched or returned, and nothing but the
    payment changes (the audit log's action is the step's name).

    :raises PaymentRefused: ``after`` changes anything else, or goes back or sideways.
    """
    name = before.grant_id
    changed = sorted(k for k, v in _rest(after).items() if _rest(before)[k] != v)
    if changed:
        raise PaymentRefused(
            f"grant {name}: recording a payment changes only the payment, not {', '.join(changed)}"
        )
    if _payment(before) == _payment(after):
        return None
    if before.revoked_on is not None:
        raise PaymentRefused(
            f"grant {name} was revoked on {before.revoked_on}: a revoked grant is not paid, "
            "put in a batch or returned"
        )
    if before.batch_id is not None and after.batch_id != before.batch_id:
        raise PaymentRefused(
            f"grant {name} is in payment batch {before.batch_id}; a batch stands (export it "
            f"again with `jieqin payments export --batch {before.batch_id}`)"
        )
    if before.paid_on is not None:
        if (after.paid_on, after.payment_reference) != (before.paid_on, before.payment_reference):
            reference = before.payment_reference or "none"
            raise PaymentRefused(
                f"grant {name} was paid on {before.paid_on} (reference {reference}); a payment "
                "stands: it is not paid again or changed"
            )
        if after.batch_id != before.batch_id:
            raise PaymentRefused(f"grant {name} was paid on {before.paid_on}: it is not batched")
    if before.returned_on is not None:
        raise PaymentRefused(
            f"grant {name}'s money was returned on {before.returned_on} "
            f"({before.return_reason}); a return stands"
        )
    if after.returned_on is not None:
        return "return"
    if after.paid_on is not None and before.paid_on is None:
        return "pay"
    return "batch"
