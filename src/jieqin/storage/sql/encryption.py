"""Encryption at rest for the SQL backend: resident ID, phone, diagnosis and medical
expenditure sealed.

Optional and pluggable: a plugin's ``jieqin_key_provider`` hook returns a
:class:`KeyProvider`; without one nothing is sealed and the schema is used as
before. With one, the storage seals a member's resident ID number, phone and
diagnosis together (and a helper's phone, and the amount of a medical expenditure
observation: :mod:`jieqin.storage.sql.monitoring`) into the row's ``sealed`` column with
AES-256-GCM, leaves the clear columns ``NULL``, and keeps a **blind index** of the
resident ID number in ``resident_id_index``: HMAC-SHA256 of the normalised number
under the provider's index key. The index is unique in the database, so a number
stays on one member, and the write path's duplicate checks look numbers up by it.

A sealed value is an envelope ``v1.<key id>.<base64 of nonce and ciphertext>``;
the associated data binds it to its table and record id, so a value copied to
another row does not open. The key id lets keys rotate: the provider's current key
seals, every key it still knows opens, and :func:`rekey` (``jieqin db rekey``)
seals every row again with the current key (and the current index key).

``cryptography`` is imported only when a key provider is given.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from attrs import field, frozen

from jieqin.errors import StorageError

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = [
    "MEMBER_SEALED",
    "KeyProvider",
    "Sealer",
    "StaticKeys",
    "rekey",
]

#: The member columns sealed together.
MEMBER_SEALED = ("resident_id", "phone", "diagnosis")
#: The helper columns sealed.
HELPER_SEALED = ("phone",)
_VERSION = "v1"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_NONCE = 12


@runtime_checkable
class KeyProvider(Protocol):
    """Where the keys come from (a key management service, a file, the environment).

    ``current_key_id`` names the key new values are sealed with; ``key`` returns any
    key by id (32 bytes), old ones included, so values sealed before a rotation
    still open; ``index_key`` is the secret of the blind index (at least 32 bytes).
    """

    def current_key_id(self) -> str: ...

    def key(self, key_id: str) -> bytes: ...

    def index_key(self) -> bytes: ...


def _keys(value: Mapping[str, bytes]) -> dict[str, bytes]:
    return dict(value)


@frozen
class StaticKeys:
    """A :class:`KeyProvider` holding its keys: for tests, and for a plugin that reads
    the keys from somewhere once (a file, the environment)."""

    keys: dict[str, bytes] = field(converter=_keys, repr=False)
    current: str
    index: bytes = field(repr=False)

    def current_key_id(self) -> str:
        return self.current

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise StorageError(
                f"no encryption key {key_id!r}: the key provider knows {', '.join(sorted(self.keys))}"
            ) from None

    def index_key(self) -> bytes:
        return self.index


def normalise_resident_id(number: str) -> str:
    """The form of a resident ID number the blind index is taken of."""
    return number.strip().upper()


class Sealer:
    """Seals and opens values with a key provider's keys (AES-256-GCM), and computes
    the blind index of resident ID numbers (HMAC-SHA256)."""

    def __init__(self, provider: KeyProvider) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM
        self.provider = provider
        current = provider.current_key_id()
        if not _KEY_ID.match(current):
            raise StorageError(f"a key id is 1-32 letters, digits, '_' or '-', not {current!r}")
        self._check_key(current, provider.key(current))
        index = provider.index_key()
        if len(index) < 32:
            raise StorageError("the blind index key must be at least 32 bytes")
        self._index = index

    @staticmethod
    def _check_key(key_id: str, key: bytes) -> None:
        if len(key) != 32:
            raise StorageError(f"encryption key {key_id!r} must be 32 bytes (AES-256)")

    @property
    def key_id(self) -> str:
        """The id of the key new values are sealed with."""
        return self.provider.current_key_id()

    def seal(self, values: Mapping[str, Any], *, context: str) -> str | None:
        """``values`` sealed together (``None`` when every one is ``None``)."""
        if all(v is None for v in values.values()):
            return None
        key_id = self.key_id
        key = self.provider.key(key_id)
        self._check_key(key_id, key)
        nonce = os.urandom(_NONCE)
        data = json.dumps(dict(values), ensure_ascii=False, sort_keys=True).encode()
        sealed = self._aead(key).encrypt(nonce, data, context.encode())
        text = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{_VERSION}.{key_id}.{text}"

    def open(self, sealed: str, *, context: str) -> dict[str, Any]:
        """The values of an envelope; :class:`StorageError` if it does not open."""
        from cryptography.exceptions import InvalidTag

        version, key_id, text = _parts(sealed)
        if version != _VERSION:
            raise StorageError(f"a sealed value of {context} has unknown version {version!r}")
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        try:
            data = self._aead(self.provider.key(key_id)).decrypt(
                raw[:_NONCE], raw[_NONCE:], context.encode()
            )
        except InvalidTag:
            raise StorageError(
                f"the sealed values of {context} do not open with key {key_id!r}: wrong key, "
                "or the row was tampered with"
            ) from None
        values: dict[str, Any] = json.loads(data)
        return values

    def index(self, resident_id: str | None) -> str | None:
        """The blind index of a resident ID number (``None`` for none)."""
        if resident_id is None:
            return None
        digest = hmac.new(self._index, normalise_resident_id(resident_id).encode(), hashlib.sha256)
        return digest.hexdigest()


def _parts(sealed: str) -> tuple[str, str, str]:
    parts = sealed.split(".", 2)
    if len(parts) != 3:
        raise StorageError("a sealed value is damaged (not version.key.data)")
    return parts[0], parts[1], parts[2]


def key_id_of(sealed: str) -> str:
    """The id of the key a sealed value was sealed with."""
    return _parts(sealed)[1]


# --- rows ------------------------------------------------------------------------------


def member_context(member_id: str) -> str:
    return f"household_members/{member_id}"


def helper_context(helper_id: str) -> str:
    return f"helpers/{helper_id}"


def seal_member_rows(
    sealer: Sealer | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """Member rows (in ``columns`` order) as they are written: sealed, with the blind
    index, when there is a sealer; else as given with ``sealed`` and the index
    ``NULL`` (so a clear write always supersedes a sealed one)."""
    out_columns = (*columns, "sealed", "resident_id_index")
    at = {name: columns.index(name) for name in (*MEMBER_SEALED, "member_id")}
    out: list[tuple[Any, ...]] = []
    for row in rows:
        if sealer is None:
            out.append((*row, None, None))
            continue
        values = {name: row[at[name]] for name in MEMBER_SEALED}
        sealed = sealer.seal(values, context=member_context(row[at["member_id"]]))
        cleared = list(row)
        if sealed is not None:
            for name in MEMBER_SEALED:
                cleared[at[name]] = None
        out.append((*cleared, sealed, sealer.index(values["resident_id"])))
    return out_columns, out


def open_row(
    sealer: Sealer | None, row: Mapping[Any, Any], names: Sequence[str], context: str
) -> Mapping[Any, Any]:
    """A row with its sealed values opened into their columns (as read)."""
    sealed = row.get("sealed")
    if sealed is None:
        return row
    if sealer is None:
        raise StorageError(
            f"the database holds values sealed at rest ({context}): install the plugin "
            "that provides the keys (jieqin_key_provider) to read them"
        )
    values = sealer.open(sealed, context=context)
    opened = dict(row)
    opened.update({name: values.get(name) for name in names})
    return opened


def open_member(sealer: Sealer | None, row: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return open_row(sealer, row, MEMBER_SEALED, member_context(row["member_id"]))


def seal_helper_row(sealer: Sealer | None, row: dict[str, Any]) -> dict[str, Any]:
    """A helper row as written: its phone sealed when there is a sealer."""
    if sealer is None:
        return {**row, "sealed": None}
    sealed = sealer.seal({"phone": row["phone"]}, context=helper_context(row["helper_id"]))
    return {**row, "phone": None if sealed else row["phone"], "sealed": sealed}


def open_helper(sealer: Sealer | None, row: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return open_row(sealer, row, HELPER_SEALED, helper_context(row["helper_id"]))


# --- re-encryption ---------------------------------------------------------------------


def rekey(conn: sa.Connection, sealer: Sealer, *, decrypt: bool = False) -> dict[str, int]:
    """Seal every member and helper row (and medical observation) again with the current
    key and index key (or,
    ``decrypt``, write them back in clear); returns how many rows of each table were
    written. Rows in clear are sealed too, so this also encrypts a database made
    before the key provider was installed. Runs in the caller's transaction."""
    import sqlalchemy as sa

    from jieqin.storage.sql.tables import HELPERS, MEMBERS

    counts = {"household_members": 0, "helpers": 0}
    m = MEMBERS
    rows = conn.execute(
        sa.select(m.c.member_id, m.c.resident_id, m.c.phone, m.c.diagnosis, m.c.sealed)
    ).mappings()
    updates = []
    for row in rows:
        opened = open_member(sealer, row)
        values = {name: opened[name] for name in MEMBER_SEALED}
        if decrypt:
            sealed, index = None, None
        else:
            sealed = sealer.seal(values, context=member_context(row["member_id"]))
            index = sealer.index(values["resident_id"])
        clear = values if decrypt or sealed is None else dict.fromkeys(MEMBER_SEALED)
        updates.append({"k": row["member_id"], **clear, "sealed": sealed, "ix": index})
    if updates:
        conn.execute(
            m.update()
            .where(m.c.member_id == sa.bindparam("k"))
            .values(
                resident_id=sa.bindparam("resident_id"),
                phone=sa.bindparam("phone"),
                diagnosis=sa.bindparam("diagnosis"),
                sealed=sa.bindparam("sealed"),
                resident_id_index=sa.bindparam("ix"),
            ),
            updates,
        )
    counts["household_members"] = len(updates)
    h = HELPERS
    helpers = []
    for row in conn.execute(sa.select(h.c.helper_id, h.c.phone, h.c.sealed)).mappings():
        phone = open_helper(sealer, row)["phone"]
        sealed = (
            None
            if decrypt
            else sealer.seal({"phone": phone}, context=helper_context(row["helper_id"]))
        )
        helpers.append(
            {"k": row["helper_id"], "phone": None if sealed else phone, "sealed": sealed}
        )
    if helpers:
        conn.execute(
            h.update()
            .where(h.c.helper_id == sa.bindparam("k"))
            .values(phone=sa.bindparam("phone"), sealed=sa.bindparam("sealed")),
            helpers,
        )
    counts["helpers"] = len(helpers)
    from jieqin.storage.sql.monitoring import rekey_observations

    counts["observations"] = rekey_observations(conn, sealer, decrypt=decrypt)
    return counts


def rekey_storage(storage: Any, *, actor: str = "jieqin", decrypt: bool = False) -> dict[str, int]:
    """:func:`rekey` a :class:`~jieqin.storage.sql.SqlStorage` in one transaction, with
    an audit entry (``rekey`` or ``decrypt``, the key id and the counts)."""
    from jieqin.storage.sql.backend import SqlStorage

    if not isinstance(storage, SqlStorage):
        raise StorageError("only a SQL database is encrypted at rest; there is nothing to rekey")
    sealer = storage.sealer
    if sealer is None:
        raise StorageError(
            "no key provider is installed: install the plugin that provides the keys "
            "(jieqin_key_provider), then rekey"
        )
    with storage.unit_of_work(actor) as uow:
        counts = rekey(uow.connection, sealer, decrypt=decrypt)
        action = "decrypt" if decrypt else "rekey"
        uow.record(action, "household_members", None, {**counts, "key_id": sealer.key_id})
        uow.commit()
    return counts
