"""Tongchuan (铜川) for jieqin: programmes, agency, winter check, region names and the
medical-insurance settlement feed (医保结算).

Uses only the public ``jieqin`` API, as every regional plugin should.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from jieqin import (
    AidProgram,
    Checklist,
    NeedKind,
    Parameters,
    Program,
    ProgramKind,
    all_of,
    college_freshman,
    hookimpl,
    household_paired,
    major_illness,
)

__all__ = [
    "EMPLOYMENT_CENTER",
    "FRESHMAN_SCHOLARSHIP",
    "MAJOR_ILLNESS_GRANT",
    "PROVINCE",
    "REGION",
    "REGION_NAMES",
    "WINTER_CHECK",
    "default_parameters",
    "monitoring_parameters",
    "programs",
]

#: The region prefix of Tongchuan (铜川市, 610200): its programmes serve no household elsewhere.
REGION = "6102"

FRESHMAN_SCHOLARSHIP = "tc_freshman_scholarship"
MAJOR_ILLNESS_GRANT = "tc_major_illness_grant"
EMPLOYMENT_CENTER = "tc_employment_promotion_center"

REGION_NAMES = {
    "610200": "铜川市",
    "610202": "王益区",
    "610203": "印台区",
    "610204": "耀州区",
    "610222": "宜君县",
}

#: The safe-and-warm-winter check (安全温暖过冬): each item lacking is a need.
WINTER_CHECK = Checklist(
    "safe_warm_winter",
    "安全温暖过冬",
    {
        "food": NeedKind.WINTER_FOOD,
        "clothing_and_bedding": NeedKind.WINTER_CLOTHING,
        "heating": NeedKind.WINTER_HEATING,
    },
)


def default_parameters() -> Parameters:
    """The dated amounts shipped with the plugin (``parameters.toml``)."""
    with resources.as_file(resources.files(__name__) / "parameters.toml") as path:
        return Parameters.load(path)


#: The region prefix of Shaanxi (陕西省, 610000): its monitoring line holds for the
#: province's households.
PROVINCE = "61"


def monitoring_parameters() -> Parameters:
    """Shaanxi's dated monitoring line shipped with the plugin (``monitoring.toml``)."""
    with resources.as_file(resources.files(__name__) / "monitoring.toml") as path:
        return Parameters.load(path)


def programs(parameters: Parameters | None = None) -> list[AidProgram]:
    """Tongchuan's two charity programmes, for households in Tongchuan (:data:`REGION`);
    ``parameters`` override the shipped ones."""
    values = default_parameters() | (parameters or Parameters())
    scholarship = AidProgram(
        Program(
            FRESHMAN_SCHOLARSHIP,
            "大学新生助学金",
            "省、市各界爱心济困协会",
            ProgramKind.SCHOLARSHIP,
            serves={NeedKind.SCHOOLING},
        ),
        all_of("freshman_scholarship", college_freshman(), household_paired()),
        version="2021.1",
        parameters=values,
        amount_parameter="freshman_scholarship_amount",
        description="5,000 yuan to each college freshman of a paired household, in the year of entry",
        regions={REGION},
    )
    illness = AidProgram(
        Program(
            MAJOR_ILLNESS_GRANT,
            "大病救助金",
            "省各界爱心济困协会",
            ProgramKind.CASH_GRANT,
            serves={NeedKind.MEDICAL},
        ),
        all_of("major_illness_grant", major_illness(), household_paired()),
        version="2021.1",
        parameters=values,
        amount_parameter="major_illness_grant_amount",
        description="5,000 yuan to each member of a paired household with a major illness",
        regions={REGION},
    )
    return [scholarship, illness]


@hookimpl
def jieqin_register_programs(register: Callable[[object], None]) -> None:
    for program in programs():
        register(program)


@hookimpl
def jieqin_register_regional_parameters(register: Callable[[str, object], None]) -> None:
    parameters = monitoring_parameters()
    for name in parameters:
        register(PROVINCE, parameters.get(name))


@hookimpl
def jieqin_register_agencies(register: Callable[..., None]) -> None:
    register(
        EMPLOYMENT_CENTER,
        "铜川市就业促进中心",
        need_kinds=(NeedKind.EMPLOYMENT, NeedKind.SKILLS_TRAINING),
        regions={REGION},
    )


@hookimpl
def jieqin_register_need_kinds(register: Callable[..., None]) -> None:
    labels = {"food": "过冬粮油菜", "clothing_and_bedding": "御寒衣被", "heating": "取暖"}
    sectors = {"food": ("social_work", "agriculture"), "heating": ("social_work", "construction")}
    for item, kind in WINTER_CHECK.items.items():
        register(str(kind), labels[item], sectors=sectors.get(item, ("social_work",)))


@hookimpl
def jieqin_register_observation_feeds(register: Callable[..., None]) -> None:
    from jieqin_tongchuan.feeds import MEDICAL_SETTLEMENT, read_medical_settlements

    register(
        MEDICAL_SETTLEMENT,
        "医保结算",
        read_medical_settlements,
        kinds=("medical",),
        english="medical-insurance settlements",
    )


@hookimpl
def jieqin_register_region_names(register: Callable[[str, str], None]) -> None:
    for code, name in REGION_NAMES.items():
        register(code, name)


__version__ = "0.1.0"
