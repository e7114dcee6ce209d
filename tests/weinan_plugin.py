"""Weinan (渭南市, 6105): a regional plugin installed beside Tongchuan's, public API only.

A heating subsidy once per household and an allowance per elderly member, both for
Weinan's households only, and a household cap across the two. The tests install it
as a distribution (its source) or pass it to ``jieqin.connect(plugins=[...])``.
"""

from __future__ import annotations

from collections.abc import Callable

from jieqin import (
    AidProgram,
    GrantCap,
    Parameters,
    Program,
    ProgramKind,
    check,
    fact,
    hookimpl,
    param,
)

HEATING = "wn_heating_subsidy"
ALLOWANCE = "wn_elderly_allowance"
CAP = "wn_household_cap"
SOURCE = "渭南市民政局 2021 年冬季救助通知"


def _yuan(value: str) -> dict[str, object]:
    return {"unit": "yuan", "values": [{"since": "2021-01-01", "value": value, "source": SOURCE}]}


PARAMETERS = Parameters.from_mapping(
    {
        "wn_heating_amount": _yuan("800"),
        "wn_allowance_amount": _yuan("500"),
        "wn_household_cap_amount": _yuan("1000"),
        "wn_elderly_age": {"values": [{"since": "2021-01-01", "value": 70, "source": SOURCE}]},
    }
)


def programs(parameters: Parameters = PARAMETERS) -> list[AidProgram]:
    """The heating subsidy (per household) and the elderly allowance (per member)."""
    elderly = check("elderly", fact("age") >= param("wn_elderly_age"), "aged 70 or more")
    cap = GrantCap(CAP, "wn_household_cap_amount", programs={HEATING, ALLOWANCE})
    heating = AidProgram(
        Program(
            HEATING, "冬季取暖补贴", "渭南市民政局", ProgramKind.CASH_GRANT, grant_unit="household"
        ),
        elderly,
        version="2021.1",
        parameters=parameters,
        amount_parameter="wn_heating_amount",
        regions={"6105"},
        caps=[cap],
    )
    allowance = AidProgram(
        Program(ALLOWANCE, "高龄津贴", "渭南市民政局", ProgramKind.CASH_GRANT),
        elderly,
        version="2021.1",
        parameters=parameters,
        amount_parameter="wn_allowance_amount",
        regions={"610500"},
        caps=[cap],
    )
    return [heating, allowance]


@hookimpl
def jieqin_register_programs(register: Callable[[object], None]) -> None:
    for program in programs():
        register(program)
