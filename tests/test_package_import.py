"""``import jieqin`` is light and changes nothing; the heavy names load when first used.

Each check that is about a fresh interpreter runs one in a subprocess: in this one,
other tests have long since imported everything.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import json
import subprocess
import sys
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import click
import pytest

import jieqin
from jieqin.cli import COMMAND_MODULES, cli

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"

#: What ``import jieqin`` must leave unloaded: each is loaded by some exported name.
LAZY_MODULES = (
    "numpy",
    "scipy",
    "sqlalchemy",
    "alembic",
    "pluggy",
    "cattrs",
    "click",
    "rich",
    "stdnum",
    "jieqin.model",
    "jieqin.campaign",
    "jieqin.rules",
    "jieqin.pairing",
)


def _run(code: str) -> str:
    """The standard output of ``code`` run by a fresh interpreter (which must succeed)."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _last_json(out: str) -> dict[str, object]:
    data = json.loads(out.strip().splitlines()[-1])
    assert isinstance(data, dict)
    return data


def test_import_jieqin_loads_nothing_heavy_and_changes_no_global_state() -> None:
    out = _run(
        f"""
        import json, logging, sys, warnings
        factory, filters = logging.getLogRecordFactory(), list(warnings.filters)
        handlers = list(logging.getLogger().handlers)
        import jieqin
        loaded = [m for m in {LAZY_MODULES!r} if m in sys.modules]
        changed = [
            what
            for what, same in [
                ("record factory", logging.getLogRecordFactory() is factory),
                ("jieqin logger filters", logging.getLogger("jieqin").filters == []),
                ("root handlers", logging.getLogger().handlers == handlers),
                ("warnings filters", warnings.filters == filters),
            ]
            if not same
        ]
        from jieqin import AidProgram, PairingPolicy
        import jieqin.pairing, jieqin.rules
        print(json.dumps({{
            "loaded": loaded,
            "changed": changed,
            "names": [AidProgram is jieqin.rules.AidProgram, PairingPolicy is jieqin.pairing.PairingPolicy],
            "numpy after": "numpy" in sys.modules,
        }}))
        """
    )
    data = _last_json(out)
    assert data["loaded"] == []
    assert data["changed"] == []
    assert data["names"] == [True, True]
    assert data["numpy after"]  # the names really come with what they need


def test_a_subpackage_is_still_reachable_as_an_attribute() -> None:
    out = _run("import jieqin; print(jieqin.pairing.PairingPolicy.__name__, jieqin.Household)")
    assert out.split()[0] == "PairingPolicy"


@pytest.mark.parametrize(
    "module", ["jieqin.errors", "jieqin._masking", "jieqin.model.identity", "jieqin.privacy"]
)
def test_each_masking_user_imports_first_in_a_fresh_interpreter(module: str) -> None:
    out = _run(f"import {module} as m; print(m.__name__)")
    assert out.strip() == module


def test_the_masking_module_imports_nothing_of_jieqin() -> None:
    import jieqin._masking

    tree = ast.parse(Path(jieqin._masking.__file__).read_text(encoding="utf-8"))
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert [name for name in imported if name.split(".")[0] == "jieqin"] == []


def test_there_is_one_phone_mask_and_one_resident_id_mask() -> None:
    import jieqin._masking as masking
    import jieqin.io.sensitive
    import jieqin.model.identity
    import jieqin.privacy

    assert jieqin.io.sensitive.mask_phone is masking.mask_phone
    assert jieqin.privacy.mask_phone is masking.mask_phone
    assert jieqin.privacy.mask_text is masking.mask_text
    assert jieqin.model.identity.mask_resident_id is masking.mask_resident_id
    assert jieqin.mask_resident_id is masking.mask_resident_id


def test_every_exported_name_resolves_and_dir_lists_it() -> None:
    for name in jieqin.__all__:
        assert getattr(jieqin, name) is not None, name
    assert set(jieqin.__all__) <= set(dir(jieqin))
    with pytest.raises(AttributeError, match="Housefold"):
        _ = jieqin.Housefold  # type: ignore[attr-defined]


def test_the_lazy_names_are_those_type_checkers_see() -> None:
    """The names loaded on first use are exactly those imported for type checkers."""
    tree = ast.parse(Path(jieqin.__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    seen: set[tuple[str, str]] = set()
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        assert node.module is not None
        for alias in node.names:
            if alias.name == "*":
                module = importlib.import_module(node.module)
                seen.update((node.module, name) for name in module.__all__)
            else:
                seen.add((node.module, alias.name))
    lazy = {(module, name) for name, module in jieqin._LAZY.items()}
    assert seen == lazy
    eager = {"InvalidInput", "InvalidValue", "JieqinError", "__version__", "errors"}
    assert set(jieqin.__all__) == {name for _, name in lazy} | eager
    assert len(jieqin.__all__) == len(set(jieqin.__all__))


def test_the_version_is_the_distribution_s() -> None:
    assert jieqin.__version__ == importlib.metadata.version("jieqin")


def test_the_types_campaign_methods_return_are_exported() -> None:
    from jieqin.model import Fund, Pairing, Year

    with jieqin.connect("memory://") as campaign:
        imported = campaign.import_file("helpers", EXAMPLES / "helpers.csv")
        campaign.import_file("households", EXAMPLES / "households.csv")
        program = campaign.aid_program("tc_freshman_scholarship")
        with campaign.unit_of_work("test") as uow:
            uow.pairings.add(Pairing("hp-001", "hh-001", date(2021, 1, 1)))
            uow.programs.add(program.program)
            uow.funds.add(Fund("f-1", program.program_id, Year(2021), Decimal("10000")))
            uow.commit()
        campaign.import_file("needs", EXAMPLES / "needs.csv")
        eligibility, _ = campaign.explain(program.program_id, "hh-001-3", Year(2021))
        returned = {
            "ImportResult": imported,
            "AllocationPlan": campaign.allocate(program.program_id, Year(2021), dry_run=True),
            "Eligibility": eligibility,
            "RoutingResult": campaign.route_needs(Year(2021))[0],
            "Report": campaign.report("2021"),
            "HelperView": campaign.for_helper("hp-001"),
        }
        uow = campaign.unit_of_work()
    for name, value in returned.items():
        assert name in jieqin.__all__
        assert type(value) is getattr(jieqin, name), name
    # UnitOfWork is a protocol: the unit of work has every member it declares
    protocol = jieqin.UnitOfWork
    members = {*protocol.__annotations__, *(n for n in vars(protocol) if not n.startswith("_"))}
    assert "UnitOfWork" in jieqin.__all__
    assert members
    assert all(hasattr(uow, name) for name in members)
    assert jieqin.Campaign.unit_of_work.__annotations__["return"] == "UnitOfWork"


# --- the command line ---------------------------------------------------------------


def test_jieqin_version_imports_no_command_and_installs_log_masking() -> None:
    out = _run(
        f"""
        import json, logging, sys
        sys.argv = ["jieqin", "--version"]
        from jieqin.cli import main
        try:
            main()
        except SystemExit as exit:
            assert exit.code == 0, exit.code
        heavy = [m for m in {LAZY_MODULES!r} if m in sys.modules and m != "click"]
        commands = sorted(m for m in sys.modules if m.startswith("jieqin.cli."))
        masking = [type(f).__name__ for f in logging.getLogger("jieqin").filters]
        print(json.dumps({{"heavy": heavy, "commands": commands, "masking": masking}}))
        """
    )
    assert out.splitlines()[0] == f"jieqin, version {jieqin.__version__}"
    data = _last_json(out)
    # the frame every command shares (errors, options, help in the run's language), no command
    frame = ["jieqin.cli._common", "jieqin.cli._help"]
    assert data == {"heavy": [], "commands": frame, "masking": ["MaskingFilter"]}


def test_every_command_is_in_the_module_listed_for_it() -> None:
    found: dict[str, str] = {}
    for path in sorted(Path(jieqin.cli.__file__).parent.glob("*.py")):
        module = importlib.import_module(f"jieqin.cli.{path.stem}")
        found.update({c.name or "": path.stem for c in getattr(module, "COMMANDS", ())})
    assert found == COMMAND_MODULES
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(COMMAND_MODULES)
    assert all(isinstance(cli.get_command(ctx, name), click.Command) for name in COMMAND_MODULES)
    assert cli.get_command(ctx, "no-such-command") is None


# --- the test helpers ---------------------------------------------------------------


def test_the_strategies_import_without_pytest() -> None:
    out = _run(
        """
        import sys
        sys.modules["pytest"] = None  # importing pytest now fails
        import jieqin.testing.strategies
        import warnings
        from hypothesis import strategies as st
        import jieqin
        warnings.simplefilter("ignore")
        household = st.from_type(jieqin.Household).example()
        print(household.head in household.members)
        """
    )
    assert out.strip() == "True"


def test_the_strategies_do_not_import_pytest() -> None:
    out = _run(
        """
        import sys
        import jieqin.testing.strategies
        print(sorted(m for m in ("pytest", "_pytest") if m in sys.modules))
        """
    )
    assert out.strip() == "[]"
