"""Programmes whose rules read other grants: two that exclude each other, one once only.

Used by the cross-programme concurrency tests and ``benchmarks/load.py``: processes
allocating them at once must never give a member both excluding grants, or the
once-only grant in two periods.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from jieqin import AidProgram, all_of, hookimpl, not_granted_before
from jieqin.model import (
    Fund,
    Helper,
    Household,
    Member,
    Pairing,
    Program,
    ProgramKind,
    RegionCode,
    Relation,
    Sex,
    StatusChange,
    Year,
)
from jieqin.model.identity import birthplace_codes, check_digit

AMOUNT = Decimal(100)


def _program(program_id: str, *excluded: str) -> AidProgram:
    program = Program(program_id, program_id, "Charity", ProgramKind.CASH_GRANT, AMOUNT)
    return AidProgram(program, all_of(program_id, *(not_granted_before(p) for p in excluded)))


#: Two programmes excluding each other, and one granted once per person whatever the year.
EXCLUDING_A = _program("excl_a", "excl_b")
EXCLUDING_B = _program("excl_b", "excl_a")
ONCE_ONLY = _program("once_c", "once_c")
PROGRAMS = (EXCLUDING_A, EXCLUDING_B, ONCE_ONLY)

#: What the processes allocate: (programme, period).
ALLOCATIONS = (("excl_a", 2021), ("excl_b", 2021), ("once_c", 2021), ("once_c", 2022))


class ExclusivePlugin:
    """Registers :data:`PROGRAMS`."""

    @staticmethod
    @hookimpl
    def jieqin_register_programs(register: Callable[[object], None]) -> None:
        for program in PROGRAMS:
            register(program)


def _member(n: int) -> Member:
    born = date(1980, 1, 1)
    first17 = f"{birthplace_codes(1980, within='6102')[0]}{born:%Y%m%d}{n % 1000:03d}"
    return Member(f"x{n}-1", "赵六", Sex.MALE, born, first17 + check_digit(first17), Relation.HEAD)


def records(households: int) -> dict[str, list[object]]:
    """A helper paired with ``households`` one-member households, and a fund for each
    programme period with room for everyone."""
    homes = [
        Household(
            f"x{n}",
            RegionCode("610202001001"),
            [_member(n)],
            [StatusChange("lifted_out", date(2020, 1, 1))],
        )
        for n in range(households)
    ]
    budget = AMOUNT * households
    return {
        "helpers": [
            Helper("px", "孙老师", "city_member", RegionCode("610202"), capacity=households)
        ],
        "households": homes,
        "pairings": [Pairing("px", h.household_id, date(2021, 1, 1)) for h in homes],
        "programs": [p.program for p in PROGRAMS],
        "funds": [Fund(f"{p}-{y}", p, Year(y), budget) for p, y in ALLOCATIONS],
    }
