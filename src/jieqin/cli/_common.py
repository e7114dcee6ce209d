"""What every subcommand shares: error handling, JSON output, the database option."""

from __future__ import annotations

import errno
import functools
import json
import os
import re
import shlex
import shutil
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import click

from jieqin._masking import mask_text
from jieqin.errors import (
    AllocationError,
    ConflictError,
    DatabaseMissing,
    DatabaseUnavailable,
    DependencyMissing,
    InvalidInput,
    InvalidValue,
    JieqinError,
    NotFound,
    OutputError,
    PairingError,
    PluginError,
    SchemaOutdated,
    StorageBusy,
    StorageError,
    StorageFull,
    _masked,
)
from jieqin.i18n import LANG_ENV, LANGUAGES, N_, gettext, language_of, pgettext, speaking

F = TypeVar("F", bound=Callable[..., Any])


#: The variable that asks for a (masked) traceback, like ``--debug``.
TRACEBACK_ENV = "JIEQIN_TRACEBACK"

#: Exit code after an interruption (Ctrl-C), as shells report SIGINT.
EXIT_INTERRUPTED = 130

#: Exit code when the reader of standard output went away (``| head``), as for SIGPIPE.
EXIT_BROKEN_PIPE = 141

#: The commands that create the database they are given; every other one refuses a
#: database that does not exist.
CREATING_COMMANDS = frozenset({"jieqin init"})


#: The name of the command when it is run from PATH.
PROGRAM = "jieqin"


def invoked_as(argv0: str | None = None, orig_argv: Sequence[str] | None = None) -> str:
    """The command as it was run, for the commands a hint tells to run next.

    ``.venv/bin/jieqin`` when run by that path, ``python3 -m jieqin`` (with the
    interpreter as typed) when run as a module, ``jieqin`` when run from PATH (or
    when the program is not jieqin: a test runner calling the command in-process).
    ``argv0`` and ``orig_argv`` default to :data:`sys.argv` ``[0]`` and
    :data:`sys.orig_argv`.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    orig = list(getattr(sys, "orig_argv", ())) if orig_argv is None else list(orig_argv)
    head, name = os.path.split(argv0)
    if name == "__main__.py" and os.path.basename(head) == PROGRAM:
        python = orig[0] if orig else "python"
        return f"{shlex.quote(python)} -m {PROGRAM}"
    stem = name.removesuffix(".exe")
    if not stem.startswith(PROGRAM):
        return PROGRAM
    if not head:
        return stem
    found = shutil.which(stem)
    if found is not None and _same_file(found, argv0):
        return stem
    return shlex.quote(argv0)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


#: A command quoted in a message: `jieqin ...`.
_QUOTED_COMMAND = re.compile(rf"`{PROGRAM}(?=[\s`])")


def as_invoked(text: str, program: str | None = None) -> str:
    """``text`` with every quoted command (`` `jieqin init …` ``) written the way the
    program was run (:func:`invoked_as`), so that the hint can be pasted as it is."""
    program = invoked_as() if program is None else program
    if program == PROGRAM:
        return text
    return _QUOTED_COMMAND.sub(lambda _: f"`{program}", text)


@attrs.define
class RunState:
    """What the ``jieqin`` group's options say about how to report a failure: with a
    traceback or not, and in which language (``None``: :func:`jieqin.i18n.language`)."""

    debug: bool = False
    lang: str | None = None


def run_cli(group: click.Group, args: list[str] | None = None) -> int:
    """Run ``group`` and return its exit code; every failure is one line on stderr.

    A :class:`JieqinError` says what is wrong and what to do (exit 1); a usage error
    is click's message and where to read help (exit 2); Ctrl-C and a closed pipe end
    quietly. Anything else is a bug: one line naming it, masked, asking for a run
    with ``--debug`` (exit 1). With ``--debug`` (or ``JIEQIN_TRACEBACK=1``) the
    traceback is shown first, resident IDs and phone numbers in it masked.
    """
    state = RunState(debug=bool(os.environ.get(TRACEBACK_ENV, "").strip()))
    try:
        group.main(args=args, prog_name="jieqin", standalone_mode=False, obj=state)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else 0
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):
            _fail(state, exc, _INTERRUPTED)
            return EXIT_INTERRUPTED
        with speaking(state.lang):
            click.echo(gettext("Aborted."), err=True)
        return 1
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "jieqin"
        message = exc.format_message().rstrip(".")
        _fail(state, exc, _SEE_HELP, command=where, message=message)
        return exc.exit_code
    except click.ClickException as exc:
        _fail(state, exc, "{message}", message=exc.format_message())
        return exc.exit_code
    except KeyboardInterrupt as exc:
        _fail(state, exc, _INTERRUPTED)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except JieqinError as exc:
        with speaking(state.lang):
            lines = exc.said().splitlines()
        first = lines[0] if lines else type(exc).__name__
        _fail(state, exc, "{message}", lines[1:], message=first)
        return 1
    except OSError as exc:
        with speaking(state.lang):
            reason = _os_error(exc)
        _fail(state, exc, "{message}", message=reason)
        return 1
    except Exception as exc:  # the last line of defence: a bug, said in one line
        cause = _jieqin_context(exc)
        if cause is not None:  # cleaning up after the real failure failed too
            with speaking(state.lang):
                said = cause.said().splitlines()
            _fail(state, exc, "{message}", kind=cause, message=said[0] if said else "")
            return 1
        reason = _one_line(exc)
        error = f"{type(exc).__name__}{': ' + reason if reason else ''}"
        _fail(state, exc, _INTERNAL, error=error)
        return 1
    return 0


_INTERRUPTED = N_("interrupted; what was not committed was not written")
_SEE_HELP = N_("{message}; see `{command} --help`")
_INTERNAL = N_("internal error: {error}; run again with --debug and report it")


def _fail(
    state: RunState,
    exc: BaseException,
    template: str,
    more: list[str] | None = None,
    *,
    kind: BaseException | None = None,
    **values: str,
) -> None:
    """Print the (masked) traceback when asked for, then ``Error: <line>``: ``template``
    (a catalog message) filled with ``values``, in the language of the run, its prefix
    naming the kind of failure (``kind``, default ``exc``) in Chinese (:func:`error_prefix`)."""
    if state.debug:
        text = "".join(traceback.format_exception(exc))
        click.echo(mask_text(text).rstrip("\n"), err=True)
    program = invoked_as()
    with speaking(state.lang):
        line = gettext(template).format(**values) if values else gettext(template)
        prefix = error_prefix(exc if kind is None else kind)
    click.echo(f"{prefix}{as_invoked(line, program)}", err=True)
    for extra in more or ():
        click.echo(as_invoked(extra, program), err=True)


#: The kind of each failure, most specific first: the English prefix is ``Error:``
#: for every kind, the Chinese names it (``错误（输入有误）：``).
_PREFIXES: tuple[tuple[type[BaseException], Callable[[], str]], ...] = (
    (InvalidInput, lambda: pgettext("invalid input", "Error: ")),
    (InvalidValue, lambda: pgettext("invalid value", "Error: ")),
    (NotFound, lambda: pgettext("not found", "Error: ")),
    (ConflictError, lambda: pgettext("conflict", "Error: ")),
    (DatabaseMissing, lambda: pgettext("no database", "Error: ")),
    (DatabaseUnavailable, lambda: pgettext("database unavailable", "Error: ")),
    (SchemaOutdated, lambda: pgettext("database outdated", "Error: ")),
    (StorageBusy, lambda: pgettext("database busy", "Error: ")),
    (StorageFull, lambda: pgettext("storage full", "Error: ")),
    (StorageError, lambda: pgettext("storage", "Error: ")),
    (DependencyMissing, lambda: pgettext("missing dependency", "Error: ")),
    (OutputError, lambda: pgettext("output", "Error: ")),
    (PluginError, lambda: pgettext("plugin", "Error: ")),
    (PairingError, lambda: pgettext("pairing", "Error: ")),
    (AllocationError, lambda: pgettext("allocation", "Error: ")),
    (click.UsageError, lambda: pgettext("usage", "Error: ")),
    (click.exceptions.Abort, lambda: pgettext("interrupted", "Error: ")),
    (KeyboardInterrupt, lambda: pgettext("interrupted", "Error: ")),
    (OSError, lambda: pgettext("system", "Error: ")),
    (JieqinError, lambda: gettext("Error: ")),
    (click.ClickException, lambda: gettext("Error: ")),
)


def error_prefix(exc: BaseException) -> str:
    """What the one-line error starts with for ``exc``, in the language of the run:
    ``Error: `` in English, ``错误（<kind>）：`` in Chinese (a bug: ``内部错误``)."""
    for cls, prefix in _PREFIXES:
        if isinstance(exc, cls):
            return prefix()
    return pgettext("internal error", "Error: ")


def _jieqin_context(exc: BaseException) -> JieqinError | None:
    """The :class:`JieqinError` during whose handling ``exc`` was raised, if any: a
    database that rolled back on a full disk fails the rollback to a savepoint after it,
    and the full disk is what to tell."""
    seen: set[int] = set()
    context = exc.__context__
    while context is not None and id(context) not in seen:
        if isinstance(context, JieqinError):
            return context
        seen.add(id(context))
        context = context.__context__
    return None


def _one_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message, masked and cut short (it may quote anything)."""
    lines = str(exc).strip().splitlines()
    return _masked(lines[0]) if lines else ""


def _os_error(exc: OSError) -> str:
    """An operating-system error in words: what failed, on which file, and what to do."""
    what = exc.strerror or type(exc).__name__
    where = f": {_masked(exc.filename)}" if exc.filename else ""
    hint = _OS_HINTS.get(exc.errno or 0)
    return f"{what}{where}{gettext(hint) if hint else ''}"


#: What to do about the operating-system errors a clerk can meet.
_OS_HINTS = {
    errno.ENOSPC: N_("; free some space on the disk and run the command again"),
    errno.EACCES: N_("; check the file's permissions"),
    errno.EROFS: N_("; the file system is read-only: choose another place"),
    errno.ENOENT: N_("; check the path"),
}


def _quiet_stdout() -> None:
    """The reader of standard output went away: send the rest nowhere, so that Python's
    final flush at exit does not complain either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def debug_option(func: F) -> F:
    """``--debug``: show the traceback of a failure (masked) before its one line."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value and isinstance(ctx.obj, RunState):
            ctx.obj.debug = True

    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=remember,
        help="On a failure, show the traceback too (resident IDs and phones masked).",
    )(func)


class LanguageType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.5
    """A language jieqin speaks: ``zh`` or ``en`` (a locale naming one, ``zh_CN.UTF-8``,
    is taken too)."""

    name = "zh|en"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        found = language_of(str(value))
        if found is None:
            speaks = ", ".join(LANGUAGES)
            self.fail(f"{value!r} is not a language jieqin speaks ({speaks}; --lang or {LANG_ENV})")
        return found


def lang_option(func: F) -> F:
    """``--lang zh|en`` (or ``JIEQIN_LANG``): the language of what the command says, its
    help, its errors and its reports; by default the locale's (``LANG``), else Chinese."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value is None:
            return
        if isinstance(ctx.obj, RunState):
            ctx.obj.lang = value
        ctx.with_resource(speaking(value))

    return click.option(
        "--lang",
        type=LanguageType(),
        default=None,
        envvar=LANG_ENV,
        expose_value=False,
        is_eager=True,
        callback=remember,
        help="Language of the output: zh or en (default: the locale's, else zh). "
        "[env: JIEQIN_LANG]",
    )(func)


#: The names of the help option of every command.
HELP_OPTION_NAMES = ("-h", "--help")


def settle_defaults(command: click.Command) -> None:
    """Give each option of ``command`` and its subcommands that was defined without a
    default the one it has anyway: ``False`` for an on/off flag (``--help`` too),
    ``None`` for an option taking a value.

    Click keeps an option's missing default as its ``UNSET`` sentinel and resolves it
    only when parsing; documentation read from the options (mkdocs-click, which
    builds ``docs/cli.md``) would print ``Sentinel.UNSET``. The values are those click
    resolves to, so parsing does not change; a flag that stores another value
    (``flag_value``) is left as it is.
    """
    try:
        from click._utils import UNSET
    except ImportError:  # a click without the sentinel: nothing to settle
        return
    ctx = click.Context(command, help_option_names=list(HELP_OPTION_NAMES))
    options = [p for p in command.get_params(ctx) if isinstance(p, click.Option)]
    for option in options:
        if option.default is not UNSET or option.multiple:
            continue
        if option.is_bool_flag:
            option.default = False
        elif not option.is_flag:
            option.default = None
            if option.required:
                _missing_when_none(option)
    for sub in getattr(command, "commands", {}).values():
        settle_defaults(sub)


def _missing_when_none(option: click.Option) -> None:
    """A required option whose default was settled to ``None`` is still missing when
    not given: click counts only its ``UNSET`` sentinel as missing."""
    given = option.value_is_missing

    def missing(value: object) -> bool:
        return value is None or given(value)

    option.value_is_missing = missing  # type: ignore[method-assign]


def url_option(func: F) -> F:
    """``--db PATH`` / ``--url URL``: which database to use.

    The command runs refusing a database that does not exist (one line naming it and
    saying to run ``jieqin init``), unless it is one of :data:`CREATING_COMMANDS`.
    """
    func = _refusing_missing(func)
    func = click.option(
        "--url",
        "url",
        default=None,
        metavar="URL",
        help="Database URL (sqlite:///x.db, postgresql+psycopg://..., memory://).",
    )(func)
    return click.option(
        "--db",
        "db",
        default=None,
        metavar="PATH",
        type=click.Path(dir_okay=False),
        help="SQLite database file (shorthand for --url sqlite:///PATH).",
    )(func)


def database_url(db: str | None, url: str | None) -> str | None:
    """The URL that ``--db`` / ``--url`` ask for (``None``: the default)."""
    if db and url:
        raise click.UsageError("give --db or --url, not both")
    if db:
        return f"sqlite:///{db}"
    return url


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def echo_json(data: object) -> None:
    """Print ``data`` as one JSON document (Decimal as string, dates ISO)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_default))


def principal_options(func: F) -> F:
    """``--as ACTOR`` and ``--principals FILE``: who the command runs as.

    The actor is looked up in the principals file (``JIEQIN_PRINCIPALS``) and the
    principals plugins register; with none configured the command runs as a local
    administrator. The choice holds until the command's context closes.
    """
    import functools

    @functools.wraps(func)
    def wrapper(
        *args: Any, as_actor: str | None, principals_file: str | None, **kwargs: Any
    ) -> Any:
        from jieqin.security import acting_as

        click.get_current_context().with_resource(acting_as(as_actor, principals_file))
        return func(*args, **kwargs)

    wrapper = click.option(
        "--principals",
        "principals_file",
        default=None,
        envvar="JIEQIN_PRINCIPALS",
        metavar="FILE",
        type=click.Path(exists=True, dir_okay=False),
        help="TOML file of principals (roles and region scopes). [env: JIEQIN_PRINCIPALS]",
    )(wrapper)
    return click.option(  # type: ignore[return-value]
        "--as",
        "as_actor",
        default=None,
        envvar="JIEQIN_ACTOR",
        metavar="ACTOR",
        help="Run as this configured principal. [env: JIEQIN_ACTOR]",
    )(wrapper)


def purpose_option(func: F) -> F:
    """``--purpose TEXT``: why sensitive fields are revealed (written to the audit log)."""
    return click.option(
        "--purpose",
        default=None,
        metavar="TEXT",
        help="Why the sensitive fields are revealed; required with them, audited.",
    )(func)


def _refusing_missing(func: F) -> F:
    """Run ``func`` with :func:`jieqin.campaign.connect` refusing a missing database
    (and a SQLite ``--db``/``--url`` file checked before anything opens it)."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        from jieqin.campaign import creating_missing, default_url

        creates = click.get_current_context().command_path in CREATING_COMMANDS
        if not creates:
            target = database_url(kwargs.get("db"), kwargs.get("url")) or default_url()
            if target.startswith("sqlite"):
                from jieqin.storage.sql.backend import require_file

                require_file(target)
        with creating_missing(creates):
            return func(*args, **kwargs)

    return run  # type: ignore[return-value]


#: The name of each kind of record as a sentence says it (``Imported 3 helpers``).
RECORD_KINDS = {
    "helpers": N_("helpers"),
    "households": N_("households"),
    "pairings": N_("pairings"),
    "needs": N_("needs"),
    "activities": N_("activities"),
    "observations": N_("observations"),
}


def record_kind(kind: str) -> str:
    """The name of the kind of record ``kind`` in the language of the run."""
    return gettext(RECORD_KINDS.get(kind, kind))


#: A day on the command line (``--on``, ``--from``, ``--to``): ``YYYY-MM-DD``.
DAY = click.DateTime(["%Y-%m-%d"])


def day_of(value: datetime | None) -> date | None:
    """The day a :data:`DAY` option gave, or ``None`` when it was left out."""
    return value.date() if value is not None else None


def actor_option(help_text: str = N_("Who records it, for the audit log.")) -> Callable[[F], F]:
    """``--actor NAME`` (default ``cli``): who a correction's audit entry names."""
    return click.option("--actor", default="cli", show_default=True, help=help_text)


class ListingGroup(click.Group):
    """A group that lists when no subcommand is named: ``jieqin needs --period P``
    runs ``jieqin needs list --period P``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = ["list", *args]
        return super().parse_args(ctx, args)
