"""Money: Decimal yuan with two places, never float.

A float amount is refused outright, because ``0.1 + 0.2`` style errors in a fund's
balance are exactly what an audit finds a year later.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from jieqin.errors import InvalidValue

__all__ = ["FEN", "LARGEST", "ZERO", "yuan"]

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
#: The largest amount any record may carry: a trillion yuan. Far above any fund or
#: household figure, and well inside what every backend stores exactly as whole fen
#: in a 64-bit integer, so a mistyped ID number in an amount column is refused here,
#: named by its field, instead of overflowing the database driver.
LARGEST = Decimal("1000000000000.00")


def yuan(value: Decimal | int | str, *, field: str = "amount") -> Decimal:
    """Return ``value`` as a Decimal number of yuan with exactly two places.

    Accepts a Decimal, an int or a numeric string (``"5000"``, ``"5000.00"``). Refuses
    floats, booleans, non-finite numbers and amounts with fractions of a fen.
    """
    if isinstance(value, (bool, float)):
        raise InvalidValue(
            f"money must be a Decimal, int or string, not {type(value).__name__} {value!r}",
            field=field,
        )
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise InvalidValue(f"invalid amount {value!r}", field=field) from None
    else:
        raise InvalidValue(f"invalid amount of type {type(value).__name__}", field=field)
    if not amount.is_finite():
        raise InvalidValue(f"amount must be finite, got {amount}", field=field)
    quantized = amount.quantize(FEN)
    if quantized != amount:
        raise InvalidValue(f"amount {amount} has fractions of a fen", field=field)
    if abs(quantized) > LARGEST:
        raise InvalidValue(
            f"amount is larger than the largest allowed, {LARGEST:,.0f} yuan", field=field
        )
    return quantized


def nonnegative_yuan(value: Decimal | int | str) -> Decimal:
    """:func:`yuan`, refusing amounts below zero (budgets, grant amounts)."""
    amount = yuan(value)
    if amount < 0:
        raise InvalidValue(f"amount must not be negative, got {amount}", field="amount")
    return amount
