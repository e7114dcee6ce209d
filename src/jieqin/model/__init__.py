"""The pure domain model of jieqin: values and their invariants, no I/O.

Nothing here knows about storage, plugins or serialization; everything else in
jieqin depends on this package and not the other way round.
"""

from jieqin.model.activities import Activity
from jieqin.model.aid import (
    ConditionOutcome,
    Decision,
    Fund,
    FundChange,
    FundChangeKind,
    Grant,
    Outcome,
    Program,
    ProgramKind,
)
from jieqin.model.consent import Consent, ConsentFact
from jieqin.model.identity import (
    birthplace_codes,
    mask_resident_id,
    resident_id_birth_date,
    validate_resident_id,
)
from jieqin.model.money import yuan
from jieqin.model.needs import Need, NeedSource, NeedStatus, Referral, Route, RouteKind
from jieqin.model.pairings import CostTerm, Handover, Pairing, PairingRole
from jieqin.model.people import (
    EmploymentStatus,
    Health,
    HealthCondition,
    Helper,
    Household,
    Member,
    MemberMove,
    Relation,
    Schooling,
    SchoolLevel,
    Sex,
    StatusChange,
)
from jieqin.model.periods import (
    Month,
    Period,
    PeriodKind,
    Quarter,
    Year,
    parse_period,
    period_containing,
)
from jieqin.model.regions import RegionCode, RegionLevel
from jieqin.model.vocab import (
    MONITORED_STATUSES,
    ActivityKind,
    HouseholdStatus,
    NeedKind,
    Sector,
    Tier,
)

__all__ = [
    "MONITORED_STATUSES",
    "Activity",
    "ActivityKind",
    "ConditionOutcome",
    "Consent",
    "ConsentFact",
    "CostTerm",
    "Decision",
    "EmploymentStatus",
    "Fund",
    "FundChange",
    "FundChangeKind",
    "Grant",
    "Handover",
    "Health",
    "HealthCondition",
    "Helper",
    "Household",
    "HouseholdStatus",
    "Member",
    "MemberMove",
    "Month",
    "Need",
    "NeedKind",
    "NeedSource",
    "NeedStatus",
    "Outcome",
    "Pairing",
    "PairingRole",
    "Period",
    "PeriodKind",
    "Program",
    "ProgramKind",
    "Quarter",
    "Referral",
    "RegionCode",
    "RegionLevel",
    "Relation",
    "Route",
    "RouteKind",
    "SchoolLevel",
    "Schooling",
    "Sector",
    "Sex",
    "StatusChange",
    "Tier",
    "Year",
    "birthplace_codes",
    "mask_resident_id",
    "parse_period",
    "period_containing",
    "resident_id_birth_date",
    "validate_resident_id",
    "yuan",
]

#: Every model class that has a JSON form (for serialization and strategies).
MODEL_TYPES: tuple[type, ...] = (
    Activity,
    ConditionOutcome,
    CostTerm,
    Decision,
    Fund,
    FundChange,
    Grant,
    Handover,
    Health,
    Helper,
    Household,
    Member,
    MemberMove,
    Need,
    Pairing,
    Program,
    Referral,
    Route,
    Schooling,
    StatusChange,
    RegionCode,
    Year,
    Quarter,
    Month,
)
