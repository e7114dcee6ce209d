"""Every hook a jieqin plugin can implement.

A plugin is an ordinary package that declares an entry point in the group ``jieqin``
and implements some of these hooks with :data:`hookimpl`. jieqin's own behaviour (the
storage backends, the standard vocabularies) registers through the same hooks.

Two kinds of hook:

- *Gathering* hooks (``jieqin_register_*``) receive a ``register`` callback and call it
  once per thing they contribute. They are called once per :class:`~jieqin.Campaign`
  when its :class:`~jieqin.plugins.registry.Registry` is built, never once per row,
  through pluggy's hook caller, so hook wrappers and call monitoring see them. Each
  entry is credited to the plugin whose implementation called ``register`` (also
  through a helper function). When two plugins register the same code, the first
  call wins; the built-in plugins are ``trylast`` so that any other plugin can
  override them.
- *Notification* hooks (``jieqin_*_committed``, ``jieqin_grants_decided``,
  ``jieqin_need_resolved``) are called once the writes of a unit of work are complete,
  just before they are made permanent. If one raises, the whole unit of work is
  rolled back and a :class:`~jieqin.errors.PluginError` names the plugin, so a
  municipal system never misses a notification about data that was stored.

New arguments may be added to a hook in later versions; an implementation may
accept fewer arguments than the spec lists, so existing plugins keep working.

Each ``register`` callback has a :class:`~typing.Protocol` type (:class:`RegisterCode`,
:class:`RegisterBackend`, :class:`RegisterAgency`, :class:`RegisterObject`...) that an
implementation can use in its annotations, so that a type checker verifies its calls::

    from jieqin.plugins import RegisterCode, hookimpl

    @hookimpl
    def jieqin_register_tiers(register: RegisterCode) -> None:
        register("township_member", "乡镇政协委员")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    from jieqin.activities import Cadence, CampaignWindow, HouseholdCategory
    from jieqin.campaign import Campaign
    from jieqin.model import Decision, Grant, Handover, Need, Pairing
    from jieqin.model.monitoring import Observation
    from jieqin.needs import NeedRule
    from jieqin.pairing import PairingCostTerm
    from jieqin.rules import AidProgram, Condition, Parameter, Parameters
    from jieqin.security import Role
    from jieqin.services.feeds import FeedContext
    from jieqin.storage.base import Storage
    from jieqin.storage.sql.encryption import KeyProvider

__all__ = [
    "PROJECT_NAME",
    "FeedReader",
    "RegisterAgency",
    "RegisterBackend",
    "RegisterCode",
    "RegisterFeed",
    "RegisterHeaderAlias",
    "RegisterHouseholdStatus",
    "RegisterNeedKind",
    "RegisterObject",
    "RegisterPrincipal",
    "RegisterRegionName",
    "RegisterRegionalParameter",
    "StorageFactory",
    "hookimpl",
    "hookspec",
]

#: The pluggy project name and the entry-point group plugins declare.
PROJECT_NAME = "jieqin"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: Builds a storage backend for a URL; see :func:`jieqin_register_storage_backends`.
StorageFactory = Callable[[str], "Storage"]

#: Reads one file of a department's feed into observations; see
#: :func:`jieqin_register_observation_feeds`.
FeedReader = Callable[["Path", "FeedContext"], Iterable["Observation"]]

_T_contra = TypeVar("_T_contra", contravariant=True)


# --- the register callbacks ------------------------------------------------------------


class RegisterBackend(Protocol):
    """``register(scheme, factory)`` of :func:`jieqin_register_storage_backends`."""

    def __call__(self, scheme: str, factory: StorageFactory) -> None:
        """Serve URLs of ``scheme`` with the storage ``factory(url)`` returns."""


class RegisterCode(Protocol):
    """``register(code, label)`` of the tier, sector and activity kind hooks.

    ``label`` defaults to the code; further keyword arguments are kept in the
    entry's ``extra`` (an activity kind's ``label_zh``, for example).
    """

    def __call__(self, code: str, label: str | None = None, **extra: Any) -> None:
        """Register ``code`` (lower-case ``snake_case``) with what people read."""


class RegisterHouseholdStatus(Protocol):
    """``register(code, label, monitored=False)`` of
    :func:`jieqin_register_household_statuses`."""

    def __call__(
        self, code: str, label: str | None = None, *, monitored: bool = False, **extra: Any
    ) -> None:
        """Register a status; ``monitored`` for a category of the monitoring scheme."""


class RegisterNeedKind(Protocol):
    """``register(code, label, sectors=(...), sensitive=False)`` of
    :func:`jieqin_register_need_kinds`."""

    def __call__(
        self,
        code: str,
        label: str | None = None,
        *,
        sectors: Iterable[str] = (),
        sensitive: bool = False,
        **extra: Any,
    ) -> None:
        """Register a need kind and the sector codes of helpers whose strength meets it;
        ``sensitive`` for a kind that tells a health or disability fact (left out of
        masked outputs)."""


class RegisterRegionName(Protocol):
    """``register(code, name)`` of :func:`jieqin_register_region_names`."""

    def __call__(self, code: str, name: str) -> None:
        """Name the administrative region ``code``."""


class RegisterAgency(Protocol):
    """``register(agency_id, name, need_kinds=(...), condition=None, parameters=None,
    regions=())`` of :func:`jieqin_register_agencies`."""

    def __call__(
        self,
        agency_id: str,
        name: str,
        need_kinds: Iterable[str] = (),
        *,
        condition: Condition | None = None,
        parameters: Parameters | None = None,
        regions: Iterable[str] = (),
    ) -> None:
        """Register an agency, the need kind codes it takes, and optionally the
        condition a member must meet for it to take their need (with the parameters
        the condition reads, and the agency's own ``referral_response_days``) and the
        regions whose households it serves (prefixes such as ``"6102"``; default
        every region)."""


class RegisterHeaderAlias(Protocol):
    """``register(alias, column, kinds=(...))`` of :func:`jieqin_register_header_aliases`."""

    def __call__(self, alias: str, column: str, *, kinds: Iterable[str] = ()) -> None:
        """Read the header ``alias`` as ``column`` (an English column name of
        ``docs/import-formats.md``) in the imports of ``kinds`` (default: every kind
        that has the column)."""


class RegisterPrincipal(Protocol):
    """``register(actor, role, regions=(...), helper_id=None)`` of
    :func:`jieqin_register_principals`."""

    def __call__(
        self,
        actor: str,
        role: str | Role,
        *,
        regions: Iterable[str] = (),
        helper_id: str | None = None,
    ) -> None:
        """Let ``actor`` work as ``role`` (a role's name or a :class:`jieqin.security.Role`)
        within region-code ``regions`` (prefixes; ``"*"`` for all), or as helper
        ``helper_id`` for a role scoped to a helper."""


class RegisterRegionalParameter(Protocol):
    """``register(region, parameter)`` of :func:`jieqin_register_regional_parameters`."""

    def __call__(self, region: str, parameter: Parameter, /) -> None:
        """Let ``parameter`` hold for households whose region code starts with ``region``
        (a prefix: ``"61"`` Shaanxi, ``"6102"`` Tongchuan)."""


class RegisterFeed(Protocol):
    """``register(name, label, reader, kinds=(...), english=None)`` of
    :func:`jieqin_register_observation_feeds`."""

    def __call__(
        self,
        name: str,
        label: str,
        reader: FeedReader,
        *,
        kinds: Iterable[str] = (),
        english: str | None = None,
    ) -> None:
        """Register the feed ``name`` (a lower-case code), what people call it (``label``,
        Chinese; ``english`` its English name) and the ``reader`` of its files."""


class RegisterObject(Protocol[_T_contra]):
    """``register(obj)`` of the hooks that register objects: ``RegisterObject[AidProgram]``
    for programmes, ``RegisterObject[NeedRule]`` for need rules, and so on."""

    def __call__(self, obj: _T_contra, /) -> None:
        """Register ``obj``; it is keyed by its id or name attribute."""


# --- gathering hooks -----------------------------------------------------------------


@hookspec
def jieqin_register_storage_backends(register: RegisterBackend) -> None:
    """Register storage backends by URL scheme.

    :param register: a :class:`RegisterBackend`: call ``register(scheme, factory)`` for
        each backend. ``scheme`` is the URL scheme the backend serves (``"memory"``,
        ``"sqlite"``, ``"postgresql+psycopg"``, ``"jsonl"``); ``factory(url)`` returns an
        object that implements :class:`jieqin.storage.Storage` for that URL.
    :return: nothing; use ``register``.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def jieqin_key_provider() -> KeyProvider | None:
    """Provide the keys that encrypt resident ID numbers, phones and diagnoses at rest.

    :return: a :class:`~jieqin.storage.sql.encryption.KeyProvider` (its current key id,
        any key by id, the blind-index key), or ``None`` to leave the choice to
        another plugin. The first plugin that returns one wins. Without any, nothing
        is encrypted. A backend that cannot encrypt (other than ``memory://``, which
        keeps nothing at rest) is then refused with a
        :class:`~jieqin.errors.StorageError`. See ``docs/storage.md``.

    .. versionadded:: 0.2
    """


@hookspec
def jieqin_register_tiers(register: RegisterCode) -> None:
    """Register helper tiers (provincial member, city member, agency staff...).

    :param register: a :class:`RegisterCode`: call ``register(code, label)``; ``code`` is
        a lower-case code (``"township_member"``), ``label`` what people read
        (``"乡镇政协委员"``).
    :return: nothing; use ``register``.

    .. versionadded:: 0.1
    """


@hookspec
def jieqin_register_sectors(register: RegisterCode) -> None:
    """Register sectors of professional strength that helpers bring (medicine, law...).

    :param register: a :class:`RegisterCode`: call ``register(code, label)``.
    :return: nothing; use ``register``.

    .. versionadded:: 0.1
    """


@hookspec
def jieqin_register_household_statuses(register: RegisterHouseholdStatus) -> None:
    """Register household statuses (poor, lifted out, a regional monitoring category...).

    :param register: a :class:`RegisterHouseholdStatus`: call ``register(code, label)``;
        pass ``monitored=True`` for a status of the scheme for preventing a return to
        poverty (see :meth:`~jieqin.plugins.Registry.monitored_statuses`).
    :return: nothing; use ``register``.

    .. versionadded:: 0.1
    """


@hookspec
def jieqin_register_need_kinds(register: RegisterNeedKind) -> None:
    """Register kinds of need and the helper sectors that can meet them.

    :param register: a :class:`RegisterNeedKind`: call
        ``register(code, label, sectors=("employment", ...))``;
        ``sectors`` are the sector codes of helpers whose strength matches the need,
        used when a need is routed to the paired helper; ``sensitive=True`` for a kind
        that tells a health or disability fact (its needs are left out of masked
        outputs; a kind a need rule derives from a sensitive fact is sensitive anyway).
    :return: nothing; use ``register``.

    .. versionadded:: 0.1
    """


@hookspec
def jieqin_register_activity_kinds(register: RegisterCode) -> None:
    """Register kinds of activity beyond the five standing duties.

    :param register: a :class:`RegisterCode`: call ``register(code, label)``.
    :return: nothing; use ``register``.

    .. versionadded:: 0.1
    """


@hookspec
def jieqin_register_region_names(register: RegisterRegionName) -> None:
    """Register the names of administrative regions (codes themselves need no lookup).

    :param register: a :class:`RegisterRegionName`: call ``register(code, name)``, for
        example ``register("610202", "王益区")``; bulk tables may call it thousands of
        times.
    :return: nothing; use ``register``.

    .. versionadded:: 0.1
    """


@hookspec
def jieqin_register_agencies(register: RegisterAgency) -> None:
    """Register agencies that needs can be referred to.

    :param register: a :class:`RegisterAgency`: call
        ``register(agency_id, name, need_kinds=("employment", ...))``;
        ``need_kinds`` are the kinds of need the agency takes, for example the city
        Employment Promotion Center takes ``employment`` and ``skills_training``.
        ``condition=`` (a :class:`jieqin.rules.Condition`) limits whom it takes: a
        need is routed to it only when the condition holds for the need's member (a
        household's need: for one of its members), and the route's explanation says
        so. ``parameters=`` (:class:`jieqin.Parameters`) are the dated values the
        condition reads, and may set the agency's own ``referral_response_days``
        (the days it has to complete or reject a referral, over the campaign's).
    :return: nothing; use ``register``.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 ``condition`` and ``parameters``.
    """


@hookspec
def jieqin_register_referral_outcomes(register: RegisterCode) -> None:
    """Register what can come of a completed referral (placed in work, the member
    declined...): the codes an agency reports a completion with.

    :param register: a :class:`RegisterCode`: call ``register(code, label)``, for
        example ``register("employed", "已实现就业")``.
    :return: nothing; use ``register``.

    .. versionadded:: 0.2
    """


@hookspec
def jieqin_register_programs(register: RegisterObject[AidProgram]) -> None:
    """Register aid programmes with their eligibility and entitlement rules.

    :param register: a ``RegisterObject[AidProgram]``: call ``register(program)`` with a
        programme definition from :mod:`jieqin.rules` (a programme with its dated rules
        and parameters).
    :return: nothing; use ``register``.

    .. versionadded:: 0.1
    """


@hookspec
def jieqin_register_need_rules(register: RegisterObject[NeedRule]) -> None:
    """Register rules that derive needs from member facts (a freshman, a major illness).

    :param register: a ``RegisterObject[NeedRule]``: call ``register(rule)`` with a need
        rule (:class:`jieqin.NeedRule`).
    :return: nothing; use ``register``.

    .. versionadded:: 0.1
    """


@hookspec
def jieqin_register_pairing_cost_terms(register: RegisterObject[PairingCostTerm]) -> None:
    """Register terms of the pairing cost (distance, strength match, workload...).

    :param register: a ``RegisterObject[PairingCostTerm]``: call ``register(term)`` with
        a vectorised cost term from :mod:`jieqin.pairing`; a term computes its values
        for all candidate pairs of a region partition at once.
    :return: nothing; use ``register``.

    .. versionadded:: 0.1
    """


@hookspec
def jieqin_register_cadences(
    register: RegisterObject[Cadence | HouseholdCategory],
) -> None:
    """Register expected activity cadences (a monthly contact, a weekly visit day...).

    :param register: a ``RegisterObject[Cadence | HouseholdCategory]``: call
        ``register(cadence)`` with a cadence (or a household category) from
        :mod:`jieqin.activities`.
    :return: nothing; use ``register``.

    .. versionadded:: 0.1
    """


@hookspec
def jieqin_register_campaign_windows(register: RegisterObject[CampaignWindow]) -> None:
    """Register campaign windows (spring ploughing, school holidays, activity days...).

    :param register: a ``RegisterObject[CampaignWindow]``: call ``register(window)``
        with a window from :mod:`jieqin.activities`.
    :return: nothing; use ``register``.

    .. versionadded:: 0.1
    """


@hookspec
def jieqin_register_principals(register: RegisterPrincipal) -> None:
    """Register principals: who may work, in which role, over which regions.

    :param register: a :class:`RegisterPrincipal`: call
        ``register("clerk:wang", "clerk", regions=("610203",))``, or
        ``register("helper:hp-001", "helper", helper_id="hp-001")``; the role is the
        name of a standard role (``admin``, ``clerk``, ``approver``, ``auditor``,
        ``helper``) or a :class:`jieqin.security.Role` of the plugin's own. A
        principal in the principals file wins over a plugin's of the same actor.
    :return: nothing; use ``register``.

    .. versionadded:: 0.2
    """


@hookspec
def jieqin_register_header_aliases(register: RegisterHeaderAlias) -> None:
    """Register a region's own names for import columns (家庭编号 for ``household_id``).

    :param register: a :class:`RegisterHeaderAlias`: call
        ``register("家庭编号", "household_id")``, or with ``kinds=("households",)`` to
        limit it to some kinds. Imports of CSV, XLSX and JSON Lines then read the
        alias as the column, beside the English names and the standard Chinese ones
        (:data:`jieqin.io.headers.CHINESE`). An alias that already names another
        column of the kind raises :class:`~jieqin.errors.PluginError`; exports keep
        writing the standard names.
    :return: nothing; use ``register``.

    .. versionadded:: 0.2
    """


@hookspec
def jieqin_register_grievance_categories(register: RegisterCode) -> None:
    """Register categories of grievance beyond the standard ones (``appeal``,
    ``aid_decision``, ``helper_conduct``, ``need_unmet``, ``other``).

    :param register: a :class:`RegisterCode`: call ``register(code, label)``, for
        example ``register("land_dispute", "土地纠纷")``. A grievance's category must
        be registered; the report counts grievances by category under its label.
    :return: nothing; use ``register``.

    .. versionadded:: 0.2
    """


@hookspec
def jieqin_register_parameters(register: RegisterObject[Parameter]) -> None:
    """Register dated parameters of the campaign's own rules (not a programme's), such
    as ``grievance_answer_days``: the days a grievance has to be answered in.

    :param register: a ``RegisterObject[Parameter]``: call ``register(parameter)`` with
        a :class:`jieqin.rules.Parameter` holding every dated value with its source. A
        region's parameter replaces the built-in one of the same name whole (give its
        earlier values too, so that old records keep their dates).
    :return: nothing; use ``register``.

    .. versionadded:: 0.2
    """


@hookspec
def jieqin_register_regional_parameters(register: RegisterRegionalParameter) -> None:
    """Register dated parameters that hold in one region only, such as a province's
    ``monitoring_line`` (the per capita net income below which a household is warned
    about, yuan per person per year).

    :param register: a :class:`RegisterRegionalParameter`: call
        ``register("61", parameter)`` with a region prefix (2, 4, 6, 9 or 12 digits, see
        :func:`jieqin.rules.region_prefix`) and a :class:`jieqin.rules.Parameter`. For a
        household the parameter of the longest prefix its region code starts with wins
        over a shorter one and over the campaign's (``jieqin_register_parameters``).
        See :func:`jieqin.rules.monitoring.monitoring_value`.
    :return: nothing; use ``register``.

    .. versionadded:: 0.3
    """


@hookspec
def jieqin_register_observation_feeds(register: RegisterFeed) -> None:
    """Register departmental feeds: another department's system (medical insurance,
    civil affairs, education...) whose files become observations of households.

    :param register: a :class:`RegisterFeed`: call
        ``register(name, label, reader, kinds=("medical",))``. ``name`` is the feed's
        code (``tc_medical_settlement``), ``label`` what people call it (``"医保结算"``),
        ``kinds`` the observation kinds it delivers. ``reader(path, context)`` reads one
        file and returns (or yields) :class:`jieqin.Observation` records with source
        ``feed``, ``feed`` the feed's name and ``feed_record`` the department's own
        record id; ``context`` (:class:`jieqin.FeedContext`) gives the day, the
        observation id of a record and the household and member of a resident ID
        number. :func:`jieqin.services.feeds.deliver` stores what the reader returns
        through the one write path, once per record id (``jieqin observations feed``).
        A reader raises :class:`~jieqin.errors.InvalidInput` naming the file, line and
        column of a row it cannot read.
    :return: nothing; use ``register``.

    .. versionadded:: 0.3
    """


# --- notification hooks ----------------------------------------------------------------


@hookspec
def jieqin_pairings_committed(
    campaign: Campaign, pairings: Sequence[Pairing], handovers: Sequence[Handover]
) -> None:
    """Pairings were made (or ended) and are about to be stored.

    :param campaign: the campaign the unit of work belongs to.
    :param pairings: the pairings written, new and ended.
    :param handovers: the handovers recorded with them.
    :return: nothing. Raising rolls the pairing back and raises
        :class:`~jieqin.errors.PluginError` naming this plugin.

    .. versionadded:: 0.1
    """


@hookspec
def jieqin_grants_decided(
    campaign: Campaign, decisions: Sequence[Decision], grants: Sequence[Grant]
) -> None:
    """Aid decisions were made (and grants given) and are about to be stored.

    :param campaign: the campaign the unit of work belongs to.
    :param decisions: every decision, granted, wait-listed or ineligible.
    :param grants: the grants given.
    :return: nothing. Raising rolls the allocation back and raises
        :class:`~jieqin.errors.PluginError` naming this plugin.

    .. versionadded:: 0.1
    """


@hookspec
def jieqin_need_resolved(campaign: Campaign, need: Need) -> None:
    """A need was resolved (by a grant, a referral or a helper's practical help).

    :param campaign: the campaign the unit of work belongs to.
    :param need: the need as stored, with ``status`` ``resolved`` and ``resolved_by``.
    :return: nothing. Raising rolls the change back and raises
        :class:`~jieqin.errors.PluginError` naming this plugin.

    .. versionadded:: 0.1
    """


#: Hooks that gather definitions through a ``register`` callback.
GATHERING_HOOKS: tuple[str, ...] = (
    "jieqin_register_storage_backends",
    "jieqin_register_tiers",
    "jieqin_register_sectors",
    "jieqin_register_household_statuses",
    "jieqin_register_need_kinds",
    "jieqin_register_activity_kinds",
    "jieqin_register_region_names",
    "jieqin_register_agencies",
    "jieqin_register_referral_outcomes",
    "jieqin_register_programs",
    "jieqin_register_need_rules",
    "jieqin_register_pairing_cost_terms",
    "jieqin_register_cadences",
    "jieqin_register_campaign_windows",
    "jieqin_register_principals",
    "jieqin_register_header_aliases",
    "jieqin_register_grievance_categories",
    "jieqin_register_parameters",
    "jieqin_register_regional_parameters",
    "jieqin_register_observation_feeds",
)

#: Hooks called after a unit of work's writes, before they are made permanent.
NOTIFICATION_HOOKS: tuple[str, ...] = (
    "jieqin_pairings_committed",
    "jieqin_grants_decided",
    "jieqin_need_resolved",
)
