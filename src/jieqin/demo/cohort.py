"""A synthetic Tongchuan 2021 cohort: helpers, households with members, the Q1 survey.

Everything is drawn from one seed, so the same seed gives the same cohort. The
generator plants the people the 2021 figures are about (college freshmen, major
illnesses, job seekers) *and* people the rules must turn away (students in a later
year, chronic but not major illness, households outside the campaign), so the
figures a report shows come from the rules deciding, not from the generator.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from attrs import define, evolve, field, frozen
from faker import Faker

from jieqin import (
    EmploymentStatus,
    Health,
    HealthCondition,
    Helper,
    Household,
    HouseholdStatus,
    Member,
    NeedKind,
    RegionCode,
    Relation,
    Schooling,
    SchoolLevel,
    Sector,
    Sex,
    StatusChange,
    SurveyAnswer,
    Tier,
    birthplace_codes,
)
from jieqin.demo.regions import COUNTIES, OUTSIDE_COUNTY, County, Township
from jieqin.model.identity import check_digit

__all__ = ["MOVED_AWAY", "Cohort", "CohortPlan", "generate_cohort"]

YEAR = 2021
#: The day the cohort describes: the end of the campaign year.
AS_OF = date(YEAR, 12, 31)
#: Household status for a household whose registration was closed (户籍迁出): off the campaign.
MOVED_AWAY = HouseholdStatus.MOVED_AWAY.value


@frozen
class CohortPlan:
    """How many of each kind of person the generator plants (the defaults tell 2021)."""

    helpers_by_county: tuple[int, ...] = (160, 190, 245, 160)
    """Helpers per county, in the order of :data:`~jieqin.demo.regions.COUNTIES`."""
    households_by_county: tuple[int, ...] = (164, 194, 250, 164)
    """Households in the campaign per county (each helper takes one or two)."""
    tiers: tuple[tuple[str, int], ...] = (
        (Tier.PROVINCIAL_MEMBER, 28),
        (Tier.CITY_MEMBER, 252),
        (Tier.COUNTY_MEMBER, 355),
        (Tier.AGENCY_STAFF, 120),
    )
    moved_away: int = 4
    """Households off the campaign (registration closed), in Tongchuan."""
    outside: int = 5
    """Households registered across the city boundary, beyond every helper's reach."""
    freshmen: int = 14
    """College freshmen (entered in 2021) in campaign households."""
    later_year_students: int = 9
    """College students in their second year or later: no freshman scholarship."""
    major_illness: int = 12
    """Members with a major illness in campaign households."""
    job_seekers: int = 17
    """Unemployed members looking for work in campaign households (a rule derives their need)."""
    training_wanted: int = 6
    """Migrant workers who asked for skills training in the Q1 survey."""
    other_survey_needs: int = 48
    """Q1 survey needs of other kinds (medical, social insurance, housing, disability)."""
    off_campaign_specials: int = 1
    """Of each planted kind, this many also in off-campaign households (the rules reject
    those in Tongchuan; those outside it the programmes do not decide at all)."""


@frozen
class Cohort:
    """The synthetic campaign: who helps, who is helped, and what the Q1 survey found."""

    seed: int
    helpers: tuple[Helper, ...]
    households: tuple[Household, ...]
    q1_survey: tuple[SurveyAnswer, ...]
    """What households told their helpers in the Q1 survey (job seekers' needs come from rules)."""

    @property
    def members(self) -> tuple[Member, ...]:
        return tuple(m for h in self.households for m in h.members)

    def household_of(self, member_id: str) -> Household:
        """The household a member belongs to."""
        for household in self.households:
            if any(m.member_id == member_id for m in household.members):
                return household
        raise KeyError(member_id)


@define
class _Draft:
    """A household being built: members are appended before it is frozen."""

    household_id: str
    county: County
    region: RegionCode
    status_history: list[StatusChange]
    members: list[Member] = field(factory=list)
    in_campaign: bool = True

    def head(self) -> Member:
        return self.members[0]

    def add(self, member: Member) -> None:
        self.members.append(member)

    def replace(self, index: int, member: Member) -> None:
        self.members[index] = member


_CHRONIC = (
    "高血压",
    "2型糖尿病",
    "慢性支气管炎",
    "类风湿关节炎",
    "慢性胃炎",
    "腰椎间盘突出",
    "冠心病",
)
_MAJOR = ("恶性肿瘤", "尿毒症", "白血病", "重度再生障碍性贫血", "耐药结核病", "急性心肌梗死")
_COLLEGES = (
    "西安交通大学",
    "陕西师范大学",
    "西北大学",
    "长安大学",
    "延安大学",
    "陕西科技大学",
    "铜川职业技术学院",
)
_OTHER_NEEDS = (
    (NeedKind.MEDICAL, "医疗费用报销咨询"),
    (NeedKind.SOCIAL_INSURANCE, "城乡居民养老保险续缴"),
    (NeedKind.HOUSING, "房屋漏雨需维修"),
    (NeedKind.DISABILITY_SUPPORT, "补贴申请咨询"),
)
_SECTOR_WEIGHTS = {
    Tier.PROVINCIAL_MEMBER: (
        Sector.MEDICAL,
        Sector.EDUCATION,
        Sector.FINANCE,
        Sector.LAW,
        Sector.COMMERCE,
    ),
    Tier.CITY_MEMBER: tuple(Sector),
    Tier.COUNTY_MEMBER: (
        Sector.AGRICULTURE,
        Sector.EDUCATION,
        Sector.MEDICAL,
        Sector.CONSTRUCTION,
        Sector.COMMERCE,
    ),
    Tier.AGENCY_STAFF: (Sector.SOCIAL_WORK, Sector.LAW, Sector.EMPLOYMENT, Sector.FINANCE),
}
#: Birth-place codes a person of each county carries, oldest registration first.
_HOME_CODES = {
    "610202": ("610202", "610201", "610220"),
    "610203": ("610203", "610201", "610220"),
    "610204": ("610204", "610221"),
    "610222": ("610222",),
    "610429": ("610429", "610430"),
}


@functools.cache
def _birthplaces(year: int, within: str) -> tuple[str, ...]:
    return birthplace_codes(year, within=within)


class _People:
    """Draws people: names from Faker's zh_CN locale, valid and unique resident IDs."""

    def __init__(self, rng: random.Random, fake: Faker) -> None:
        self.rng = rng
        self.fake = fake
        self.ids: set[str] = set()

    def birth_date(self, age: int) -> date:
        """A birth date that makes someone ``age`` full years old at the end of 2021."""
        latest = date(AS_OF.year - age, 12, 31)
        return latest - timedelta(days=self.rng.randrange(365))

    def resident_id(self, birth: date, sex: Sex, county: County) -> str:
        codes = _birthplaces(birth.year, "6102") or _birthplaces(birth.year, county.code.code[:4])
        codes = codes or _birthplaces(birth.year, "61")
        preferred = [c for c in _HOME_CODES.get(county.code.code, ()) if c in codes]
        place = preferred[0] if preferred else self.rng.choice(codes)
        while True:
            order = self.rng.randrange(500) * 2 + (1 if sex is Sex.MALE else 0)
            first17 = f"{place}{birth:%Y%m%d}{order:03d}"
            number = first17 + check_digit(first17)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def given(self, sex: Sex) -> str:
        return str(
            self.fake.first_name_male() if sex is Sex.MALE else self.fake.first_name_female()
        )

    def member(
        self,
        draft: _Draft,
        *,
        age: int,
        sex: Sex,
        relation: Relation,
        surname: str | None = None,
        **facts: object,
    ) -> Member:
        birth = self.birth_date(age)
        name = (
            (surname + self.given(sex))
            if surname
            else str(self.fake.name_male() if sex is Sex.MALE else self.fake.name_female())
        )
        return Member(
            member_id=f"{draft.household_id}-{len(draft.members) + 1}",
            name=name,
            sex=sex,
            birth_date=birth,
            resident_id=self.resident_id(birth, sex, draft.county),
            relation=relation,
            **facts,  # type: ignore[arg-type]
        )


def _schooling_for(age: int) -> Schooling | None:
    """The school a child of ``age`` (at the end of 2021) attends, by the usual ages."""
    for low, high, level in (
        (3, 5, SchoolLevel.PRESCHOOL),
        (6, 11, SchoolLevel.PRIMARY),
        (12, 14, SchoolLevel.JUNIOR_SECONDARY),
        (15, 17, SchoolLevel.SENIOR_SECONDARY),
    ):
        if low <= age <= high:
            return Schooling(level=level, year_of_entry=YEAR - (age - low))
    return None


class _Generator:
    def __init__(self, seed: int, plan: CohortPlan) -> None:
        self.seed = seed
        self.plan = plan
        self.rng = random.Random(seed)
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        self.people = _People(self.rng, fake)
        self.special: set[str] = set()

    # -- helpers ---------------------------------------------------------------

    def helpers(self) -> tuple[Helper, ...]:
        rng = self.rng
        tiers = [tier for tier, count in self.plan.tiers for _ in range(count)]
        total = sum(self.plan.helpers_by_county)
        if len(tiers) != total:
            raise ValueError(f"tiers add up to {len(tiers)}, counties to {total}")
        rng.shuffle(tiers)
        helpers: list[Helper] = []
        for county, count, households in zip(
            COUNTIES, self.plan.helpers_by_county, self.plan.households_by_county, strict=True
        ):
            doubles = set(rng.sample(range(count), households - count))
            for i in range(count):
                tier = tiers[len(helpers)]
                town = rng.choice(county.townships)
                home = county.code if tier != Tier.COUNTY_MEMBER else town.code
                pool = _SECTOR_WEIGHTS[Tier(tier)]
                sectors = rng.sample(pool, rng.choice((1, 1, 2)))
                helpers.append(
                    Helper(
                        helper_id=f"H{len(helpers) + 1:04d}",
                        name=str(self.people.fake.name()),
                        tier=tier,
                        home_region=home,
                        sectors=frozenset(sectors),
                        capacity=2 if i in doubles else 1,
                        phone=str(self.people.fake.phone_number()),
                    )
                )
        return tuple(helpers)

    # -- households ------------------------------------------------------------

    def _status_history(self) -> list[StatusChange]:
        rng = self.rng
        registered = date(2014, 10, 1) + timedelta(days=rng.randrange(400))
        lifted = date(rng.choice((2016, 2017, 2018, 2019, 2020)), 12, rng.randrange(1, 29))
        history = [
            StatusChange(HouseholdStatus.POOR, registered, "建档立卡"),
            StatusChange(HouseholdStatus.LIFTED_OUT, lifted, "脱贫退出"),
        ]
        if rng.random() < 0.06:
            flagged = date(2020, rng.randrange(3, 12), rng.randrange(1, 29))
            if flagged > lifted:
                status = rng.choice((HouseholdStatus.UNSTABLE, HouseholdStatus.EDGE_OF_POVERTY))
                history.append(StatusChange(status, flagged, "纳入防返贫监测"))
        return history

    def _draft(self, county: County, town: Township, number: int) -> _Draft:
        village = town.village(self.rng.randrange(1, town.villages + 1))
        return _Draft(f"HH{number:04d}", county, village, self._status_history())

    def _adult_facts(self, age: int) -> dict[str, Any]:
        rng = self.rng
        facts: dict[str, Any] = {}
        if age >= 40 and rng.random() < 0.16:
            facts["health"] = Health(HealthCondition.CHRONIC_ILLNESS, rng.choice(_CHRONIC))
        if rng.random() < 0.05:
            facts["disability_grade"] = rng.choice((1, 2, 3, 3, 4, 4))
        if "disability_grade" in facts and facts["disability_grade"] in (1, 2):
            facts["employment"] = EmploymentStatus.UNABLE_TO_WORK
        elif age >= 70:
            facts["employment"] = rng.choice(
                (EmploymentStatus.FARMING, EmploymentStatus.UNABLE_TO_WORK)
            )
        elif age >= 60:
            facts["employment"] = EmploymentStatus.FARMING
        else:
            facts["employment"] = rng.choices(
                (
                    EmploymentStatus.FARMING,
                    EmploymentStatus.MIGRANT_WORKER,
                    EmploymentStatus.EMPLOYED_LOCAL,
                ),
                weights=(40, 40, 20),
            )[0]
        return facts

    def _child(self, draft: _Draft, age: int, relation: Relation, surname: str) -> Member:
        sex = self.rng.choice((Sex.MALE, Sex.FEMALE))
        if age >= 18:
            return self.people.member(
                draft,
                age=age,
                sex=sex,
                relation=relation,
                surname=surname,
                **self._adult_facts(age),
            )
        schooling = _schooling_for(age)
        employment = EmploymentStatus.STUDENT if schooling else EmploymentStatus.CHILD
        return self.people.member(
            draft,
            age=age,
            sex=sex,
            relation=relation,
            surname=surname,
            schooling=schooling,
            employment=employment,
        )

    def _fill(self, draft: _Draft) -> None:
        """Members for one household: an elderly couple, a family with children, or three generations."""
        rng = self.rng
        people = self.people
        shape = rng.choices(("single", "elderly", "family", "three"), weights=(10, 25, 35, 30))[0]
        head_sex = Sex.MALE if rng.random() < 0.85 else Sex.FEMALE
        spouse_sex = Sex.FEMALE if head_sex is Sex.MALE else Sex.MALE
        head_age = {
            "single": rng.randrange(62, 88),
            "elderly": rng.randrange(60, 84),
            "family": rng.randrange(34, 56),
            "three": rng.randrange(50, 70),
        }[shape]
        surname = str(people.fake.last_name())
        draft.add(
            people.member(
                draft,
                age=head_age,
                sex=head_sex,
                relation=Relation.HEAD,
                surname=surname,
                phone=str(people.fake.phone_number()),
                **self._adult_facts(head_age),
            )
        )
        if shape == "single":
            return
        spouse_age = max(20, head_age + rng.randrange(-5, 3))
        draft.add(
            people.member(
                draft,
                age=spouse_age,
                sex=spouse_sex,
                relation=Relation.SPOUSE,
                **self._adult_facts(spouse_age),
            )
        )
        if shape == "family":
            for _ in range(rng.choice((1, 2, 2, 3))):
                age = rng.randrange(0, min(17, head_age - 20))
                draft.add(self._child(draft, age, Relation.CHILD, surname))
        elif shape == "three":
            son_age = rng.randrange(max(20, head_age - 34), head_age - 20)
            draft.add(self._child(draft, son_age, Relation.CHILD, surname))
            draft.add(
                people.member(
                    draft,
                    age=son_age + rng.randrange(-3, 3),
                    sex=Sex.FEMALE,
                    relation=Relation.CHILD_IN_LAW,
                    **self._adult_facts(son_age),
                )
            )
            for _ in range(rng.choice((1, 1, 2))):
                age = rng.randrange(0, min(17, max(1, son_age - 19)))
                draft.add(self._child(draft, age, Relation.GRANDCHILD, surname))
            if head_age < 62 and rng.random() < 0.3:
                parent_age = head_age + rng.randrange(22, 30)
                draft.add(
                    people.member(
                        draft,
                        age=parent_age,
                        sex=Sex.FEMALE,
                        relation=Relation.PARENT,
                        **self._adult_facts(parent_age),
                    )
                )

    def households(self) -> list[_Draft]:
        drafts: list[_Draft] = []
        for county, count in zip(COUNTIES, self.plan.households_by_county, strict=True):
            towns = [t for t in county.townships for _ in range(t.villages)]
            for _ in range(count):
                drafts.append(self._draft(county, self.rng.choice(towns), len(drafts) + 1))
        for _ in range(self.plan.moved_away):
            county = self.rng.choice(COUNTIES)
            draft = self._draft(county, self.rng.choice(county.townships), len(drafts) + 1)
            lifted = date(2018, 12, self.rng.randrange(1, 29))
            closed = date(2020, self.rng.randrange(6, 12), self.rng.randrange(1, 29))
            draft.status_history[1:] = [
                StatusChange(HouseholdStatus.LIFTED_OUT, lifted, "脱贫退出"),
                StatusChange(MOVED_AWAY, closed, "户籍迁出"),
            ]
            draft.in_campaign = False
            drafts.append(draft)
        for _ in range(self.plan.outside):
            town = OUTSIDE_COUNTY.townships[0]
            draft = self._draft(OUTSIDE_COUNTY, town, len(drafts) + 1)
            draft.in_campaign = False
            drafts.append(draft)
        for draft in drafts:
            self._fill(draft)
        return drafts

    # -- the people the 2021 figures are about ---------------------------------

    def _pick(self, drafts: Sequence[_Draft], count: int, taken: set[str]) -> list[_Draft]:
        free = [d for d in drafts if d.household_id not in taken]
        chosen = self.rng.sample(free, count)
        taken.update(d.household_id for d in chosen)
        return chosen

    def _student(self, draft: _Draft, year_of_entry: int) -> None:
        age = 18 + (YEAR - year_of_entry) + self.rng.choice((0, 0, 1))
        relation = Relation.CHILD if draft.head().age_on(AS_OF) < 62 else Relation.GRANDCHILD
        sex = self.rng.choice((Sex.MALE, Sex.FEMALE))
        schooling = Schooling(SchoolLevel.COLLEGE, year_of_entry, self.rng.choice(_COLLEGES))
        draft.add(
            self.people.member(
                draft,
                age=age,
                sex=sex,
                relation=relation,
                surname=draft.head().name[0],
                schooling=schooling,
                employment=EmploymentStatus.STUDENT,
            )
        )

    def _adult_index(self, draft: _Draft, low: int, high: int) -> int | None:
        """The first adult in the age range not already planted as someone special."""
        for i, member in enumerate(draft.members):
            if (
                low <= member.age_on(AS_OF) <= high
                and member.schooling is None
                and member.member_id not in self.special
            ):
                return i
        return None

    def _plant(
        self,
        drafts: Sequence[_Draft],
        count: int,
        low: int,
        high: int,
        change: Callable[[Member], Member],
    ) -> list[Member]:
        planted: list[Member] = []
        taken: set[str] = set()
        for draft in self.rng.sample(list(drafts), len(drafts)):
            if len(planted) == count:
                break
            if draft.household_id in taken:
                continue
            index = self._adult_index(draft, low, high)
            if index is None:
                continue
            draft.replace(index, change(draft.members[index]))
            planted.append(draft.members[index])
            self.special.add(draft.members[index].member_id)
            taken.add(draft.household_id)
        if len(planted) != count:
            raise ValueError(f"could place only {len(planted)} of {count}")
        return planted

    def plant(self, drafts: list[_Draft]) -> list[SurveyAnswer]:
        plan = self.plan
        rng = self.rng
        inside = [d for d in drafts if d.in_campaign]
        outside = [d for d in drafts if not d.in_campaign]
        extra = plan.off_campaign_specials

        taken: set[str] = set()
        for draft in self._pick(inside, plan.freshmen, taken):
            self._student(draft, YEAR)
        for draft in self._pick(inside, plan.later_year_students, taken):
            self._student(draft, rng.choice((YEAR - 1, YEAR - 1, YEAR - 2, YEAR - 3)))
        for draft in self._pick(outside, extra, set()):
            self._student(draft, YEAR)

        def major(member: Member) -> Member:
            return evolve(
                member,
                health=Health(HealthCondition.MAJOR_ILLNESS, rng.choice(_MAJOR)),
                employment=EmploymentStatus.UNABLE_TO_WORK,
            )

        def seeking(member: Member) -> Member:
            return evolve(member, employment=EmploymentStatus.UNEMPLOYED_SEEKING)

        def migrant(member: Member) -> Member:
            return evolve(member, employment=EmploymentStatus.MIGRANT_WORKER)

        self._plant(inside, plan.major_illness, 18, 75, major)
        self._plant(outside, extra, 18, 75, major)
        self._plant(inside, plan.job_seekers, 20, 55, seeking)
        self._plant(outside, extra, 20, 55, seeking)
        trainees = self._plant(inside, plan.training_wanted, 20, 50, migrant)

        survey = [
            SurveyAnswer(
                _household_id(m), NeedKind.SKILLS_TRAINING, m.member_id, "希望参加技能培训"
            )
            for m in trainees
        ]
        for draft in rng.sample(inside, plan.other_survey_needs):
            kind, note = rng.choice(_OTHER_NEEDS)
            who = draft.head()
            if kind == NeedKind.DISABILITY_SUPPORT:
                disabled = [m for m in draft.members if m.disabled]
                if not disabled:
                    kind, note = _OTHER_NEEDS[1]
                else:
                    who = disabled[0]
            survey.append(SurveyAnswer(draft.household_id, kind, who.member_id, note))
        rng.shuffle(survey)
        return survey


def _household_id(member: Member) -> str:
    return member.member_id.rsplit("-", 1)[0]


def generate_cohort(seed: int = 2021, plan: CohortPlan | None = None) -> Cohort:
    """Build the synthetic Tongchuan 2021 campaign; the same seed gives the same cohort."""
    generator = _Generator(seed, plan or CohortPlan())
    helpers = generator.helpers()
    drafts = generator.households()
    survey = generator.plant(drafts)
    households = tuple(
        Household(
            household_id=d.household_id,
            region=d.region,
            members=tuple(d.members),
            status_history=tuple(d.status_history),
        )
        for d in drafts
    )
    return Cohort(seed=seed, helpers=helpers, households=households, q1_survey=tuple(survey))
