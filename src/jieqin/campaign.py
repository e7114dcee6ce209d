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

import os
from collections.abc import Sequence
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Self

import pluggy

from jieqin.errors import StorageError
from jieqin.plugins.manager import call_notification, make_plugin_manager
from jieqin.plugins.registry import Registry
from jieqin.storage.base import Storage, UnitOfWork

if TYPE_CHECKING:
    from jieqin.io.importer import ImportResult

__all__ = ["DATABASE_URL_ENV", "DEFAULT_URL", "Campaign", "connect", "default_url"]

#: The environment variable naming the database when no URL is given.
DATABASE_URL_ENV = "JIEQIN_DATABASE_URL"

#: The database when neither a URL nor the variable is given: a file in the working directory.
DEFAULT_URL = "sqlite:///jieqin.db"


def default_url() -> str:
    """``JIEQIN_DATABASE_URL`` if set, else ``sqlite:///jieqin.db``."""
    return os.environ.get(DATABASE_URL_ENV, "").strip() or DEFAULT_URL


def connect(
    url: str | None = None,
    *,
    plugins: Sequence[object] = (),
    plugin_manager: pluggy.PluginManager | None = None,
) -> Campaign:
    """Open a campaign's storage.

    :param url: ``memory://``, ``sqlite:///path.db`` (``sqlite://`` for an in-memory
        database), ``postgresql+psycopg://user@host/db``, or any scheme a plugin
        registers. Default: :func:`default_url`.
    :param plugins: further plugin objects to register (for tests and embedding).
    :param plugin_manager: use this plugin manager instead of building one.
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
    storage = registry.backend(url).factory(url)
    return Campaign(url=url, storage=storage, plugin_manager=pm, registry=registry)


class Campaign:
    """A campaign's storage, plugins and registry: the entry point for every use case."""

    def __init__(
        self,
        *,
        url: str,
        storage: Storage,
        plugin_manager: pluggy.PluginManager,
        registry: Registry,
    ) -> None:
        self.url = url
        self.storage = storage
        self.plugin_manager = plugin_manager
        self.registry = registry
        self._closed = False

    @property
    def hook(self) -> Any:
        """The plugin manager's hook relay (``campaign.hook.jieqin_...``)."""
        return self.plugin_manager.hook

    @property
    def sql_backed(self) -> bool:
        """Whether the storage is a SQL database (reports push aggregates to SQL)."""
        return bool(self.storage.sql_backed)

    def unit_of_work(self, actor: str = "jieqin") -> UnitOfWork:
        """A new unit of work; ``actor`` (who is writing) goes into the audit log.

        Leaving its ``with`` block without ``commit()`` rolls every write back.
        Notifications queued with ``uow.notify(hook_name, **kwargs)`` run at commit.
        """
        if self._closed:
            raise StorageError(f"the campaign at {self.url} is closed")
        uow = self.storage.unit_of_work(actor)
        set_notifier = getattr(uow, "set_notifier", None)
        if set_notifier is not None:
            set_notifier(self.notify)
        return uow

    def import_file(
        self, kind: str, path: str | os.PathLike[str], *, actor: str = "jieqin", **options: Any
    ) -> ImportResult:
        """Import a CSV or JSON Lines file of ``kind`` in one unit of work, all or nothing.

        ``options`` are those of :func:`jieqin.io.importer.import_file` (``format``,
        ``encoding``, ``report_errors``, ``max_errors``, ``batch_size``, ``on_bytes``).
        """
        from jieqin.io.importer import import_file

        return import_file(self, path, kind, actor=actor, **options)

    def export(self, kind: str, out: IO[str], **options: Any) -> int:
        """Write every stored record of ``kind`` to ``out``; sensitive facts masked.

        ``options`` are those of :func:`jieqin.io.exporter.export` (``format``,
        ``include_sensitive``, ...). Returns how many records were written.
        """
        from jieqin.io.exporter import export

        return export(self, kind, out, **options)

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
