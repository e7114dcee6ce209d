"""Built-in plugin: the standard vocabularies of :mod:`jieqin.model.reference`.

Tiers, sectors, household statuses, need kinds (with the helper sectors that can
meet them), the five standing activity kinds and the categories of grievance, with
Chinese labels; and the campaign's standard parameters (``grievance_answer_days``,
the monitoring line and the warning lifecycle's days and months).
"""

from __future__ import annotations

from jieqin.model import reference
from jieqin.plugins.hookspecs import (
    RegisterCode,
    RegisterHouseholdStatus,
    RegisterNeedKind,
    RegisterObject,
    hookimpl,
)

#: Tier code -> label.
TIER_LABELS: dict[str, str] = reference.labels(reference.TIERS)

#: Sector code -> label.
SECTOR_LABELS: dict[str, str] = reference.labels(reference.SECTORS)

#: Household status code -> label.
STATUS_LABELS: dict[str, str] = reference.labels(reference.HOUSEHOLD_STATUSES)

#: Need kind -> (label, helper sectors whose strength meets it).
NEED_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    kind.code: (kind.label, kind.sectors) for kind in reference.NEED_KINDS
}

#: Activity kind code -> label.
ACTIVITY_LABELS: dict[str, str] = reference.labels(reference.ACTIVITY_KINDS)


@hookimpl(trylast=True)
def jieqin_register_tiers(register: RegisterCode) -> None:
    for entry in reference.TIERS:
        register(entry.code, entry.label)


@hookimpl(trylast=True)
def jieqin_register_sectors(register: RegisterCode) -> None:
    for entry in reference.SECTORS:
        register(entry.code, entry.label)


@hookimpl(trylast=True)
def jieqin_register_household_statuses(register: RegisterHouseholdStatus) -> None:
    for status in reference.HOUSEHOLD_STATUSES:
        register(status.code, status.label, monitored=status.monitored)


@hookimpl(trylast=True)
def jieqin_register_need_kinds(register: RegisterNeedKind) -> None:
    for kind in reference.NEED_KINDS:
        register(kind.code, kind.label, sectors=kind.sectors, sensitive=kind.sensitive)


@hookimpl(trylast=True)
def jieqin_register_activity_kinds(register: RegisterCode) -> None:
    for entry in reference.ACTIVITY_KINDS:
        register(entry.code, entry.label)


@hookimpl(trylast=True)
def jieqin_register_grievance_categories(register: RegisterCode) -> None:
    for entry in reference.GRIEVANCE_CATEGORIES:
        register(entry.code, entry.label)


@hookimpl(trylast=True)
def jieqin_register_referral_outcomes(register: RegisterCode) -> None:
    for entry in reference.REFERRAL_OUTCOMES:
        register(entry.code, entry.label)


@hookimpl(trylast=True)
def jieqin_register_parameters(register: RegisterObject[object]) -> None:
    from jieqin.needs.referrals import CORE_PARAMETERS
    from jieqin.rules.monitoring import STANDARD_PARAMETERS as MONITORING
    from jieqin.services.grievances import STANDARD_PARAMETERS

    for parameter in (*STANDARD_PARAMETERS, *CORE_PARAMETERS.by_name.values(), *MONITORING):
        register(parameter)
