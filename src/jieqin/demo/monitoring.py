"""The demo's monitoring strand (防返贫监测): a few households' incomes and medical costs
observed in 2021, warnings raised and checked at home, one household confirmed as
monitored, and one monitored household's risk eliminated after approval and public
notice (公示).

Every step goes through the public API, on its own day: the strand moves the demo's
clock (:class:`DemoClock`) to each day, so that what it records is dated as a clerk
would have recorded it in 2021. It runs after the year's work and touches no pairing,
activity, referral or grant, so the year's table (the brief's figures) is what it was;
the report gains its monitoring section.

The medical costs arrive as the medical insurance bureau's settlement file, delivered
through the Tongchuan plugin's feed (医保结算); without the plugin the strand keeps to
the declared incomes.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from attrs import define

import jieqin
from jieqin.i18n import N_, _
from jieqin.model.identity import check_digit

if TYPE_CHECKING:
    from jieqin.demo.cohort import Cohort

__all__ = [
    "CONFIRMED_CATEGORY",
    "FEED",
    "MONITORING_DAYS",
    "DemoClock",
    "run_monitoring",
]

#: The Tongchuan plugin's medical-insurance settlement feed.
FEED = "tc_medical_settlement"

#: The days of the strand.
MONITORING_DAYS = {
    "q3_run": date(2021, 9, 30),
    "q3_checks": date(2021, 10, 12),
    "late_check": date(2021, 10, 20),
    "proposed": date(2021, 12, 1),
    "approved": date(2021, 12, 2),
    "committed": date(2021, 12, 10),
}

#: What the one confirmed warning's household becomes.
CONFIRMED_CATEGORY = "unstable"

ACTOR = "demo"
APPROVER = "approver:demo"

#: Per person per quarter (yuan): below the 6,000-yuan line at a yearly rate, and above it.
LOW_QUARTER = Decimal("1200.00")
FINE_QUARTER = Decimal("2600.00")
#: Per person per month for the household whose risk is eliminated (8,400 a year).
STABLE_MONTH = Decimal("700.00")


@define
class DemoClock:
    """The demo's clock: the machine's date, or the day a step set (``day``)."""

    day: date | None = None

    def today(self) -> date:
        return self.day or date.today()

    @contextmanager
    def on(self, day: date) -> Iterator[None]:
        """Stop the clock on ``day`` for the steps inside."""
        before, self.day = self.day, day
        try:
            yield
        finally:
            self.day = before


class _Say(Protocol):
    def __call__(self, name: str, detail: str, *, done: bool = True) -> None: ...


def _observation(
    household: jieqin.Household,
    kind: str,
    period: jieqin.Period,
    amount: Decimal,
    day: date,
    source: str = "declaration",
) -> jieqin.Observation:
    return jieqin.Observation(
        observation_id=f"ob:demo:{household.household_id}:{kind}:{period}",
        household_id=household.household_id,
        kind=kind,
        period=period,
        amount=amount,
        source=source,
        recorded_on=day,
    )


def _choose(
    campaign: jieqin.Campaign, cohort: Cohort
) -> tuple[list[jieqin.Household], jieqin.Household | None, dict[str, str]]:
    """Eight paired households not monitored (by seed), one monitored one, and each
    one's helper."""
    day = MONITORING_DAYS["q3_run"]
    with campaign.unit_of_work(ACTOR, read_only=True) as uow:
        helper_of: dict[str, str] = {}
        for p in sorted(uow.pairings.active_on(day), key=lambda p: (p.household_id, p.helper_id)):
            helper_of.setdefault(p.household_id, p.helper_id)
    monitored = campaign.monitored_statuses
    paired = [h for h in cohort.households if h.household_id in helper_of]
    plain = [h for h in paired if h.status_on(day) not in monitored and h.members[0].resident_id]
    watched = [h for h in paired if h.status_on(day) in monitored]
    rng = random.Random(cohort.seed + 7)
    chosen = rng.sample(plain, min(8, len(plain)))
    return chosen, (rng.choice(watched) if watched else None), helper_of


def _settlements(households: Sequence[jieqin.Household], folder: Path) -> Path:
    """The bureau's settlement file: two of the campaign's patients and two others."""
    lines = ["结算流水号,身份证号,结算日期,医疗总费用,个人自付"]
    for n, household in enumerate(households, start=1):
        rid = household.members[0].resident_id
        lines.append(f"YB2021{n:05d},{rid},2021-08-{10 + n:02d},68000.00,31000.00")
    # people the bureau serves who are not in the campaign: counted, not kept
    for n, first17 in enumerate(("61020219900307123", "61020319850715654"), start=901):
        stranger = first17 + check_digit(first17)
        lines.append(f"YB2021{n:05d},{stranger},2021-08-0{n - 898},900.00,120.00")
    path = folder / "医保结算2021Q3.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_monitoring(campaign: jieqin.Campaign, cohort: Cohort, clock: DemoClock, say: _Say) -> None:
    """The strand (see the module); each step says what it did through ``say``."""
    chosen, leaving, helper_of = _choose(campaign, cohort)
    if len(chosen) < 6:
        say(N_("monitoring"), _("too few paired households to monitor"), done=False)
        return
    low, fine, ill = chosen[:3], chosen[3:6], chosen[3:5]
    q3 = jieqin.Quarter(2021, 3)
    days = MONITORING_DAYS
    with clock.on(days["q3_run"]):
        observed = [
            *(_observation(h, "income", q3, LOW_QUARTER, days["q3_run"]) for h in low),
            *(_observation(h, "income", q3, FINE_QUARTER, days["q3_run"]) for h in fine),
        ]
        _record(campaign, observed)
        delivered = "-"
        if FEED in campaign.registry.feeds:
            with tempfile.TemporaryDirectory() as folder:
                delivery = campaign.deliver_feed(FEED, _settlements(ill, Path(folder)), actor=ACTOR)
            delivered = _(
                "{new} settlements of the campaign's patients, {unmatched} of others"
            ).format(new=delivery.new, unmatched=delivery.unmatched)
        raised = _run(campaign, days["q3_run"])
    say(
        N_("monitoring observations"),
        _("{incomes} incomes declared; medical-insurance feed: {feed}").format(
            incomes=len(observed), feed=delivered
        ),
    )
    warned = sorted(raised, key=lambda w: w.household_id)
    confirmed = next((w for w in warned if w.household_id == low[0].household_id), None)
    dismissed = 0
    for n, warning in enumerate(warned):
        late = n == len(warned) - 1 and len(warned) > 2
        day = days["late_check"] if late else days["q3_checks"]
        with clock.on(day):
            checker = helper_of.get(warning.household_id)
            if warning is confirmed:
                campaign.check_warning(
                    warning.warning_id,
                    "confirmed",
                    category=CONFIRMED_CATEGORY,
                    note="入户核实：务工收入中断",
                    checked_by=checker,
                    on=day,
                    actor=ACTOR,
                )
            else:
                campaign.check_warning(
                    warning.warning_id,
                    "dismissed",
                    reason="入户核实：已有稳定收入来源",
                    note="入户核实",
                    checked_by=checker,
                    on=day,
                    actor=ACTOR,
                )
                dismissed += 1
    say(
        N_("risk warnings"),
        _(
            "{raised} raised for 2021-09; checked at home: {confirmed} confirmed, {dismissed} dismissed"
        ).format(raised=len(warned), confirmed=1 if confirmed else 0, dismissed=dismissed),
    )
    _eliminate(campaign, leaving, helper_of, clock, say)


def _record(campaign: jieqin.Campaign, observations: Sequence[jieqin.Observation]) -> None:
    from jieqin.services.observations import record_observations

    with campaign.unit_of_work(ACTOR) as uow:
        record_observations(uow, observations)
        uow.commit()


def _run(campaign: jieqin.Campaign, day: date) -> tuple[jieqin.RiskWarning, ...]:
    from jieqin.services.warnings import run_warnings

    parameters = campaign.monitoring_parameters()
    with campaign.unit_of_work(ACTOR) as uow:
        run = run_warnings(uow, day, parameters=parameters, monitored=campaign.monitored_statuses)
    return run.raised


def _eliminate(
    campaign: jieqin.Campaign,
    household: jieqin.Household | None,
    helper_of: dict[str, str],
    clock: DemoClock,
    say: _Say,
) -> None:
    """Propose, approve (another person: maker-checker), post the notice and commit."""
    if household is None:
        say(N_("risk elimination"), _("no monitored household is paired"), done=False)
        return
    days = MONITORING_DAYS
    with clock.on(days["proposed"]):
        declared = days["proposed"]
        months = [jieqin.Month(2021, m) for m in range(5, 12)]
        _record(
            campaign,
            [_observation(household, "income", m, STABLE_MONTH, declared) for m in months],
        )
        elimination, _stability = campaign.propose_elimination(
            household.household_id,
            checked_by=helper_of[household.household_id],
            checked_on=date(2021, 11, 30),
            note="入户核实：收入连续稳定高于监测范围",
            actor=ACTOR,
        )
    with clock.on(days["approved"]):
        campaign.approve_elimination(elimination.elimination_id, actor=APPROVER, days=7)
    with clock.on(days["committed"]):
        done, stored = campaign.commit_elimination(elimination.elimination_id, actor=ACTOR)
    say(
        N_("risk elimination"),
        _(
            "1 household left monitoring on {day} ({from_status} → {to_status}), after approval and a 7-day public notice"
        ).format(
            day=done.committed_on,
            from_status=campaign.registry.household_statuses.label(done.from_status),
            to_status=campaign.registry.household_statuses.label(stored.status),
        ),
    )
