"""The Tongchuan 2021 demo, end to end: nothing sensitive shows, every write is audited.

The demo runs once on a fresh SQLite database with every log record captured. Then
every report format, every export, the log, error messages about the demo's own
records, explanations and a helper's view are scanned for the cohort's resident ID
numbers, phone numbers and diagnoses (and anything shaped like an ID or a mobile
number): none may appear unmasked. Every default output of the command line (exports
of every kind in CSV and JSON Lines, needs, overdue, aid dry runs and explanations,
reports, as text and JSON) is also scanned for a health or disability word beside a
person (a member or household id, a name, a resident ID number): none may appear. And every record the demo stored is in the audit
log with the demo's actor and a time within the run.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner

import jieqin
from jieqin.cli import cli
from jieqin.demo.cohort import generate_cohort
from jieqin.demo.monitoring import APPROVER
from jieqin.demo.script import ACTOR, YEAR, DemoResult, run_demo
from jieqin.errors import JieqinError
from jieqin.io.kinds import KINDS
from jieqin.privacy import find_sensitive, install_log_masking, uninstall_log_masking
from jieqin.reports.render import render
from jieqin.security.reveal import REVEAL_ACTION
from jieqin.storage._common import ENTITIES

#: The kinds stored as they are (referral outcomes are applied to referrals, not exported).
EXPORTED = [name for name, kind in KINDS.items() if not kind.applied]


@attrs.define
class Demo:
    result: DemoResult
    log: str
    started: datetime
    finished: datetime
    sensitive: dict[str, list[str]]
    persons: list[str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    cohort = generate_cohort(2021)
    sensitive: dict[str, list[str]] = {
        "resident_ids": [m.resident_id for m in cohort.members],
        "phones": [p.phone for p in (*cohort.members, *cohort.helpers) if p.phone],
        "diagnoses": sorted({m.health.diagnosis for m in cohort.members if m.health.diagnosis}),
    }
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_log_masking()  # as the jieqin command does
    try:
        started = datetime.now(UTC)
        result = run_demo(tmp_path_factory.mktemp("demo") / "demo.db", cohort=cohort)
        finished = datetime.now(UTC)
    finally:
        uninstall_log_masking()
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert result.missing == [], result.missing
    persons = sorted(
        {m.member_id for m in cohort.members}
        | {h.household_id for h in cohort.households}
        | {p.name for p in (*cohort.members, *cohort.helpers)}
    )
    return Demo(result, stream.getvalue(), started, finished, sensitive, persons)


def _scan(demo: Demo, text: str, what: str, *, health: bool = True) -> None:
    # a programme's id reads the same for every member (``tc_major_illness_grant``)
    findings = find_sensitive(
        text,
        **demo.sensitive,
        persons=demo.persons,
        health=health,
        ignore=demo.result.programs.values(),
    )
    assert findings == [], f"{what}: {len(findings)} unmasked, first: {findings[0]}"


def _cli(demo: Demo, *args: str) -> str:
    """What ``jieqin ARGS --url <demo>`` prints (standard output and error), exit 0."""
    result = CliRunner().invoke(cli, [*args, "--url", demo.result.url], catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    return result.output


def test_the_health_scan_finds_what_the_old_outputs_showed(demo: Demo) -> None:
    member = demo.persons[0]
    for leak in (
        f"{member},medical,eligible for 大病救助金 … major_illness … held",
        f'{{"member": "{member}", "reason": "failed: major_illness"}}',
        f"│ 243 │ H0697 │ {member} │ major_illness_or_disability │",
        f"  [x] major_illness: health=<masked> == 'major_illness' ({member})",
    ):
        kinds = [f.kind for f in find_sensitive(leak, persons=demo.persons)]
        assert kinds, leak
        assert set(kinds) == {"health"}, leak


def test_every_default_output_of_the_command_line_is_clean(demo: Demo) -> None:
    texts: dict[str, str] = {}
    for kind in EXPORTED:
        for fmt in ("csv", "jsonl"):
            texts[f"export {kind} {fmt}"] = _cli(demo, "export", kind, "--format", fmt)
    texts["needs"] = _cli(demo, "needs")
    texts["needs --json"] = _cli(demo, "needs", "--json")
    for as_json in ((), ("--json",)):
        texts[f"overdue {as_json}"] = _cli(demo, "overdue", "--as-of", "2021-12-31", *as_json)
        texts[f"report {as_json}"] = _cli(demo, "report", "--period", str(YEAR), *as_json)
    with jieqin.connect(demo.result.url) as campaign, campaign.unit_of_work() as uow:
        members = [m.member_id for h in uow.households.list()[:40] for m in h.members]
    for program_id in demo.result.programs.values():
        texts[f"aid run {program_id}"] = _cli(
            demo, "aid", "run", program_id, "--period", str(YEAR), "--dry-run", "--json"
        )
        for member in members:
            for as_json in ((), ("--json",)):
                texts[f"aid explain {program_id} {member} {as_json}"] = _cli(
                    demo, "aid", "explain", program_id, member, "--period", str(YEAR), *as_json
                )
    assert len(texts) > 100
    for what, text in texts.items():
        _scan(demo, text, what)


def test_the_sensitive_values_are_there_to_find(demo: Demo) -> None:
    assert len(demo.sensitive["resident_ids"]) > 1000
    assert demo.sensitive["phones"]
    assert demo.sensitive["diagnoses"]


def test_every_report_format_is_clean(demo: Demo) -> None:
    assert demo.result.report is not None
    for fmt in ("json", "csv", "html", "table"):
        _scan(demo, render(demo.result.report, fmt), f"report as {fmt}")


def test_every_export_is_clean(demo: Demo) -> None:
    with jieqin.connect(demo.result.url) as campaign:
        for kind in EXPORTED:
            for fmt in ("csv", "jsonl"):
                out = io.StringIO()
                count = campaign.export(kind, out, format=fmt)
                assert count > 0 or kind == "needs"
                _scan(demo, out.getvalue(), f"{kind} exported as {fmt}")


def test_the_log_is_clean(demo: Demo) -> None:
    _scan(demo, demo.log, "the log")


def test_errors_explanations_and_views_are_clean(demo: Demo, tmp_path: Path) -> None:
    texts: list[str] = []
    with jieqin.connect(demo.result.url) as campaign:
        # an import of the demo's own households, one date broken on each line
        full = io.StringIO()
        campaign.export(
            "households", full, format="csv", include_sensitive=True, purpose="import test"
        )
        lines = full.getvalue().splitlines(keepends=True)
        broken = [lines[0]] + [line.replace(",19", ",18", 1) for line in lines[1:40]]
        path = tmp_path / "households.csv"
        path.write_text("".join(broken), encoding="utf-8")
        with pytest.raises(JieqinError) as caught:
            campaign.import_file("households", path, report_errors=True)
        texts.append(str(caught.value))
        # explanations of the members a programme looked at
        for role, program_id in demo.result.programs.items():
            with campaign.unit_of_work() as uow:
                decisions = uow.decisions.list(program_id=program_id)[:20]
            assert decisions, role
            for decision in decisions:
                if decision.member_id is None:
                    continue
                eligibility, stored = campaign.explain(program_id, decision.member_id, YEAR)
                texts.extend([str(eligibility), repr(eligibility)])
                # a stored decision is a record of the library, not an output: no health scan
                _scan(demo, repr(stored), "a stored decision", health=False)
        # a helper's view, as a program would print it
        with campaign.unit_of_work() as uow:
            helper_id = uow.pairings.list()[0].helper_id
        view = campaign.for_helper(helper_id, on=date(2021, 6, 30))
        texts.extend(repr(x) for x in (*view.households(), *view.members(), *view.needs()))
    assert len(texts) > 20
    _scan(demo, "\n".join(texts), "errors, explanations and views")


def test_every_write_of_the_demo_is_audited(demo: Demo) -> None:
    with jieqin.connect(demo.result.url) as campaign, campaign.unit_of_work() as uow:
        entries = uow.audit.entries()
        written: dict[str, set[str]] = {}
        for entry in entries:
            if entry.action == REVEAL_ACTION and entry.at > demo.finished:
                continue  # another test of this module revealed, and was audited
            if entry.actor == APPROVER:
                # maker-checker: the elimination is approved by a second person, and
                # that person writes nothing but the approval
                assert entry.entity == "eliminations", entry
            else:
                assert entry.actor == ACTOR, entry
            assert demo.started <= entry.at <= demo.finished, entry
            ids = written.setdefault(entry.entity, set())
            if entry.entity_id is not None:
                ids.add(entry.entity_id)
            ids.update(str(i) for i in entry.changes.get("ids", ()))
        stored: dict[str, list[Any]] = {
            name: getattr(uow, name).list() for name in ENTITIES if name != "handovers"
        }
        handovers = uow.handovers.count()
    for name, records in stored.items():
        spec = ENTITIES[name]
        keys = {spec.key_text(spec.key(r)) for r in records}
        missing = keys - written.get(name, set())
        assert not missing, (
            f"{len(missing)} {name} not in the audit log, e.g. {sorted(missing)[:3]}"
        )
    assert sum(len(r) for r in stored.values()) > 10_000
    if handovers:
        assert "handovers" in written
