"""The ``jieqin`` command: a thin shell over the services.

Each subcommand lives in its own module, listed in :data:`COMMAND_MODULES` and
imported only when the command is run or its help is shown, so that ``jieqin
--version`` and ``jieqin pair --help`` do not load what the other commands need.
Exit codes: 0 success, 1 a failure (one line, no traceback; ``jieqin --debug`` shows
it masked), 2 a usage error, 130 an interruption.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from jieqin import __version__
from jieqin.cli._common import (
    HELP_OPTION_NAMES,
    debug_option,
    lang_option,
    principal_options,
    run_cli,
    settle_defaults,
)
from jieqin.cli._help import Context, speaking_help
from jieqin.i18n import N_


class LazyGroup(click.Group):
    """A group whose commands are imported from their modules on first use (their help
    shown in the language of the run, :mod:`jieqin.cli._help`)."""

    context_class = Context

    def __init__(self, *args: Any, modules: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.modules = modules

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.modules})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.modules:
            _load(self, self.modules[cmd_name])
        return self.commands.get(cmd_name)


def _load(group: click.Group, module_name: str) -> None:
    """Add every command of ``jieqin.cli.<module_name>`` to ``group``, each with its example."""
    module = importlib.import_module(f"jieqin.cli.{module_name}")
    added = []
    for command in getattr(module, "COMMANDS", ()):
        settle_defaults(command)
        speaking_help(command)
        group.add_command(command)
        added.append(command.name)
    for path, example in EXAMPLES.items():
        parts = path.split()
        if parts[0] not in added:
            continue
        target: click.Command = group
        for part in parts:
            assert isinstance(target, click.Group)
            target = target.commands[part]
        target.epilog = f"\b\n{EXAMPLE}\n  " + "\n  ".join(example.splitlines())


#: The heading of each command's example (translated where the help is shown).
EXAMPLE = N_("Example:")


#: One example per command, shown at the end of its ``--help`` (``pair`` and ``demo``
#: show theirs in their own help text).
EXAMPLES: dict[str, str] = {
    "init": "jieqin init --db tongchuan.db",
    "db upgrade": "jieqin db upgrade --url postgresql+psycopg://postgres@127.0.0.1/jieqin",
    "db rebuild": "jieqin db rebuild --db tongchuan.db",
    "db check": "jieqin db check --db tongchuan.db",
    "db grant": "jieqin db grant jieqin_app --url postgresql+psycopg://postgres@127.0.0.1/jieqin",
    "audit": "jieqin audit verify --db tongchuan.db",
    "audit verify": "jieqin audit verify --json --db tongchuan.db",
    "import": "jieqin import households households.csv --db tongchuan.db --report-errors",
    "export": "jieqin export households -o households.csv --db tongchuan.db",
    "template": "jieqin template households --headers zh -o 台账.xlsx",
    "needs": "jieqin needs --period 2021Q1 --derive --route --db tongchuan.db",
    "needs list": (
        "jieqin needs list --period 2021 --status routed --routed-to referral --region 610202 "
        "--db tongchuan.db"
    ),
    "needs resolve": (
        "jieqin needs resolve n:survey:2021Q1:schooling:HH0001-3 --by 学校减免学费 "
        "--on 2021-09-01 --db tongchuan.db"
    ),
    "needs close": (
        "jieqin needs close n:survey:2021Q1:housing:HH0007 --reason 全户迁出 --on 2021-10-01 "
        "--db tongchuan.db"
    ),
    "activities": "jieqin activities list --household HH0001 --from 2021-01-01 --db tongchuan.db",
    "activities list": (
        "jieqin activities list --helper H0001 --from 2021-01-01 --to 2021-03-31 --voided "
        "--db tongchuan.db"
    ),
    "activities void": (
        "jieqin activities void a-0123abcd --reason 误录，日期应为2021-02-03 --db tongchuan.db"
    ),
    "referrals": "jieqin referrals list --pending --db tongchuan.db",
    "referrals list": "jieqin referrals list --overdue --on 2021-06-30 --db tongchuan.db",
    "referrals complete": (
        "jieqin referrals complete r:n:survey:2021Q1:employment:HH0001-2 --outcome "
        "training_arranged --on 2021-05-20 --note 已安排就业培训 --db tongchuan.db"
    ),
    "referrals accept": (
        "jieqin referrals accept r:n:survey:2021Q1:employment:HH0001-2 --on 2021-04-02 "
        "--db tongchuan.db"
    ),
    "referrals reject": (
        "jieqin referrals reject r:n:survey:2021Q1:employment:HH0001-2 --reason "
        "户籍不在本市 --on 2021-04-02 --db tongchuan.db"
    ),
    "aid": "jieqin aid run tc_freshman_scholarship --period 2021 --dry-run --db tongchuan.db",
    "aid run": "jieqin aid run tc_freshman_scholarship --period 2021 --dry-run --db tongchuan.db",
    "aid explain": (
        "jieqin aid explain tc_major_illness_grant HH0001-1 --period 2021 --db tongchuan.db"
    ),
    "aid programs": "jieqin aid programs --db tongchuan.db",
    "aid approve": (
        "jieqin aid approve plan:tc_freshman_scholarship:2021:1 --actor approver:sun --days 7 "
        "--db tongchuan.db"
    ),
    "aid notice": (
        "jieqin aid notice plan:tc_freshman_scholarship:2021:1 --format html --lang zh "
        "-o 公示.html --db tongchuan.db"
    ),
    "aid object": (
        "jieqin aid object plan:tc_freshman_scholarship:2021:1 --member HH0001-3 "
        "--reason 已在外地就业 --by 张三 --db tongchuan.db"
    ),
    "aid objection": (
        "jieqin aid objection o:plan:tc_freshman_scholarship:2021:1:1 --dismiss "
        "--reason 经核实仍在校就读 --actor approver:sun --db tongchuan.db"
    ),
    "aid commit": "jieqin aid commit plan:tc_freshman_scholarship:2021:1 --db tongchuan.db",
    "aid withdraw": (
        "jieqin aid withdraw plan:tc_freshman_scholarship:2021:1 --reason 资金来源调整 "
        "--db tongchuan.db"
    ),
    "aid plans": "jieqin aid plans --program tc_freshman_scholarship --db tongchuan.db",
    "aid objections": (
        "jieqin aid objections plan:tc_freshman_scholarship:2021:1 --db tongchuan.db"
    ),
    "aid appeal": (
        "jieqin aid appeal d:tc_freshman_scholarship:2021:HH0001-3 --reason 录取通知书已补交 "
        "--on 2021-10-12 --db tongchuan.db"
    ),
    "grievances": "jieqin grievances list --overdue --db tongchuan.db",
    "warnings": "jieqin warnings list --overdue --as-of 2022-04-20 --db tongchuan.db",
    "warnings run": "jieqin warnings run --as-of 2022-03-31 --dry-run --db tongchuan.db",
    "warnings list": "jieqin warnings list --overdue --as-of 2022-04-20 --db tongchuan.db",
    "warnings check": (
        "jieqin warnings check rw:0123abcd --result confirmed --category sudden_difficulty "
        "--checked-by H0001 --note 户主住院 --on 2022-04-08 --db tongchuan.db"
    ),
    "monitor": "jieqin monitor list --status approved --db tongchuan.db",
    "monitor stability": "jieqin monitor stability HH0001 --db tongchuan.db",
    "monitor eliminate": (
        "jieqin monitor eliminate HH0001 --checked-by H0001 --checked-on 2021-12-03 "
        "--note 务工收入稳定 --actor clerk:li --db tongchuan.db"
    ),
    "monitor approve": "jieqin monitor approve el:HH0001:1 --actor approver:sun --db tongchuan.db",
    "monitor object": (
        "jieqin monitor object el:HH0001:1 --reason 收入情况不实 --objector 张三 --db tongchuan.db"
    ),
    "monitor objection": (
        "jieqin monitor objection o:el:HH0001:1:1 --dismiss --reason 经核实收入属实 "
        "--actor approver:sun --db tongchuan.db"
    ),
    "monitor commit": "jieqin monitor commit el:HH0001:1 --db tongchuan.db",
    "monitor withdraw": (
        "jieqin monitor withdraw el:HH0001:1 --reason 家庭情况变化 --db tongchuan.db"
    ),
    "monitor list": "jieqin monitor list --household HH0001 --json --db tongchuan.db",
    "grievances add": (
        "jieqin grievances add --member HH0001-2 --channel phone --category need_unmet "
        "--description 冬季取暖煤还没有送到 --need n:survey:2021Q4:winter_heating:HH0001 "
        "--on 2021-12-02 --db tongchuan.db"
    ),
    "grievances list": (
        "jieqin grievances list --status open --category helper_conduct --json --db tongchuan.db"
    ),
    "grievances start": "jieqin grievances start gv:0123abcd --on 2021-12-03 --db tongchuan.db",
    "grievances answer": (
        "jieqin grievances answer gv:0123abcd --answer 已于12月5日送到 --on 2021-12-06 "
        "--db tongchuan.db"
    ),
    "grievances close": (
        "jieqin grievances close gv:0123abcd --note 户主确认 --on 2021-12-10 --db tongchuan.db"
    ),
    "funds": "jieqin funds list --program tc_freshman_scholarship --db tongchuan.db",
    "funds add": (
        "jieqin funds add F2021-SCHOLAR --program tc_freshman_scholarship --period 2021 "
        "--budget 60000 --name 2021年新生助学金 --db tongchuan.db"
    ),
    "funds top-up": (
        "jieqin funds top-up F2021-SCHOLAR 20000 --reason 市慈善协会追加拨款 --on 2021-09-15 "
        "--db tongchuan.db"
    ),
    "funds close": "jieqin funds close F2021-SCHOLAR --reason 年度结束 --db tongchuan.db",
    "funds list": "jieqin funds list --period 2021 --json --db tongchuan.db",
    "grants": "jieqin grants list --program tc_freshman_scholarship --db tongchuan.db",
    "grants list": "jieqin grants list --household HH0001 --json --db tongchuan.db",
    "grants revoke": (
        "jieqin grants revoke g:tc_freshman_scholarship:2021:HH0001-3 --reason 重复申报 "
        "--on 2021-10-08 --db tongchuan.db"
    ),
    "payments": (
        "jieqin payments export --program tc_freshman_scholarship --period 2021 "
        "-o batch.csv --db tongchuan.db"
    ),
    "payments export": (
        "jieqin payments export --program tc_freshman_scholarship --period 2021 "
        "--headers zh -o 发放批次.csv --db tongchuan.db"
    ),
    "payments reconcile": "jieqin payments reconcile 银行回单.csv --db tongchuan.db",
    "log": "jieqin log visit --helper H0001 --household HH0001 --on 2021-02-03 --db tongchuan.db",
    "overdue": "jieqin overdue --as-of 2021-12-31 --json --db tongchuan.db",
    "dedup": "jieqin dedup --threshold 60 --db tongchuan.db",
    "report": "jieqin report --period 2021 --by-region --format html -o 2021.html --db tongchuan.db",
    "plugins": "jieqin plugins --json",
    "codes": "jieqin codes household_statuses",
    "db": "jieqin db upgrade --db tongchuan.db",
    "members": "jieqin members move HH0001-3 --to HH0042 --on 2021-10-01 --relation spouse",
    "members move": "jieqin members move HH0001-3 --to HH0042 --on 2021-10-01 --relation spouse",
    "consent": (
        "jieqin consent add HH0001-2 --recipient county_medical_insurance --purpose 大病救助 "
        "--facts health --on 2021-03-01 --db tongchuan.db"
    ),
    "consent add": (
        "jieqin consent add HH0001-2 --recipient county_medical_insurance --purpose 大病救助 "
        "--facts health --on 2021-03-01 --expires 2022-01-01 --db tongchuan.db"
    ),
    "consent withdraw": (
        "jieqin consent withdraw c:0123abcd --on 2021-06-01 --reason 本人撤回 --db tongchuan.db"
    ),
    "db rekey": "jieqin db rekey --db tongchuan.db",
    "consent list": "jieqin consent list --member HH0001-2 --on 2021-06-01 --db tongchuan.db",
    "pairings": "jieqin pairings --region 610202 --on 2021-06-01 --db tongchuan.db",
    "pairings list": "jieqin pairings list --household HH0001 --history --db tongchuan.db",
    "observations": "jieqin observations --household HH0001 --db tongchuan.db",
    "observations feed": (
        "jieqin observations feed tc_medical_settlement 医保结算2021.xlsx --db tongchuan.db"
    ),
    "observations import": "jieqin observations import 收支监测.xlsx --db tongchuan.db",
    "observations list": (
        "jieqin observations list --household HH0001 --period 2021 --db tongchuan.db"
    ),
    "pairings end": (
        "jieqin pairings end H0001 HH0001 --on 2021-06-30 --reason 户主迁出 --db tongchuan.db"
    ),
}


#: The module under ``jieqin.cli`` that defines each command (in its ``COMMANDS``).
COMMAND_MODULES: dict[str, str] = {
    "import": "importing",
    "export": "exporting",
    "template": "template",
    "log": "log",
    "overdue": "overdue",
    "pair": "pair",
    "pairings": "pairings",
    "report": "report",
    "needs": "needs",
    "activities": "activities",
    "referrals": "referrals",
    "aid": "aid",
    "funds": "funds",
    "grants": "grants",
    "payments": "payments",
    "plugins": "plugins",
    "codes": "codes",
    "demo": "demo",
    "init": "db",
    "db": "db",
    "members": "members",
    "dedup": "dedup",
    "audit": "audit",
    "consent": "consent",
    "grievances": "grievances",
    "monitor": "monitor",
    "warnings": "warnings",
    "observations": "observations",
}


@click.group(
    cls=LazyGroup,
    modules=COMMAND_MODULES,
    context_settings={"help_option_names": list(HELP_OPTION_NAMES), "max_content_width": 100},
)
@click.version_option(version=__version__, prog_name="jieqin")
@debug_option
@lang_option
@principal_options
def cli() -> None:
    """Run a pairing-assistance campaign (结亲戚): pair, survey, grant, log and report.

    The database comes from --db / --url where a command takes one, else the
    JIEQIN_DATABASE_URL variable, else sqlite:///jieqin.db in this directory.
    With principals configured, say who you are: jieqin --as ACTOR COMMAND.

    It speaks Chinese unless --lang en, JIEQIN_LANG=en or an English locale (LANG)
    asks for English.
    """


settle_defaults(cli)


def main() -> None:
    """Console-script entry point: masks IDs and phones in the log, then runs the command."""
    from jieqin.privacy import install_log_masking

    install_log_masking()
    sys.exit(run_cli(cli))
