"""Hypothesis strategies for every jieqin model type.

Each function returns a strategy and takes keyword-only options (``min_*``/``max_*``
for ranges). They generate *valid* values: resident ID numbers with a correct check
digit, an embedded birth date that agrees with the member's, and a birth-place code
that was in use in the birth year; region codes built on real county codes.

After ``pip install jieqin`` these are also registered with hypothesis, so
``st.from_type(jieqin.Household)`` works in any test.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

from jieqin.model import (
    Activity,
    ActivityKind,
    ConditionOutcome,
    CostTerm,
    Decision,
    EmploymentStatus,
    Fund,
    FundChange,
    FundChangeKind,
    Grant,
    GrantUnit,
    Handover,
    Health,
    HealthCondition,
    Helper,
    Household,
    HouseholdStatus,
    Member,
    MemberMove,
    Month,
    Need,
    NeedKind,
    NeedSource,
    NeedStatus,
    Observation,
    Outcome,
    Pairing,
    PairingRole,
    PaymentResult,
    PaymentStatus,
    Period,
    PeriodKind,
    Program,
    ProgramKind,
    Quarter,
    Referral,
    ReferralOutcome,
    ReferralStatus,
    RegionCode,
    RegionLevel,
    Relation,
    Route,
    RouteKind,
    Schooling,
    SchoolLevel,
    Sector,
    Sex,
    StatusChange,
    Tier,
    Year,
)
from jieqin.model.identity import _county_table, birthplace_codes, check_digit
from jieqin.model.money import FEN
from jieqin.model.reference import REFERRAL_OUTCOMES
from jieqin.testing import _hypothesis

__all__ = [
    "activities",
    "condition_outcomes",
    "conditions",
    "contexts",
    "cost_terms",
    "decisions",
    "fund_changes",
    "funds",
    "grants",
    "handovers",
    "healths",
    "helpers",
    "household_observations",
    "households",
    "ids",
    "member_moves",
    "members",
    "money",
    "needs",
    "observations",
    "one_number_each",
    "pairings",
    "payment_results",
    "periods",
    "programs",
    "referral_outcomes",
    "referrals",
    "region_codes",
    "register_type_strategies",
    "resident_ids",
    "routes",
    "schoolings",
    "status_changes",
]

_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"


def ids(*, prefix: str = "", min_size: int = 1, max_size: int = 12) -> st.SearchStrategy[str]:
    """Record ids: letters and digits, optionally after a fixed prefix."""
    body = st.text(
        alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=min_size, max_size=max_size
    )
    return body.map(lambda s: f"{prefix}{s}" if prefix else f"x{s}")


def names() -> st.SearchStrategy[str]:
    """Chinese personal names: a common surname and one or two given characters."""
    return st.builds(
        lambda surname, given: surname + given,
        st.sampled_from(_SURNAMES),
        st.text(alphabet=_CJK, min_size=1, max_size=2),
    )


@functools.cache
def _counties() -> tuple[str, ...]:
    return tuple(sorted({code for code, _, _ in _county_table()}))


def region_codes(
    *,
    level: RegionLevel | None = None,
    min_level: RegionLevel = RegionLevel.PROVINCE,
    max_level: RegionLevel = RegionLevel.VILLAGE,
    within: RegionCode | str | None = None,
    max_townships: int = 30,
    max_villages: int = 30,
) -> st.SearchStrategy[RegionCode]:
    """Region codes built on real GB/T 2260 county codes.

    ``level`` fixes the level; otherwise it lies between ``min_level`` and
    ``max_level``. ``within`` keeps codes inside a region. Township and village parts
    are drawn from 1..``max_townships`` / 1..``max_villages`` so that generated
    households share townships and villages often enough to be interesting.
    """
    root = RegionCode(within) if isinstance(within, str) else within
    if level is not None:
        min_level = max_level = level
    if root is not None:
        min_level = max(min_level, root.level)
    counties = [c for c in _counties() if root is None or root.contains(RegionCode(c))]
    if root is not None and root.level >= RegionLevel.COUNTY:
        counties = [root.code[:6]]
    if not counties:
        raise ValueError(f"no county-level codes within {root}")

    def build(county: str, township: int, village: int, depth: RegionLevel) -> RegionCode:
        full = RegionCode(f"{county}{township:03d}{village:03d}")
        if root is not None and root.level > RegionLevel.COUNTY:
            full = RegionCode(root.code + full.code[len(root.code) :])
        node = full.at_level(depth)
        return node if node is not None else full

    return st.builds(
        build,
        st.sampled_from(counties),
        st.integers(1, max_townships),
        st.integers(1, max_villages),
        st.sampled_from([lv for lv in RegionLevel if min_level <= lv <= max_level]),
    )


def resident_ids(
    *,
    birth_date: date | None = None,
    min_birth_date: date = date(1925, 1, 1),
    max_birth_date: date = date(2020, 12, 31),
    sex: Sex | None = None,
    within: str = "",
) -> st.SearchStrategy[str]:
    """Valid 18-character resident ID numbers (GB 11643).

    The birth-place code is one in use in the birth year (optionally starting with
    ``within``), the 17th digit's parity matches ``sex`` when given, and the check
    character is computed.
    """
    dates = (
        st.just(birth_date) if birth_date is not None else st.dates(min_birth_date, max_birth_date)
    )

    def for_date(day: date) -> st.SearchStrategy[str]:
        places = birthplace_codes(day.year, within=within) or birthplace_codes(day.year)
        parity = st.integers(0, 499)
        return st.builds(
            lambda place, seq: _number(place, day, seq, sex), st.sampled_from(places), parity
        )

    return dates.flatmap(for_date)


def _number(place: str, day: date, seq: int, sex: Sex | None) -> str:
    serial = seq * 2 + (1 if sex is Sex.MALE else 0) if sex is not None else seq * 2 + seq % 2
    first17 = f"{place}{day:%Y%m%d}{serial:03d}"
    return first17 + check_digit(first17)


def healths(*, conditions: list[HealthCondition] | None = None) -> st.SearchStrategy[Health]:
    """Health facts; a diagnosis only where there is an illness."""
    choice = st.sampled_from(conditions or list(HealthCondition))

    def build(condition: HealthCondition) -> st.SearchStrategy[Health]:
        if condition is HealthCondition.HEALTHY:
            return st.just(Health(condition))
        return st.builds(
            Health,
            st.just(condition),
            st.none() | st.sampled_from(["糖尿病", "尿毒症", "恶性肿瘤", "高血压", "脑梗"]),
        )

    return choice.flatmap(build)


def schoolings(
    *, min_year: int = 2000, max_year: int = 2030, levels: list[SchoolLevel] | None = None
) -> st.SearchStrategy[Schooling]:
    """Current schooling with a year of entry."""
    return st.builds(
        Schooling,
        st.sampled_from(levels or list(SchoolLevel)),
        st.integers(min_year, max_year),
        st.none() | st.sampled_from(["西北大学", "铜川职业技术学院", "陕西师范大学"]),
    )


def members(
    *,
    member_id: st.SearchStrategy[str] | None = None,
    relation: Relation | None = None,
    min_birth_date: date = date(1925, 1, 1),
    max_birth_date: date = date(2020, 12, 31),
    health: st.SearchStrategy[Health] | None = None,
    schooling: st.SearchStrategy[Schooling | None] | None = None,
    employment: st.SearchStrategy[EmploymentStatus] | None = None,
    disability_grade: st.SearchStrategy[int | None] | None = None,
) -> st.SearchStrategy[Member]:
    """Members with consistent sex, birth date and resident ID number."""

    def build(sex: Sex, day: date) -> st.SearchStrategy[Member]:
        return st.builds(
            Member,
            member_id=member_id if member_id is not None else ids(prefix="m"),
            name=names(),
            sex=st.just(sex),
            birth_date=st.just(day),
            resident_id=resident_ids(birth_date=day, sex=sex),
            relation=st.just(relation) if relation is not None else st.sampled_from(list(Relation)),
            health=health if health is not None else healths(),
            disability_grade=disability_grade
            if disability_grade is not None
            else st.none() | st.integers(1, 4),
            schooling=schooling if schooling is not None else st.none() | schoolings(),
            employment=employment
            if employment is not None
            else st.sampled_from(list(EmploymentStatus)),
            phone=st.none() | st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
        )

    return st.tuples(st.sampled_from(list(Sex)), st.dates(min_birth_date, max_birth_date)).flatmap(
        lambda pair: build(*pair)
    )


def status_changes(
    *,
    statuses: list[str] | None = None,
    min_since: date = date(2014, 1, 1),
    max_since: date = date(2025, 12, 31),
) -> st.SearchStrategy[StatusChange]:
    """One dated status change."""
    return st.builds(
        StatusChange,
        st.sampled_from(statuses or [str(s) for s in HouseholdStatus]),
        st.dates(min_since, max_since),
        st.sampled_from(["", "识别", "脱贫", "纳入监测"]),
    )


def households(
    *,
    household_id: st.SearchStrategy[str] | None = None,
    min_members: int = 1,
    max_members: int = 6,
    region: st.SearchStrategy[RegionCode] | None = None,
    statuses: list[str] | None = None,
    min_history: int = 1,
    max_history: int = 3,
    member_strategy: st.SearchStrategy[Member] | None = None,
) -> st.SearchStrategy[Household]:
    """Households with one head, unique member ids and an increasing status history."""
    regions = region if region is not None else region_codes(min_level=RegionLevel.TOWNSHIP)
    member_st = member_strategy if member_strategy is not None else members()

    @st.composite
    def build(draw: st.DrawFn) -> Household:
        hid = draw(household_id if household_id is not None else ids(prefix="h"))
        count = draw(st.integers(min_members, max_members))
        people: list[Member] = []
        numbers: set[str] = set()
        for i in range(count):
            m = draw(member_st)
            relation = (
                Relation.HEAD
                if i == 0
                else (m.relation if m.relation is not Relation.HEAD else Relation.CHILD)
            )
            # One number, one person: a number drawn twice stays with the first member.
            number = m.resident_id if m.resident_id not in numbers else None
            if number is not None:
                numbers.add(number)
            people.append(
                _evolve_member(m, member_id=f"{hid}-{i + 1}", relation=relation, resident_id=number)
            )
        dates = draw(
            st.lists(
                st.dates(date(2014, 1, 1), date(2025, 12, 31)),
                min_size=min_history,
                max_size=max_history,
                unique=True,
            )
        )
        history = [
            StatusChange(draw(st.sampled_from(statuses or [str(s) for s in HouseholdStatus])), day)
            for day in sorted(dates)
        ]
        return Household(hid, draw(regions), tuple(people), tuple(history))

    return build()


def one_number_each(households: Iterable[Household]) -> list[Household]:
    """``households`` with each resident ID number kept by its first member only.

    Strategies draw each household on its own, so two households may draw the same
    number; a store holds a number for one person only. Map a list of drawn
    households through this before storing them.
    """
    import attrs

    seen: set[str] = set()
    out = []
    for household in households:
        people = []
        for member in household.members:
            number = member.resident_id
            if number is not None and number in seen:
                member = attrs.evolve(member, resident_id=None)
            elif number is not None:
                seen.add(number)
            people.append(member)
        out.append(attrs.evolve(household, members=people))
    return out


def _evolve_member(
    m: Member, *, member_id: str, relation: Relation, resident_id: str | None
) -> Member:
    import attrs

    return attrs.evolve(m, member_id=member_id, relation=relation, resident_id=resident_id)


def helpers(
    *,
    helper_id: st.SearchStrategy[str] | None = None,
    region: st.SearchStrategy[RegionCode] | None = None,
    tiers: list[str] | None = None,
    sectors: list[str] | None = None,
    min_capacity: int = 1,
    max_capacity: int = 3,
    active: bool | None = None,
) -> st.SearchStrategy[Helper]:
    """Helpers with a tier, a home region, sectors of strength and a capacity."""
    return st.builds(
        Helper,
        helper_id=helper_id if helper_id is not None else ids(prefix="p"),
        name=names(),
        tier=st.sampled_from(tiers or [str(t) for t in Tier]),
        home_region=region if region is not None else region_codes(min_level=RegionLevel.COUNTY),
        sectors=st.frozensets(st.sampled_from(sectors or [str(s) for s in Sector]), max_size=3),
        capacity=st.integers(min_capacity, max_capacity),
        active=st.just(active) if active is not None else st.booleans(),
        phone=st.none() | st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    )


def periods(
    *, kinds: list[PeriodKind] | None = None, min_year: int = 2015, max_year: int = 2030
) -> st.SearchStrategy[Period]:
    """Years, quarters and months."""
    years = st.integers(min_year, max_year)
    options: dict[PeriodKind, st.SearchStrategy[Period]] = {
        PeriodKind.YEAR: st.builds(Year, years),
        PeriodKind.QUARTER: st.builds(Quarter, years, st.integers(1, 4)),
        PeriodKind.MONTH: st.builds(Month, years, st.integers(1, 12)),
    }
    return st.one_of([options[k] for k in (kinds or list(PeriodKind))])


def money(
    *, min_value: Decimal | int = 0, max_value: Decimal | int = 1_000_000
) -> st.SearchStrategy[Decimal]:
    """Decimal yuan amounts with two places."""
    low = int(Decimal(min_value) * 100)
    high = int(Decimal(max_value) * 100)
    return st.integers(low, high).map(lambda fen: (Decimal(fen) / 100).quantize(Decimal("0.01")))


#: The last day of a recorded event the strategies draw.
_LAST_DAY = date(2025, 12, 31)


def _dates() -> st.SearchStrategy[date]:
    """Days of recorded events: in the past (the write path refuses future dates)."""
    return st.dates(date(2015, 1, 1), _LAST_DAY)


def _codes(values: list[str] | type) -> st.SearchStrategy[str]:
    return st.sampled_from([str(v) for v in values])  # type: ignore[union-attr]


def routes() -> st.SearchStrategy[Route]:
    return st.builds(Route, st.sampled_from(list(RouteKind)), ids(prefix="t"), st.text(max_size=40))


def needs(*, kinds: list[str] | None = None) -> st.SearchStrategy[Need]:
    """Needs, in any status, with a route and resolution where the status implies one."""

    @st.composite
    def build(draw: st.DrawFn) -> Need:
        status = draw(st.sampled_from(list(NeedStatus)))
        routed = status in (NeedStatus.ROUTED, NeedStatus.RESOLVED)
        raised = draw(_dates())
        return Need(
            need_id=draw(ids(prefix="n")),
            household_id=draw(ids(prefix="h")),
            kind=draw(_codes(kinds or list(NeedKind))),
            period=draw(periods()),
            source=draw(st.sampled_from(list(NeedSource))),
            raised_on=raised,
            member_id=draw(st.none() | ids(prefix="m")),
            note=draw(st.text(max_size=40)),
            status=status,
            route=draw(routes()) if routed else None,
            resolved_on=raised + timedelta(days=draw(st.integers(0, 200)))
            if status is NeedStatus.RESOLVED
            else None,
            resolved_by=f"grant:{draw(ids())}" if status is NeedStatus.RESOLVED else None,
            unrouted_reason="" if routed else draw(st.text(max_size=60)),
        )

    return build()


_OUTCOMES = [c.code for c in REFERRAL_OUTCOMES]


def referrals() -> st.SearchStrategy[Referral]:
    """Referrals at any step: referred, accepted, rejected (with a reason) or completed
    (with an outcome code, accepted first or not), each step on or after the one before."""

    @st.composite
    def build(draw: st.DrawFn) -> Referral:
        referred_on = draw(_dates())
        later = st.integers(0, 120).map(lambda n: min(referred_on + timedelta(n), _LAST_DAY))
        status = draw(st.sampled_from(list(ReferralStatus)))
        accepted_on = rejected_on = completed_on = None
        reason, outcome = "", None
        accepts = status is ReferralStatus.ACCEPTED
        if accepts or (status is ReferralStatus.COMPLETED and draw(st.booleans())):
            accepted_on = draw(later)
        if status is ReferralStatus.REJECTED:
            rejected_on = draw(later)
            reason = draw(st.sampled_from(["不在服务范围", "户籍不在本市"]))
        if status is ReferralStatus.COMPLETED:
            start = accepted_on or referred_on
            completed_on = min(start + timedelta(draw(st.integers(0, 90))), _LAST_DAY)
            outcome = draw(st.none() | st.sampled_from(_OUTCOMES))
        agencies = ["employment_promotion_center", "civil_affairs", "medical_insurance"]
        return Referral(
            referral_id=draw(ids(prefix="r")),
            need_id=draw(ids(prefix="n")),
            household_id=draw(ids(prefix="h")),
            agency=draw(st.sampled_from(agencies)),
            referred_on=referred_on,
            member_id=draw(st.none() | ids(prefix="m")),
            completed_on=completed_on,
            note=draw(st.text(max_size=40)),
            accepted_on=accepted_on,
            rejected_on=rejected_on,
            rejection_reason=reason,
            outcome=outcome,
            due_on=draw(st.none() | later),
            status=status,
        )

    return build()


def referral_outcomes() -> st.SearchStrategy[ReferralOutcome]:
    """Steps an agency reports: accepted, rejected with a reason, completed with an outcome."""
    return st.one_of(
        st.builds(ReferralOutcome, ids(prefix="r"), st.just("accepted"), _dates()),
        st.builds(
            ReferralOutcome,
            ids(prefix="r"),
            st.just("rejected"),
            _dates(),
            reason=st.sampled_from(["不在服务范围", "户籍不在本市"]),
        ),
        st.builds(
            ReferralOutcome,
            ids(prefix="r"),
            st.just("completed"),
            _dates(),
            outcome=st.sampled_from(_OUTCOMES),
            reason=st.text(max_size=40),
        ),
    )


def cost_terms() -> st.SearchStrategy[CostTerm]:
    return st.builds(
        CostTerm,
        st.sampled_from(["distance", "strength_match", "workload", "continuity"]),
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    )


def pairings() -> st.SearchStrategy[Pairing]:
    @st.composite
    def build(draw: st.DrawFn) -> Pairing:
        start = draw(_dates())
        end = draw(st.none() | st.integers(0, 800).map(lambda d: start + timedelta(days=d)))
        return Pairing(
            helper_id=draw(ids(prefix="p")),
            household_id=draw(ids(prefix="h")),
            start=start,
            role=draw(st.sampled_from(list(PairingRole))),
            end=end,
            reason=draw(st.text(max_size=40)),
            costs=tuple(draw(st.lists(cost_terms(), max_size=4))),
        )

    return build()


def handovers() -> st.SearchStrategy[Handover]:
    return st.builds(
        Handover,
        household_id=ids(prefix="h"),
        on=_dates(),
        reason=st.sampled_from(["helper left", "capacity reduced", "re-pair", "first pairing"]),
        from_helper_id=st.none() | ids(prefix="p"),
        to_helper_id=st.none() | ids(prefix="p"),
    )


def activities(*, kinds: list[str] | None = None) -> st.SearchStrategy[Activity]:
    return st.builds(
        Activity,
        activity_id=ids(prefix="a"),
        kind=_codes(kinds or list(ActivityKind)),
        on=_dates(),
        helper_id=ids(prefix="p"),
        household_id=ids(prefix="h"),
        member_id=st.none() | ids(prefix="m"),
        need_id=st.none() | ids(prefix="n"),
        note=st.text(max_size=60),
        event=st.none() | ids(prefix="e"),
    )


def programs() -> st.SearchStrategy[Program]:
    return st.builds(
        Program,
        program_id=ids(prefix="g"),
        name=st.sampled_from(["大学新生助学金", "大病救助金", "就业推荐", "冬季温暖包"]),
        funder=st.sampled_from(["省慈善协会", "市慈善协会", "市就业促进中心"]),
        kind=st.sampled_from(list(ProgramKind)),
        amount=st.none() | money(max_value=20_000),
        serves=st.frozensets(_codes(list(NeedKind)), max_size=3),
        agency=st.none() | ids(prefix="agency"),
        period_kind=st.sampled_from(list(PeriodKind)),
        grant_unit=st.sampled_from(list(GrantUnit)),
    )


def funds() -> st.SearchStrategy[Fund]:
    """Funds, some topped up (the top-ups a part of the budget in force) or closed."""

    @st.composite
    def build(draw: st.DrawFn) -> Fund:
        budget = draw(money(max_value=10_000_000))
        return Fund(
            fund_id=draw(ids(prefix="f")),
            program_id=draw(ids(prefix="g")),
            period=draw(periods()),
            budget=budget,
            funder=draw(st.text(max_size=20)),
            name=draw(st.sampled_from(["", "2021年助学金", "大病救助专项"])),
            topped_up=draw(st.sampled_from([Decimal("0.00"), budget, (budget / 2).quantize(FEN)])),
            closed_on=draw(st.none() | _dates()),
        )

    return build()


def fund_changes() -> st.SearchStrategy[FundChange]:
    """Top-ups (of more than nothing) and closings of a fund."""
    top_up = st.builds(
        FundChange,
        fund_id=ids(prefix="f"),
        number=st.integers(1, 50),
        kind=st.just(FundChangeKind.TOP_UP),
        on=_dates(),
        reason=st.sampled_from(["追加拨款", "second donation"]),
        amount=money(min_value=Decimal("0.01"), max_value=1_000_000),
        actor=st.sampled_from(["", "clerk:wang"]),
    )
    close = st.builds(
        FundChange,
        fund_id=ids(prefix="f"),
        number=st.integers(1, 50),
        kind=st.just(FundChangeKind.CLOSE),
        on=_dates(),
        reason=st.sampled_from(["年度结束", "programme ended"]),
        actor=st.sampled_from(["", "clerk:wang"]),
    )
    return top_up | close


def grants() -> st.SearchStrategy[Grant]:
    made = st.builds(
        Grant,
        grant_id=ids(prefix="gr"),
        program_id=ids(prefix="g"),
        fund_id=ids(prefix="f"),
        period=periods(),
        household_id=ids(prefix="h"),
        member_id=st.none() | ids(prefix="m"),
        amount=money(max_value=50_000),
        decided_on=_dates(),
        decision_id=ids(prefix="d"),
        agency=st.none() | ids(prefix="agency"),
        need_id=st.none() | ids(prefix="n"),
    )
    return made.flatmap(_maybe_paid).flatmap(_maybe_revoked)


def _later(day: date, days: int) -> date:
    return min(day + timedelta(days=days), _LAST_DAY)


def _maybe_paid(grant: Grant) -> st.SearchStrategy[Grant]:
    """The grant unpaid (maybe in a batch), paid on its day or later, or paid and returned."""
    batched = st.builds(
        lambda batch: attrs.evolve(grant, batch_id=batch), st.none() | ids(prefix="pb")
    )
    paid = st.builds(
        lambda batch, days, reference: attrs.evolve(
            grant,
            batch_id=batch,
            paid_on=_later(grant.decided_on, days),
            payment_reference=reference,
        ),
        st.none() | ids(prefix="pb"),
        st.integers(0, 200),
        st.sampled_from(["", "BK20210915-0001", "转账成功"]),
    )

    def returned(paid_grant: Grant) -> st.SearchStrategy[Grant]:
        paid_on = paid_grant.paid_on
        assert paid_on is not None
        return st.builds(
            lambda days, reason: attrs.evolve(
                paid_grant, returned_on=_later(paid_on, days), return_reason=reason
            ),
            st.integers(0, 100),
            st.sampled_from(["账户已注销", "account closed"]),
        )

    return batched | paid | paid.flatmap(returned)


def _maybe_revoked(grant: Grant) -> st.SearchStrategy[Grant]:
    """The grant as made, or (unpaid, or once its money came back) revoked on its day or
    later with a reason."""
    if grant.paid_on is not None and grant.returned_on is None:
        return st.just(grant)
    since = grant.returned_on or grant.decided_on
    revoked = st.builds(
        lambda days, reason: attrs.evolve(
            grant, revoked_on=_later(since, days), revoke_reason=reason
        ),
        st.integers(0, 400),
        st.sampled_from(["重复发放", "granted in error"]),
    )
    return st.just(grant) | revoked


def payment_results() -> st.SearchStrategy[PaymentResult]:
    """Rows of a bank's result file: paid (with a day and maybe a reference), or returned
    (with a day, a reason and maybe the day it was paid)."""
    paid = st.builds(
        PaymentResult,
        grant_id=ids(prefix="g"),
        status=st.just(PaymentStatus.PAID),
        amount=money(max_value=50_000),
        paid_on=_dates(),
        reference=st.sampled_from(["", "BK0001"]),
        batch_id=st.none() | ids(prefix="pb"),
    )
    returned = st.builds(
        lambda row, days, reason, known: attrs.evolve(
            row,
            status=PaymentStatus.RETURNED,
            returned_on=_later(row.paid_on, days),
            reason=reason,
            paid_on=row.paid_on if known else None,
        ),
        paid,
        st.integers(0, 60),
        st.sampled_from(["账户已注销", "户名不符"]),
        st.booleans(),
    )
    return paid | returned


def condition_outcomes() -> st.SearchStrategy[ConditionOutcome]:
    return st.builds(
        ConditionOutcome,
        st.sampled_from(["paired", "freshman", "major_illness"]),
        st.booleans(),
        st.text(max_size=30),
    )


def decisions() -> st.SearchStrategy[Decision]:
    text_map = st.dictionaries(
        st.sampled_from(["amount", "age", "year_of_entry", "level"]),
        st.text(max_size=12),
        max_size=3,
    )
    return st.builds(
        Decision,
        decision_id=ids(prefix="d"),
        program_id=ids(prefix="g"),
        period=periods(),
        household_id=ids(prefix="h"),
        member_id=st.none() | ids(prefix="m"),
        outcome=st.sampled_from(list(Outcome)),
        decided_on=_dates(),
        rule_version=st.sampled_from(["1", "2021.1", "2022-03-01"]),
        amount=st.none() | money(max_value=50_000),
        reason=st.text(max_size=40),
        conditions=st.lists(condition_outcomes(), max_size=4).map(tuple),
        parameters=text_map,
        inputs=text_map,
        priority=st.none() | st.integers(0, 1000),
    )


def member_moves() -> st.SearchStrategy[MemberMove]:
    """A member moved from one household to another on a day."""
    return st.builds(
        MemberMove,
        member_id=ids(prefix="m"),
        from_household_id=ids(prefix="h"),
        to_household_id=ids(prefix="h"),
        on=_dates(),
        reason=st.sampled_from(["", "婚嫁", "分户"]),
    )


def observations() -> st.SearchStrategy[Observation]:
    """Observations of any kind and source; a feed's with its feed and record id."""
    from jieqin.model import ObservationKind, ObservationSource
    from jieqin.model.monitoring import MEMBER_EVENTS

    def build(feed: tuple[str, str] | None, source: ObservationSource, **fields: Any) -> Any:
        if fields["kind"] in MEMBER_EVENTS and fields["member_id"] is None:
            fields["member_id"] = "m1"
        if feed is not None:
            return Observation(
                source=ObservationSource.FEED, feed=feed[0], feed_record=feed[1], **fields
            )
        return Observation(source=source, **fields)

    own = [s for s in ObservationSource if s is not ObservationSource.FEED]
    return st.builds(
        build,
        st.none()
        | st.tuples(st.sampled_from(["medical_insurance", "civil_affairs"]), ids(prefix="r")),
        st.sampled_from(own),
        observation_id=ids(prefix="o"),
        household_id=ids(prefix="h"),
        kind=st.sampled_from(list(ObservationKind)),
        period=periods(max_year=2025),
        amount=money(max_value=200_000),
        recorded_on=_dates(),
        member_id=st.none() | ids(prefix="m"),
        note=st.sampled_from(["", "住院自付", "务工收入"]),
    )


def register_type_strategies() -> None:
    """Make ``st.from_type`` produce valid jieqin values for every model type."""
    table: dict[type, st.SearchStrategy[object]] = {
        RegionCode: region_codes(),
        Year: periods(kinds=[PeriodKind.YEAR]),
        Quarter: periods(kinds=[PeriodKind.QUARTER]),
        Month: periods(kinds=[PeriodKind.MONTH]),
        Health: healths(),
        Schooling: schoolings(),
        Member: members(),
        StatusChange: status_changes(),
        Household: households(),
        Helper: helpers(),
        Route: routes(),
        Need: needs(),
        Referral: referrals(),
        ReferralOutcome: referral_outcomes(),
        CostTerm: cost_terms(),
        Pairing: pairings(),
        Handover: handovers(),
        Activity: activities(),
        Program: programs(),
        Fund: funds(),
        FundChange: fund_changes(),
        Grant: grants(),
        PaymentResult: payment_results(),
        ConditionOutcome: condition_outcomes(),
        Decision: decisions(),
        MemberMove: member_moves(),
        Observation: observations(),
    }
    for cls, strategy in table.items():
        st.register_type_strategy(cls, strategy)


# --- rules: random condition trees and decision contexts ------------------------------
# (for property tests of :mod:`jieqin.rules`: any rule, decided one by one and over a
# population, must give the same answers)


def conditions(*, max_depth: int = 3, max_parts: int = 3) -> st.SearchStrategy[object]:
    """Random condition trees over the standard facts, combined with all / any / not.

    Leaves compare numbers with literals, categories with codes, and read flags; names
    are unique within a tree, as :func:`jieqin.rules.all_of` requires.
    """
    from jieqin.rules import all_of, any_of, check, fact, not_

    numbers = st.sampled_from(["age", "disability_grade", "household_size", "year_of_entry"])
    ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    categories = {
        "health": [str(h) for h in HealthCondition],
        "employment": [str(e) for e in EmploymentStatus],
        "school_level": ["none", *[str(s) for s in SchoolLevel]],
        "household_status": [str(s) for s in HouseholdStatus],
    }

    @st.composite
    def tree(draw: st.DrawFn) -> object:
        counter = iter(range(10_000))

        def name(prefix: str) -> str:
            return f"{prefix}_{next(counter)}"

        def leaf() -> object:
            kind = draw(st.sampled_from(["number", "category", "flag", "freshman"]))
            if kind == "number":
                left = fact(draw(numbers))
                value = draw(st.integers(0, 100) | st.integers(1990, 2030))
                op = draw(ops)
                expr = {
                    "==": left == value,
                    "!=": left != value,
                    "<": left < value,
                    "<=": left <= value,
                    ">": left > value,
                    ">=": left >= value,
                }[op]
                return check(name("n"), expr)
            if kind == "category":
                key = draw(st.sampled_from(sorted(categories)))
                values = draw(st.lists(st.sampled_from(categories[key]), min_size=1, max_size=3))
                if len(values) == 1 and draw(st.booleans()):
                    return check(name("c"), fact(key) != values[0])
                return check(name("c"), fact(key).isin(values))
            if kind == "flag":
                flag = draw(st.sampled_from(["paired", "monitored", "granted:aid"]))
                return check(name("f"), fact(flag) == draw(st.booleans()))
            return check(name("y"), fact("year_of_entry") == fact("period_year"))

        def node(depth: int) -> object:
            if depth >= max_depth or draw(st.integers(0, 2)) == 0:
                return leaf()
            combine = draw(st.sampled_from(["all", "any", "not"]))
            if combine == "not":
                return not_(name("not"), node(depth + 1))  # type: ignore[arg-type]
            parts = [node(depth + 1) for _ in range(draw(st.integers(1, max_parts)))]
            build = all_of if combine == "all" else any_of
            return build(name(combine), *parts)  # type: ignore[arg-type]

        return all_of("rule", node(0))  # type: ignore[arg-type]

    return tree()


def contexts(
    households_: list[Household], *, period: st.SearchStrategy[Period] | None = None
) -> st.SearchStrategy[object]:
    """Decision contexts for ``households_``: a period, a day in it, some of the
    households paired, some members already granted programme ``aid``."""
    from jieqin.rules import Context

    household_ids = [h.household_id for h in households_]
    member_ids = [m.member_id for h in households_ for m in h.members]

    @st.composite
    def build(draw: st.DrawFn) -> object:
        chosen = draw(period or periods(min_year=2015, max_year=2030))
        on = draw(st.dates(chosen.start, chosen.end))
        paired = draw(st.sets(st.sampled_from(household_ids))) if household_ids else set()
        granted = draw(st.sets(st.sampled_from(member_ids))) if member_ids else set()
        return Context(chosen, on, paired, {("aid", m) for m in granted})

    return build()


def household_observations(
    households_: list[Household], around: Period
) -> st.SearchStrategy[list[object]]:
    """Observations of ``households_`` around period ``around``: income (often monthly,
    sometimes a quarter or a year), medical expenditure, and member events (a major
    illness, a disability, dropping out of school), some in the twelve months before,
    some in ``around`` itself, some outside; ids unique."""
    from jieqin.model import Observation, ObservationKind

    start = around.start
    first_month = start.year * 12 + start.month - 1

    def month_at(offset: int) -> Month:
        index = first_month + offset
        return Month(index // 12, index % 12 + 1)

    known = {str(k) for k in ObservationKind}
    kinds = [k for k in ("medical", "major_illness", "disability", "school_dropout") if k in known]

    @st.composite
    def build(draw: st.DrawFn) -> list[object]:
        out: list[object] = []
        if not households_:
            return out
        count = draw(st.integers(0, 4 * len(households_) + 6))
        for n in range(count):
            home = draw(st.sampled_from(households_))
            kind = draw(st.sampled_from(["income"] * 4 + kinds))
            shape = draw(st.sampled_from(["month"] * 4 + ["quarter", "year"]))
            if shape == "month":
                period: Period = month_at(draw(st.integers(-26, 3)))
            elif shape == "quarter":
                month = month_at(draw(st.integers(-26, 3)))
                period = Quarter(month.year, (month.month - 1) // 3 + 1)
            else:
                period = Year(start.year + draw(st.integers(-2, 0)))
            event = kind in ("major_illness", "disability", "school_dropout")
            amount = Decimal(0) if event else draw(money(max_value=20_000))
            member = draw(st.sampled_from(home.members)).member_id if event else None
            out.append(
                Observation(
                    f"ob{n}",
                    home.household_id,
                    kind,
                    period,
                    amount,
                    "survey",
                    period.end,
                    member_id=member,
                )
            )
        return out

    return build()


if _hypothesis.take_pending():
    # this module imported hypothesis first, so its entry point could not register
    register_type_strategies()
