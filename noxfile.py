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
