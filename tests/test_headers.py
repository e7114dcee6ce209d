"""Chinese column headers and a region's own aliases, in every import and in exports."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import jieqin
from jieqin.errors import JieqinError, PluginError
from jieqin.io.headers import CHINESE, IGNORED, STANDARD_HEADERS, heading, normalise_header
from jieqin.io.importer import parse_file
from jieqin.io.kinds import KINDS
from jieqin.plugins import RegisterHeaderAlias, hookimpl

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
ORDER = ["helpers", "households", "pairings", "needs", "activities"]


def _values(path: Path, kind: str, **options: Any) -> list[object]:
    parsed = list(parse_file(path, kind, **options))
    assert all(p.ok for p in parsed), [p.problems for p in parsed if not p.ok]
    return [p.value for p in parsed]


def _rows(kind: str) -> list[list[str]]:
    with open(EXAMPLES / f"{kind}.csv", encoding="utf-8") as text:
        return list(csv.reader(text))


def _write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)
    return path


@pytest.fixture
def campaign() -> Iterator[jieqin.Campaign]:
    with jieqin.connect(f"memory://headers-{uuid.uuid4().hex}") as opened:
        yield opened


def test_every_column_of_every_kind_has_a_chinese_name() -> None:
    for kind in KINDS.values():
        for column in kind.all_columns():
            names = CHINESE[kind.name].get(column.name)
            assert names, f"{kind.name}.{column.name} has no Chinese name"
            for name in names:  # each name reads as its own column, in its kind
                assert STANDARD_HEADERS.lookup(kind, name) == (True, column), (kind.name, name)
        assert set(CHINESE[kind.name]) <= {c.name for c in kind.all_columns()}


def test_the_ledger_names_of_the_issue_are_read() -> None:
    households = KINDS["households"]
    for header, column in {
        "户编号": "household_id",
        "姓名": "name",
        "性别": "sex",
        "出生日期": "birth_date",
        "身份证号": "resident_id",
        "与户主关系": "relation",
        "联系电话": "phone",
        "所在村": "region",
        "行政区划代码": "region",
    }.items():
        known, found = STANDARD_HEADERS.lookup(households, header)
        assert known
        assert found is not None
        assert found.name == column
    assert STANDARD_HEADERS.lookup(households, "户主姓名") == (True, None)  # read, not kept
    assert IGNORED["households"]["head_name"][0] == "户主姓名"


@pytest.mark.parametrize(
    ("written", "same_as"),
    [
        ("身份证\n号码", "身份证号码"),
        ("*姓名", "姓名"),
        ("ｈｅｌｐｅｒ_ｉｄ", "helper_id"),
        (" 户编号\u3000", "户编号"),
    ],
)
def test_headers_are_compared_loosely(written: str, same_as: str) -> None:
    assert normalise_header(written) == normalise_header(same_as)


@pytest.mark.parametrize("kind", ORDER)
def test_a_csv_with_chinese_headers_reads_as_with_english_ones(tmp_path: Path, kind: str) -> None:
    rows = _rows(kind)
    rows[0] = [CHINESE[kind][name][-1] for name in rows[0]]  # the last alias of each
    path = _write(tmp_path / f"{kind}.csv", rows)
    assert _values(path, kind) == _values(EXAMPLES / f"{kind}.csv", kind)


def test_problems_name_the_header_as_written(campaign: jieqin.Campaign, tmp_path: Path) -> None:
    rows = _rows("households")
    rows[0] = [CHINESE["households"][name][0] for name in rows[0]]
    rows[2][rows[0].index("出生日期")] = "1990-02-30"
    path = _write(tmp_path / "households.csv", rows)
    with pytest.raises(JieqinError) as caught:
        campaign.import_file("households", path)
    assert str(caught.value).startswith("households.csv line 3: 出生日期: invalid date")


def test_a_header_given_twice_in_two_languages_is_refused(tmp_path: Path) -> None:
    rows = _rows("helpers")
    rows[0].append("姓名")
    for row in rows[1:]:
        row.append("王伟")
    path = _write(tmp_path / "helpers.csv", rows)
    (parsed,) = list(parse_file(path, "helpers"))
    assert [str(p) for p in parsed.problems] == ["helpers.csv line 1: 姓名: column appears twice"]


def test_jsonl_keys_may_be_chinese(tmp_path: Path) -> None:
    lines = (EXAMPLES / "households.jsonl").read_text("utf-8").splitlines()
    top = {"household_id": "户编号", "region": "所在村"}
    member = {"resident_id": "身份证号", "name": "姓名", "birth_date": "出生日期"}
    out = []
    for line in lines:
        record = json.loads(line)
        record = {top.get(k, k): v for k, v in record.items()}
        record["members"] = [{member.get(k, k): v for k, v in m.items()} for m in record["members"]]
        out.append(json.dumps(record, ensure_ascii=False))
    path = tmp_path / "households.jsonl"
    path.write_text("\n".join(out) + "\n", "utf-8")
    assert _values(path, "households") == _values(EXAMPLES / "households.jsonl", "households")


def test_a_jsonl_key_in_both_spellings_is_refused(tmp_path: Path) -> None:
    record = json.loads((EXAMPLES / "helpers.jsonl").read_text("utf-8").splitlines()[0])
    record["姓名"] = record["name"]
    path = tmp_path / "helpers.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", "utf-8")
    (parsed,) = list(parse_file(path, "helpers"))
    assert not parsed.ok


@pytest.mark.parametrize("kind", ORDER)
def test_a_csv_export_with_chinese_headers_imports_back(tmp_path: Path, kind: str) -> None:
    with jieqin.connect(f"memory://zh-{uuid.uuid4().hex}") as source:
        for earlier in ORDER[: ORDER.index(kind) + 1]:
            source.import_file(earlier, EXAMPLES / f"{earlier}.csv")
        out = io.StringIO()
        source.export(kind, out, headers="zh", include_sensitive=True, purpose="backup")
        spec = KINDS[kind]
        assert out.getvalue().splitlines()[0].split(",") == [
            heading(spec, c, "zh") for c in spec.all_columns()
        ]
        path = tmp_path / f"{kind}.csv"
        path.write_text(out.getvalue(), "utf-8")
        assert _values(path, kind) == _values(EXAMPLES / f"{kind}.csv", kind)


# --- a region's own aliases -------------------------------------------------------------


class RegionAliases:
    """A region whose ledgers say 农户编号 and 证件号 (and 备注信息 for a need's note)."""

    @hookimpl
    def jieqin_register_header_aliases(self, register: RegisterHeaderAlias) -> None:
        register("农户编号", "household_id")
        register("证件号", "resident_id")
        register("备注信息", "note", kinds=("needs",))


class Clashing:
    """A plugin that would make 户编号 (the standard household id) a member id."""

    @hookimpl
    def jieqin_register_header_aliases(self, register: RegisterHeaderAlias) -> None:
        register("户编号", "member_id", kinds=("households",))


class Other:
    """A second plugin that reads 农户编号 as something else than the first does."""

    @hookimpl
    def jieqin_register_header_aliases(self, register: RegisterHeaderAlias) -> None:
        register("农户编号", "need_id", kinds=("needs",))
        register("农户编号", "member_id", kinds=("households",))


class NoSuchColumn:
    @hookimpl
    def jieqin_register_header_aliases(self, register: RegisterHeaderAlias) -> None:
        register("乡镇", "township")


def test_a_plugin_adds_aliases_every_import_reads(tmp_path: Path) -> None:
    rows = _rows("households")
    rows[0] = ["农户编号" if n == "household_id" else n for n in rows[0]]
    rows[0] = ["证件号" if n == "resident_id" else n for n in rows[0]]
    path = _write(tmp_path / "households.csv", rows)
    with jieqin.connect(f"memory://{uuid.uuid4().hex}", plugins=[RegionAliases()]) as campaign:
        campaign.import_file("households", path)
        with campaign.unit_of_work() as uow:
            assert uow.households.list() == _values(EXAMPLES / "households.csv", "households")
        registered = campaign.registry.registered_by("RegionAliases")
        assert "households:农户编号" in registered.header_aliases
        assert "needs:农户编号" in registered.header_aliases
        assert registered.header_aliases.count("needs:备注信息") == 1
    with jieqin.connect(f"memory://{uuid.uuid4().hex}") as plain, pytest.raises(JieqinError):
        plain.import_file("households", path)  # without the plugin: unknown columns


@pytest.mark.parametrize(
    ("plugins", "says"),
    [
        ([Clashing()], r"'Clashing'.*header 户编号 of households already names household_id"),
        (
            [RegionAliases(), Other()],
            r"plugin '(Other|RegionAliases)'.*header 农户编号 of \w+ already names \w+ "
            r"\(by (Other|RegionAliases)\)",
        ),
        ([NoSuchColumn()], r"'NoSuchColumn'.*no kind has a column 'township'"),
    ],
)
def test_conflicting_aliases_are_a_plugin_error(plugins: list[object], says: str) -> None:
    with pytest.raises(PluginError, match=says):
        jieqin.connect(f"memory://{uuid.uuid4().hex}", plugins=plugins)


def test_the_documented_table_of_chinese_headers_is_the_one_imports_read() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "import-formats.md").read_text("utf-8")
    documented = text[text.index("## Chinese headers") :]
    for kind, columns in CHINESE.items():
        section = documented[documented.index(f"#### {kind}") :]
        for column, names in columns.items():
            also = ", ".join(names[1:]) or "—"
            assert f"| `{column}` | {names[0]} | {also} |" in section, (kind, column)
