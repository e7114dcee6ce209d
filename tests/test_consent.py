"""Consent: a member's consent to share facts with an agency, and referrals that need it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.clock import FixedClock
from jieqin.errors import InvalidInput, InvalidValue
from jieqin.io import from_json, to_json
from jieqin.model import Consent, Need, NeedStatus, Quarter, RouteKind
from jieqin.needs.consent import AWAITING_CONSENT, facts_shared
from jieqin.plugins.hookspecs import hookimpl
from jieqin.services.consent import give_consent, in_force, withdraw_consent
from jieqin.testing.contract import make_consent, make_household

BUREAU = "medical_insurance_bureau"
OTHER = "county_civil_affairs"
Q1 = Quarter(2021, 1)
TODAY = date(2021, 12, 31)


class Agencies:
    """Two agencies that take medical and disability needs, one that takes employment."""

    @hookimpl
    def jieqin_register_agencies(self, register: Callable[..., None]) -> None:
        register(BUREAU, "县医疗保障局", need_kinds=("medical", "disability_support"))
        register(OTHER, "县民政局", need_kinds=("housing",))
        register("county_jobs", "县就业中心", need_kinds=("employment",))


# --- the record ----------------------------------------------------------------------


def test_in_force_from_given_until_expired_or_withdrawn() -> None:
    consent = make_consent(given_on=date(2021, 3, 1), expires_on=date(2022, 1, 1))
    assert not consent.in_force(date(2021, 2, 28))  # not yet given
    assert consent.in_force(date(2021, 3, 1))
    assert consent.in_force(date(2021, 12, 31))
    assert not consent.in_force(date(2022, 1, 1))  # expired
    withdrawn = consent.withdrawn(date(2021, 6, 1), "本人撤回")
    assert withdrawn.in_force(date(2021, 5, 31))
    assert not withdrawn.in_force(date(2021, 6, 1))
    assert not withdrawn.in_force(date(2021, 12, 1))
    forever = make_consent(expires_on=None)
    assert forever.in_force(date(2040, 1, 1))


def test_covers_only_its_recipient_and_facts() -> None:
    consent = make_consent(recipient=BUREAU, facts={"health"})
    day = date(2021, 4, 1)
    assert consent.covers(BUREAU, {"health"}, day)
    assert not consent.covers(OTHER, {"health"}, day)
    assert not consent.covers(BUREAU, {"health", "disability"}, day)
    assert not consent.covers(BUREAU, {"health"}, date(2021, 1, 1))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"expires_on": date(2021, 3, 1)}, "expires_on"),
        ({"expires_on": date(2021, 2, 1)}, "expires_on"),
        ({"withdrawn_on": date(2021, 2, 28)}, "withdrawn_on"),
        ({"facts": {"health", "horoscope"}}, "facts"),
        ({"facts": set()}, "facts"),
        ({"purpose": " "}, "purpose"),
        ({"withdrawal_reason": "why"}, "withdrawal_reason"),
        ({"recipient": "Not A Code"}, "recipient"),
    ],
)
def test_a_consent_that_makes_no_sense_is_refused(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        make_consent(given_on=date(2021, 3, 1), **changes)
    assert caught.value.field == field


def test_withdrawing_needs_a_reason_and_happens_once() -> None:
    consent = make_consent()
    with pytest.raises(InvalidValue, match="why"):
        consent.withdrawn(date(2021, 6, 1), " ")
    once = consent.withdrawn(date(2021, 6, 1), "本人撤回")
    with pytest.raises(InvalidValue, match="already withdrawn"):
        once.withdrawn(date(2021, 7, 1), "again")


def test_facts_are_text_or_a_set_and_survive_json() -> None:
    consent = make_consent(facts="health; disability")
    assert consent.facts == {"health", "disability"}
    assert from_json(to_json(consent), Consent) == consent
    data = json.loads(to_json(consent))
    assert sorted(data["facts"]) == ["disability", "health"]


def test_sensitive_need_kinds_share_health_or_disability_facts() -> None:
    assert facts_shared("medical") == {"health"}
    assert facts_shared("disability_support") == {"disability"}
    assert facts_shared("employment") == frozenset()


# --- the write path ------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def campaign(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[jieqin.Campaign]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'c.db'}"
    with jieqin.connect(url, plugins=[Agencies()], clock=FixedClock(TODAY)) as c:
        with c.unit_of_work("setup") as uow:
            uow.households.add_many([make_household("hh001"), make_household("hh002")])
            uow.commit()
        yield c


def _refused(campaign: jieqin.Campaign, write: Callable[[object], object]) -> str:
    with campaign.unit_of_work("clerk") as uow, pytest.raises(InvalidInput) as caught:
        write(uow)
    return str(caught.value)


def test_the_write_path_checks_member_household_agency_and_dates(
    campaign: jieqin.Campaign,
) -> None:
    add = lambda c: lambda uow: uow.consents.add(c)  # noqa: E731
    assert "belongs to household hh001" in _refused(
        campaign, add(make_consent(household_id="hh002"))
    )
    assert "no member nobody" in _refused(campaign, add(make_consent(member_id="nobody")))
    assert "unknown agency" in _refused(campaign, add(make_consent(recipient="nowhere")))
    assert "in the future" in _refused(
        campaign, add(make_consent(given_on=date(2022, 2, 1), expires_on=None))
    )
    with campaign.unit_of_work("clerk") as uow:
        assert uow.consents.count() == 0


def test_a_stored_consent_is_withdrawn_never_rewritten(campaign: jieqin.Campaign) -> None:
    with campaign.unit_of_work("clerk") as uow:
        given = give_consent(
            uow,
            "hh001-m2",
            recipient=BUREAU,
            purpose="大病医疗救助",
            facts={"health"},
            given_on=date(2021, 3, 1),
        )
    assert given.household_id == "hh001"
    wider = attrs.evolve(given, facts=frozenset({"health", "disability"}))
    assert "other terms (facts)" in _refused(campaign, lambda uow: uow.consents.update(wider))
    with campaign.unit_of_work("clerk") as uow:
        withdrawn = withdraw_consent(uow, given.consent_id, on=date(2021, 6, 1), reason="本人撤回")
    restored = attrs.evolve(withdrawn, withdrawn_on=None, withdrawal_reason="")
    assert "a withdrawal stands" in _refused(campaign, lambda uow: uow.consents.update(restored))
    with campaign.unit_of_work("clerk", read_only=True) as uow:
        assert uow.consents.list() == [withdrawn]
        assert in_force(uow, date(2021, 5, 1)) == [withdrawn]
        assert in_force(uow, date(2021, 6, 1)) == []
        changes = uow.audit.entries(entity="consents", action="update")[0].changes
        assert changes["withdrawn_on"] == {"from": None, "to": "2021-06-01"}


# --- routing -------------------------------------------------------------------------


def _need(member_id: str, kind: str, need_id: str) -> Need:
    return Need(
        need_id, member_id.split("-")[0], kind, Q1, "survey", date(2021, 3, 2), member_id=member_id
    )


def _stored(campaign: jieqin.Campaign) -> tuple[dict[str, Need], dict[str, object]]:
    with campaign.unit_of_work("reader", read_only=True) as uow:
        needs = {n.need_id: n for n in uow.needs.list()}
        referrals = {r.need_id: r for r in uow.referrals.list()}
    return needs, referrals


def test_a_health_referral_is_held_without_consent_and_sent_with_it(
    campaign: jieqin.Campaign,
) -> None:
    day = date(2021, 4, 1)
    with campaign.unit_of_work("clerk") as uow:
        uow.needs.add_many(
            [
                _need("hh001-m2", "medical", "n-med"),
                _need("hh001-m1", "employment", "n-job"),
            ]
        )
        # Consents that do not let the referral go: another agency, other facts,
        # expired before the day, withdrawn before it, and one not yet given.
        uow.consents.add_many(
            [
                make_consent("c-other", recipient=OTHER, facts={"health"}),
                make_consent("c-facts", facts={"disability"}),
                make_consent("c-old", given_on=date(2020, 1, 1), expires_on=date(2021, 1, 1)),
                make_consent("c-gone", withdrawn_on=date(2021, 3, 15), withdrawal_reason="撤回"),
                make_consent("c-later", given_on=date(2021, 5, 1)),
            ]
        )
        uow.commit()
    results = {r.need.need_id: r for r in campaign.route_needs(Q1, on=day)}
    assert results["n-med"].need.status is NeedStatus.HELD
    assert results["n-med"].explanation.startswith(AWAITING_CONSENT)
    needs, referrals = _stored(campaign)
    assert needs["n-med"].status is NeedStatus.HELD
    assert needs["n-med"].route is not None
    assert needs["n-med"].route.kind is RouteKind.REFERRAL
    assert needs["n-med"].route.target == BUREAU
    assert "member hh001-m2 has no consent in force" in needs["n-med"].route.explanation
    assert "major_illness" not in needs["n-med"].route.explanation
    assert "n-med" not in referrals
    # A need that shares no health fact goes without consent, and names none.
    assert needs["n-job"].status is NeedStatus.ROUTED
    assert referrals["n-job"].consent_id is None

    with campaign.unit_of_work("clerk") as uow:
        give_consent(
            uow,
            "hh001-m2",
            recipient=BUREAU,
            purpose="大病医疗救助",
            facts={"health"},
            given_on=date(2021, 3, 20),
            consent_id_="c-yes",
        )
    results = {r.need.need_id: r for r in campaign.route_needs(Q1, on=day)}
    assert results["n-med"].route is not None
    assert results["n-med"].route.target == BUREAU
    needs, referrals = _stored(campaign)
    assert needs["n-med"].status is NeedStatus.ROUTED
    assert referrals["n-med"].consent_id == "c-yes"
    assert referrals["n-med"].agency == BUREAU


def test_a_referral_naming_a_consent_that_does_not_fit_is_refused(
    campaign: jieqin.Campaign,
) -> None:
    with campaign.unit_of_work("clerk") as uow:
        uow.needs.add(_need("hh001-m2", "medical", "n-med"))
        uow.consents.add(make_consent("c1"))
        uow.commit()
    referral = jieqin.Referral(
        "r1", "n-med", "hh001", BUREAU, date(2021, 4, 1), member_id="hh001-m1", consent_id="c1"
    )
    assert "not of member hh001-m1 for" in _refused(
        campaign, lambda uow: uow.referrals.add(referral)
    )
    early = attrs.evolve(referral, member_id="hh001-m2", referred_on=date(2021, 2, 1))
    assert "was not in force on 2021-02-01" in _refused(
        campaign, lambda uow: uow.referrals.add(early)
    )
    with campaign.unit_of_work("clerk") as uow:
        uow.referrals.add(attrs.evolve(referral, member_id="hh001-m2"))
        uow.commit()


# --- the command line ----------------------------------------------------------------


def test_consent_commands_add_list_and_withdraw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "c.db")
    with jieqin.connect(f"sqlite:///{db}") as campaign, campaign.unit_of_work("setup") as uow:
        uow.households.add(make_household("hh001"))
        uow.commit()
    agency = "tc_employment_promotion_center"

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, [*args, "--db", db])
        return result.exit_code, result.output

    code, out = run(
        "consent", "add", "hh001-m1", "--recipient", agency, "--purpose", "就业推荐",
        "--facts", "contact,household", "--on", "2021-03-01", "--expires", "2022-03-01",
    )  # fmt: skip
    assert code == 0, out
    consent_id = out.split()[2].rstrip(":")
    code, out = run("consent", "list", "--member", "hh001-m1", "--on", "2021-06-01", "--json")
    (row,) = json.loads(out)
    assert (row["consent_id"], row["in_force"], row["facts"]) == (consent_id, True, ["<masked>"])
    code, out = run("consent", "withdraw", consent_id, "--on", "2021-06-01", "--reason", "本人撤回")
    assert code == 0, out
    code, out = run("consent", "list", "--on", "2021-06-01")
    assert "not in force on 2021-06-01" in out
    assert "withdrawn 2021-06-01" in out
    assert "contact" not in out
    capsys.readouterr()
    args = ["consent", "withdraw", consent_id, "--on", "2021-07-01", "--reason", "again"]
    assert run_cli(cli, [*args, "--db", db]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "already withdrawn on 2021-06-01" in line
