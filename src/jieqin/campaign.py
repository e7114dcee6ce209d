"""The campaign: what :func:`jieqin.connect` returns, and how a municipal system uses jieqin.

A :class:`Campaign` joins a storage backend (picked by the URL scheme from the plugins'
registry), the plugin manager and the registry of everything the plugins contribute.
Work is done in units of work::

    import jieqin

    with jieqin.connect("sqlite:///tongchuan.db") as campaign:
        with campaign.unit_of_work(actor="clerk:wang") as uow:
            uow.helpers.add(helper)
            uow.commit()
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Self

import pluggy

from jieqin.clock import Clock, SystemClock
from jieqin.errors import NotFound, StorageError
from jieqin.plugins.manager import call_notification, make_plugin_manager
from jieqin.plugins.registry import Registry
from jieqin.storage.base import Storage, UnitOfWork

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date
    from decimal import Decimal

    from jieqin.codes import Code
    from jieqin.io.importer import ImportResult
    from jieqin.model import (
        Decision,
        Elimination,
        Fund,
        FundChange,
        Grant,
        Household,
        MemberMove,
        Need,
        Objection,
        Period,
        Plan,
        Referral,
        Relation,
    )
    from jieqin.model.monitoring import RiskWarning
    from jieqin.needs import NeedKindInfo, NeedRule, OverdueReferral, RoutingResult, SurveyAnswer
    from jieqin.rules import AidProgram, Eligibility
    from jieqin.security import Principal, Principals
    from jieqin.security.roles import Role
    from jieqin.services.aid import AllocationPlan
    from jieqin.services.allocation_view import AllocationListing
    from jieqin.services.approval import CommittedPlan, DecidedObjection, Notice, PendingPlan
    from jieqin.services.checks import RecordChecks
    from jieqin.services.elimination import MonitoringStandards, Stability
    from jieqin.services.feeds import Delivery
    from jieqin.services.funds import FundLine, GrantListing
    from jieqin.services.payments import PaymentBatch, Reconciliation
    from jieqin.services.warning_lifecycle import Confirmed, OverdueWarning

__all__ = ["DATABASE_URL_ENV", "DEFAULT_URL", "Campaign", "connect", "default_url"]

#: The environment variable naming the database when no URL is given.
DATABASE_URL_ENV = "JIEQIN_DATABASE_URL"

#: The database when neither a URL nor the variable is given: a file in the working directory.
DEFAULT_URL = "sqlite:///jieqin.db"


def default_url() -> str:
    """``JIEQIN_DATABASE_URL`` if set, else ``sqlite:///jieqin.db``."""
    return os.environ.get(DATABASE_URL_ENV, "").strip() or DEFAULT_URL


#: Whether :func:`connect` creates a database that does not exist when its caller does
#: not say; the ``jieqin`` command runs its commands (all but ``init``) with it off.
_CREATE_MISSING: ContextVar[bool] = ContextVar("jieqin_create_missing", default=True)


@contextmanager
def creating_missing(create: bool) -> Iterator[None]:
    """Within the block, :func:`connect` without ``create`` creates a database that does
    not exist (``True``, the default) or refuses it (``False``)."""
    token = _CREATE_MISSING.set(create)
    try:
        yield
    finally:
        _CREATE_MISSING.reset(token)


def _open_storage(factory: Callable[..., Storage], url: str, create: bool) -> Storage:
    """``factory(url)``, told ``create=False`` when it takes that keyword (a backend
    whose factory does not take it opens as it always does)."""
    if create:
        return factory(url)
    try:
        takes_create = "create" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        takes_create = False
    return factory(url, create=False) if takes_create else factory(url)


def _encrypt_at_rest(pm: pluggy.PluginManager, url: str, storage: Storage) -> None:
    """Hand the key provider a plugin returns (``jieqin_key_provider``) to the storage;
    refuse a backend that keeps data at rest and cannot encrypt it."""
    provider = pm.hook.jieqin_key_provider()
    if provider is None:
        return
    use = getattr(storage, "use_key_provider", None)
    if use is not None:
        use(provider)
    elif not url.startswith("memory:"):
        storage.close()
        raise StorageError(
            f"a plugin provides encryption keys, but the {url.partition(':')[0]} backend "
            "cannot encrypt at rest: use the SQL backend, or remove the key provider"
        )


def connect(
    url: str | None = None,
    *,
    plugins: Sequence[object] = (),
    plugin_manager: pluggy.PluginManager | None = None,
    clock: Clock | None = None,
    create: bool | None = None,
) -> Campaign:
    """Open a campaign's storage.

    :param url: ``memory://``, ``sqlite:///path.db`` (``sqlite://`` for an in-memory
        database), ``postgresql+psycopg://user@host/db``, or any scheme a plugin
        registers. Default: :func:`default_url`.
    :param plugins: further plugin objects to register (for tests and embedding).
    :param plugin_manager: use this plugin manager instead of building one.
    :param clock: what day it is (no record may be dated after it); default: the
        system's date. Tests pass a :class:`~jieqin.clock.FixedClock`.
    :param create: whether a database that does not exist yet (a SQLite file, a JSON
        Lines directory, an empty PostgreSQL database) is created at the newest
        schema. Default ``True`` (within :func:`creating_missing` what it says); with
        ``False`` it is refused with :class:`~jieqin.errors.DatabaseMissing`, as every
        ``jieqin`` command but ``init`` does. A backend factory that takes a
        ``create`` keyword is passed ``create=False``.
    :raises DatabaseMissing: ``create`` is false and the database does not exist.
    :raises UnknownBackend: no plugin serves the URL's scheme; lists those that do.
    :raises SchemaOutdated: the database was made by an older jieqin
        (run ``jieqin db upgrade``).
    :raises PluginError: a plugin failed to load or to register.
    """
    pm = plugin_manager if plugin_manager is not None else make_plugin_manager(plugins=plugins)
    if plugin_manager is not None:
        for plugin in plugins:
            pm.register(plugin)
    registry = Registry.gather(pm)
    url = url or default_url()
    creates = _CREATE_MISSING.get() if create is None else create
    storage = _open_storage(registry.backend(url).factory, url, creates)
    _encrypt_at_rest(pm, url, storage)
    return Campaign(url=url, storage=storage, plugin_manager=pm, registry=registry, clock=clock)


if TYPE_CHECKING:
    from collections.abc import Iterable as _Iterable
    from concurrent.futures import Executor
    from datetime import date as _date

    from jieqin.activities import ActivitySetup, Overdue
    from jieqin.model import Activity
    from jieqin.model import Pairing as _Pairing
    from jieqin.model import Period as _Period
    from jieqin.pairing import PairingPlan, PairingPolicy
    from jieqin.reports import Report
    from jieqin.rules.monitoring import MonitoringParameters
    from jieqin.services.pairing_listing import PairingListing
    from jieqin.services.scoped import HelperView


class Campaign:
    """A campaign's storage, plugins and registry: the entry point for every use case."""

    def __init__(
        self,
        *,
        url: str,
        storage: Storage,
        plugin_manager: pluggy.PluginManager,
        registry: Registry,
        clock: Clock | None = None,
    ) -> None:
        self.url = url
        self.storage = storage
        self.plugin_manager = plugin_manager
        self.registry = registry
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._closed = False
        self._principal: Principal | None = None

    @property
    def hook(self) -> Any:
        """The plugin manager's hook relay (``campaign.hook.jieqin_...``)."""
        return self.plugin_manager.hook

    @property
    def checks(self) -> RecordChecks:
        """The checks every write of this campaign passes (:mod:`jieqin.services.checks`)."""
        checks = self.__dict__.get("_checks")
        if checks is None:
            from jieqin.services.checks import RecordChecks, Vocabularies

            setup = self.activity_setup
            checks = self.__dict__["_checks"] = RecordChecks(
                Vocabularies.from_registry(self.registry),
                kinds=setup.kinds,
                calendar=setup.calendar,
                today=self.clock.today,
            )
        return checks

    @property
    def monitored_statuses(self) -> frozenset[str]:
        """The household statuses the plugins registered with ``monitored=True``."""
        entries = self.registry.household_statuses.entries
        return frozenset(code for code, entry in entries.items() if entry.extra.get("monitored"))

    def monitoring_parameters(self) -> MonitoringParameters:
        """The monitoring line, the warning lifecycle's days and the warning rules'
        thresholds, per region, as the plugins registered them (see
        :mod:`jieqin.rules.monitoring`)."""
        from jieqin.rules.monitoring import MonitoringParameters

        return MonitoringParameters.from_registry(self.registry)

    def unit_of_work(
        self,
        actor: str = "jieqin",
        *,
        principal: Principal | None = None,
        read_only: bool = False,
    ) -> UnitOfWork:
        """A new unit of work; ``actor`` (who is writing) goes into the audit log.

        Every write in it passes :attr:`checks`. Leaving its ``with`` block without
        ``commit()`` rolls every write back. Notifications queued with
        ``uow.notify(hook_name, **kwargs)`` run at commit. ``read_only``: for reading
        (reports, listings, exports); it refuses writes and takes no write lock.

        ``principal``: who works in it (:class:`~jieqin.security.Principal`); the unit
        of work then filters every read and refuses every write outside the
        principal's role and scope, and the principal's actor is audited. Without
        one, the campaign's own principal (:meth:`acting_as`, or the command line's
        ``--as``) if any; else ``actor`` works as an administrator, as before.
        """
        if self._closed:
            raise StorageError(f"the campaign at {self.url} is closed")
        principal = principal or self._principal or self._command_line_principal()
        if principal is None:
            uow = self.storage.unit_of_work(actor, read_only=read_only)
            uow.attach(checks=self.checks, notifier=self.notify, clock=self.clock)
            return uow
        from jieqin.security import ScopedUnitOfWork

        writes = bool(principal.role.writes)
        uow = self.storage.unit_of_work(principal.actor, read_only=read_only or not writes)
        uow.attach(checks=self.checks, notifier=self.notify, clock=self.clock)
        if principal.unrestricted:
            return uow
        return ScopedUnitOfWork(uow, principal, read_only=read_only)

    # -- principals and reveals (see jieqin.security and docs/security.md) -----------

    @property
    def principals(self) -> Principals:
        """The configured principals: the file ``JIEQIN_PRINCIPALS`` (or the command
        line's ``--principals``) names, then those the plugins registered."""
        from jieqin.security import PRINCIPALS_ENV, Principals, current_identity, load_principals

        identity = current_identity()
        path = (identity.principals_file if identity else None) or os.environ.get(
            PRINCIPALS_ENV, ""
        ).strip()
        cached = self.__dict__.get("_principals")
        if cached is None or cached[0] != path:
            hooks = {k: r.value for k, r in self.registry.principals.items()}
            found = Principals(hooks)
            if path:
                found = load_principals(path).merged(found)
            cached = self.__dict__["_principals"] = (path, found)
        principals: Principals = cached[1]
        return principals

    def principal(self, actor: str) -> Principal:
        """The configured principal named ``actor``.

        :raises NotPermitted: no principal of that name is configured.
        """
        return self.principals.get(actor)

    def acting_as(self, principal: Principal | str) -> Campaign:
        """This campaign (same storage and plugins) with every unit of work, use case,
        export and report run for ``principal`` (or the configured principal of that
        name). Closing either closes the storage."""
        import copy

        chosen = self.principal(principal) if isinstance(principal, str) else principal
        acting = copy.copy(self)
        acting._principal = chosen
        return acting

    def _command_line_principal(self) -> Principal | None:
        """Who the command line runs as: ``--as`` against the configured principals;
        with none configured, an administrator (named by ``--as`` if given)."""
        from jieqin.security import STANDARD_ROLES, Principal, current_identity

        identity = current_identity()
        if identity is None:
            return None
        principals = self.principals
        if not principals:
            if identity.actor is None:
                return None
            return Principal(identity.actor, STANDARD_ROLES["admin"])
        if identity.actor is None:
            from jieqin.security import NotPermitted

            raise NotPermitted(
                "principals are configured: say who you are with --as ACTOR "
                "(or the JIEQIN_ACTOR variable)"
            )
        return principals.get(identity.actor)

    def current_principal(self) -> Principal:
        """Who a unit of work opened now works for (an administrator named ``jieqin``
        when the campaign has no principal)."""
        from jieqin.security import STANDARD_ROLES, Principal

        found = self._principal or self._command_line_principal()
        return found if found is not None else Principal("jieqin", STANDARD_ROLES["admin"])

    def record_reveal(
        self,
        what: str,
        entity: str,
        *,
        purpose: str | None,
        ids: Iterable[str] = (),
        count: int | None = None,
        principal: Principal | None = None,
    ) -> None:
        """Allow a reveal of sensitive fields and write its audit entry first.

        :raises NotPermitted: the principal's role may not reveal.
        :raises InvalidValue: no ``purpose``.
        :raises StorageError: the entry could not be written (nothing may be revealed).
        """
        from jieqin.security import record_reveal

        who = principal or self.current_principal()

        def writing() -> UnitOfWork:
            if self._closed:
                raise StorageError(f"the campaign at {self.url} is closed")
            return self.storage.unit_of_work(who.actor)

        record_reveal(writing, who, what=what, entity=entity, purpose=purpose, ids=ids, count=count)

    def import_file(
        self, kind: str, path: str | os.PathLike[str], *, actor: str = "jieqin", **options: Any
    ) -> ImportResult:
        """Import a CSV, JSON Lines or XLSX file of ``kind`` in one unit of work, all or
        nothing.

        ``options`` are those of :func:`jieqin.io.importer.import_file` (``format``,
        ``encoding``, ``report_errors``, ``max_errors``, ``batch_size``, ``on_bytes``,
        ``headers``).
        """
        from jieqin.io.importer import import_file

        return import_file(self, path, kind, actor=actor, **options)

    def export(
        self,
        kind: str,
        out: IO[Any],
        *,
        include_sensitive: bool = False,
        purpose: str | None = None,
        **options: Any,
    ) -> int:
        """Write every stored record of ``kind`` to ``out``; sensitive facts masked.

        ``options`` are those of :func:`jieqin.io.exporter.export` (``format``,
        ``headers``, ``on_record``, ...); ``out`` is binary for ``format="xlsx"``.
        Returns how many records were written.
        ``include_sensitive`` needs a principal whose role may reveal and a
        ``purpose``; the reveal (kind, count, purpose) is audited before anything is
        written (:meth:`record_reveal`).
        """
        from jieqin.io.exporter import export

        if include_sensitive:
            self.authorize_export(kind, purpose=purpose)
        return export(self, kind, out, include_sensitive=include_sensitive, **options)

    def authorize_export(self, kind: str, *, purpose: str | None) -> None:
        """Allow an export of ``kind`` with sensitive fields in clear: the role may
        reveal, a purpose is given, and the audit entry (kind, count) is written."""
        from jieqin.io.kinds import kind_named
        from jieqin.security import check_reveal

        spec = kind_named(kind)
        check_reveal(self.current_principal(), purpose, what=f"an export of {spec.name}")
        with self.unit_of_work(read_only=True) as uow:
            count = getattr(uow, spec.repository).count()
        self.record_reveal(f"export {spec.name}", spec.repository, purpose=purpose, count=count)

    # -- needs and aid (see jieqin.services.needs and jieqin.services.aid) ----------

    def aid_programs(self) -> dict[str, AidProgram]:
        """The aid programmes the plugins registered, by id."""
        return {p.program_id: p for p in self.registry.objects("programs")}

    def aid_program(self, program_id: str) -> AidProgram:
        """One registered programme; :class:`~jieqin.errors.NotFound` lists the others."""
        programs = self.aid_programs()
        if program_id not in programs:
            known = ", ".join(sorted(programs)) or "none registered"
            raise NotFound(f"no aid programme {program_id!r}; known: {known}")
        return programs[program_id]

    def need_kinds(self) -> dict[str, NeedKindInfo]:
        """Registered need kinds with the helper sectors that match them."""
        from jieqin.needs import STANDARD_NEED_KINDS, NeedKindInfo

        kinds = dict(STANDARD_NEED_KINDS)
        for code, entry in self.registry.need_kinds.entries.items():
            kinds[code] = NeedKindInfo(
                code,
                entry.label,
                entry.extra.get("sectors", ()),
                bool(entry.extra.get("sensitive", False)),
            )
        return kinds

    def need_rules(self) -> list[NeedRule]:
        """The standard need rules, replaced or extended by the plugins' rules of the same name."""
        from jieqin.needs import STANDARD_NEED_RULES

        rules = {r.name: r for r in STANDARD_NEED_RULES}
        rules.update({r.name: r for r in self.registry.objects("need_rules")})
        return list(rules.values())

    def codes(self, kind: str | None = None) -> list[Code]:
        """Every valid code of ``kind`` (``tiers``, ``need_kinds``, ``programs``... see
        :data:`jieqin.codes.CODE_KINDS`), or of every kind, with its label and the
        plugin that registered it; an unknown kind raises ``InvalidValue``."""
        from jieqin.codes import registered_codes

        return registered_codes(self.registry, kind)

    def survey_needs(
        self,
        answers: Iterable[SurveyAnswer],
        period: Period,
        *,
        actor: str = "jieqin",
        raised_on: date | None = None,
        source: str = "survey",
        on_visit: bool = False,
    ) -> list[Need]:
        """Store the needs of a survey for ``period`` (the Q1 survey); returns the new needs.

        ``on_visit=True`` records them as noted by helpers on visits rather than surveyed.
        """
        from jieqin.model import NeedSource
        from jieqin.services.needs import survey

        with self.unit_of_work(actor) as uow:
            return survey(
                uow,
                answers,
                period,
                known_kinds=self.need_kinds(),
                raised_on=raised_on,
                source=source,
                how=NeedSource.VISIT if on_visit else NeedSource.SURVEY,
            )

    def derive_needs(
        self, period: Period, *, actor: str = "jieqin", on: date | None = None
    ) -> list[Need]:
        """Derive needs of paired households' members from their facts; returns the new needs."""
        from jieqin.services.needs import derive

        with self.unit_of_work(actor) as uow:
            return derive(uow, period, self.need_rules(), on=on)

    def route_needs(
        self, period: Period | None = None, *, actor: str = "jieqin", on: date | None = None
    ) -> list[RoutingResult]:
        """Route every open need: programme, agency referral or paired helper, with reasons."""
        from jieqin.services.needs import route

        with self.unit_of_work(actor) as uow:
            return route(
                uow,
                period,
                programs=list(self.aid_programs().values()),
                agencies=list(self.registry.agencies.values()),
                kinds=self.need_kinds(),
                on=on,
                parameters=self.registry.campaign_parameters(),
            )

    def needs(
        self,
        period: Period | None = None,
        *,
        kind: str | None = None,
        status: str | None = None,
        routed_to: str | None = None,
        region: str | None = None,
        member_id: str | None = None,
    ) -> list[Need]:
        """The needs of ``period`` (all when ``None``) matching every filter given; see
        :func:`jieqin.services.needs.list_needs`. Sensitive needs are included: what is
        shown to people is masked by the caller (the ``jieqin needs`` command leaves
        them out).

        :raises InvalidValue: an unknown need kind or status, or a bad region code.
        """
        from jieqin.services.checks import unknown_code
        from jieqin.services.needs import list_needs

        if kind is not None and kind not in self.need_kinds():
            from jieqin.errors import InvalidValue

            raise InvalidValue(unknown_code("need kind", kind, self.need_kinds()), field="kind")
        with self.unit_of_work("jieqin", read_only=True) as uow:
            return list_needs(
                uow,
                period,
                kind=kind,
                status=status,
                routed_to=routed_to,
                region=region,
                member_id=member_id,
            )

    def resolve_need(
        self, need_id: str, by: str, on: date | None = None, *, actor: str = "jieqin"
    ) -> Need:
        """Resolve a need by hand; ``by`` says what resolved it (``activity:<id>``,
        ``grant:<id>`` or words). See :func:`jieqin.services.needs.resolve_need`.

        :raises NotFound: no such need. :raises NeedSettled: resolved or closed already.
        """
        from jieqin.services.needs import resolve_need

        with self.unit_of_work(actor) as uow:
            return resolve_need(uow, need_id, by, on=on)

    def close_need(
        self, need_id: str, reason: str, on: date | None = None, *, actor: str = "jieqin"
    ) -> Need:
        """Close a need without help on ``on`` (default today), saying why.

        :raises NotFound: no such need. :raises NeedSettled: resolved or closed already.
        """
        from jieqin.services.needs import close_need

        with self.unit_of_work(actor) as uow:
            return close_need(uow, need_id, reason, on=on)

    def referrals(self, *, pending: bool = False, status: str | None = None) -> list[Referral]:
        """Every referral (``pending``: only those the agency still has, referred or
        accepted; ``status``: of one status), by day made."""
        from jieqin.services.needs import list_referrals

        with self.unit_of_work("jieqin", read_only=True) as uow:
            return list_referrals(uow, pending=pending, status=status)

    def overdue_referrals(self, on: date | None = None) -> list[OverdueReferral]:
        """The referrals open on ``on`` (default today) past their due day, most
        overdue first (see :func:`jieqin.needs.overdue_referrals`)."""
        from jieqin.services.needs import overdue_referrals_on

        with self.unit_of_work("jieqin", read_only=True) as uow:
            return overdue_referrals_on(uow, on or self.clock.today())

    def accept_referral(
        self, referral_id: str, on: date | None = None, note: str = "", *, actor: str = "jieqin"
    ) -> Referral:
        """The agency accepted the referral on ``on`` (default today).

        :raises NotFound: no such referral. :raises ReferralSettled: past that step.
        """
        from jieqin.services.needs import accept_referral

        with self.unit_of_work(actor) as uow:
            return accept_referral(uow, referral_id, on, note)

    def reject_referral(
        self, referral_id: str, reason: str, on: date | None = None, *, actor: str = "jieqin"
    ) -> Need:
        """The agency rejected the referral on ``on`` (default today), saying why; its
        routed need is open again for another route (never this agency). Returns the need.

        :raises NotFound: no such referral. :raises ReferralSettled: past that step.
        """
        from jieqin.services.needs import reject_referral

        with self.unit_of_work(actor) as uow:
            return reject_referral(uow, referral_id, reason, on)

    def complete_referral(
        self,
        referral_id: str,
        on: date | None = None,
        note: str = "",
        *,
        outcome: str | None = None,
        actor: str = "jieqin",
    ) -> Need:
        """The agency completed the referral on ``on`` (default today) with ``outcome``
        (a referral outcome code, ``jieqin codes referral_outcomes``): complete it and
        resolve its need (left as it is if resolved or closed meanwhile); returns the need.

        :raises NotFound: no such referral. :raises ReferralCompleted: completed already.
        :raises InvalidValue: no outcome.
        """
        from jieqin.services.needs import complete_referral

        with self.unit_of_work(actor) as uow:
            return complete_referral(uow, referral_id, on, note, outcome=outcome)

    def allocate(
        self,
        program_id: str,
        period: Period,
        *,
        actor: str = "jieqin",
        on: date | None = None,
        dry_run: bool = False,
        fund_id: str | None = None,
    ) -> AllocationPlan:
        """Allocate a programme's fund for ``period`` (a dry run writes nothing). A
        referral programme refers the eligible to its agency, with no fund
        (:func:`jieqin.services.referral_programs.allocate_referrals`)."""
        from jieqin.services.aid import allocate
        from jieqin.services.referral_programs import allocate_referrals, refers

        program = self.aid_program(program_id)
        if refers(program):
            with self.unit_of_work(actor, read_only=dry_run) as uow:
                return allocate_referrals(
                    uow,
                    program,
                    period,
                    on=on,
                    dry_run=dry_run,
                    fund_id=fund_id,
                    monitored=self.monitored_statuses,
                    agencies=self.registry.agencies,
                    kinds=self.need_kinds(),
                    parameters=self.registry.campaign_parameters(),
                )
        with self.unit_of_work(actor, read_only=dry_run) as uow:
            return allocate(
                uow,
                program,
                period,
                on=on,
                dry_run=dry_run,
                fund_id=fund_id,
                monitored=self.monitored_statuses,
            )

    def explain(
        self,
        program_id: str,
        member_id: str,
        period: Period,
        *,
        on: date | None = None,
        reveal: bool = False,
        purpose: str | None = None,
    ) -> tuple[Eligibility, Decision | None]:
        """Why a member is (not) eligible, and the stored decision for the period if any.

        ``reveal`` shows the health facts and numbers the rules read: it needs a role
        that may reveal and a ``purpose``, and is audited before it is returned.
        """
        from jieqin.security import check_reveal
        from jieqin.services.aid import explain_member

        program = self.aid_program(program_id)
        if reveal:
            check_reveal(self.current_principal(), purpose, what=f"member {member_id}")
        with self.unit_of_work("jieqin", read_only=True) as uow:
            explained = explain_member(
                uow,
                program,
                member_id,
                period,
                on=on,
                reveal=reveal,
                monitored=self.monitored_statuses,
            )
        if reveal:
            what = f"explain {program_id} {period}"
            self.record_reveal(what, "members", purpose=purpose, ids=[member_id])
        return explained

    def decision_history(self, program_id: str, member_id: str, period: Period) -> list[Decision]:
        """A member's stored decisions for a programme period in the order they were
        made: the decision, then each revocation of its grant and the decision after."""
        from jieqin.services.aid import decision_history

        self.aid_program(program_id)
        with self.unit_of_work("jieqin", read_only=True) as uow:
            return decision_history(uow, program_id, period, member_id)

    def allocation_listing(
        self, plan: AllocationPlan, *, reveal: bool = False, purpose: str | None = None
    ) -> AllocationListing:
        """Who ``plan`` granted and wait-listed, in rank order, names masked.

        For a programme whose rules read a health or disability fact the listing is
        ``withheld`` (no line) unless ``reveal``: being on it tells the fact.
        ``reveal`` (names in clear, and the lines of such a programme) needs a role
        that may reveal and a ``purpose``, and is audited before it is returned.
        """
        from jieqin.security import check_reveal
        from jieqin.services.allocation_view import AllocationListing, allocation_lines

        program = self.aid_program(plan.program_id)
        what = f"who {plan.program_id} {plan.period} granted"
        if reveal:
            check_reveal(self.current_principal(), purpose, what=what)
        elif program.sensitive:
            return AllocationListing((), withheld=True)
        ranked = {d.household_id for d in plan.decisions if d.priority is not None}
        with self.unit_of_work("jieqin", read_only=True) as uow:
            households = uow.households.find_many(ranked)
        lines = allocation_lines(plan, households, reveal=reveal)
        if reveal:
            # a household grant's line shows its head's name
            ids = [
                line.member_id or households[line.household_id].head.member_id
                for line in lines
                if line.member_id or line.household_id in households
            ]
            self.record_reveal(what, "members", purpose=purpose, ids=ids)
        return AllocationListing(lines, revealed=reveal)

    # -- approval and public notice (see jieqin.services.approval) -------------------

    def plan_pending(
        self,
        program_id: str,
        period: Period,
        *,
        actor: str = "jieqin",
        on: date | None = None,
        fund_id: str | None = None,
    ) -> PendingPlan:
        """Allocate a programme's fund for ``period`` as a plan awaiting approval: its
        grants' money is reserved, nobody is granted yet. The actor is its maker."""
        from jieqin.services.approval import plan_pending

        program = self.aid_program(program_id)
        with self.unit_of_work(actor) as uow:
            return plan_pending(
                uow, program, period, on=on, fund_id=fund_id, monitored=self.monitored_statuses
            )

    def _decider(self, actor: str) -> Principal:
        """Who approves or decides: the campaign's (or the command line's) principal,
        else an administrator named ``actor``."""
        from jieqin.security import STANDARD_ROLES, Principal

        found = self._principal or self._command_line_principal()
        return found if found is not None else Principal(actor, STANDARD_ROLES["admin"])

    def _plan_program(self, plan_id: str) -> AidProgram:
        """The registered programme a stored plan allocates."""
        from jieqin.errors import NotFound

        with self.unit_of_work("jieqin", read_only=True) as uow:
            plan = uow.plans.find(plan_id)
        if plan is None:
            raise NotFound(f"no plan {plan_id}; `jieqin aid plans` lists the plans")
        return self.aid_program(plan.program_id)

    def approve_plan(self, plan_id: str, *, actor: str = "jieqin", days: int | None = None) -> Plan:
        """Approve a pending plan today and start its public notice (``days`` days, by
        default the programme's). The approver needs a role that decides and may not be
        the plan's maker (:class:`~jieqin.security.NotPermitted`)."""
        from jieqin.services.approval import approve_plan

        program = self._plan_program(plan_id)
        who = self._decider(actor)
        with self.unit_of_work(who.actor, principal=who) as uow:
            return approve_plan(uow, program, plan_id, role=who.role, days=days)

    def plan_notice(self, plan_id: str, *, days: int | None = None) -> Notice:
        """A plan's public notice: masked names, villages and amounts (for a programme
        whose rules read a health or disability fact, only counts per village)."""
        from jieqin.services.approval import plan_notice

        program = self._plan_program(plan_id)
        with self.unit_of_work("jieqin", read_only=True) as uow:
            return plan_notice(
                uow, program, plan_id, days=days, region_name=self.registry.region_name
            )

    def object_to_plan(
        self,
        plan_id: str,
        *,
        reason: str,
        member_id: str | None = None,
        household_id: str | None = None,
        objector: str = "",
        on: date | None = None,
        actor: str = "jieqin",
    ) -> Objection:
        """Record an objection received during a plan's notice to a member or household
        on it: their grant is held until the objection is decided."""
        from jieqin.services.approval import record_objection

        program = self._plan_program(plan_id)
        with self.unit_of_work(actor) as uow:
            return record_objection(
                uow,
                program,
                plan_id,
                reason=reason,
                member_id=member_id,
                household_id=household_id,
                objector=objector,
                on=on,
            )

    def decide_objection(
        self, objection_id: str, *, uphold: bool, reason: str, actor: str = "jieqin"
    ) -> DecidedObjection:
        """Uphold or dismiss an objection (a role that decides, not the plan's maker)."""
        from jieqin.errors import NotFound
        from jieqin.services.approval import decide_objection

        with self.unit_of_work("jieqin", read_only=True) as uow:
            objection = uow.objections.find(objection_id)
        if objection is None:
            raise NotFound(f"no objection {objection_id}; `jieqin aid plans` lists the plans")
        program = self._plan_program(objection.plan_id)
        who = self._decider(actor)
        with self.unit_of_work(who.actor, principal=who) as uow:
            return decide_objection(
                uow, program, objection_id, uphold=uphold, reason=reason, role=who.role
            )

    def commit_plan(self, plan_id: str, *, actor: str = "jieqin") -> CommittedPlan:
        """Commit an approved plan after its notice: its planned items are granted."""
        from jieqin.services.approval import commit_plan

        program = self._plan_program(plan_id)
        with self.unit_of_work(actor) as uow:
            return commit_plan(uow, program, plan_id)

    def withdraw_plan(self, plan_id: str, *, reason: str, actor: str = "jieqin") -> Plan:
        """Withdraw a plan not committed, saying why: its reserved money is freed."""
        from jieqin.services.approval import withdraw_plan

        program = self._plan_program(plan_id)
        with self.unit_of_work(actor) as uow:
            return withdraw_plan(uow, program, plan_id, reason=reason)

    def plans(self, *, program_id: str | None = None) -> list[Plan]:
        """The stored allocation plans (of one programme)."""
        with self.unit_of_work("jieqin", read_only=True) as uow:
            return uow.plans.list() if program_id is None else uow.plans.list(program_id=program_id)

    def objections(self, plan_id: str) -> list[Objection]:
        """The objections to a plan's notice, in the order they were numbered."""
        with self.unit_of_work("jieqin", read_only=True) as uow:
            found = uow.objections.list(plan_id=plan_id)
        return sorted(found, key=lambda o: (len(o.objection_id), o.objection_id))

    # -- funds and grants (see jieqin.services.funds) --------------------------------

    def add_fund(
        self,
        fund_id: str,
        program_id: str,
        period: Period,
        budget: Decimal | str | int,
        *,
        name: str = "",
        funder: str | None = None,
        actor: str = "jieqin",
    ) -> Fund:
        """Add a fund of a registered programme for ``period`` (funder: the programme's).

        :raises NotFound: no such programme. :raises ConflictError: the fund exists.
        """
        from jieqin.services.funds import add_fund

        program = self.aid_program(program_id)
        with self.unit_of_work(actor) as uow:
            return add_fund(uow, program, fund_id, period, budget, name=name, funder=funder)

    def top_up_fund(
        self,
        fund_id: str,
        amount: Decimal | str | int,
        *,
        reason: str,
        on: date | None = None,
        actor: str = "jieqin",
    ) -> FundChange:
        """Add ``amount`` to a fund's budget on ``on`` (default today), saying why; a dated,
        audited change. :raises FundClosed: the fund is closed."""
        from jieqin.services.funds import top_up_fund

        with self.unit_of_work(actor) as uow:
            return top_up_fund(uow, fund_id, amount, reason=reason, on=on)

    def close_fund(
        self, fund_id: str, *, reason: str, on: date | None = None, actor: str = "jieqin"
    ) -> FundChange:
        """Close a fund on ``on`` (default today), saying why: it grants nothing more."""
        from jieqin.services.funds import close_fund

        with self.unit_of_work(actor) as uow:
            return close_fund(uow, fund_id, reason=reason, on=on)

    def funds(
        self, *, program_id: str | None = None, period: Period | None = None
    ) -> list[FundLine]:
        """Every fund with its budget (top-ups included), granted, remaining and
        wait-listed, optionally of one programme and period."""
        from jieqin.services.funds import fund_lines

        with self.unit_of_work("jieqin", read_only=True) as uow:
            return fund_lines(uow, program_id=program_id, period=period)

    def fund_changes(self, fund_id: str | None = None) -> list[FundChange]:
        """The top-ups and closings of one fund (or of every fund), in order."""
        with self.unit_of_work("jieqin", read_only=True) as uow:
            if fund_id is None:
                return uow.funds.changes()
            return uow.funds.changes(fund_id=fund_id)

    def grants(
        self,
        *,
        program_id: str | None = None,
        period: Period | None = None,
        household_id: str | None = None,
    ) -> list[Grant]:
        """The grants, in force and revoked, optionally filtered."""
        from jieqin.services.funds import grants_of

        with self.unit_of_work("jieqin", read_only=True) as uow:
            return grants_of(uow, program_id=program_id, period=period, household_id=household_id)

    def grant_listing(
        self,
        *,
        program_id: str | None = None,
        period: Period | None = None,
        household_id: str | None = None,
        reveal: bool = False,
        purpose: str | None = None,
    ) -> GrantListing:
        """:meth:`grants` as an output may show them: the grants of a programme whose
        rules read a health or disability fact are only counted, unless ``reveal``
        (a role that may reveal, a ``purpose``; audited before it is returned)."""
        from jieqin.security import check_reveal
        from jieqin.services.funds import grant_listing

        if reveal:
            check_reveal(self.current_principal(), purpose, what="grants of health programmes")
        sensitive = frozenset(p for p, program in self.aid_programs().items() if program.sensitive)
        found = self.grants(program_id=program_id, period=period, household_id=household_id)
        listing = grant_listing(found, sensitive, reveal=reveal)
        if reveal:
            ids = [g.grant_id for g in listing.grants if g.program_id in sensitive]
            self.record_reveal("grants of health programmes", "grants", purpose=purpose, ids=ids)
        return listing

    def revoke_grant(
        self, grant_id: str, reason: str, on: date | None = None, *, actor: str = "jieqin"
    ) -> Grant:
        """Revoke a grant on ``on`` (default today), saying why. The grant keeps its
        record, its amount returns to its fund, the report no longer counts it, the
        revocation is a decision beside the one that granted, and a later allocation
        may grant the member again.

        :raises NotFound: no such grant. :raises GrantRevoked: it is revoked already.
        """
        from jieqin.services.funds import revoke_grant

        with self.unit_of_work(actor) as uow:
            revoked, _ = revoke_grant(uow, grant_id, reason=reason, on=on)
            return revoked

    # -- payments (see jieqin.services.payments) -------------------------------------

    def export_payments(
        self,
        program_id: str,
        period: Period,
        *,
        fund_id: str | None = None,
        batch: str | None = None,
        reveal: bool = False,
        purpose: str | None = None,
        actor: str = "jieqin",
    ) -> PaymentBatch:
        """The grants of a programme period that await payment, put in a new payment
        batch (or the earlier ``batch`` again), as the lines of the bank's file.

        Names and resident ID numbers are masked unless ``reveal``: a role that may
        reveal and a ``purpose``, audited before the lines are returned. A programme
        whose rules read health or disability facts is exported only revealed (being
        in its batch tells the fact).
        """
        from jieqin.errors import InvalidValue
        from jieqin.security import check_reveal
        from jieqin.services.payments import export_batch

        what = f"a payment batch of {program_id} for {period}"
        if reveal:
            check_reveal(self.current_principal(), purpose, what=what)
        program = self.aid_programs().get(program_id)
        if program is not None and program.sensitive and not reveal:
            raise InvalidValue(
                f"the rules of {program_id} read health or disability facts: its payment "
                "batch tells who holds one, so it is exported only with --reveal --purpose "
                "TEXT (audited)",
                field="reveal",
            )
        with self.unit_of_work(actor) as uow:
            found = export_batch(
                uow, program_id, period, fund_id=fund_id, batch=batch, reveal=reveal
            )
        if reveal:
            ids = [line.grant_id for line in found.lines]
            self.record_reveal(
                f"payment batch {found.batch_id}", "grants", purpose=purpose, ids=ids
            )
        return found

    def reconcile_payments(
        self, path: str | os.PathLike[str], *, actor: str = "jieqin", **options: Any
    ) -> Reconciliation:
        """Record a bank's result file (CSV or XLSX) of paid and returned grants, all or
        nothing; ``options`` are those of :func:`jieqin.services.payments.reconcile`
        (``format``, ``encoding``, ``max_errors``). Headers are read by the campaign's
        registry (its plugins' aliases too).

        :raises InvalidInput: any bad row; nothing was written.
        """
        from jieqin.io.importer import header_table
        from jieqin.services.payments import reconcile

        options.setdefault("headers", header_table(self))
        with self.unit_of_work(actor) as uow:
            return reconcile(uow, path, **options)

    # -- pairing (see jieqin.services.pairing) ---------------------------------------

    def pair(
        self,
        policy: PairingPolicy | None = None,
        *,
        actor: str = "jieqin",
        on: _date | None = None,
        dry_run: bool = False,
        executor: Executor | None = None,
        changed_only: bool = False,
    ) -> PairingPlan:
        """Pair helpers with households exactly under ``policy``; a dry run writes nothing.

        The plugins' cost terms join the built-in ones. Partitions are solved through
        ``executor`` when given (see :func:`jieqin.pairing.solve_columns`).
        ``changed_only`` re-pairs only the partitions whose stored pairing no longer
        stands (see :func:`jieqin.pairing.plan_pairings`).
        """
        from jieqin.services.pairing import pair, registered_cost_terms

        terms = registered_cost_terms(self.registry.objects("cost_terms"))
        with self.unit_of_work(actor, read_only=dry_run) as uow:
            return pair(
                uow,
                policy,
                on=on,
                dry_run=dry_run,
                terms=terms,
                executor=executor,
                changed_only=changed_only,
            )

    def pairings(
        self,
        *,
        on: _date | None = None,
        helper_id: str | None = None,
        household_id: str | None = None,
        region: str | None = None,
        history: bool = False,
    ) -> PairingListing:
        """Who is paired with whom on ``on`` (today), since when and why; with
        ``history`` every pairing span and handover. Filters: a helper, a household,
        households within a region code. Reads only what the principal's scope holds.
        """
        from jieqin.services.pairing_listing import list_pairings

        with self.unit_of_work("jieqin", read_only=True) as uow:
            return list_pairings(
                uow,
                on=on or self.clock.today(),
                helper_id=helper_id,
                household_id=household_id,
                region=region,
                history=history,
            )

    def end_pairing(
        self,
        helper_id: str,
        household_id: str,
        on: _date,
        reason: str,
        *,
        actor: str = "jieqin",
    ) -> _Pairing:
        """End the open pairing of a helper with a household on ``on`` (its last day),
        with ``reason``: a dated, audited change, and for a primary pairing a handover
        to nobody dated the next day. Nothing is deleted.

        :raises NotFound: no such helper, household, or open pairing of the two.
        :raises InvalidValue: no reason, or ``on`` is before the pairing starts.
        """
        from jieqin.services.pairing import end_pairing

        with self.unit_of_work(actor) as uow:
            ended, _ = end_pairing(uow, helper_id, household_id, on, reason)
        return ended

    # -- activities, follow-up and reports (jieqin.services.activities, jieqin.reports) --

    @property
    def activity_setup(self) -> ActivitySetup:
        """Activity kinds, cadence policy and campaign windows: the defaults plus plugins'."""
        from jieqin.activities.setup import ActivitySetup

        setup = self.__dict__.get("_activity_setup")
        if setup is None:
            setup = self.__dict__["_activity_setup"] = ActivitySetup.from_registry(self.registry)
        return setup

    def log_activity(self, activity: Activity, *, actor: str = "jieqin") -> Activity:
        """Check and store one activity; :class:`~jieqin.errors.InvalidInput` says why not."""
        self.log_activities([activity], actor=actor)
        return activity

    def log_activities(
        self,
        activities: _Iterable[Activity],
        *,
        actor: str = "jieqin",
        source: str | None = None,
    ) -> int:
        """Check every activity, then store them all in one unit of work (all or nothing)."""
        from jieqin.services.activities import log_activities

        with self.unit_of_work(actor) as uow:
            added = log_activities(uow, activities, source=source)
            uow.commit()
        return added

    def void_activity(
        self, activity_id: str, reason: str, on: _date | None = None, *, actor: str = "jieqin"
    ) -> Activity:
        """Void an activity logged by mistake on ``on`` (default today), saying why.

        The activity keeps its record (``voided_on``, ``void_reason``, ``voided_by`` the
        actor; the write is audited) and counts nowhere from then on: report figures,
        follow-up and overdue (a household's last contact falls back to the activity
        before it), the helper view. A need its practical help resolved is open again
        unless other practical help resolved it. Log the corrected activity as usual.

        :raises NotFound: no such activity. :raises ActivityVoided: it is voided already.
        """
        from jieqin.services.activities import void_activity

        with self.unit_of_work(actor) as uow:
            voided = void_activity(uow, activity_id, reason, on=on)
            uow.commit()
        return voided

    def activities(
        self,
        *,
        helper_id: str | None = None,
        household_id: str | None = None,
        kind: str | None = None,
        first: _date | None = None,
        last: _date | None = None,
        include_voided: bool = False,
    ) -> list[Activity]:
        """The activities matching every filter given (days ``first`` .. ``last``), by
        day then id; voided ones only with ``include_voided``.

        :raises InvalidValue: an unknown activity kind.
        """
        from jieqin.services.activities import list_activities

        kinds = self.activity_setup.kinds
        if kind is not None and kind not in kinds:
            from jieqin.errors import InvalidValue
            from jieqin.services.checks import unknown_code

            raise InvalidValue(unknown_code("activity kind", kind, kinds.codes()), field="kind")
        with self.unit_of_work("jieqin", read_only=True) as uow:
            return list_activities(
                uow,
                helper_id=helper_id,
                household_id=household_id,
                kind=kind,
                first=first,
                last=last,
                include_voided=include_voided,
            )

    def move_member(
        self,
        member_id: str,
        to_household_id: str,
        on: _date,
        *,
        relation: Relation | str = "other",
        reason: str = "",
        actor: str = "jieqin",
    ) -> MemberMove:
        """Move a member to another household on ``on``, keeping their id, resident ID
        number and history (needs, decisions and grants stay where they were made)."""
        from jieqin.model import Relation

        with self.unit_of_work(actor) as uow:
            move = uow.households.move_member(
                member_id, to_household_id, on, relation=Relation(relation), reason=reason
            )
            uow.commit()
        return move

    def overdue(self, as_of: _date | None = None) -> Sequence[Overdue]:
        """Pairings behind their follow-up cadence on ``as_of`` (today), most urgent first."""
        from jieqin.services.follow_up import overdue_pairings

        with self.unit_of_work("jieqin", read_only=True) as uow:
            return overdue_pairings(
                uow,
                as_of or self.clock.today(),
                self.activity_setup.policy,
                self.monitored_statuses,
            )

    def deliver_feed(
        self,
        feed: str,
        source: str | os.PathLike[str],
        *,
        corrections: bool = False,
        actor: str = "jieqin",
    ) -> Delivery:
        """Deliver one file of the departmental feed ``feed`` (a plugin's, see
        ``jieqin plugins``) as observations: each record id once; a row delivered again
        unchanged changes nothing, a changed one is refused unless ``corrections``.
        One unit of work, all or nothing, audited as a delivery by ``actor``.

        :raises InvalidValue: no feed of that name is registered.
        :raises InvalidInput: the file has rows the reader or the write checks refuse.
        """
        from pathlib import Path

        from jieqin.services.feeds import deliver

        entry = self.registry.feed(feed)
        with self.unit_of_work(actor) as uow:
            return deliver(uow, entry.name, entry.reader, Path(source), corrections=corrections)

    # -- warning lifecycle and risk elimination (see jieqin.services.warning_lifecycle,
    #    jieqin.services.elimination) ---------------------------------------------------

    def _acting_role(self) -> Role | None:
        """The role of the campaign's (or the command line's) principal; ``None``: a
        local administrator."""
        found = self._principal or self._command_line_principal()
        return None if found is None else found.role

    def monitoring_standards(self) -> MonitoringStandards:
        """The monitoring line and the months of stable income in force, by region and
        day, as the monitoring parameters give them."""
        from jieqin.rules.monitoring import monitoring_line, stability_months
        from jieqin.services.elimination import MonitoringStandards

        parameters = self.monitoring_parameters()
        return MonitoringStandards(
            lambda region, day: monitoring_line(region, day, parameters),
            lambda region, day: stability_months(region, day, parameters),
        )

    def warnings(
        self,
        *,
        status: str | None = None,
        overdue_on: _date | None = None,
        household_id: str | None = None,
    ) -> list[RiskWarning]:
        """The stored warnings: of one status or household, or only those whose home
        check is overdue on ``overdue_on``."""
        from jieqin.services.warning_lifecycle import list_warnings

        with self.unit_of_work("jieqin", read_only=True) as uow:
            return list_warnings(
                uow, status=status, overdue_on=overdue_on, household_id=household_id
            )

    def overdue_warnings(self, as_of: _date | None = None) -> list[OverdueWarning]:
        """Warnings whose home check is past its due day on ``as_of`` (today)."""
        from jieqin.services.warning_lifecycle import overdue_warnings

        with self.unit_of_work("jieqin", read_only=True) as uow:
            return overdue_warnings(uow, as_of or self.clock.today())

    def check_warning(
        self,
        warning_id: str,
        result: str,
        *,
        category: str | None = None,
        reason: str = "",
        note: str = "",
        checked_by: str | None = None,
        on: _date | None = None,
        actor: str = "jieqin",
    ) -> RiskWarning | Confirmed:
        """Record a warning's home check and its result: ``confirmed`` as ``category``
        (a monitored status; the household's status changes, its needs are raised) or
        ``dismissed`` for ``reason``."""
        from jieqin.services.warning_lifecycle import check_warning

        with self.unit_of_work(actor) as uow:
            return check_warning(
                uow,
                warning_id,
                result,
                category=category,
                reason=reason,
                note=note,
                checked_by=checked_by,
                on=on,
                role=self._acting_role(),
                monitored=self.monitored_statuses,
                rules=self.need_rules(),
            )

    def elimination_stability(self, household_id: str, *, on: _date | None = None) -> Stability:
        """Whether a household's income was stable above the line, month by month."""
        from jieqin.services.elimination import stability

        standards = self.monitoring_standards()
        with self.unit_of_work("jieqin", read_only=True) as uow:
            return stability(uow, household_id, standards, on=on)

    def propose_elimination(
        self,
        household_id: str,
        *,
        checked_by: str,
        checked_on: _date,
        note: str = "",
        to_status: str | None = None,
        actor: str = "jieqin",
    ) -> tuple[Elimination, Stability]:
        """Propose that a monitored household leave monitoring, with its home check:
        refused unless its income was stable above the line."""
        from jieqin.services.elimination import propose_elimination

        standards = self.monitoring_standards()
        with self.unit_of_work(actor) as uow:
            return propose_elimination(
                uow,
                household_id,
                standards,
                checked_by=checked_by,
                checked_on=checked_on,
                note=note,
                to_status=to_status,
                role=self._acting_role(),
                monitored=self.monitored_statuses,
            )

    def approve_elimination(
        self, elimination_id: str, *, actor: str = "jieqin", days: int | None = None
    ) -> Elimination:
        """Approve a pending elimination and start its public notice (maker-checker)."""
        from jieqin.services.elimination import approve_elimination

        who = self._decider(actor)
        with self.unit_of_work(who.actor, principal=who) as uow:
            return approve_elimination(uow, elimination_id, role=who.role, days=days)

    def object_to_elimination(
        self,
        elimination_id: str,
        *,
        reason: str,
        objector: str = "",
        on: _date | None = None,
        actor: str = "jieqin",
    ) -> Objection:
        """Record an objection received during an elimination's notice: it holds it."""
        from jieqin.services.elimination import object_to_elimination

        with self.unit_of_work(actor) as uow:
            return object_to_elimination(
                uow, elimination_id, reason=reason, objector=objector, on=on
            )

    def decide_elimination_objection(
        self, objection_id: str, *, uphold: bool, reason: str, actor: str = "jieqin"
    ) -> Elimination:
        """Uphold (the elimination is withdrawn) or dismiss an objection to one."""
        from jieqin.services.elimination import decide_elimination_objection

        who = self._decider(actor)
        with self.unit_of_work(who.actor, principal=who) as uow:
            return decide_elimination_objection(
                uow, objection_id, uphold=uphold, reason=reason, role=who.role
            )

    def commit_elimination(
        self, elimination_id: str, *, actor: str = "jieqin"
    ) -> tuple[Elimination, Household]:
        """Commit an approved elimination after its notice: the household leaves
        monitoring from today."""
        from jieqin.services.elimination import commit_elimination

        with self.unit_of_work(actor) as uow:
            return commit_elimination(uow, elimination_id)

    def withdraw_elimination(
        self, elimination_id: str, *, reason: str, actor: str = "jieqin"
    ) -> Elimination:
        """Withdraw an elimination not committed, saying why."""
        from jieqin.services.elimination import withdraw_elimination

        with self.unit_of_work(actor) as uow:
            return withdraw_elimination(uow, elimination_id, reason=reason)

    def eliminations(
        self, *, status: str | None = None, household_id: str | None = None
    ) -> list[Elimination]:
        """The stored eliminations (of one status or household)."""
        from jieqin.services.elimination import list_eliminations

        with self.unit_of_work("jieqin", read_only=True) as uow:
            return list_eliminations(uow, status=status, household_id=household_id)

    def report(
        self, period: _Period | str, *, by_region: bool = False, k: int | None = None
    ) -> Report:
        """The figures of a year, quarter or month (``"2021"``, ``"2021Q4"``, ``"2021-03"``).

        ``by_region`` adds each county; ``k`` withholds counts below ``k`` for publication.
        The report carries the registry's labels of its codes, for the text and HTML.
        """
        import attrs

        from jieqin.model.periods import parse_period
        from jieqin.reports.labels import ReportLabels
        from jieqin.services.reports import report

        if isinstance(period, str):
            period = parse_period(period)
        with self.unit_of_work("jieqin", read_only=True) as uow:
            built = report(
                uow,
                period,
                setup=self.activity_setup,
                by_region=by_region,
                k=k,
                region_names=dict(self.registry.region_names),
                monitored=self.monitored_statuses,
            )
        return attrs.evolve(built, labels=ReportLabels.from_registry(self.registry))

    def for_helper(self, helper_id: str, *, on: _date | None = None) -> HelperView:
        """What one helper may see: only the households paired with them on ``on``.

        A read-only :class:`~jieqin.services.scoped.HelperView` of those households,
        their members, needs and activities (default day: today).
        """
        from jieqin.services.scoped import HelperView

        return HelperView(
            self.unit_of_work,
            helper_id,
            on=on or self.clock.today(),
            role=self.principals.roles.get("helper"),
        )

    def notify(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call a notification hook now (``campaign`` is passed for you).

        :raises PluginError: an implementation raised; the error names the plugin.
        """
        kwargs.setdefault("campaign", self)
        return call_notification(self.plugin_manager, hook_name, **kwargs)

    def close(self) -> None:
        """Release the storage's connections. Closing twice is harmless."""
        if not self._closed:
            self._closed = True
            self.storage.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Campaign {self.url}>"
