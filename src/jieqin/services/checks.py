"""The one write path: what every record must satisfy before it is stored.

Whatever writes a record (the Python API, ``jieqin log``, an importer of any
format, a repository's bulk methods), the unit of work hands the batch to
:class:`RecordChecks` before anything is written; a batch with any problem is
refused whole, each problem naming the record's place in the batch, the field and
the reason. The checks:

- **codes** against the campaign's registry (what the plugins registered): helper
  tiers and sectors, household statuses, need kinds, activity kinds, agencies and
  programmes; an unknown code is refused with the known ones and, when one is close,
  "did you mean";
- **references**: an activity's helper and household, the member named belonging to
  the household named, a need of that household, a referral's need, a grant's fund
  of the same programme and period, a pairing's helper and household (the SQL schema
  backs these with foreign keys);
- an activity's helper **paired** with the household on its day (or the activity is
  part of a member activity day), however the activity arrives;
- **voids**: voiding a stored activity checks only the void (its day not after
  today); a void changes nothing else of the activity, and a voided activity stays
  as it is (a correction is logged as a new activity);
- **no date after today** (by the campaign's clock) for anything that happened:
  activities, needs raised and resolved, referrals, grants (made and revoked) and
  decisions, fund top-ups and closings, status changes, births, departures and moves;
- **the fund ledger**: a fund's top-ups and closing change only by a fund change
  (``funds.top_up``, ``funds.close``), never by writing the fund; a revoked grant
  stays as it is;
- **payments**: a grant is stored unpaid and its payment moves on only by
  ``grants.record_payments`` (batched, paid, returned; each stands once recorded, a
  revoked grant is never paid), never by writing the grant; paid and returned not
  after today;
- **consents**: a consent's member belonging to its household, its recipient a
  registered agency, its dates not after today; once stored, only its withdrawal may
  be added (nothing else changes, and a withdrawal stands); a referral that relied on
  a consent names one of its member, to its agency, in force on the day it was made;
- **referral steps**: a stored referral changes only by the agency's next step
  (referred -> accepted | rejected, referred | accepted -> completed with a registered
  outcome code), keeping what it was made with and every earlier step; a rejection
  and a completion stand;
- **allocation plans**: a plan's programme registered and its fund of that programme
  and period; a plan item's decision of its plan's programme, period and fund, its
  member of its household; an objection's plan stored and its member of its
  household; none dated after today (a notice may end later);
- **risk eliminations**: an elimination's household stored, its statuses registered,
  none of its days after today; once stored it only moves forward: its terms, its
  evidence and home check, each step taken and each objection received stay as they
  are (an open objection may be decided);
- **grievances**: a grievance's category registered, its member of its household, what
  it is about stored (a decision or need of its household, a helper paired with it
  some time), an appeal's re-decision of its household, none of its days after
  today; once stored, it only moves forward through its stages (received ->
  in_progress -> answered -> closed; in progress may be skipped), and what it was
  received with and what each stage recorded stay as they are;
- **observations**: an observation's household stored, its member of that household,
  recorded not after today, its period started; a feed's record (``feed``,
  ``feed_record``) held by one observation only (given again under another id, or twice
  in a batch with other facts, it is refused);
- **risk warnings**: a warning's household stored, a confirmed one's category a
  registered monitored status, its assignee a stored helper or ``township:`` and a
  9-digit township code, its days not after today and its period started; once
  stored it only moves forward (raised -> assigned -> checked -> confirmed |
  dismissed), keeping what it was raised with and what each step taken recorded;
- **one person, one record**: a resident ID number on at most one member, in the
  batch and against the stored members; a member of another household is moved
  explicitly (:meth:`~jieqin.storage.base.HouseholdRepository.move_member`), never by
  writing them into a second household.

The checks read through the unit of work with a few set-based reads per batch (the
households, helpers, pairings and needs a batch names), never one query per record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from attrs import evolve, field, frozen

from jieqin.activities.kinds import ActivityKindRegistry
from jieqin.activities.validation import pairing_problem
from jieqin.activities.windows import CampaignCalendar
from jieqin.errors import PaymentRefused, Problem
from jieqin.i18n import N_
from jieqin.model import (
    NEXT_WARNING_STATUSES,
    Activity,
    Consent,
    Decision,
    Elimination,
    Fund,
    FundChange,
    Grant,
    GrantUnit,
    Grievance,
    GrievanceStage,
    Handover,
    Helper,
    Household,
    MemberMove,
    Need,
    Objection,
    ObjectionStatus,
    Observation,
    Pairing,
    Plan,
    PlanItem,
    Program,
    Referral,
    RiskWarning,
    RouteKind,
    TargetKind,
    mask_resident_id,
)
from jieqin.model.grievances import NEXT_STAGES, STAGE_ORDER, stage_refusal
from jieqin.model.payments import PAYMENT_FIELDS, payment_step
from jieqin.model.periods import PeriodKind
from jieqin.model.reference import GRIEVANCE_CATEGORIES, REFERRAL_OUTCOMES, monitored_statuses
from jieqin.needs.referrals import change_problem
from jieqin.storage._common import GRANT_PAYMENTS
from jieqin.storage.rows import BIRTH_DATE, MEMBER_ID, RESIDENT_ID, HouseholdRows

if TYPE_CHECKING:
    from jieqin.storage.base import UnitOfWork

__all__ = ["RecordChecks", "Vocabularies", "unknown_code"]


#: The names of what a record refers to, as the messages name them (said in the
#: language of whoever reads the message).
_WHAT = {
    "activity kind": N_("activity kind"),
    "agency": N_("agency"),
    "grievance category": N_("grievance category"),
    "helper": N_("helper"),
    "household": N_("household"),
    "household status": N_("household status"),
    "member": N_("member"),
    "need kind": N_("need kind"),
    "plan": N_("plan"),
    "programme": N_("programme"),
    "referral outcome": N_("referral outcome"),
    "sector": N_("sector"),
    "tier": N_("tier"),
}


def _named(what: str) -> str:
    """``what`` (``helper``, ``need kind``) as a message names it: a catalog message
    where there is one."""
    return _WHAT.get(what, what)


def unknown_code(what: str, value: object, known: Iterable[str]) -> str:
    """``unknown tier 'senator'; known: ...`` and, when one is close, a suggestion."""
    codes = sorted(known)
    listed = ", ".join(codes) or N_("none registered")
    close = _closest(str(value), codes)
    if close:
        return N_(
            "unknown {what} {value}; known: {known}; did you mean {close}?",
            what=_named(what),
            value=repr(value),
            known=listed,
            close=repr(close),
        )
    return N_(
        "unknown {what} {value}; known: {known}", what=_named(what), value=repr(value), known=listed
    )


def _closest(value: str, codes: Sequence[str]) -> str | None:
    if not codes:
        return None
    from rapidfuzz import fuzz, process

    found = process.extractOne(value, codes, scorer=fuzz.ratio, score_cutoff=70)
    return None if found is None else str(found[0])


@frozen
class Vocabularies:
    """The codes a campaign accepts, from its registry (the plugins' registrations)."""

    tiers: frozenset[str]
    sectors: frozenset[str]
    household_statuses: frozenset[str]
    need_kinds: frozenset[str]
    agencies: frozenset[str]
    programs: Mapping[str, Program] = field(factory=dict)
    referral_outcomes: frozenset[str] = field(
        factory=lambda: frozenset(c.code for c in REFERRAL_OUTCOMES)
    )
    grievance_categories: frozenset[str] = field(
        factory=lambda: frozenset(c.code for c in GRIEVANCE_CATEGORIES)
    )
    monitored_statuses: frozenset[str] = field(factory=monitored_statuses)
    """The household statuses registered as monitored (a confirmed warning's category)."""

    @classmethod
    def from_registry(cls, registry: Any) -> Vocabularies:
        """The codes of a :class:`~jieqin.plugins.registry.Registry`."""
        programs = {p.program_id: p.program for p in registry.objects("programs")}
        return cls(
            tiers=registry.tiers.codes(),
            sectors=registry.sectors.codes(),
            household_statuses=registry.household_statuses.codes(),
            need_kinds=registry.need_kinds.codes(),
            agencies=frozenset(registry.agencies),
            programs=programs,
            referral_outcomes=registry.referral_outcomes.codes(),
            grievance_categories=registry.grievance_categories.codes(),
            monitored_statuses=registry.monitored_statuses(),
        )


class _Batch:
    """The problems of one batch, each at its record's 1-based place."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, index: int, field: str, reason: str) -> None:
        self.problems.append(Problem(reason, field=field, line=index + 1))


Checker = Callable[["RecordChecks", "UnitOfWork", Sequence[Any], _Batch], None]


class RecordChecks:
    """The checks of the one write path (see the module).

    :param vocabularies: the codes the campaign accepts.
    :param kinds: the activity kinds (standard and registered).
    :param calendar: the campaign windows (member activity days).
    :param today: what day it is (the campaign's clock).
    """

    def __init__(
        self,
        vocabularies: Vocabularies,
        *,
        kinds: ActivityKindRegistry,
        calendar: CampaignCalendar,
        today: Callable[[], date],
    ) -> None:
        self.vocabularies = vocabularies
        self.kinds = kinds
        self.calendar = calendar
        self.today = today

    def problems(self, uow: UnitOfWork, kind: str, items: Sequence[Any]) -> list[Problem]:
        """Every reason the batch cannot be written (none: it can)."""
        checker = _CHECKERS.get(kind)
        if checker is None or not items:
            return []
        batch = _Batch()
        checker(self, uow, items, batch)
        if len(items) == 1:
            # one record (``jieqin log``, a move, a consent): a place in the batch says
            # nothing; an importer puts the record's file line back (InvalidInput.located)
            return [evolve(p, line=None) for p in batch.problems]
        return sorted(batch.problems, key=lambda p: p.line or 0)

    # -- shared pieces -------------------------------------------------------------

    def code(
        self, batch: _Batch, index: int, field: str, what: str, value: str, known: frozenset[str]
    ) -> None:
        if value not in known:
            batch.add(index, field, unknown_code(what, value, known))

    def not_after_today(self, batch: _Batch, index: int, field: str, day: date | None) -> None:
        if day is not None and day > self.today():
            batch.add(
                index,
                field,
                N_(
                    "{day} is in the future (today is {today})",
                    day=day.isoformat(),
                    today=self.today().isoformat(),
                ),
            )


def _member_of(
    batch: _Batch, index: int, household_id: str, member_id: str | None, owners: Mapping[str, str]
) -> None:
    if member_id is None:
        return
    owner = owners.get(member_id)
    if owner is None:
        batch.add(
            index, "member_id", N_("no {what} {value}", what=_named("member"), value=member_id)
        )
    elif owner != household_id:
        batch.add(
            index,
            "member_id",
            f"member {member_id} belongs to household {owner}, not {household_id}",
        )


def _grant_unit(batch: _Batch, index: int, grant: Grant, program: Program | None) -> None:
    """A grant names a member exactly when its (registered) programme grants per member;
    a household grant (no member) is one of a programme that grants per household."""
    if program is None:
        return
    if program.grant_unit is GrantUnit.HOUSEHOLD and grant.member_id is not None:
        batch.add(
            index,
            "member_id",
            f"programme {program.program_id} grants per household: its grants name no "
            "member (leave member_id empty)",
        )
    elif program.grant_unit is GrantUnit.MEMBER and grant.member_id is None:
        batch.add(
            index,
            "member_id",
            f"programme {program.program_id} grants per member: name the member the grant is for",
        )


def _exists(
    batch: _Batch,
    index: int,
    field: str,
    what: str,
    value: str | None,
    stored: set[Any] | Mapping[Any, Any],
) -> bool:
    if value is None:
        return True
    if value not in stored:
        batch.add(index, field, N_("no {what} {value}", what=_named(what), value=value))
        return False
    return True


# -- per kind ------------------------------------------------------------------------


def _helpers(checks: RecordChecks, uow: UnitOfWork, items: Sequence[Helper], batch: _Batch) -> None:
    v = checks.vocabularies
    for i, helper in enumerate(items):
        checks.code(batch, i, "tier", "tier", helper.tier, v.tiers)
        for sector in sorted(helper.sectors):
            checks.code(batch, i, "sectors", "sector", sector, v.sectors)


_MEMBER_FACTS = itemgetter(MEMBER_ID, BIRTH_DATE, RESIDENT_ID, -1)
_STATUS_FACTS = itemgetter(2, 3)


def _household_facts(
    item: Household | HouseholdRows,
) -> tuple[str, list[tuple[str, date, str | None, date | None]], list[tuple[str, date]]]:
    """(household id, its people as (member id, birth date, resident id, departed on),
    its statuses as (status, since)): what the checks read, from either form."""
    if isinstance(item, HouseholdRows):
        people = list(map(_MEMBER_FACTS, item.members))
        return item.household_id, people, list(map(_STATUS_FACTS, item.statuses))
    people = [(m.member_id, m.birth_date, m.resident_id, m.departed_on) for m in item.people]
    return item.household_id, people, [(c.status, c.since) for c in item.status_history]


def _households(checks: RecordChecks, uow: UnitOfWork, items: Sequence[Any], batch: _Batch) -> None:
    facts = [_household_facts(item) for item in items]
    owners = uow.households.owners([m for _, people, _ in facts for m, _, _, _ in people])
    holders = uow.households.holders([r for _, people, _ in facts for _, _, r, _ in people if r])
    today = checks.today()
    known = checks.vocabularies.household_statuses
    seen: dict[str, tuple[int, str]] = {}
    for i, (household_id, people, statuses) in enumerate(facts):
        for status, since in statuses:
            if status not in known:
                checks.code(batch, i, "status_history", "household status", status, known)
            if since > today:
                checks.not_after_today(batch, i, "status_history.since", since)
        for member_id, born, number, departed in people:
            if born > today:
                checks.not_after_today(batch, i, "birth_date", born)
            if departed is not None and departed > today:
                checks.not_after_today(batch, i, "departed_on", departed)
            owner = owners.get(member_id) if owners else None
            if owner is not None and owner != household_id:
                batch.add(
                    i,
                    "member_id",
                    f"member {member_id} belongs to household {owner}; move them to {household_id} "
                    "with `jieqin members move` (a dated move that keeps their history)",
                )
            if number is None:
                continue
            earlier = seen.setdefault(number, (i, member_id))
            if earlier != (i, member_id):
                batch.add(
                    i,
                    "resident_id",
                    f"resident ID {mask_resident_id(number)} of member {member_id} is also given "
                    f"for member {earlier[1]} (record {earlier[0] + 1}): one number, one person",
                )
            holder = holders.get(number) if holders else None
            if holder is not None and holder[0] != member_id:
                batch.add(
                    i,
                    "resident_id",
                    f"resident ID {mask_resident_id(number)} of member {member_id} is already the "
                    f"number of stored member {holder[0]} of household {holder[1]}: one number, "
                    "one person (to move them, use `jieqin members move`)",
                )


def _pairing_key(p: Pairing) -> tuple[str, str, date]:
    return (p.helper_id, p.household_id, p.start)


def _pairings(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[Pairing], batch: _Batch
) -> None:
    helpers = uow.helpers.stored({p.helper_id for p in items})
    households = uow.households.stored({p.household_id for p in items})
    stored = uow.pairings.of_households(households)
    written = {_pairing_key(p) for p in items}
    for i, pairing in enumerate(items):
        _exists(batch, i, "helper_id", "helper", pairing.helper_id, helpers)
        _exists(batch, i, "household_id", "household", pairing.household_id, households)
        if pairing.end is not None and pairing.end < pairing.start - timedelta(days=1):
            # (The day before its start: withdrawn, never in force; see Pairing.withdrawn.)
            batch.add(
                i,
                "end",
                f"ends {pairing.end.isoformat()} before it starts {pairing.start.isoformat()}",
            )
        kept = [p for p in stored.get(pairing.household_id, ()) if _pairing_key(p) not in written]
        overlap = _overlapping(pairing, [*kept, *items])
        if overlap is not None:
            batch.add(
                i,
                "start",
                f"helper {pairing.helper_id} is already paired with household "
                f"{pairing.household_id} from {overlap.start.isoformat()}"
                f"{' to ' + overlap.end.isoformat() if overlap.end else ''}",
            )


def _overlapping(pairing: Pairing, others: Iterable[Pairing]) -> Pairing | None:
    """Another pairing of the same helper and household whose days overlap ``pairing``'s."""
    key = _pairing_key(pairing)
    if pairing.withdrawn:
        return None
    for other in others:
        if other.helper_id != pairing.helper_id or other.household_id != pairing.household_id:
            continue
        if other.withdrawn:
            continue
        if _pairing_key(other) == key:
            continue
        if other.start <= (pairing.end or date.max) and pairing.start <= (other.end or date.max):
            return other
    return None


def _needs(checks: RecordChecks, uow: UnitOfWork, items: Sequence[Need], batch: _Batch) -> None:
    v = checks.vocabularies
    households = uow.households.stored({n.household_id for n in items})
    owners = uow.households.owners(n.member_id for n in items if n.member_id)
    helpers = uow.helpers.stored(
        {n.route.target for n in items if n.route is not None and n.route.kind is RouteKind.HELPER}
    )
    for i, need in enumerate(items):
        checks.code(batch, i, "kind", "need kind", need.kind, v.need_kinds)
        if _exists(batch, i, "household_id", "household", need.household_id, households):
            _member_of(batch, i, need.household_id, need.member_id, owners)
        checks.not_after_today(batch, i, "raised_on", need.raised_on)
        checks.not_after_today(batch, i, "resolved_on", need.resolved_on)
        route = need.route
        if route is None:
            continue
        if route.kind is RouteKind.PROGRAM:
            checks.code(batch, i, "route.target", "programme", route.target, frozenset(v.programs))
        elif route.kind is RouteKind.REFERRAL:
            checks.code(batch, i, "route.target", "agency", route.target, v.agencies)
        else:
            _exists(batch, i, "route.target", "helper", route.target, helpers)


def _referrals(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[Referral], batch: _Batch
) -> None:
    needs = uow.needs.find_many({r.need_id for r in items})
    _referral_steps(checks, uow, items, batch)
    owners = uow.households.owners(r.member_id for r in items if r.member_id)
    for i, referral in enumerate(items):
        checks.code(batch, i, "agency", "agency", referral.agency, checks.vocabularies.agencies)
        need = needs.get(referral.need_id)
        if need is None:
            batch.add(i, "need_id", f"no need {referral.need_id}")
        elif need.household_id != referral.household_id:
            batch.add(
                i,
                "need_id",
                f"need {referral.need_id} is of household {need.household_id}, not {referral.household_id}",
            )
        _member_of(batch, i, referral.household_id, referral.member_id, owners)
        checks.not_after_today(batch, i, "referred_on", referral.referred_on)
        checks.not_after_today(batch, i, "completed_on", referral.completed_on)
    _referral_consents(uow, items, batch)


def _referral_steps(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[Referral], batch: _Batch
) -> None:
    """A stored referral changes only by the agency's next step (accepted, rejected,
    completed: :data:`jieqin.needs.referrals.NEXT`), keeping what it was made with and
    every earlier step; the days of the steps not after today, a new outcome code a
    registered one."""
    stored = uow.referrals.find_many({r.referral_id for r in items})
    known = checks.vocabularies.referral_outcomes
    for i, referral in enumerate(items):
        old = stored.get(referral.referral_id)
        found = change_problem(old, referral)
        if found is not None:
            batch.add(i, *found)
        checks.not_after_today(batch, i, "accepted_on", referral.accepted_on)
        checks.not_after_today(batch, i, "rejected_on", referral.rejected_on)
        if referral.outcome is not None and (old is None or old.outcome != referral.outcome):
            checks.code(batch, i, "outcome", "referral outcome", referral.outcome, known)


def _referral_consents(uow: UnitOfWork, items: Sequence[Referral], batch: _Batch) -> None:
    """A referral that relied on a consent names one of its member, to its agency, that
    was in force on the day it was made."""
    consents = uow.consents.find_many({r.consent_id for r in items if r.consent_id})
    for i, referral in enumerate(items):
        if referral.consent_id is None:
            continue
        consent = consents.get(referral.consent_id)
        if consent is None:
            batch.add(i, "consent_id", f"no consent {referral.consent_id}")
        elif consent.member_id != referral.member_id or consent.recipient != referral.agency:
            batch.add(
                i,
                "consent_id",
                f"consent {consent.consent_id} is of member {consent.member_id} for agency "
                f"{consent.recipient}, not of member {referral.member_id} for {referral.agency}",
            )
        elif not consent.in_force(referral.referred_on):
            batch.add(
                i,
                "consent_id",
                f"consent {consent.consent_id} was not in force on "
                f"{referral.referred_on.isoformat()}",
            )


#: What a stored consent keeps once given: only its withdrawal may be added.
_CONSENT_TERMS = (
    "member_id",
    "household_id",
    "recipient",
    "purpose",
    "facts",
    "given_on",
    "expires_on",
)


def _consents(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[Consent], batch: _Batch
) -> None:
    owners = uow.households.owners(c.member_id for c in items)
    stored = uow.consents.find_many({c.consent_id for c in items})
    for i, consent in enumerate(items):
        agencies = checks.vocabularies.agencies
        checks.code(batch, i, "recipient", "agency", consent.recipient, agencies)
        _member_of(batch, i, consent.household_id, consent.member_id, owners)
        checks.not_after_today(batch, i, "given_on", consent.given_on)
        checks.not_after_today(batch, i, "withdrawn_on", consent.withdrawn_on)
        old = stored.get(consent.consent_id)
        if old is None:
            continue
        changed = [name for name in _CONSENT_TERMS if getattr(old, name) != getattr(consent, name)]
        if changed:
            batch.add(
                i,
                changed[0],
                f"consent {consent.consent_id} was given with other terms ({', '.join(changed)}): "
                "a consent is not rewritten; withdraw it and record a new one",
            )
        if old.withdrawn_on is not None and (
            consent.withdrawn_on != old.withdrawn_on
            or consent.withdrawal_reason != old.withdrawal_reason
        ):
            batch.add(
                i,
                "withdrawn_on",
                f"consent {consent.consent_id} was withdrawn on {old.withdrawn_on.isoformat()}; "
                "a withdrawal stands (record a new consent instead)",
            )


def _activities(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[Activity], batch: _Batch
) -> None:
    stored = uow.activities.find_many({a.activity_id for a in items})
    voids = _activity_voids(checks, items, stored, batch)
    rest = [a for i, a in enumerate(items) if i not in voids]
    helpers = uow.helpers.stored({a.helper_id for a in rest})
    households = uow.households.stored({a.household_id for a in rest})
    pairings = uow.pairings.of_households(households)
    owners = uow.households.owners(a.member_id for a in rest if a.member_id)
    needs = uow.needs.find_many({a.need_id for a in rest if a.need_id})
    for i, activity in enumerate(items):
        if i in voids:
            continue
        if activity.kind not in checks.kinds:
            batch.add(i, "kind", unknown_code("activity kind", activity.kind, checks.kinds.codes()))
        checks.not_after_today(batch, i, "on", activity.on)
        checks.not_after_today(batch, i, "voided_on", activity.voided_on)
        if not _exists(batch, i, "household_id", "household", activity.household_id, households):
            continue
        if not _exists(batch, i, "helper_id", "helper", activity.helper_id, helpers):
            continue
        _member_of(batch, i, activity.household_id, activity.member_id, owners)
        if activity.need_id is not None:
            need = needs.get(activity.need_id)
            if need is None or need.household_id != activity.household_id:
                batch.add(
                    i,
                    "need_id",
                    f"household {activity.household_id} has no need {activity.need_id}",
                )
        reason = pairing_problem(activity, pairings.get(activity.household_id, []), checks.calendar)
        if reason is not None:
            batch.add(i, "event" if activity.event else "helper_id", reason)


def _unvoided(activity: Activity) -> Activity:
    return evolve(activity, voided_on=None, void_reason="", voided_by=None)


def _activity_voids(
    checks: RecordChecks,
    items: Sequence[Activity],
    stored: Mapping[Any, Activity],
    batch: _Batch,
) -> set[int]:
    """The places of the activities that void a stored one (or rewrite a voided one):
    only the void is checked, the activity was checked when it was logged. A void
    changes nothing else, and a voided activity stays as it is."""
    voids: set[int] = set()
    for i, activity in enumerate(items):
        old = stored.get(activity.activity_id)
        if old is None or not (old.voided or activity.voided):
            continue
        voids.add(i)
        if old.voided:
            if activity != old:
                batch.add(
                    i,
                    "voided_on",
                    f"activity {activity.activity_id} was voided on {old.voided_on}: a voided "
                    "activity stays as it is (log the corrected one under a new id)",
                )
        elif _unvoided(activity) != old:
            batch.add(
                i,
                "voided_on",
                f"a void of activity {activity.activity_id} changes nothing else of it "
                "(void it, then log the corrected one under a new id)",
            )
        else:
            checks.not_after_today(batch, i, "voided_on", activity.voided_on)
    return voids


def _programs(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[Program], batch: _Batch
) -> None:
    known = frozenset(checks.vocabularies.programs)
    for i, program in enumerate(items):
        checks.code(batch, i, "program_id", "programme", program.program_id, known)


def _funds(checks: RecordChecks, uow: UnitOfWork, items: Sequence[Fund], batch: _Batch) -> None:
    programs = checks.vocabularies.programs
    stored = uow.funds.find_many({f.fund_id for f in items})
    for i, fund in enumerate(items):
        _fund_ledger(batch, i, fund, stored.get(fund.fund_id))
        checks.code(batch, i, "program_id", "programme", fund.program_id, frozenset(programs))
        program = programs.get(fund.program_id)
        if program is not None and fund.period.kind is not program.period_kind:
            batch.add(
                i,
                "period",
                f"programme {fund.program_id} grants once per {PeriodKind(program.period_kind).value}; "
                f"{fund.period} is a {fund.period.kind.value}",
            )


def _fund_ledger(batch: _Batch, index: int, fund: Fund, stored: Fund | None) -> None:
    """A fund's top-ups and closing follow its changes: a plain write keeps them."""
    topped_up = stored.topped_up if stored is not None else Decimal("0.00")
    closed_on = stored.closed_on if stored is not None else None
    how = "funds.top_up" if stored is not None else "funds.top_up once the fund is stored"
    if fund.topped_up != topped_up:
        batch.add(
            index,
            "topped_up",
            f"fund {fund.fund_id} was topped up by {topped_up}; top-ups are recorded "
            f"with {how}, not written",
        )
    if fund.closed_on != closed_on:
        batch.add(
            index,
            "closed_on",
            f"fund {fund.fund_id} is closed with funds.close (a dated change with a reason), "
            "not written",
        )


def _fund_changes(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[FundChange], batch: _Batch
) -> None:
    for i, change in enumerate(items):
        checks.not_after_today(batch, i, "on", change.on)


def _grants(checks: RecordChecks, uow: UnitOfWork, items: Sequence[Grant], batch: _Batch) -> None:
    funds = uow.funds.find_many({g.fund_id for g in items})
    stored = uow.grants.find_many({g.grant_id for g in items})
    revoked = {k: g for k, g in stored.items() if g.revoked_on is not None}
    owners = uow.households.owners(g.member_id for g in items if g.member_id)
    households = uow.households.stored({g.household_id for g in items})
    for i, grant in enumerate(items):
        fund = funds.get(grant.fund_id)
        if fund is None:
            batch.add(i, "fund_id", f"no fund {grant.fund_id}")
        elif fund.program_id != grant.program_id:
            batch.add(
                i,
                "fund_id",
                f"fund {fund.fund_id} is for programme {fund.program_id}, not {grant.program_id}",
            )
        elif fund.period != grant.period:
            batch.add(i, "period", f"fund {fund.fund_id} is for {fund.period}, not {grant.period}")
        if _exists(batch, i, "household_id", "household", grant.household_id, households):
            _member_of(batch, i, grant.household_id, grant.member_id, owners)
        _grant_unit(batch, i, grant, checks.vocabularies.programs.get(grant.program_id))
        checks.not_after_today(batch, i, "decided_on", grant.decided_on)
        checks.not_after_today(batch, i, "revoked_on", grant.revoked_on)
        before = revoked.get(grant.grant_id)
        if before is not None and grant != before:
            batch.add(
                i,
                "revoked_on",
                f"grant {grant.grant_id} was revoked on {before.revoked_on}: a revoked "
                "grant stays as it is (a later allocation may grant anew)",
            )
        _payment_kept(batch, i, grant, stored.get(grant.grant_id))


def _payment_kept(batch: _Batch, index: int, grant: Grant, stored: Grant | None) -> None:
    """A grant written keeps its payment as stored (a new one is unpaid): payments are
    recorded with ``grants.record_payments``, never written. A paid grant changes no
    more, but for its revocation once its money came back."""
    for name in PAYMENT_FIELDS:
        was = getattr(stored, name) if stored is not None else _UNPAID[name]
        if getattr(grant, name) != was:
            batch.add(
                index,
                name,
                f"grant {grant.grant_id}'s payment is recorded with grants.record_payments "
                "(`jieqin payments export` and `jieqin payments reconcile`), not written",
            )
            return
    if stored is None or stored.paid_on is None:
        return
    if evolve(grant, revoked_on=stored.revoked_on, revoke_reason=stored.revoke_reason) != stored:
        batch.add(
            index,
            "paid_on",
            f"grant {grant.grant_id} was paid on {stored.paid_on}: a paid grant stays as it "
            "is (once its money came back it may be revoked, and granted anew)",
        )


#: A grant's payment fields before anything was paid.
_UNPAID: Mapping[str, object] = {
    "batch_id": None,
    "paid_on": None,
    "payment_reference": "",
    "returned_on": None,
    "return_reason": "",
}


def _grant_payments(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[Grant], batch: _Batch
) -> None:
    """Stored grants whose payment moves on: paid and returned not after today, and
    only forward (:func:`~jieqin.model.payments.payment_step`)."""
    stored = uow.grants.find_many({g.grant_id for g in items})
    for i, grant in enumerate(items):
        checks.not_after_today(batch, i, "paid_on", grant.paid_on)
        checks.not_after_today(batch, i, "returned_on", grant.returned_on)
        before = stored.get(grant.grant_id)
        if before is None:
            batch.add(i, "grant_id", f"no grant {grant.grant_id}")
            continue
        try:
            payment_step(before, grant)
        except PaymentRefused as exc:
            batch.add(i, "grant_id", str(exc))


def _decisions(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[Decision], batch: _Batch
) -> None:
    owners = uow.households.owners(d.member_id for d in items if d.member_id)
    households = uow.households.stored({d.household_id for d in items})
    for i, decision in enumerate(items):
        if _exists(batch, i, "household_id", "household", decision.household_id, households):
            _member_of(batch, i, decision.household_id, decision.member_id, owners)
        checks.not_after_today(batch, i, "decided_on", decision.decided_on)


def _handovers(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[Handover], batch: _Batch
) -> None:
    households = uow.households.stored({h.household_id for h in items})
    helpers = uow.helpers.stored(
        {x for h in items for x in (h.from_helper_id, h.to_helper_id) if x}
    )
    for i, handover in enumerate(items):
        _exists(batch, i, "household_id", "household", handover.household_id, households)
        _exists(batch, i, "from_helper_id", "helper", handover.from_helper_id, helpers)
        _exists(batch, i, "to_helper_id", "helper", handover.to_helper_id, helpers)


def _moves(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[MemberMove], batch: _Batch
) -> None:
    named = {m.to_household_id for m in items} | {m.from_household_id for m in items}
    households = uow.households.find_many(named)
    for i, move in enumerate(items):
        checks.not_after_today(batch, i, "on", move.on)
        if move.to_household_id not in households:
            batch.add(i, "to_household_id", f"no household {move.to_household_id}")
        if move.to_household_id == move.from_household_id:
            batch.add(
                i,
                "to_household_id",
                f"member {move.member_id} is already in household {move.to_household_id}",
            )
        source = households.get(move.from_household_id)
        member = (
            None
            if source is None
            else next((m for m in source.members if m.member_id == move.member_id), None)
        )
        if source is None or member is None:
            batch.add(
                i,
                "member_id",
                f"member {move.member_id} is not a current member of {move.from_household_id}",
            )
        elif len(source.members) == 1:
            batch.add(
                i,
                "member_id",
                f"member {move.member_id} is the only member of {source.household_id}",
            )
        elif member.relation.value == "head":
            batch.add(
                i,
                "member_id",
                f"member {move.member_id} is the head of {source.household_id}: name another "
                "head there first",
            )


def _plans(checks: RecordChecks, uow: UnitOfWork, items: Sequence[Plan], batch: _Batch) -> None:
    funds = uow.funds.find_many({p.fund_id for p in items})
    programs = checks.vocabularies.programs
    for i, plan in enumerate(items):
        checks.code(batch, i, "program_id", "programme", plan.program_id, frozenset(programs))
        fund = funds.get(plan.fund_id)
        if fund is None:
            batch.add(i, "fund_id", f"no fund {plan.fund_id}")
        elif (fund.program_id, fund.period) != (plan.program_id, plan.period):
            batch.add(
                i,
                "fund_id",
                f"fund {fund.fund_id} is for {fund.program_id} {fund.period}, not "
                f"{plan.program_id} {plan.period}",
            )
        for name in ("decided_on", "made_on", "approved_on", "committed_on", "withdrawn_on"):
            checks.not_after_today(batch, i, name, getattr(plan, name))


def _plan_items(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[PlanItem], batch: _Batch
) -> None:
    plans = uow.plans.find_many({i.plan_id for i in items})
    owners = uow.households.owners(i.member_id for i in items if i.member_id)
    households = uow.households.stored({i.household_id for i in items})
    for n, item in enumerate(items):
        plan = plans.get(item.plan_id)
        d = item.decision
        if plan is None:
            batch.add(n, "plan_id", f"no plan {item.plan_id}")
        elif (d.program_id, d.period) != (plan.program_id, plan.period) or (
            item.fund_id not in (None, plan.fund_id)
        ):
            batch.add(
                n,
                "decision",
                f"the decision is of {d.program_id} {d.period} and plan {plan.plan_id} "
                f"allocates {plan.program_id} {plan.period} from fund {plan.fund_id}",
            )
        if _exists(batch, n, "household_id", "household", item.household_id, households):
            _member_of(batch, n, item.household_id, item.member_id, owners)
        checks.not_after_today(batch, n, "decided_on", d.decided_on)
        checks.not_after_today(batch, n, "settled_on", item.settled_on)


def _objections(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[Objection], batch: _Batch
) -> None:
    plans = uow.plans.stored({o.plan_id for o in items})
    owners = uow.households.owners(o.member_id for o in items if o.member_id)
    households = uow.households.stored({o.household_id for o in items})
    for i, objection in enumerate(items):
        _exists(batch, i, "plan_id", "plan", objection.plan_id, plans)
        if _exists(batch, i, "household_id", "household", objection.household_id, households):
            _member_of(batch, i, objection.household_id, objection.member_id, owners)
        checks.not_after_today(batch, i, "received_on", objection.received_on)
        checks.not_after_today(batch, i, "decided_on", objection.decided_on)


#: What a stored elimination keeps once made, and what each step keeps once taken.
_ELIMINATION_TERMS = (
    "household_id",
    "from_status",
    "to_status",
    "stable_months",
    "checked_by",
    "checked_on",
    "check_note",
    "made_by",
    "made_on",
)
_ELIMINATION_STEPS = (
    ("approved_on", ("approved_by", "approved_on", "notice_from", "notice_until")),
    ("committed_on", ("committed_on",)),
    ("withdrawn_on", ("withdrawn_on", "withdraw_reason")),
)


def _eliminations(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[Elimination], batch: _Batch
) -> None:
    households = uow.households.stored({e.household_id for e in items})
    stored = uow.eliminations.find_many({e.elimination_id for e in items})
    known = checks.vocabularies.household_statuses
    for i, e in enumerate(items):
        _exists(batch, i, "household_id", "household", e.household_id, households)
        checks.code(batch, i, "from_status", "household status", e.from_status, known)
        checks.code(batch, i, "to_status", "household status", e.to_status, known)
        for name in ("checked_on", "made_on", "approved_on", "committed_on", "withdrawn_on"):
            checks.not_after_today(batch, i, name, getattr(e, name))
        old = stored.get(e.elimination_id)
        if old is not None:
            _elimination_moved(batch, i, old, e)


def _elimination_moved(batch: _Batch, index: int, old: Elimination, new: Elimination) -> None:
    """A stored elimination only moves forward: its terms, each step taken and each
    objection received stay as they were (an objection only goes on to its decision)."""
    changed = [n for n in _ELIMINATION_TERMS if getattr(old, n) != getattr(new, n)]
    for marker, facts in _ELIMINATION_STEPS:
        if getattr(old, marker) is not None:
            changed.extend(n for n in facts if getattr(old, n) != getattr(new, n))
    if not old.open and old.status != new.status:
        changed.append("status")
    before = {o.objection_id: o for o in old.objections}
    after = {o.objection_id: o for o in new.objections}
    for objection_id, o in before.items():
        if not _objection_kept(o, after.get(objection_id)):
            changed.append(f"objections[{objection_id}]")
    if changed:
        batch.add(
            index,
            changed[0],
            f"elimination {old.elimination_id} was recorded with other facts "
            f"({', '.join(changed)}): a step taken stands and never moves back",
        )


def _objection_kept(old: Objection, new: Objection | None) -> bool:
    """Whether ``new`` is ``old`` as received, decided only if ``old`` was open."""
    if new is None or not old.is_open:
        return new == old
    received = evolve(
        new, status=ObjectionStatus.OPEN, decided_on=None, decided_by=None, decision_reason=""
    )
    return received == old


#: What a stored grievance keeps once received.
_GRIEVANCE_TERMS = (
    "household_id",
    "member_id",
    "channel",
    "category",
    "received_on",
    "due_on",
    "description",
    "target",
    "received_by",
    "redecision_id",
)

#: What each stage records, kept once the stage is reached.
_STAGE_FACTS: Mapping[GrievanceStage, tuple[str, ...]] = {
    GrievanceStage.IN_PROGRESS: ("started_on", "started_by"),
    GrievanceStage.ANSWERED: ("answered_on", "answered_by", "answer"),
    GrievanceStage.CLOSED: ("closed_on", "closed_by", "closing_note"),
}


def _grievances(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[Grievance], batch: _Batch
) -> None:
    households = uow.households.stored({g.household_id for g in items})
    owners = uow.households.owners(g.member_id for g in items if g.member_id)
    stored = uow.grievances.find_many({g.grievance_id for g in items})
    known = checks.vocabularies.grievance_categories
    for i, grievance in enumerate(items):
        checks.code(batch, i, "category", "grievance category", grievance.category, known)
        if _exists(batch, i, "household_id", "household", grievance.household_id, households):
            _member_of(batch, i, grievance.household_id, grievance.member_id, owners)
        for name in ("received_on", "started_on", "answered_on", "closed_on"):
            checks.not_after_today(batch, i, name, getattr(grievance, name))
        old = stored.get(grievance.grievance_id)
        if old is not None:
            _grievance_moved(batch, i, old, grievance)
    _grievance_targets(uow, items, batch)


def _grievance_moved(batch: _Batch, index: int, old: Grievance, new: Grievance) -> None:
    """A stored grievance only moves forward, keeping its terms and each stage's facts."""
    changed = [name for name in _GRIEVANCE_TERMS if getattr(old, name) != getattr(new, name)]
    if changed:
        batch.add(
            index,
            changed[0],
            f"grievance {old.grievance_id} was received with other terms "
            f"({', '.join(changed)}): a grievance is not rewritten; record a new one",
        )
    if new.stage != old.stage and new.stage not in NEXT_STAGES[old.stage]:
        batch.add(index, "stage", stage_refusal(old, new.stage))
        return
    reached = STAGE_ORDER.index(old.stage)
    for stage, names in _STAGE_FACTS.items():
        moved = [n for n in names if getattr(old, n) != getattr(new, n)]
        if moved and STAGE_ORDER.index(stage) <= reached:
            batch.add(
                index,
                moved[0],
                f"grievance {old.grievance_id} was {stage.value} with other facts "
                f"({', '.join(moved)}): what a stage recorded stays as it is",
            )


def _grievance_targets(uow: UnitOfWork, items: Sequence[Grievance], batch: _Batch) -> None:
    """What each grievance is about, and an appeal's re-decision, are stored records of
    its household (a helper: one paired with it some time)."""
    wanted: dict[TargetKind, set[str]] = {kind: set() for kind in TargetKind}
    for g in items:
        if g.target is not None:
            wanted[g.target.kind].add(g.target.target_id)
    decision_ids = wanted[TargetKind.DECISION] | {g.redecision_id for g in items if g.redecision_id}
    decisions = uow.decisions.find_many(decision_ids)
    needs = uow.needs.find_many(wanted[TargetKind.NEED])
    pairings = uow.pairings.of_households(
        {g.household_id for g in items if g.target and g.target.kind is TargetKind.HELPER}
    )
    for i, g in enumerate(items):
        if g.redecision_id is not None:
            _of_household(batch, i, "redecision_id", "decision", g, decisions.get(g.redecision_id))
        if g.target is None:
            continue
        kind, target = g.target.kind, g.target.target_id
        if kind is TargetKind.HELPER:
            paired = {p.helper_id for p in pairings.get(g.household_id, ())}
            if target not in paired:
                batch.add(
                    i,
                    "target",
                    f"helper {target} was never paired with household {g.household_id}",
                )
            continue
        found = (decisions if kind is TargetKind.DECISION else needs).get(target)
        _of_household(batch, i, "target", kind.value, g, found)


def _of_household(
    batch: _Batch, index: int, field: str, what: str, grievance: Grievance, found: Any
) -> None:
    target = grievance.target.target_id if field == "target" and grievance.target else None
    name = target if target is not None else grievance.redecision_id
    if found is None:
        batch.add(index, field, f"no {what} {name}")
    elif found.household_id != grievance.household_id:
        batch.add(
            index,
            field,
            f"{what} {name} is of household {found.household_id}, not {grievance.household_id}",
        )


def _started(checks: RecordChecks, batch: _Batch, index: int, period: Any) -> None:
    if period.start > checks.today():
        batch.add(
            index,
            "period",
            f"period {period} has not started (it starts {period.start.isoformat()}, "
            f"today is {checks.today().isoformat()})",
        )


#: What a feed's observation was delivered with (every field but its id).
_OBSERVATION_FACTS = (
    "household_id",
    "member_id",
    "kind",
    "period",
    "amount",
    "source",
    "recorded_on",
    "note",
)


def _observation_changes(old: Observation, new: Observation) -> list[str]:
    return [n for n in _OBSERVATION_FACTS if getattr(old, n) != getattr(new, n)]


def _observations(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[Observation], batch: _Batch
) -> None:
    households = uow.households.stored({o.household_id for o in items})
    owners = uow.households.owners(o.member_id for o in items if o.member_id)
    fed = uow.observations.feed_records(
        (o.feed, o.feed_record) for o in items if o.feed is not None and o.feed_record is not None
    )
    delivered: dict[tuple[str, str], int] = {}
    for i, o in enumerate(items):
        if _exists(batch, i, "household_id", "household", o.household_id, households):
            _member_of(batch, i, o.household_id, o.member_id, owners)
        checks.not_after_today(batch, i, "recorded_on", o.recorded_on)
        _started(checks, batch, i, o.period)
        if o.feed is None or o.feed_record is None:
            continue
        pair = (o.feed, o.feed_record)
        holder = fed.get(pair)
        if holder is not None and holder.observation_id != o.observation_id:
            changed = _observation_changes(holder, o)
            what = f"with other facts ({', '.join(changed)})" if changed else "under another id"
            batch.add(
                i,
                "feed_record",
                f"record {o.feed_record} of feed {o.feed} is stored as observation "
                f"{holder.observation_id}, and this row gives it {what}: a feed's record is "
                "stored once (a department's correction is delivered with "
                "`jieqin observations feed --corrections`)",
            )
        earlier = delivered.setdefault(pair, i)
        if earlier != i and items[earlier] != o:
            batch.add(
                i,
                "feed_record",
                f"record {o.feed_record} of feed {o.feed} is also given by record {earlier + 1} "
                "with other facts: a feed's record is stored once",
            )


#: What a stored warning keeps once raised, and what each step keeps once taken.
_WARNING_TERMS = ("household_id", "rules", "period", "raised_on", "check_due")
_WARNING_STEPS = (
    (1, ("assigned_to", "assigned_on")),
    (2, ("checked_by", "checked_on", "check_note")),
    (3, ("decided_by", "decided_on", "category", "reason")),
)


def _warnings(
    checks: RecordChecks, uow: UnitOfWork, items: Sequence[RiskWarning], batch: _Batch
) -> None:
    households = uow.households.stored({w.household_id for w in items})
    helpers = uow.helpers.stored(
        {w.assigned_to for w in items if w.assigned_to and not _is_township(w.assigned_to)}
    )
    stored = uow.warnings.find_many({w.warning_id for w in items})
    monitored = checks.vocabularies.monitored_statuses
    for i, w in enumerate(items):
        _exists(batch, i, "household_id", "household", w.household_id, households)
        if w.category is not None:
            checks.code(batch, i, "category", "monitored household status", w.category, monitored)
        if w.assigned_to is not None:
            if _is_township(w.assigned_to):
                if not _TOWNSHIP.fullmatch(w.assigned_to):
                    batch.add(
                        i,
                        "assigned_to",
                        f"{w.assigned_to!r} is not a township's clerk (township: and the "
                        "township's 9-digit region code)",
                    )
            else:
                _exists(batch, i, "assigned_to", "helper", w.assigned_to, helpers)
        for name in ("raised_on", "assigned_on", "checked_on", "decided_on"):
            checks.not_after_today(batch, i, name, getattr(w, name))
        _started(checks, batch, i, w.period)
        old = stored.get(w.warning_id)
        if old is not None:
            _warning_moved(batch, i, old, w)


_TOWNSHIP = re.compile(r"township:[0-9]{9}")


def _is_township(assignee: str) -> bool:
    return assignee.startswith("township:")


def _warning_moved(batch: _Batch, index: int, old: RiskWarning, new: RiskWarning) -> None:
    """A stored warning only moves forward, keeping what it was raised with and what each
    step taken recorded."""
    if new.status != old.status and new.status not in NEXT_WARNING_STATUSES[old.status]:
        allowed = ", ".join(sorted(s.value for s in NEXT_WARNING_STATUSES[old.status]))
        batch.add(
            index,
            "status",
            f"warning {old.warning_id} is {old.status.value}; it moves on only to "
            f"{allowed or 'nothing (it is decided)'}, not back or aside to {new.status.value}",
        )
        return
    changed = [n for n in _WARNING_TERMS if getattr(old, n) != getattr(new, n)]
    reached = list(type(old.status)).index(old.status)
    for step, names in _WARNING_STEPS:
        if reached >= step:
            changed.extend(n for n in names if getattr(old, n) != getattr(new, n))
    if changed:
        batch.add(
            index,
            changed[0],
            f"warning {old.warning_id} was recorded with other facts ({', '.join(changed)}): "
            "a warning is not rewritten, and a step taken stands",
        )


_CHECKERS: dict[str, Checker] = {
    "helpers": _helpers,
    "households": _households,
    "pairings": _pairings,
    "needs": _needs,
    "referrals": _referrals,
    "activities": _activities,
    "programs": _programs,
    "funds": _funds,
    "fund_changes": _fund_changes,
    "grants": _grants,
    GRANT_PAYMENTS: _grant_payments,
    "decisions": _decisions,
    "consents": _consents,
    "plans": _plans,
    "plan_items": _plan_items,
    "objections": _objections,
    "grievances": _grievances,
    "eliminations": _eliminations,
    "observations": _observations,
    "warnings": _warnings,
    "handovers": _handovers,
    "member_moves": _moves,
}
