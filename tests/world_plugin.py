"""The programmes and agencies the tests' sample campaigns name, registered as a plugin.

The write path accepts only registered codes, so the small hand-made worlds
(:mod:`activity_world`, ``reliability/_world.py``, the contract's ``make_*``
records) come with the programmes and agencies they refer to. The ``campaign``
fixture of this test suite connects with it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from jieqin import AidProgram, check, fact, hookimpl
from jieqin.model import Program, ProgramKind

_PROGRAMS = (
    Program(
        "scholarship",
        "Charity scholarship",
        "Provincial charity association",
        ProgramKind.SCHOLARSHIP,
        Decimal(5000),
    ),
    Program(
        "illness",
        "Major illness grant",
        "Provincial charity association",
        ProgramKind.CASH_GRANT,
        Decimal(5000),
    ),
    Program(
        "major-illness",
        "大病救助",
        "省慈善协会",
        ProgramKind.CASH_GRANT,
        Decimal(5000),
        serves=frozenset({"medical"}),
    ),
    Program(
        "p_scholarship",
        "爱心助学金",
        "市爱心济困协会",
        ProgramKind.SCHOLARSHIP,
        Decimal(5000),
        serves=frozenset({"schooling"}),
    ),
)

_AGENCIES = {
    "employment_center": ("Employment center", ("employment",)),
    "health_bureau": ("Health bureau", ("medical",)),
}


class TestWorlds:
    """Registers :data:`_PROGRAMS` (anyone eligible) and :data:`_AGENCIES`."""

    __test__ = False

    @staticmethod
    @hookimpl
    def jieqin_register_programs(register: Callable[[object], None]) -> None:
        for program in _PROGRAMS:
            register(AidProgram(program, eligibility=check("anyone", fact("age") >= 0)))

    @staticmethod
    @hookimpl
    def jieqin_register_agencies(register: Callable[..., None]) -> None:
        for agency_id, (name, kinds) in _AGENCIES.items():
            register(agency_id, name, need_kinds=kinds)


WORLDS = TestWorlds()
