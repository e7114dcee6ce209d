"""The language jieqin speaks: its catalogs are complete and shipped, and the choice of
language (``--lang``, ``JIEQIN_LANG``, the locale, else Chinese) is made as documented."""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from jieqin import i18n
from jieqin.cli import cli
from jieqin.cli._common import run_cli
from jieqin.cli._help import cells, help_paragraphs, translate_help, wrap_wide
from jieqin.errors import InvalidValue

babel = pytest.importorskip("babel", reason="the catalogs are read with Babel")
from babel.messages.catalog import Catalog  # noqa: E402
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "src" / "jieqin" / "locale"
LOCALE_VARIABLES = ("JIEQIN_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


def _catalog(locale: str) -> Catalog:
    with (LOCALE / locale / "LC_MESSAGES" / "jieqin.po").open("rb") as po:
        return read_po(po, locale=locale)


def _extracted() -> Iterator[tuple[str | None, str, str]]:
    """``(context, message id, where)`` of every message the source gives, as
    ``nox -s catalogs-extract`` extracts them (babel.cfg)."""
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS)
    for filename, line, message, _comments, context in found:
        ids = message if isinstance(message, tuple) else (message,)
        for text in ids:
            yield context, text, f"{filename}:{line}"


@pytest.fixture(scope="module")
def zh() -> Catalog:
    return _catalog("zh_CN")


@pytest.fixture(scope="module")
def extracted() -> list[tuple[str | None, str, str]]:
    return list(_extracted())


# --- the catalogs ------------------------------------------------------------------------


def test_the_source_gives_messages_of_every_kind(
    extracted: list[tuple[str | None, str, str]],
) -> None:
    """The extraction reaches help texts, ``_()`` calls and the report words (a broken
    extractor would pass the next test with nothing to check)."""
    ids = {(context, text) for context, text, _ in extracted}
    assert (None, "Show this message and exit.") in ids  # N_() in a command module
    assert (None, "Imported {count} {kind} from {source}.") in ids  # _()
    assert (None, "Seed of the synthetic cohort.") in ids  # an option's help=
    assert (None, "Look after the campaign database.") in ids  # a group's docstring
    assert ("report", "paired households") in ids  # the report words
    assert ("invalid input", "Error: ") in ids  # pgettext
    assert len(ids) > 300


def test_every_message_of_the_source_has_a_chinese_translation(
    zh: Catalog, extracted: list[tuple[str | None, str, str]]
) -> None:
    missing = []
    for context, text, where in extracted:
        message = zh.get(text, context=context)
        if message is None or not message.string or message.fuzzy:
            missing.append(f"{where}: {text!r}")
    assert not missing, (
        "untranslated: run `nox -s catalogs-extract`, translate in "
        "src/jieqin/locale/zh_CN/LC_MESSAGES/jieqin.po, run `nox -s catalogs-compile`:\n"
        + "\n".join(missing)
    )


def test_translations_keep_every_placeholder(zh: Catalog) -> None:
    for message in zh:
        if not message.id or not message.string:
            continue
        assert isinstance(message.id, str)
        assert isinstance(message.string, str)
        # a field with a conversion or a format ({hid!r}, {count:,}) is kept as it is
        placeholder = r"\{[a-z_]*(?:![rsa])?(?::[^{}]*)?\}"
        named = sorted(re.findall(placeholder, message.id))
        assert sorted(re.findall(placeholder, message.string)) == named, message.id


def test_the_catalogs_hold_the_same_messages() -> None:
    ids = {
        locale: {(m.context, m.id) for m in _catalog(locale) if m.id} for locale in ("zh_CN", "en")
    }
    assert ids["zh_CN"] == ids["en"]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_compiled_catalogs_are_those_of_the_po_files(locale: str) -> None:
    """A .po edited and not compiled would not be what the package speaks."""
    path = LOCALE / locale / "LC_MESSAGES" / "jieqin.mo"
    with path.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for message in _catalog(locale):
        if not message.id or not message.string or message.fuzzy:
            continue
        assert isinstance(message.id, str)
        if message.context:
            shown = compiled.pgettext(message.context, message.id)
        else:
            shown = compiled.gettext(message.id)
        assert shown == message.string, f"{path} is stale: run `nox -s catalogs-compile`"


def test_the_package_ships_the_compiled_catalogs() -> None:
    package = resources.files("jieqin")
    for locale in i18n.CATALOG_LOCALES.values():
        assert (package / "locale" / locale / "LC_MESSAGES" / "jieqin.mo").is_file()
    assert i18n.gettext("Options", "zh") == "选项"
    assert i18n.gettext("Options", "en") == "Options"


def test_the_report_words_are_those_of_the_catalog(zh: Catalog) -> None:
    from jieqin.reports import strings

    assert set(strings._EN) == set(strings._ZH)
    for key, english in strings._EN.items():
        message = zh.get(english, context="report")
        assert message is not None, f"report word {key!r} is not in the catalog"
        assert message.string == strings._ZH[key], key
        assert i18n.pgettext("report", english, "zh") == strings._ZH[key]


def test_the_notice_words_are_those_of_the_catalog(zh: Catalog) -> None:
    """The public notice says the catalog's words (context ``notice``), which are the
    Chinese table of ``jieqin.reports.notice`` (the wording a village posts)."""
    from jieqin.reports import notice

    assert set(notice._EN) == set(notice._ZH)
    for key, english in notice._EN.items():
        message = zh.get(english, context="notice")
        assert message is not None, f"notice word {key!r} is not in the catalog"
        assert message.string == notice._ZH[key], key
        assert notice._words("zh")[key] == notice._ZH[key]
        assert notice._words("en")[key] == english


# --- choosing the language --------------------------------------------------------------


@pytest.fixture
def no_choice(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_chinese_when_nothing_chooses(no_choice: pytest.MonkeyPatch) -> None:
    assert i18n.language() == "zh"


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"JIEQIN_LANG": "en"}, "en"),
        ({"JIEQIN_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
        ({"JIEQIN_LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_MESSAGES": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LC_ALL": "zh_TW.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "zh"),
        ({"LC_ALL": "C.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),  # the first set one rules
        ({"LANG": "fr_FR.UTF-8"}, "zh"),
        ({"JIEQIN_LANG": "fr", "LANG": "en_US.UTF-8"}, "en"),  # an unknown one is no choice
    ],
)
def test_the_variables_choose_in_order(
    no_choice: pytest.MonkeyPatch, variables: dict[str, str], expected: str
) -> None:
    for name, value in variables.items():
        no_choice.setenv(name, value)
    assert i18n.language() == expected


def test_speaking_overrides_the_variables_for_a_block(no_choice: pytest.MonkeyPatch) -> None:
    no_choice.setenv("JIEQIN_LANG", "en")
    with i18n.speaking("zh") as chosen:
        assert chosen == "zh"
        assert i18n.gettext("Commands") == "命令"
        with i18n.speaking("en"):
            assert i18n.gettext("Commands") == "Commands"
        assert i18n.language() == "zh"
    assert i18n.language() == "en"
    with pytest.raises(InvalidValue, match="unknown language 'fr'; one of zh, en"):
        i18n.speaking("fr").__enter__()


def _help(args: list[str], env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli, args, env=env, terminal_width=100, prog_name="jieqin")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    ("args", "env", "chinese"),
    [
        (["demo", "--help"], {"JIEQIN_LANG": "en"}, False),
        (["--lang", "en", "demo", "--help"], {"JIEQIN_LANG": "zh"}, False),
        (["--lang", "zh", "demo", "--help"], {"JIEQIN_LANG": "en"}, True),
        (["demo", "--help"], {"JIEQIN_LANG": "", "LANG": "zh_CN.UTF-8"}, True),
        (["demo", "--help"], {"JIEQIN_LANG": "", "LANG": "en_US.UTF-8"}, False),
        (["demo", "--help"], {"JIEQIN_LANG": "", "LC_ALL": "", "LANG": ""}, True),
    ],
)
def test_the_command_line_speaks_the_chosen_language(
    args: list[str], env: dict[str, str], chinese: bool
) -> None:
    text = _help(args, env)
    assert ("用法：jieqin demo" in text) is chinese
    assert ("Usage: jieqin demo" in text) is not chinese
    assert ("用合成数据运行铜川 2021 年结亲戚工作" in text) is chinese
    assert ("显示本帮助并退出。" in text) is chinese


def test_one_process_shows_help_in_either_language_in_turn() -> None:
    """Help is translated as it is shown: a command loaded in one language shows its
    help in the other one next time."""
    first = _help(["--lang", "zh", "import", "--help"])
    second = _help(["--lang", "en", "import", "--help"])
    third = _help(["--lang", "zh", "import", "--help"])
    assert "要么全部导入" in first
    assert "all or nothing" in second
    assert "要么全部导入" not in second
    assert first == third


def test_the_group_lists_its_commands_in_chinese() -> None:
    text = _help(["--lang", "zh", "--help"])
    assert "命令：" in text
    assert "选项：" in text
    assert re.search(r"^  db\s+维护工作数据库$", text, flags=re.MULTILINE), text
    assert "示例" not in text  # the group's own help has no example


def test_untranslated_help_reads_as_click_writes_it() -> None:
    """English (the source) goes through click's own wrapping, unchanged."""
    text = "First paragraph, long enough to wrap.\n\n\b\nExample:\n  jieqin demo"
    with i18n.speaking("en"):
        assert (
            translate_help(text, 40)
            == "First paragraph, long enough to wrap.\n\n\b\nExample:\n  jieqin demo"
        )
    with i18n.speaking("zh"):
        assert translate_help(text, 40).endswith("\b\n示例：\n  jieqin demo")


def test_help_paragraphs_are_those_click_shows() -> None:
    doc = """Line one
    continues here.

    \b
    Example:
      jieqin x
    \f
    Not shown.
    """
    assert help_paragraphs(doc) == [
        (False, "Line one\ncontinues here."),
        (True, "Example:\n  jieqin x"),
    ]


@pytest.mark.parametrize("width", [10, 23, 40, 79])
def test_chinese_wraps_by_columns_and_never_before_closing_punctuation(width: int) -> None:
    text = "只要有一行有误就什么也不写入：错误信息会指出文件、行、列和原因（工作簿中为工作表、行和表头）。表头可以是英文列名 household_id，也可以是台账的中文列名。"
    lines = wrap_wide(text, width)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        body = line.rstrip("，。、；：）")
        assert cells(body) <= width or re.fullmatch(r"[a-z_]+", body), line  # one long word
        assert line[0] not in "，。、；：）"
        assert line[-1] != "（"


# --- what the command line says ----------------------------------------------------------


def _run(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run the command as ``jieqin`` runs it (one line per failure), with ``env``."""
    runner = CliRunner()
    with runner.isolation(env=env) as (out, err, _):
        code = run_cli(cli, args)
    return code, out.getvalue().decode(), err.getvalue().decode()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "campaign.db"
    code, _, err = _run(["init", "--db", str(path)], {"JIEQIN_LANG": "en"})
    assert code == 0, err
    return str(path)


def test_an_error_line_names_its_kind_in_chinese(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "helpers.csv"
    bad.write_text("helper_id,name,tier,home_region\nH1,王芳,nope,610202\n", encoding="utf-8")
    args = ["import", "helpers", str(bad), "--db", db]
    code, _, zh = _run(args, {"JIEQIN_LANG": "zh"})
    assert code == 1
    assert zh.startswith("错误（输入有误）：helpers.csv 第 2 行：tier：未知的层级 'nope'；已有：")
    code, _, en = _run(["--lang", "en", *args], {"JIEQIN_LANG": "zh"})
    assert en.startswith("Error: helpers.csv line 2: tier: unknown tier 'nope'; known: ")


def test_a_usage_error_says_where_help_is_in_chinese(db: str) -> None:
    code, _, err = _run(["report", "--db", db, "--no-such-option"], {"JIEQIN_LANG": "zh"})
    assert code == 2
    assert err.startswith("错误（用法）：No such option '--no-such-option'")
    assert err.rstrip().endswith("；请查看 `jieqin report --help`")


def test_a_missing_database_is_said_in_chinese(tmp_path: Path) -> None:
    code, _, err = _run(["report", "--db", str(tmp_path / "none.db")], {"JIEQIN_LANG": "zh"})
    assert code == 1
    assert err.startswith("错误（数据库不存在）：")


def test_an_unknown_language_is_a_usage_error(db: str) -> None:
    code, _, err = _run(["report", "--db", db], {"JIEQIN_LANG": "fr"})
    assert code == 2
    assert "'fr' is not a language jieqin speaks (zh, en; --lang or JIEQIN_LANG)" in err
    code, _, err = _run(["--lang", "de", "report", "--db", db], {})
    assert code == 2


def test_the_import_and_export_summaries_speak_the_language(db: str, tmp_path: Path) -> None:
    helpers = ROOT / "docs" / "examples" / "helpers.csv"
    code, out, _ = _run(["import", "helpers", str(helpers), "--db", db], {"JIEQIN_LANG": "zh"})
    assert code == 0
    assert out == "已从 helpers.csv 导入 3 条帮扶人记录。\n"
    code, out, _ = _run(["import", "helpers", str(helpers), "--db", db], {"JIEQIN_LANG": "en"})
    assert out == "Imported 3 helpers from helpers.csv.\n"
    target = tmp_path / "out.csv"
    code, _, err = _run(["export", "helpers", "-o", str(target), "--db", db], {"JIEQIN_LANG": "zh"})
    assert code == 0
    assert err == f"已将 3 条帮扶人记录导出到 {target}。\n"


def test_the_report_follows_the_language_of_the_run(db: str) -> None:
    args = ["report", "--db", db, "--period", "2021"]
    _, zh, _ = _run(args, {"JIEQIN_LANG": "zh"})
    _, en, _ = _run(["--lang", "en", *args], {"JIEQIN_LANG": "zh"})
    _, chosen, _ = _run([*args, "--lang", "zh"], {"JIEQIN_LANG": "en"})
    assert "jieqin 工作报告 2021：合计" in zh
    assert "jieqin report 2021: totals" in en
    assert chosen == zh


# --- error messages in the language of the run ---------------------------------------------

_LEDGER_HEADER = "户编号,行政区划代码,户状态记录,成员编号,姓名,性别,出生日期,身份证号,与户主关系\n"


def test_a_message_is_its_english_and_is_said_in_chinese() -> None:
    import pickle

    reason = i18n.N_("bad check digit ({number})", number="6102************1X")
    assert reason == "bad check digit (6102************1X)"
    assert isinstance(reason, str)
    assert i18n.translated(reason, "zh") == "校验码不正确（6102************1X）"
    assert i18n.translated(reason, "en") == str(reason)
    assert (
        i18n.translated(pickle.loads(pickle.dumps(reason)), "zh")
        == "校验码不正确（6102************1X）"
    )
    # a message used as text is English text, never half translated
    assert i18n.translated(reason + "!", "zh") == "bad check digit (6102************1X)!"


def test_a_problem_is_said_in_chinese_where_it_is_and_why() -> None:
    from jieqin.errors import InvalidInput, Problem

    reason = i18n.N_("bad check digit ({number})", number="61020219800101001X")
    sheet = Problem(reason, field="身份证号", source="households.xlsx", line=17, sheet="成员")
    assert (
        str(sheet)
        == "households.xlsx, sheet 成员, row 17, 身份证号: bad check digit (6102************1X)"
    )
    assert (
        sheet.said("zh")
        == "households.xlsx，工作表 成员，第 17 行，身份证号：校验码不正确（6102************1X）"
    )
    line = Problem(i18n.N_("required field is missing"), field="姓名", source="a.csv", line=3)
    error = InvalidInput([sheet, line], truncated=True)
    assert error.said("zh").splitlines() == [
        "共 2 处问题（未全部列出）：",
        "  households.xlsx，工作表 成员，第 17 行，身份证号：校验码不正确（6102************1X）",
        "  a.csv 第 3 行：姓名：缺少必填项",
    ]
    assert error.said("en") == str(error)
    assert str(error).splitlines()[0] == "2 problems (more not shown):"


def test_a_reason_said_in_chinese_is_masked_as_in_english() -> None:
    """The masking of a reason holds in every language: an ID or phone number in a
    field, a quoted Chinese value (a diagnosis in the wrong column)."""
    from jieqin.errors import Problem

    problem = Problem(
        i18n.N_("{value} is not one of: {allowed}", value=repr("尿毒症"), allowed="head, spouse"),
        field="与户主关系",
    )
    assert str(problem) == "与户主关系: <text of 3 characters> is not one of: head, spouse"
    assert problem.said("zh") == "与户主关系：<3 个字符的文本> 不是以下之一：head, spouse"
    phone = Problem(i18n.N_("{text} is not a whole number", text=repr("13800000001")))
    for said in (str(phone), phone.said("zh")):
        assert "13800000001" not in said
        assert "138" in said


def _import(args: list[str], lang: str) -> str:
    code, _, err = _run(args, {"JIEQIN_LANG": lang})
    assert code == 1
    return err.strip()


def test_a_broken_csv_import_says_its_reason_in_the_language_of_the_run(
    db: str, tmp_path: Path
) -> None:
    bad = tmp_path / "households.csv"
    bad.write_text(
        _LEDGER_HEADER + "HH1,610202006201,monitored@2021-01-01,HH1-1,张三,男,1980-13-01,,户主\n",
        encoding="utf-8",
    )
    args = ["import", "households", str(bad), "--db", db]
    assert _import(args, "zh") == (
        "错误（输入有误）：households.csv 第 2 行：出生日期：日期无效：不存在 1980-13-01 这一天"
    )
    assert _import(args, "en") == (
        "Error: households.csv line 2: 出生日期: invalid date: there is no day 1980-13-01"
    )
    bad.write_text(
        _LEDGER_HEADER
        + "HH1,610202006201,monitored@2021-01-01,HH1-1,张三,男,1980-01-01,61020219800101001X,户主\n",
        encoding="utf-8",
    )
    assert _import(args, "zh") == (
        "错误（输入有误）：households.csv 第 2 行：身份证号：校验码不正确（6102************1X）"
    )
    assert _import(args, "en") == (
        "Error: households.csv line 2: 身份证号: bad check digit (6102************1X)"
    )


def test_a_broken_workbook_import_says_its_reason_in_the_language_of_the_run(
    db: str, tmp_path: Path
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = tmp_path / "households.xlsx"
    code, _, err = _run(
        ["template", "households", "--headers", "zh", "-o", str(book)], {"JIEQIN_LANG": "en"}
    )
    assert code == 0, err
    workbook = openpyxl.load_workbook(book)
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    row = dict.fromkeys(header, None)
    row.update(
        {
            "户编号": "HH1",
            "行政区划代码": "610202006201",
            "户状态记录": "monitored@2021-01-01",
            "成员编号": "HH1-1",
            "姓名": "张三",
            "性别": "男",
            "出生日期": "1980-01-01",
            "身份证号": "61020219800101001X",
            "与户主关系": "户主",
        }
    )
    sheet.append([row[name] for name in header])
    line = sheet.max_row
    workbook.save(book)
    args = ["import", "households", str(book), "--db", db]
    assert _import(args, "zh") == (
        f"错误（输入有误）：households.xlsx，工作表 {sheet.title}，第 {line} 行，身份证号："
        "校验码不正确（6102************1X）"
    )
    assert _import(args, "en") == (
        f"Error: households.xlsx, sheet {sheet.title}, row {line}, 身份证号: "
        "bad check digit (6102************1X)"
    )
