"""ODK / KoboToolbox: the shipped XLSForms convert with pyxform, and their submission
exports (made here from the shipped forms' fields, as ODK Central and KoboToolbox
write them) import as needs and activities: all or nothing, idempotent."""

from __future__ import annotations

import csv
import shutil
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

import jieqin
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.errors import InvalidInput
from jieqin.forms import FORMS, NEEDS_SURVEY, VISIT_LOG, form_for, shipped_form, standard_form
from jieqin.io.odk import import_submissions

pyxform = pytest.importorskip("pyxform.xls2xform")

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


# --- the forms ------------------------------------------------------------------------


def _sheet_rows(path: Path, sheet: str) -> list[list[str]]:
    book = load_workbook(path, read_only=True)
    try:
        return [["" if v is None else str(v) for v in row] for row in book[sheet].values]
    finally:
        book.close()


@pytest.mark.parametrize("form", FORMS)
def test_the_shipped_form_is_its_definition_and_converts(form: str) -> None:
    path = shipped_form(form)
    for sheet, rows in standard_form(form).sheets().items():
        assert _sheet_rows(path, sheet) == rows, f"rebuild with python -m jieqin.forms ({sheet})"
    warnings: list[str] = []
    result = pyxform.convert(
        str(path), warnings=warnings, validate=shutil.which("java") is not None
    )
    assert warnings == []
    assert "<h:html" in result.xform
    assert f'id="jieqin_{form.replace("-", "_")}"' in result.xform


def test_a_form_for_the_campaign_has_its_codes_and_converts(tmp_path: Path) -> None:
    from jieqin.forms import write_xlsform
    from jieqin.plugins import Registry, make_plugin_manager

    form = form_for(NEEDS_SURVEY, Registry.gather(make_plugin_manager()))
    path = tmp_path / "form.xlsx"
    write_xlsform(form, path)
    assert "winter_heating" in {row["name"] for row in form.choices}
    assert "<h:html" in pyxform.convert(str(path)).xform


def _fields(form: str) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """The paths of the shipped form's fields: on the submission, in its repeat group."""
    main: list[tuple[str, ...]] = []
    repeat: list[tuple[str, ...]] = []
    stack: list[tuple[str, str]] = []
    for kind, name, *_ in _sheet_rows(shipped_form(form), "survey")[1:]:
        if kind.startswith("begin"):
            stack.append((kind, name))
        elif kind.startswith("end"):
            stack.pop()
        else:
            in_repeat = any(k == "begin_repeat" for k, _ in stack)
            (repeat if in_repeat else main).append((*(n for _, n in stack), name))
    return main, repeat


def _choices(form: str) -> set[str]:
    return {row[1] for row in _sheet_rows(shipped_form(form), "choices")[1:]}


# --- exports made from the forms' fields -----------------------------------------------

SUBMISSIONS = [
    (
        "uuid:" + str(uuid.UUID(int=1)),
        {"survey_date": "2021-02-20", "household_id": "hh-001"},
        [
            {"member_id": "hh-001-2", "needs": "medical employment", "note": "透析"},
            {"member_id": "hh-001-3", "needs": "schooling", "note": ""},
        ],
    ),
    (
        "uuid:" + str(uuid.UUID(int=2)),
        {"survey_date": "2021-02-21", "household_id": "hh-002"},
        [{"member_id": "", "needs": "winter_heating", "note": "煤不够"}],
    ),
]


def _central_csv(
    folder: Path, submissions: Sequence[tuple[str, dict[str, str], list[dict[str, str]]]]
) -> tuple[Path, Path]:
    """An ODK Central export: the submissions' CSV and the members' CSV (``-`` prefixes)."""
    main_fields, repeat_fields = _fields(NEEDS_SURVEY)
    main, repeat = folder / "needs-survey.csv", folder / "needs-survey-members.csv"
    with main.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["SubmissionDate", *("-".join(p) for p in main_fields), "meta-instanceID", "KEY"]
        )
        for key, answers, _ in submissions:
            cells = [answers[p[-1]] for p in main_fields]
            writer.writerow(["2021-02-22T08:00:00.000Z", *cells, key, key])
    with repeat.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([*("-".join(p) for p in repeat_fields), "PARENT_KEY", "KEY"])
        for key, _, members in submissions:
            for place, member in enumerate(members, start=1):
                cells = [member[p[-1]] for p in repeat_fields]
                writer.writerow([*cells, key, f"{key}/members[{place}]"])
    return main, repeat


def _kobo_xlsx(
    folder: Path, submissions: Sequence[tuple[str, dict[str, str], list[dict[str, str]]]]
) -> Path:
    """A KoboToolbox XLSX export: ``/`` prefixes, the members on their own sheet linked
    by ``_parent_index``, a column per choice, the survey day a date cell."""
    main_fields, repeat_fields = _fields(NEEDS_SURVEY)
    choices = sorted(_choices(NEEDS_SURVEY))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "入户需求调查"
    sheet.append([*("/".join(p) for p in main_fields), "meta/instanceID", "_uuid", "_index"])
    members = book.create_sheet("members")
    headers = ["/".join(p) for p in repeat_fields]
    needs_at = next(i for i, p in enumerate(repeat_fields) if p[-1] == "needs") + 1
    headers[needs_at:needs_at] = [f"members/needs/{c}" for c in choices]
    members.append([*headers, "_index", "_parent_table_name", "_parent_index"])
    row = 0
    for index, (key, answers, entries) in enumerate(submissions, start=1):
        cells: list[object] = [answers[p[-1]] for p in main_fields]
        cells[0] = datetime.fromisoformat(str(cells[0]))
        sheet.append([*cells, key, key.removeprefix("uuid:"), index])
        for member in entries:
            row += 1
            values: list[object] = [member[p[-1]] for p in repeat_fields]
            chosen = member["needs"].split()
            values[needs_at:needs_at] = [int(c in chosen) for c in choices]
            members.append([*values, row, "入户需求调查", index])
    path = folder / "kobo-needs.xlsx"
    book.save(path)
    return path


# --- importing --------------------------------------------------------------------------


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def campaign(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[jieqin.Campaign]:
    """A campaign holding the example helpers, households and pairings, on each backend
    (PostgreSQL: a fresh schema of the test server, as ``postgresql_url`` gives)."""
    if request.param == "memory":
        url = f"memory://odk-{uuid.uuid4().hex}"
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'campaign.db'}"
    else:
        url = str(request.getfixturevalue("postgresql_url"))
    with jieqin.connect(url) as opened:
        for kind in ("helpers", "households", "pairings"):
            opened.import_file(kind, EXAMPLES / f"{kind}.csv")
        yield opened


def _needs(campaign: jieqin.Campaign) -> list[object]:
    with campaign.unit_of_work(actor="test:reader", read_only=True) as uow:
        return list(uow.needs.list())


def _audit_count(campaign: jieqin.Campaign) -> int:
    with campaign.unit_of_work(actor="test:reader", read_only=True) as uow:
        return int(uow.audit.count())


def _summary(needs: list[object]) -> set[tuple[object, ...]]:
    return {
        (n.household_id, n.member_id, n.kind, str(n.period), n.raised_on.isoformat(), n.note)  # type: ignore[attr-defined]
        for n in needs
    }


EXPECTED = {
    ("hh-001", "hh-001-2", "medical", "2021Q1", "2021-02-20", "透析"),
    ("hh-001", "hh-001-2", "employment", "2021Q1", "2021-02-20", "透析"),
    ("hh-001", "hh-001-3", "schooling", "2021Q1", "2021-02-20", ""),
    ("hh-002", None, "winter_heating", "2021Q1", "2021-02-21", "煤不够"),
}


def test_an_odk_central_csv_export_imports_once(campaign: jieqin.Campaign, tmp_path: Path) -> None:
    main, repeat = _central_csv(tmp_path, SUBMISSIONS)
    result = import_submissions(campaign, main, NEEDS_SURVEY, repeat=repeat, actor="clerk:li")
    assert (result.submissions, result.records, result.written) == (2, 4, 4)
    stored = _needs(campaign)
    assert _summary(stored) == EXPECTED
    audited = _audit_count(campaign)
    again = import_submissions(campaign, main, NEEDS_SURVEY, repeat=repeat, actor="clerk:li")
    assert (again.records, again.written, again.unchanged) == (4, 0, 4)
    assert _needs(campaign) == stored
    assert _audit_count(campaign) == audited


def test_a_kobo_workbook_gives_the_same_needs_with_the_same_ids(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    main, repeat = _central_csv(tmp_path, SUBMISSIONS)
    import_submissions(campaign, main, NEEDS_SURVEY, repeat=repeat)
    stored = _needs(campaign)
    workbook = _kobo_xlsx(tmp_path, SUBMISSIONS)
    result = import_submissions(campaign, workbook, NEEDS_SURVEY)
    assert (result.records, result.written) == (4, 0)
    assert _needs(campaign) == stored


def test_a_kobo_workbook_imports_into_an_empty_campaign(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    result = import_submissions(campaign, _kobo_xlsx(tmp_path, SUBMISSIONS), NEEDS_SURVEY)
    assert result.written == 4
    assert _summary(_needs(campaign)) == EXPECTED


def test_an_edited_submission_updates_its_needs_and_keeps_their_status(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    main, repeat = _central_csv(tmp_path, SUBMISSIONS)
    import_submissions(campaign, main, NEEDS_SURVEY, repeat=repeat)
    (heating,) = [n for n in _needs(campaign) if n.kind == "winter_heating"]  # type: ignore[attr-defined]
    campaign.resolve_need(heating.need_id, "coal delivered", actor="clerk:li")
    edited = [SUBMISSIONS[0], (SUBMISSIONS[1][0], SUBMISSIONS[1][1], [dict(SUBMISSIONS[1][2][0])])]
    edited[1][2][0]["note"] = "煤不够，已送"
    main, repeat = _central_csv(tmp_path, edited)
    audited = _audit_count(campaign)
    result = import_submissions(campaign, main, NEEDS_SURVEY, repeat=repeat)
    assert result.written == 1
    after = {n.need_id: n for n in _needs(campaign)}  # type: ignore[attr-defined]
    assert after[heating.need_id].note == "煤不够，已送"
    assert after[heating.need_id].status == "resolved"
    assert _audit_count(campaign) > audited


def _broken(
    tmp_path: Path, household: str = "hh-002", kind: str = "winter_heating"
) -> tuple[Path, Path]:
    submissions = [
        SUBMISSIONS[0],
        (
            SUBMISSIONS[1][0],
            {**SUBMISSIONS[1][1], "household_id": household},
            [{"member_id": "", "needs": kind, "note": ""}],
        ),
    ]
    return _central_csv(tmp_path, submissions)


def test_an_unknown_need_kind_is_refused_at_its_file_row_and_column(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    main, repeat = _broken(tmp_path, kind="rumour")
    with pytest.raises(InvalidInput) as info:
        import_submissions(campaign, main, NEEDS_SURVEY, repeat=repeat)
    (problem,) = info.value.problems
    assert (problem.source, problem.line, problem.field) == (repeat.name, 4, "members-needs")
    assert "unknown need kind 'rumour'" in problem.reason
    assert _needs(campaign) == []


def test_an_unknown_household_is_refused_at_the_submission_row(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    main, repeat = _broken(tmp_path, household="hh-999")
    with pytest.raises(InvalidInput) as info:
        import_submissions(campaign, main, NEEDS_SURVEY, repeat=repeat)
    (problem,) = info.value.problems
    assert (problem.source, problem.line, problem.field) == (
        main.name,
        3,
        "household-household_id",
    )
    assert "hh-999" in problem.reason
    assert _needs(campaign) == []


def test_a_broken_workbook_names_its_sheet(campaign: jieqin.Campaign, tmp_path: Path) -> None:
    broken = [
        SUBMISSIONS[0],
        (SUBMISSIONS[1][0], SUBMISSIONS[1][1], [{"member_id": "", "needs": "rumour", "note": ""}]),
    ]
    with pytest.raises(InvalidInput) as info:
        import_submissions(campaign, _kobo_xlsx(tmp_path, broken), NEEDS_SURVEY)
    (problem,) = info.value.problems
    assert (problem.sheet, problem.line, problem.field) == ("members", 4, "members/needs")
    assert _needs(campaign) == []


def test_member_entries_of_an_unknown_submission_are_refused(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    main, repeat = _central_csv(tmp_path, SUBMISSIONS)
    main.write_text("\n".join(main.read_text(encoding="utf-8-sig").splitlines()[:2]) + "\n")
    with pytest.raises(InvalidInput) as info:
        import_submissions(campaign, main, NEEDS_SURVEY, repeat=repeat)
    (problem,) = info.value.problems
    assert (problem.source, problem.line, problem.field) == (repeat.name, 4, "PARENT_KEY")
    assert _needs(campaign) == []


def _visit_log_csv(folder: Path, rows: list[dict[str, str]]) -> Path:
    """A KoboToolbox CSV export of the visit log (``;`` between cells, ``_uuid``)."""
    fields, _ = _fields(VISIT_LOG)
    path = folder / "visit-log.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["/".join(p) for p in fields] + ["_uuid", "_submission_time"])
        for i, row in enumerate(rows, start=1):
            cells = [row[p[-1]] for p in fields]
            writer.writerow([*cells, str(uuid.UUID(int=100 + i)), "2021-03-01T10:00:00"])
    return path


VISITS = [
    {
        "helper_id": "hp-001",
        "household_id": "hh-001",
        "activity_kind": "visit",
        "day": "2021-02-11",
        "note": "走访",
    },
    {
        "helper_id": "hp-002",
        "household_id": "hh-002",
        "activity_kind": "contact",
        "day": "2021-03-05",
        "note": "",
    },
]


def test_a_visit_log_export_imports_as_activities_once(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    path = _visit_log_csv(tmp_path, VISITS)
    assert _choices(VISIT_LOG) >= {v["activity_kind"] for v in VISITS}
    result = import_submissions(campaign, path, VISIT_LOG)
    assert (result.kind, result.records, result.written) == ("activities", 2, 2)
    with campaign.unit_of_work(actor="test:reader", read_only=True) as uow:
        stored = {
            (a.helper_id, a.household_id, a.kind, a.on.isoformat()) for a in uow.activities.list()
        }
    assert stored == {
        ("hp-001", "hh-001", "visit", "2021-02-11"),
        ("hp-002", "hh-002", "contact", "2021-03-05"),
    }
    audited = _audit_count(campaign)
    assert import_submissions(campaign, path, VISIT_LOG).written == 0
    assert _audit_count(campaign) == audited


def test_a_visit_by_an_unpaired_helper_is_refused(
    campaign: jieqin.Campaign, tmp_path: Path
) -> None:
    path = _visit_log_csv(tmp_path, [VISITS[0], {**VISITS[1], "helper_id": "hp-001"}])
    with pytest.raises(InvalidInput) as info:
        import_submissions(campaign, path, VISIT_LOG)
    (problem,) = info.value.problems
    assert (problem.source, problem.line, problem.field) == (path.name, 3, "helper_id")


# --- the command ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def test_the_cli_imports_submissions_and_names_a_bad_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest, backend: str
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'cli.db'}"
    else:
        url = str(request.getfixturevalue("postgresql_url"))
    assert run_cli(cli, ["init", "--url", url]) == 0
    for kind in ("helpers", "households", "pairings"):
        assert run_cli(cli, ["import", kind, str(EXAMPLES / f"{kind}.csv"), "--url", url]) == 0
    main, repeat = _central_csv(tmp_path, SUBMISSIONS)
    args = ["import", "needs", str(main), "--form", NEEDS_SURVEY, "--repeat", str(repeat)]
    capsys.readouterr()
    assert run_cli(cli, [*args, "--url", url]) == 0
    assert "4 needs, 4 new or changed, 0 unchanged" in capsys.readouterr().out
    assert run_cli(cli, [*args, "--url", url]) == 0
    assert "0 new or changed, 4 unchanged" in capsys.readouterr().out
    assert (
        run_cli(cli, ["import", "activities", str(main), "--form", NEEDS_SURVEY, "--url", url]) == 2
    )
    (tmp_path / "bad").mkdir()
    bad, bad_repeat = _broken(tmp_path / "bad", kind="rumour")
    code = run_cli(
        cli,
        [
            "import",
            "needs",
            str(bad),
            "--form",
            NEEDS_SURVEY,
            "--repeat",
            str(bad_repeat),
            "--url",
            url,
        ],
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "needs-survey-members.csv line 4: members-needs: unknown need kind 'rumour'" in err
    assert "Traceback" not in err
