"""Development sessions: ``nox -s tests lint typecheck docs``."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PLUGINS = ["plugins/jieqin-tongchuan", "plugins/jieqin-jsonl"]


def _install_with_plugins(session: nox.Session, extras: str) -> None:
    session.install("-e", f".[{extras}]")
    for plugin in PLUGINS:
        session.install("-e", plugin)


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The whole test suite, as CI runs it."""
    _install_with_plugins(session, "test")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the library."""
    _install_with_plugins(session, "dev")
    session.run("mypy", "--strict", "src")


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """Build the documentation site with warnings as errors."""
    _install_with_plugins(session, "docs")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")


#: The message catalogs: the template, and one catalog per language (``jieqin.i18n``).
LOCALE_DIR = "src/jieqin/locale"
CATALOG_TEMPLATE = f"{LOCALE_DIR}/jieqin.pot"
CATALOG_LOCALES = ["zh_CN", "en"]


@nox.session(name="catalogs-extract", python="3.11")
def catalogs_extract(session: nox.Session) -> None:
    """Extract the messages of the source (babel.cfg) and update each catalog's .po.

    New and changed messages arrive untranslated: translate them in
    src/jieqin/locale/zh_CN/LC_MESSAGES/jieqin.po, then run catalogs-compile
    (tests/test_i18n.py names every message still untranslated).
    """
    session.install("-e", ".", "babel>=2.14")
    session.run(
        "pybabel",
        "extract",
        "--mapping-file=babel.cfg",
        f"--output-file={CATALOG_TEMPLATE}",
        "--add-location=file",
        "--sort-by-file",
        "--width=100",
        "--omit-header",
        "--project=jieqin",
        "--msgid-bugs-address=",
        ".",
    )
    for locale in CATALOG_LOCALES:
        session.run(
            "pybabel",
            "update",
            f"--input-file={CATALOG_TEMPLATE}",
            f"--output-dir={LOCALE_DIR}",
            "--domain=jieqin",
            f"--locale={locale}",
            "--init-missing",
            "--ignore-obsolete",
            "--ignore-pot-creation-date",
            "--no-fuzzy-matching",
            "--width=100",
        )


@nox.session(name="catalogs-compile", python="3.11")
def catalogs_compile(session: nox.Session) -> None:
    """Compile each catalog's .po into the .mo the package ships (commit both)."""
    session.install("babel>=2.14")
    session.run(
        "pybabel",
        "compile",
        f"--directory={LOCALE_DIR}",
        "--domain=jieqin",
        "--statistics",
    )
