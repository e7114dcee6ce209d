"""Principals, roles and region scopes; the helper view as a boundary; audited reveals."""

from __future__ import annotations

import io
import json
import textwrap
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import attrs
import pytest

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.errors import InvalidValue, NotFound, StorageError
from jieqin.model import Activity, Need, NeedSource, Year
from jieqin.plugins import hookimpl
from jieqin.security import (
    REVEAL_ACTION,
    STANDARD_ROLES,
    NotPermitted,
    Principal,
    Role,
    load_principals,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
PROGRAM = "tc_freshman_scholarship"
#: hh-001 is in township 610202001, hh-002 in 610202002 (both in county 610202).
TOWNSHIP_1 = "610202001"

CLERK = Principal("clerk:wang", STANDARD_ROLES["clerk"], [TOWNSHIP_1])
COUNTY_CLERK = Principal("clerk:li", STANDARD_ROLES["clerk"], ["610202"])
AUDITOR = Principal("audit:zhao", STANDARD_ROLES["auditor"])
APPROVER = Principal("approve:sun", STANDARD_ROLES["approver"], ["610202"])


@pytest.fixture
def url(campaign_url: str) -> str:
    if campaign_url == "memory://":  # a named store, shared by every connection
        campaign_url = f"memory://security-{uuid.uuid4().hex}"
    with jieqin.connect(campaign_url) as campaign:
        for kind in ("helpers", "households", "pairings", "needs", "activities"):
            campaign.import_file(kind, EXAMPLES / f"{kind}.csv")
    return campaign_url


@pytest.fixture
def campaign(url: str) -> Iterator[jieqin.Campaign]:
    with jieqin.connect(url) as opened:
        yield opened


def _reveals(campaign: jieqin.Campaign) -> list[jieqin.storage.base.AuditEntry]:
    with campaign.unit_of_work(principal=AUDITOR, read_only=True) as uow:
        return uow.audit.entries(action=REVEAL_ACTION)


# --- the helper view is a boundary ------------------------------------------------------


def test_the_helper_of_a_view_cannot_be_switched(campaign: jieqin.Campaign) -> None:
    view = campaign.for_helper("hp-001", on=date(2021, 6, 30))
    with pytest.raises(AttributeError):
        view.helper_id = "hp-002"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        view.on = date(2020, 1, 1)  # type: ignore[misc]
    assert view.helper_id == "hp-001"
    assert view.household_ids() == {"hh-001"}


def test_a_view_holds_no_unit_of_work_that_writes(campaign: jieqin.Campaign) -> None:
    view = campaign.for_helper("hp-001", on=date(2021, 6, 30))
    assert not hasattr(view, "_unit_of_work")
    visit = Activity("ac-new", "visit", date(2021, 6, 1), "hp-001", "hh-001")
    opened = 0
    for name in dir(view):
        value = getattr(view, name)
        if not callable(value) or name.startswith("__") or name in _VIEW_READS:
            continue
        uow = value()
        opened += 1
        with uow, pytest.raises(NotPermitted):
            uow.activities.add(visit)
    assert opened == 1  # the one opener the view holds
    with campaign.unit_of_work(principal=AUDITOR, read_only=True) as uow:
        assert uow.activities.find("ac-new") is None


_VIEW_READS = frozenset(
    {"pairings", "household_ids", "households", "household", "members", "needs", "activities"}
)
_VIEW_READS |= {"_pairings"}


def test_a_need_naming_another_household_s_member_is_not_in_the_view(
    campaign: jieqin.Campaign,
) -> None:
    # hh-001 is hp-001's; hh-002-2 belongs to hh-002 (hp-002's)
    leaking = Need(
        "nd-x",
        "hh-001",
        "employment",
        Year(2021),
        NeedSource.SURVEY,
        date(2021, 3, 1),
        member_id="hh-002-2",
    )
    with campaign.storage.unit_of_work("test") as uow:
        uow.needs.add(leaking)
        uow.commit()
    view = campaign.for_helper("hp-001", on=date(2021, 6, 30))
    assert "nd-x" not in {n.need_id for n in view.needs()}
    assert {n.need_id for n in view.needs()} == {"nd-002"}
    other = campaign.for_helper("hp-002", on=date(2021, 6, 30))
    assert "nd-x" not in {n.need_id for n in other.needs()}  # not of hh-002 either


def test_a_helper_may_log_their_own_visits_only(campaign: jieqin.Campaign) -> None:
    helper = Principal(
        "helper:hp-001", STANDARD_ROLES["helper"], helper_id="hp-001", on=date(2021, 6, 30)
    )
    own = Activity("ac-own", "visit", date(2021, 6, 1), "hp-001", "hh-001")
    with campaign.unit_of_work(principal=helper) as uow:
        uow.activities.add(own)
        with pytest.raises(NotPermitted, match="hp-002"):
            uow.activities.add(attrs.evolve(own, activity_id="ac-2", helper_id="hp-002"))
        with pytest.raises(NotPermitted, match="outside the scope"):
            uow.activities.add(attrs.evolve(own, activity_id="ac-3", household_id="hh-002"))
        need = uow.needs.list()[0]  # it reads its household's needs, and may not write them
        with pytest.raises(NotPermitted, match="may not write needs"):
            uow.needs.update(need)
        uow.commit()
    with campaign.unit_of_work("check") as uow:
        assert uow.activities.get("ac-own").helper_id == "hp-001"
        assert uow.audit.entries(entity_id="ac-own")[0].actor == "helper:hp-001"


# --- roles and scopes ----------------------------------------------------------------------


def test_an_actor_alone_works_as_before(campaign: jieqin.Campaign) -> None:
    with campaign.unit_of_work("clerk:old") as uow:
        assert [h.household_id for h in uow.households.list()] == ["hh-001", "hh-002"]
        uow.needs.update(attrs.evolve(uow.needs.get("nd-003"), note="煤"))
        uow.commit()
    with campaign.unit_of_work(principal=AUDITOR, read_only=True) as uow:
        assert uow.audit.entries(entity_id="nd-003")[-1].actor == "clerk:old"


def test_a_clerk_reads_and_writes_within_their_region_only(campaign: jieqin.Campaign) -> None:
    with campaign.unit_of_work(principal=CLERK) as uow:
        assert [h.household_id for h in uow.households.list()] == ["hh-001"]
        assert uow.households.count() == 1
        assert [n.need_id for n in uow.needs.list()] == ["nd-002"]
        with pytest.raises(NotFound, match=r"^no household hh-002$"):
            uow.households.get("hh-002")
        with pytest.raises(NotFound, match=r"^no member hh-002-1$"):
            uow.households.member("hh-002-1")
        assert uow.helpers.list() == []  # hp-001's home is the county, not the township
        stranger = uow.needs.get("nd-002")
        with pytest.raises(NotPermitted, match=r"clerk:wang \(clerk, regions 610202001\)"):
            uow.needs.add(
                attrs.evolve(stranger, need_id="nd-9", household_id="hh-002", member_id=None)
            )
        moved = attrs.evolve(uow.households.get("hh-001"), region=jieqin.RegionCode("610202002001"))
        with pytest.raises(NotPermitted, match="outside the scope"):
            uow.households.update(moved)  # out of its own region
        with pytest.raises(NotPermitted, match="read the audit log"):
            uow.audit.entries()
        uow.needs.update(attrs.evolve(stranger, note="入学"))
        uow.commit()


def test_an_auditor_reads_everything_masked_and_never_writes(campaign: jieqin.Campaign) -> None:
    with campaign.unit_of_work(principal=AUDITOR) as uow:
        assert uow.read_only
        assert uow.households.count() == 2
        assert uow.audit.count() > 0
        need = uow.needs.get("nd-003")
        with pytest.raises(NotPermitted, match=r"audit:zhao .* may not write needs"):
            uow.needs.update(attrs.evolve(need, note="x"))
        with pytest.raises(NotPermitted):
            uow.activities.add(Activity("ac-9", "visit", date(2021, 6, 1), "hp-001", "hh-001"))
    auditing = campaign.acting_as(AUDITOR)
    with pytest.raises(NotPermitted, match="may not reveal"):
        auditing.export("households", io.StringIO(), include_sensitive=True, purpose="audit")
    out = io.StringIO()
    auditing.export("households", out)
    assert "610220196803020118" not in out.getvalue()
    assert "hh-002" in out.getvalue()
    with pytest.raises(NotPermitted):
        auditing.log_activity(Activity("ac-9", "visit", date(2021, 6, 1), "hp-001", "hh-001"))


def test_reports_follow_the_scope(campaign: jieqin.Campaign) -> None:
    everyone = campaign.report("2021", by_region=True)
    city = Principal("clerk:city", STANDARD_ROLES["clerk"], ["6102"])
    assert campaign.acting_as(city).report("2021", by_region=True) == everyone
    county = campaign.acting_as(COUNTY_CLERK).report("2021", by_region=True)
    assert county != everyone  # the helpers of the other counties are left out
    elsewhere = Principal("clerk:far", STANDARD_ROLES["clerk"], ["610204"])
    assert campaign.acting_as(elsewhere).report("2021") != everyone
    with pytest.raises(NotPermitted, match="finer than a county"):
        campaign.acting_as(CLERK).report("2021")
    helper = Principal("helper:hp-001", STANDARD_ROLES["helper"], helper_id="hp-001")
    with pytest.raises(NotPermitted, match="report figures"):
        campaign.acting_as(helper).report("2021")
    overdue = campaign.acting_as(CLERK).overdue(date(2021, 12, 31))
    assert {o.household_id for o in overdue} <= {"hh-001"}
    assert {o.household_id for o in campaign.overdue(date(2021, 12, 31))} >= {
        o.household_id for o in overdue
    }


# --- reveals: a role that may, a purpose, an audit entry first -----------------------------


def test_a_reveal_needs_a_role_that_allows_it(campaign: jieqin.Campaign) -> None:
    for who in (AUDITOR, APPROVER):
        acting = campaign.acting_as(who)
        with pytest.raises(NotPermitted, match="may not reveal"):
            acting.explain(PROGRAM, "hh-001-3", Year(2021), reveal=True, purpose="appeal")
        with pytest.raises(NotPermitted, match="may not reveal"):
            acting.export("households", io.StringIO(), include_sensitive=True, purpose="x")
    assert _reveals(campaign) == []


def test_a_reveal_needs_a_purpose(campaign: jieqin.Campaign) -> None:
    with pytest.raises(InvalidValue, match="needs a purpose"):
        campaign.explain(PROGRAM, "hh-001-3", Year(2021), reveal=True)
    out = io.StringIO()
    with pytest.raises(InvalidValue, match="needs a purpose"):
        campaign.export("households", out, include_sensitive=True, purpose="  ")
    assert out.getvalue() == ""
    assert _reveals(campaign) == []


def test_a_reveal_is_audited_who_what_why(campaign: jieqin.Campaign) -> None:
    clerk = campaign.acting_as(CLERK)
    clerk.explain(PROGRAM, "hh-001-3", Year(2021), reveal=True, purpose="appeal 13900000001")
    out = io.StringIO()
    clerk.export("households", out, include_sensitive=True, purpose="county backup")
    assert "610220196803020118" in out.getvalue()  # hh-001's head, in the clerk's scope
    assert "610220194111200127" not in out.getvalue()  # hh-002's, outside it
    explain, export = _reveals(campaign)
    assert (explain.actor, explain.entity, explain.entity_id) == (
        "clerk:wang",
        "members",
        "hh-001-3",
    )
    assert explain.changes["what"] == f"explain {PROGRAM} 2021"
    assert explain.changes["purpose"] == "appeal 139******01"  # free text masked
    assert explain.changes["role"] == "clerk"
    assert (export.actor, export.entity, export.changes["count"]) == ("clerk:wang", "households", 1)
    assert export.changes["purpose"] == "county backup"
    with pytest.raises(NotFound):  # outside the scope: no reveal, no entry
        clerk.explain(PROGRAM, "hh-002-2", Year(2021), reveal=True, purpose="x")
    assert len(_reveals(campaign)) == 2


def test_nothing_is_revealed_when_the_entry_cannot_be_written(
    campaign: jieqin.Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jieqin.security.reveal as reveal

    monkeypatch.setattr(reveal, "_Recording", _Never)
    out = io.StringIO()
    with pytest.raises(StorageError, match="nothing was revealed"):
        campaign.export("households", out, include_sensitive=True, purpose="backup")
    assert out.getvalue() == ""
    with pytest.raises(StorageError):
        campaign.explain(PROGRAM, "hh-001-3", Year(2021), reveal=True, purpose="appeal")


class _Never:
    """No unit of work records (a storage without an audit log)."""


# --- configuration, the hook and the command line -----------------------------------------


PRINCIPALS_TOML = """
[principals."clerk:wang"]
role = "clerk"
regions = ["610202001"]

[principals."audit:zhao"]
role = "auditor"

[principals."helper:hp-001"]
role = "helper"
helper = "hp-001"

[principals."village:li"]
role = "village_clerk"
regions = "610202002003"

[roles.village_clerk]
reads = ["households", "needs"]
writes = ["needs"]
figures = false
"""


@pytest.fixture
def principals_file(tmp_path: Path) -> Path:
    path = tmp_path / "principals.toml"
    path.write_text(PRINCIPALS_TOML, encoding="utf-8")
    return path


def test_the_principals_file(principals_file: Path) -> None:
    principals = load_principals(principals_file)
    assert principals.get("clerk:wang") == CLERK
    village = principals.get("village:li")
    assert village.role.writes == {"needs"}
    assert village.regions == {"610202002003"}
    assert principals.get("helper:hp-001").helper_id == "hp-001"
    with pytest.raises(NotPermitted, match="'nobody' is not a configured principal"):
        principals.get("nobody")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[principals.a]\nrole = "clark"\nregions = ["61"]',
            "principals.a: .*unknown role 'clark'",
        ),
        ('[principals.a]\nrole = "clerk"', "principals.a.*needs region prefixes"),
        ('[principals.a]\nrole = "clerk"\nregions = ["61x"]', "region prefix '61x'"),
        ('[principals.a]\nrole = "helper"', "needs the helper it is"),
        ('[principals.a]\nrole = "admin"\ncolour = "red"', "unknown keys colour"),
        ('[roles.r]\nwrites = ["needs"]', "writes needs but may not read them"),
        ('[roles.r]\nreads = ["nothing"]', "unknown repositories nothing"),
        ("[principals.a", "is not TOML"),
    ],
)
def test_a_bad_principals_file_says_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidValue, match=message) as caught:
        load_principals(path)
    assert str(path) in str(caught.value)


class Principals:
    """A plugin that registers principals through the hook."""

    __name__ = "principals"

    @hookimpl
    def jieqin_register_principals(self, register: object) -> None:
        register("clerk:hook", "clerk", regions=("610202002",))  # type: ignore[operator]
        register("clerk:wang", "admin")  # type: ignore[operator]  # the file wins
        custom = Role("reader", ["households"], [], "everything")
        register("reader:hook", custom)  # type: ignore[operator]


def test_principals_from_the_hook(
    url: str, principals_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with jieqin.connect(url, plugins=[Principals()]) as campaign:
        assert campaign.principal("clerk:hook").regions == {"610202002"}
        assert campaign.principal("clerk:wang").role.name == "admin"
        reader = campaign.acting_as("reader:hook")
        with reader.unit_of_work() as uow:
            assert uow.households.count() == 2
            with pytest.raises(NotPermitted):
                uow.needs.list()
        assert campaign.registry.registered_by("principals").principals == (
            "clerk:hook",
            "clerk:wang",
            "reader:hook",
        )
        monkeypatch.setenv("JIEQIN_PRINCIPALS", str(principals_file))
        assert campaign.principal("clerk:wang").role.name == "clerk"


def test_the_command_line_runs_as_a_local_admin_without_configuration(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JIEQIN_PRINCIPALS", raising=False)
    monkeypatch.delenv("JIEQIN_ACTOR", raising=False)
    assert run_cli(cli, ["export", "households", "--url", url]) == 0
    assert "hh-002" in capsys.readouterr().out


def test_the_command_line_runs_as_the_principal_it_names(
    url: str,
    principals_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JIEQIN_ACTOR", raising=False)
    base = ["--principals", str(principals_file)]
    assert run_cli(cli, [*base, "export", "households", "--url", url]) == 1
    assert "--as ACTOR" in capsys.readouterr().err
    assert run_cli(cli, [*base, "--as", "nobody", "export", "households", "--url", url]) == 1
    assert "'nobody' is not a configured principal" in capsys.readouterr().err
    assert run_cli(cli, [*base, "--as", "clerk:wang", "export", "households", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "hh-001" in out
    assert "hh-002" not in out
    monkeypatch.setenv("JIEQIN_PRINCIPALS", str(principals_file))
    monkeypatch.setenv("JIEQIN_ACTOR", "audit:zhao")
    sensitive = ["export", "households", "--include-sensitive", "--url", url]
    assert run_cli(cli, [*sensitive, "--purpose", "check"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "may not reveal" in err
    monkeypatch.setenv("JIEQIN_ACTOR", "clerk:wang")
    assert run_cli(cli, sensitive) == 1
    assert "needs a purpose" in capsys.readouterr().err
    assert run_cli(cli, [*sensitive, "--purpose", "township backup"]) == 0
    assert "610220196803020118" in capsys.readouterr().out
    explain = ["aid", "explain", PROGRAM, "hh-001-3", "--period", "2021", "--url", url]
    assert run_cli(cli, [*explain, "--reveal", "--purpose", "appeal", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["member"] == "hh-001-3"
    with jieqin.connect(url) as campaign:
        entries = _reveals(campaign)
    assert [(e.actor, e.entity, e.changes["purpose"]) for e in entries] == [
        ("clerk:wang", "households", "township backup"),
        ("clerk:wang", "members", "appeal"),
    ]


def test_the_security_page_lists_the_standard_roles() -> None:
    page = (Path(__file__).resolve().parents[1] / "docs" / "security.md").read_text("utf-8")
    for role in STANDARD_ROLES.values():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{role.name}` "))
        assert ("yes" in row.split("|")[5]) is role.reveal, role.name
    assert textwrap.dedent(PRINCIPALS_TOML).split("[roles")[0].strip().splitlines()[0] in page
