"""The campaign year 2021, run through the public API on a fresh database.

Each step is what a municipal system would do: load the roster, pair, take in the Q1
needs survey and route the needs, allocate the charity programmes, make the winter
check, log the year's activities, and report. The report at the end is computed
from the stored records; nothing here counts anything itself.
"""

from __future__ import annotations

import importlib
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from attrs import define, field, frozen

import jieqin
from jieqin.demo.cohort import Cohort, generate_cohort
from jieqin.demo.monitoring import DemoClock, run_monitoring
from jieqin.demo.schedule import plan_activities
from jieqin.i18n import N_, _

if TYPE_CHECKING:
    from jieqin.reports import Report

__all__ = [
    "BRIEF_2021",
    "PAIRING_DAY",
    "TONGCHUAN_PLUGIN",
    "DemoResult",
    "Progress",
    "Quiet",
    "Step",
    "figures_of",
    "run_demo",
    "tongchuan_missing",
]

#: The distribution that registers Tongchuan's programmes, agencies and region names.
TONGCHUAN_PLUGIN = "jieqin-tongchuan"

#: The day the 2021 pairing list takes effect.
PAIRING_DAY = date(2021, 1, 1)
Q1 = jieqin.Quarter(2021, 1)
Q4 = jieqin.Quarter(2021, 4)
YEAR = jieqin.Year(2021)
SURVEY_DAY = date(2021, 3, 15)
ROUTING_DAY = date(2021, 3, 31)
SCHOLARSHIP_DAY = date(2021, 9, 15)
ILLNESS_GRANT_DAY = date(2021, 6, 30)
WINTER_CHECK_DAY = date(2021, 11, 20)
ACTOR = "demo"

#: The figures the brief reports for Tongchuan 2021, in the order the summary shows them.
BRIEF_2021: dict[str, int | Decimal] = {
    "helpers": 755,
    "households": 772,
    "contact": 6087,
    "visit": 4164,
    "policy_explanation": 3095,
    "warmth": 2013,
    "practical_help": 1147,
    "employment_referrals": 23,
    "scholarships": 14,
    "scholarship_amount": Decimal("70000.00"),
    "illness_grants": 12,
    "illness_grant_amount": Decimal("60000.00"),
}

#: Labels for the summary table (English; translated where they are shown).
LABELS: dict[str, str] = {
    "helpers": N_("helpers (all tiers)"),
    "households": N_("paired households"),
    "contact": N_("contacts"),
    "visit": N_("visits"),
    "policy_explanation": N_("policy explanations"),
    "warmth": N_("warmth deliveries"),
    "practical_help": N_("practical things done"),
    "employment_referrals": N_("referred to the Employment Promotion Center (Q1 survey)"),
    "scholarships": N_("college freshmen given scholarships"),
    "scholarship_amount": N_("  scholarships, yuan"),
    "illness_grants": N_("major-illness patients given grants"),
    "illness_grant_amount": N_("  major-illness grants, yuan"),
}

#: Budgets the demo gives the charity funds: more than the rules grant, so the rules decide.
FUND_BUDGETS = {"scholarship": Decimal("100000.00"), "major_illness": Decimal("100000.00")}


class Progress(Protocol):
    """Where the demo reports progress: the CLI shows rich progress bars."""

    def task(
        self, description: str, total: int | None = None
    ) -> AbstractContextManager[Callable[[int], None]]:
        """A stretch of work to show; the context yields ``advance(n)``."""
        ...


class Quiet:
    """Progress that shows nothing (tests, embedding)."""

    @contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        yield lambda n: None


@frozen
class Step:
    """One step of the year and what it did (or why it could not run): ``name`` a
    catalog message (English; translated where it is shown), ``detail`` said in the
    language the demo ran in (:func:`jieqin.i18n.language`)."""

    name: str
    done: bool
    detail: str


@define
class DemoResult:
    """What the demo did: the database, each step, the report, what could not run."""

    url: str
    seed: int
    steps: list[Step] = field(factory=list)
    report: Report | None = None
    programs: dict[str, str] = field(factory=dict)
    """Role (``scholarship``, ``major_illness``, ``employment``) -> programme id."""
    employment_agency: str | None = None
    refused: tuple[str, str] | None = None
    """(programme id, member id) of a second-year student the scholarship rule refused."""
    seconds: float = 0.0

    @property
    def missing(self) -> list[Step]:
        return [s for s in self.steps if not s.done]

    def say(self, name: str, detail: str, *, done: bool = True) -> None:
        self.steps.append(Step(name, done, detail))


def figures_of(result: DemoResult) -> dict[str, int | Decimal | None]:
    """The brief's figures as the stored records give them (``None`` where not computed)."""
    out: dict[str, int | Decimal | None] = dict.fromkeys(BRIEF_2021)
    report = result.report
    if report is None:
        return out
    totals = report.totals
    out["helpers"] = totals.helpers
    out["households"] = totals.households
    for kind in ("contact", "visit", "policy_explanation", "warmth", "practical_help"):
        out[kind] = totals.activities.get(kind, 0)
    if result.employment_agency is not None:
        out["employment_referrals"] = sum(
            count or 0 for agency, count in totals.referrals if agency == result.employment_agency
        )
    for role, count_key, amount_key in (
        ("scholarship", "scholarships", "scholarship_amount"),
        ("major_illness", "illness_grants", "illness_grant_amount"),
    ):
        program = result.programs.get(role)
        if program is None:
            continue
        lines = [g for g in totals.grants if g.program == program]
        out[count_key] = sum(g.count or 0 for g in lines)
        out[amount_key] = sum((g.amount or Decimal(0) for g in lines), Decimal("0.00"))
    return out


# -- the steps ---------------------------------------------------------------------


def _fresh(db: Path) -> str:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{db}"


def _find_programs(campaign: jieqin.Campaign, result: DemoResult) -> None:
    """Which registered programmes play the brief's parts (by kind and the needs they serve)."""
    for program_id, aid in sorted(campaign.aid_programs().items()):
        program = aid.program
        if program.kind is jieqin.ProgramKind.SCHOLARSHIP:
            result.programs.setdefault("scholarship", program_id)
        elif program.kind is jieqin.ProgramKind.REFERRAL and program.agency:
            if jieqin.NeedKind.EMPLOYMENT in program.serves:
                result.programs.setdefault("employment", program_id)
                result.employment_agency = result.employment_agency or program.agency
        elif jieqin.NeedKind.MEDICAL in program.serves:
            result.programs.setdefault("major_illness", program_id)
    if result.employment_agency is None:
        for agency in campaign.registry.agencies.values():
            if jieqin.NeedKind.EMPLOYMENT in agency.need_kinds:
                result.employment_agency = agency.agency_id
                break


def tongchuan_missing() -> str | None:
    """Why the Tongchuan programmes are not available, or ``None`` when they are."""
    probe = DemoResult(url="memory://", seed=0)
    with jieqin.connect("memory://") as campaign:
        _find_programs(campaign, probe)
    lacking = [role for role in ("scholarship", "major_illness") if role not in probe.programs]
    if probe.employment_agency is None:
        lacking.append("employment agency")
    if not lacking:
        return None
    return "nothing registered for: " + ", ".join(lacking)


def _load(campaign: jieqin.Campaign, cohort: Cohort, progress: Progress) -> None:
    total = len(cohort.helpers) + len(cohort.households)
    with (
        progress.task(N_("Loading helpers and households"), total) as advance,
        campaign.unit_of_work(ACTOR) as uow,
    ):
        for batch in _batches(cohort.helpers, 200):
            uow.helpers.add_many(batch)
            advance(len(batch))
        for batch in _batches(cohort.households, 200):
            uow.households.add_many(batch)
            advance(len(batch))
        uow.commit()


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


#: Why households were left unpaired, with their count.
_UNPAIRED = {
    "no_helper_within_limit": N_("{n} no helper within limit"),
    "capacity_exhausted": N_("{n} capacity exhausted"),
    "all_candidates_forbidden": N_("{n} all candidates forbidden"),
    "not_in_a_pairable_status": N_("{n} not in a pairable status"),
}


def _pair(
    campaign: jieqin.Campaign, cohort: Cohort, result: DemoResult, progress: Progress
) -> None:
    """Pair every eligible household within its county, at most two per helper."""
    policy = jieqin.PairingPolicy(max_per_helper=2, max_candidates=None)
    with progress.task(N_("Pairing helpers with households"), 1) as advance:
        plan = campaign.pair(policy, actor=ACTOR, on=PAIRING_DAY)
        advance(1)
    reasons: dict[str, int] = {}
    for household in plan.unpaired:
        reasons[str(household.reason)] = reasons.get(str(household.reason), 0) + 1
    off = [h for h in cohort.households if h.status_on(PAIRING_DAY) not in policy.eligible_statuses]
    if off:
        reasons["not_in_a_pairable_status"] = len(off)
    why = _(", ").join(
        _(_UNPAIRED[reason]).format(n=n) if reason in _UNPAIRED else f"{n} {reason}"
        for reason, n in sorted(reasons.items())
    )
    detail = _(
        "{paired} households paired on {day} (county limit, at most 2 per helper); "
        "{unpaired} left unpaired"
    ).format(paired=len(plan.primary), day=PAIRING_DAY, unpaired=len(plan.unpaired) + len(off))
    result.say(N_("pairing"), detail + (_(": {why}").format(why=why) if why else ""))


def _survey(
    campaign: jieqin.Campaign, cohort: Cohort, result: DemoResult, progress: Progress
) -> None:
    with progress.task(N_("Q1 needs survey and routing"), 3) as advance:
        surveyed = campaign.survey_needs(
            cohort.q1_survey, Q1, actor=ACTOR, raised_on=SURVEY_DAY, source="Q1 survey"
        )
        advance(1)
        derived = campaign.derive_needs(Q1, actor=ACTOR, on=SURVEY_DAY)
        advance(1)
        routed = campaign.route_needs(Q1, actor=ACTOR, on=ROUTING_DAY)
        advance(1)
    result.say(
        N_("Q1 needs survey"),
        _("{surveyed} needs from the survey, {derived} from member facts; routed: {routed}").format(
            surveyed=len(surveyed), derived=len(derived), routed=_route_counts(routed)
        ),
    )


def _route_counts(results: Sequence[Any]) -> str:
    """``"23 to an agency, 40 to a programme, 12 to a helper, 5 left open"``."""
    counts = {"referral": 0, "program": 0, "helper": 0}
    open_ = 0
    for r in results:
        if r.route is None:
            open_ += 1
        else:
            counts[str(r.route.kind)] = counts.get(str(r.route.kind), 0) + 1
    words = {
        "referral": N_("{n} to an agency"),
        "program": N_("{n} to a programme"),
        "helper": N_("{n} to a helper"),
    }
    parts = [_(words[kind]).format(n=n) for kind, n in counts.items() if n and kind in words]
    return _(", ").join([*parts, _("{n} left open").format(n=open_)])


#: The step that allocates each charity programme.
_ALLOCATION_STEPS = {
    "scholarship": N_("scholarship allocation"),
    "major_illness": N_("major-illness allocation"),
}


def _allocate(
    campaign: jieqin.Campaign, cohort: Cohort, result: DemoResult, progress: Progress
) -> None:
    days = {"scholarship": SCHOLARSHIP_DAY, "major_illness": ILLNESS_GRANT_DAY}
    roles = [role for role in ("major_illness", "scholarship") if role in result.programs]
    for role in ("scholarship", "major_illness"):
        if role not in result.programs:
            result.say(_ALLOCATION_STEPS[role], _("no such programme is registered"), done=False)
    if not roles:
        return
    with progress.task(N_("Allocating the charity programmes"), len(roles)) as advance:
        for role in roles:
            program_id = result.programs[role]
            aid = campaign.aid_program(program_id)
            with campaign.unit_of_work(ACTOR) as uow:
                uow.funds.add(
                    jieqin.Fund(
                        fund_id=f"{program_id}-2021"[:64],
                        program_id=program_id,
                        period=YEAR,
                        budget=FUND_BUDGETS[role],
                        funder=aid.program.funder,
                    )
                )
                uow.commit()
            plan = campaign.allocate(program_id, YEAR, actor=ACTOR, on=days[role])
            granted = plan.count(jieqin.Outcome.GRANTED)
            refused = plan.count(jieqin.Outcome.INELIGIBLE)
            if role == "scholarship" and (student := _refused_student(cohort, plan)):
                result.refused = (program_id, student)
            said = _(
                "{program}: {granted} granted, {total} yuan from a {budget}-yuan fund; "
                "{refused} members decided ineligible"
            )
            budget = f"{FUND_BUDGETS[role]:,.0f}"
            result.say(
                _ALLOCATION_STEPS[role],
                said.format(
                    program=aid.program.name,
                    granted=granted,
                    total=plan.granted_total,
                    budget=budget,
                    refused=refused,
                ),
            )
            advance(1)


def _refused_student(cohort: Cohort, plan: Any) -> str | None:
    """A college student in a later year whom the freshman rule refused (for the example)."""
    refused = {d.member_id for d in plan.decisions if d.outcome is jieqin.Outcome.INELIGIBLE}
    for member in cohort.members:
        school = member.schooling
        if (
            school is not None
            and school.level is jieqin.SchoolLevel.COLLEGE
            and school.year_of_entry < YEAR.year
            and member.member_id in refused
        ):
            return member.member_id
    return None


def _activities(
    campaign: jieqin.Campaign, cohort: Cohort, result: DemoResult, progress: Progress
) -> None:
    with campaign.unit_of_work(ACTOR) as uow:
        pairings = uow.pairings.list()
        for_helpers = [
            n
            for n in uow.needs.list(status=jieqin.NeedStatus.ROUTED)
            if n.route is not None and n.route.kind is jieqin.RouteKind.HELPER
        ]
    activities = plan_activities(pairings, seed=cohort.seed, needs=for_helpers)
    # Each household's year goes in one batch, so each batch checks its households once.
    by_household: dict[str, list[jieqin.Activity]] = {}
    for activity in activities:
        by_household.setdefault(activity.household_id, []).append(activity)
    households = sorted(by_household)
    with progress.task(N_("Logging the year's activities"), len(activities)) as advance:
        for start in range(0, len(households), 64):
            batch = [a for h in households[start : start + 64] for a in by_household[h]]
            campaign.log_activities(batch, actor=ACTOR, source="2021 activity log")
            advance(len(batch))
    with campaign.unit_of_work(ACTOR) as uow:
        resolved = [
            n
            for n in uow.needs.list(status=jieqin.NeedStatus.RESOLVED)
            if (n.resolved_by or "").startswith("activity:")
        ]
    said = _(
        "{logged} activities of the year logged; {resolved} of the {routed} needs routed to "
        "helpers resolved by their practical help"
    )
    result.say(
        N_("activities"),
        said.format(logged=len(activities), resolved=len(resolved), routed=len(for_helpers)),
    )


def _winter_check(
    campaign: jieqin.Campaign, cohort: Cohort, result: DemoResult, progress: Progress
) -> None:
    checklist = _winter_checklist()
    if checklist is None:
        missing = _("the {plugin} plugin is not installed").format(plugin=TONGCHUAN_PLUGIN)
        result.say(N_("winter check"), missing, done=False)
        return
    rng = random.Random(cohort.seed + 4)
    with campaign.unit_of_work(ACTOR) as uow:
        paired = sorted({p.household_id for p in uow.pairings.active_on(WINTER_CHECK_DAY)})
    answers: list[jieqin.SurveyAnswer] = []
    with progress.task(N_("Safe-and-warm-winter check"), len(paired)) as advance:
        for household_id in paired:
            met = {item: rng.random() > 0.03 for item in checklist.items}
            answers.extend(checklist.answers(household_id, met))
        advance(len(paired))
        needs = campaign.survey_needs(
            answers, Q4, actor=ACTOR, raised_on=WINTER_CHECK_DAY, source=checklist.name
        )
        routed = campaign.route_needs(Q4, actor=ACTOR, on=WINTER_CHECK_DAY)
    said = _(
        "{checked} households checked; {shortfalls} shortfalls recorded as needs; routed: {routed}"
    )
    result.say(
        N_("winter check"),
        said.format(checked=len(paired), shortfalls=len(needs), routed=_route_counts(routed)),
    )


def _winter_checklist() -> jieqin.Checklist | None:
    """The safe-and-warm-winter checklist the Tongchuan plugin publishes."""
    try:
        module = importlib.import_module("jieqin_tongchuan")
    except ImportError:
        return None
    checklist = getattr(module, "WINTER_CHECK", None)
    return checklist if isinstance(checklist, jieqin.Checklist) else None


def run_demo(
    db: str | Path,
    *,
    seed: int = 2021,
    progress: Progress | None = None,
    cohort: Cohort | None = None,
    url: str | None = None,
) -> DemoResult:
    """Run the Tongchuan 2021 year on a fresh SQLite file at ``db`` (replaced if it exists).

    ``url`` runs it on another (empty) database instead, e.g. ``memory://``.
    """
    started = time.perf_counter()
    progress = progress or Quiet()
    url = url or _fresh(Path(db))
    result = DemoResult(url=url, seed=seed)
    with progress.task(N_("Generating the synthetic cohort"), 1) as advance:
        cohort = cohort or generate_cohort(seed)
        advance(1)
    result.say(
        N_("cohort"),
        _("{helpers} helpers, {households} households, {members} members (seed {seed})").format(
            helpers=len(cohort.helpers),
            households=len(cohort.households),
            members=len(cohort.members),
            seed=seed,
        ),
    )
    clock = DemoClock()
    with jieqin.connect(url, clock=clock) as campaign:
        _find_programs(campaign, result)
        if not result.programs:
            result.say(
                N_("Tongchuan plugin"),
                _(
                    "no Tongchuan programmes are registered: install the plugin "
                    "(pip install -e plugins/jieqin-tongchuan)"
                ),
                done=False,
            )
        _load(campaign, cohort, progress)
        result.say(N_("roster"), _("helpers and households stored"))
        _pair(campaign, cohort, result, progress)
        _survey(campaign, cohort, result, progress)
        _allocate(campaign, cohort, result, progress)
        _winter_check(campaign, cohort, result, progress)
        _activities(campaign, cohort, result, progress)
        with progress.task(N_("Monitoring against a return to poverty"), 1) as advance:
            run_monitoring(campaign, cohort, clock, result.say)
            advance(1)
        with progress.task(N_("Computing the 2021 report"), 1) as advance:
            result.report = campaign.report(YEAR, by_region=True)
            advance(1)
    result.seconds = time.perf_counter() - started
    return result
