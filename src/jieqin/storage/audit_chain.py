"""The audit log's hash chain: how an entry is hashed, chained and verified.

Every entry carries ``hash``, a digest of its content and of the previous entry's
hash (``prev_hash``; the first entry chains to :data:`GENESIS`), so changing,
removing, replacing or inserting an entry anywhere but at the end breaks the chain
at that entry, and :func:`verify` names it. Timestamps never go backwards along the
chain, so an entry inserted later with an earlier date is caught too.

The content hashed is :func:`canonical`: the entry's fields as compact JSON with
sorted keys (UTF-8, the time in UTC with microseconds), the same on every backend.
This form never changes; a new one would need a new prefix beside ``sha256:`` and
``hmac-sha256:``.

Keyed mode: when ``JIEQIN_AUDIT_KEY`` is set (at least 16 characters), new entries
are hashed with HMAC-SHA256 under that key, so someone who can write to the
database but does not hold the key cannot make an entry that fits. Without a key
the chain is plain SHA-256: it catches every rewrite of history made without
recomputing the chain, but a writer who knows the algorithm can append a
well-formed entry at the end (or recompute the chain after a change); only the key,
or a database role that may not write the log except through jieqin, stops that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from jieqin.errors import StorageError
from jieqin.i18n import N_
from jieqin.storage.base import AuditEntry

__all__ = [
    "CHAIN_ACTION",
    "GENESIS",
    "KEY_ENV",
    "AuditLogBroken",
    "AuditProblem",
    "AuditVerification",
    "ChainHead",
    "ChainVerifier",
    "audit_key",
    "canonical",
    "chain",
    "entry_hash",
    "normalised",
    "verify",
    "verify_audit",
]

#: The ``prev_hash`` of the first entry.
GENESIS = "0" * 64

#: The variable that holds the key of keyed (HMAC) mode.
KEY_ENV = "JIEQIN_AUDIT_KEY"

#: Shortest key accepted, in bytes.
MIN_KEY_BYTES = 16

_PLAIN = "sha256:"
_KEYED = "hmac-sha256:"

#: The action of the entry that schema revision 0008 appends after the entries it
#: chained: ``changes`` is ``{"chained_through": <last entry id before it>}``.
CHAIN_ACTION = "chain"


def audit_key(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The key of keyed mode from ``JIEQIN_AUDIT_KEY`` (``None`` when it is not set)."""
    value = (os.environ if environ is None else environ).get(KEY_ENV)
    if not value:
        return None
    key = value.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise StorageError(
            f"{KEY_ENV} must be at least {MIN_KEY_BYTES} bytes long (it is {len(key)}); "
            "use a long random value, e.g. from `openssl rand -hex 32`"
        )
    return key


def normalised(changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` as it reads back from any backend (plain JSON data), so that the
    hash made on writing is the hash verified on reading."""
    try:
        text = json.dumps(dict(changes), ensure_ascii=False, allow_nan=False, default=str)
    except (TypeError, ValueError) as exc:
        raise StorageError(f"an audit entry's changes must be plain data: {exc}") from None
    value: dict[str, Any] = json.loads(text)
    return value


def _at_text(at: datetime) -> str:
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(entry: AuditEntry, prev_hash: str) -> bytes:
    """The bytes hashed for ``entry`` when it follows an entry hashed ``prev_hash``."""
    document = {
        "entry_id": entry.entry_id,
        "at": _at_text(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "changes": entry.changes,
        "prev_hash": prev_hash,
    }
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def entry_hash(entry: AuditEntry, prev_hash: str, key: bytes | None) -> str:
    """``sha256:<hex>``, or ``hmac-sha256:<hex>`` under ``key``."""
    document = canonical(entry, prev_hash)
    if key is None:
        return _PLAIN + hashlib.sha256(document).hexdigest()
    return _KEYED + hmac.new(key, document, hashlib.sha256).hexdigest()


def _is_keyed(digest: str | None) -> bool:
    return digest is not None and digest.startswith(_KEYED)


@attrs.frozen
class ChainHead:
    """The newest entry of a log: what the next entry chains to."""

    entry_id: int = 0
    hash: str = GENESIS
    at: datetime | None = None


def chain(
    head: ChainHead,
    pending: Sequence[tuple[str, str, str | None, Mapping[str, Any]]],
    actor: str,
    *,
    now: datetime,
    key: bytes | None,
) -> list[AuditEntry]:
    """The entries ``pending`` (action, entity, entity id, changes) appended after
    ``head``: numbered on, dated ``now`` (never before ``head``), hashed and linked.

    A log whose newest entry is keyed is refused without the key: an unkeyed entry
    after it would break the chain.
    """
    if key is None and _is_keyed(head.hash):
        raise StorageError(
            f"the audit log is keyed (HMAC): set {KEY_ENV} to the campaign's audit key "
            "to write to it; nothing was written"
        )
    at = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    if head.at is not None:
        last = head.at if head.at.tzinfo is not None else head.at.replace(tzinfo=UTC)
        at = max(at, last)
    entries: list[AuditEntry] = []
    prev, entry_id = head.hash, head.entry_id
    for action, entity, entity_id, changes in pending:
        entry_id += 1
        entry = AuditEntry(entry_id, at, actor, action, entity, entity_id, normalised(changes))
        digest = entry_hash(entry, prev, key)
        entries.append(attrs.evolve(entry, prev_hash=prev, hash=digest))
        prev = digest
    return entries


@attrs.frozen
class AuditProblem:
    """The first entry that does not fit the chain, and why.

    ``kind`` is ``hash_mismatch``, ``broken_link``, ``missing_entries``,
    ``time_backwards``, ``unhashed``, ``not_keyed``, ``key_needed`` or ``out_of_order``.
    """

    entry_id: int
    kind: str
    message: str


@attrs.frozen
class AuditVerification:
    """What :func:`verify` found: how many entries, the newest hash, the first problem."""

    entries: int
    last_entry_id: int
    head: str
    keyed: int
    chained_from: int
    problem: AuditProblem | None

    @property
    def ok(self) -> bool:
        """Whether every entry fits the chain."""
        return self.problem is None

    def line(self) -> str:
        """One line saying what was found."""
        if self.problem is not None:
            return N_(
                "the audit log is broken at entry {entry}: {problem}",
                entry=self.problem.entry_id,
                problem=self.problem.message,
            )
        if not self.entries:
            return N_("the audit log is empty: nothing to verify")
        if self.keyed:
            return N_(
                "the audit log is intact: {count} entries, {keyed} keyed (HMAC), the newest "
                "{entry} with hash {hash}",
                count=self.entries,
                keyed=self.keyed,
                entry=self.last_entry_id,
                hash=self.head,
            )
        return N_(
            "the audit log is intact: {count} entries, the newest {entry} with hash {hash}",
            count=self.entries,
            entry=self.last_entry_id,
            hash=self.head,
        )

    def as_dict(self) -> dict[str, Any]:
        """The result as plain data (for ``--json``)."""
        problem = None if self.problem is None else attrs.asdict(self.problem)
        return {
            "ok": self.ok,
            "entries": self.entries,
            "last_entry_id": self.last_entry_id,
            "head": self.head,
            "keyed": self.keyed,
            "chained_from": self.chained_from,
            "problem": problem,
        }


def _when(at: datetime) -> str:
    return _at_text(at).replace("T", " ").removesuffix("Z") + " UTC"


class ChainVerifier:
    """Walks a log entry by entry (:meth:`feed`), in the order of the entry ids.

    A hash that does not match or a link that does not fit stops the walk. A step
    back in time, or ids that skip while the link still fits, are also problems,
    except in the entries written before the chain existed: schema revision 0008
    chained those once and appended a ``chain`` entry after them.
    """

    def __init__(self, key: bytes | None) -> None:
        self._key = key
        self._previous: AuditEntry | None = None
        self._count = 0
        self._keyed = 0
        self._soft: AuditProblem | None = None
        self._hard: AuditProblem | None = None
        self._chained_from = 1

    def feed(self, entry: AuditEntry) -> bool:
        """Check one more entry; ``False`` once a problem stops the walk."""
        if self._hard is not None:
            return False
        self._hard = self._fault(entry)
        if self._hard is not None:
            return False
        self._soft = self._soft or self._oddity(entry)
        self._note_chain_start(entry)
        self._count += 1
        self._keyed += _is_keyed(entry.hash)
        self._previous = entry
        return True

    def _fault(self, entry: AuditEntry) -> AuditProblem | None:
        p = self._previous
        n = entry.entry_id
        if p is not None and n <= p.entry_id:
            return AuditProblem(n, "out_of_order", f"entry {n} comes after entry {p.entry_id}")
        if not entry.hash:
            return AuditProblem(n, "unhashed", "it has no hash: it was not written by jieqin")
        expected = GENESIS if p is None else (p.hash or "")
        if entry.prev_hash != expected:
            return self._broken_link(entry)
        keyed = _is_keyed(entry.hash)
        if not keyed and self._keyed:
            return AuditProblem(
                n,
                "not_keyed",
                "it is not keyed (HMAC) though the entries before it are: "
                "it was written without the audit key",
            )
        if keyed and self._key is None:
            return AuditProblem(
                n, "key_needed", f"it is keyed (HMAC): set {KEY_ENV} to verify the log"
            )
        if entry_hash(entry, expected, self._key if keyed else None) != entry.hash:
            also = f" (or {KEY_ENV} is not the key it was written with)" if keyed else ""
            return AuditProblem(
                n, "hash_mismatch", f"its content does not match its hash: it was changed{also}"
            )
        return None

    def _broken_link(self, entry: AuditEntry) -> AuditProblem:
        p = self._previous
        n = entry.entry_id
        first = 1 if p is None else p.entry_id + 1
        if n > first:
            after = "the start of the log" if p is None else f"entry {p.entry_id}"
            missing = f"entry {first} is" if n == first + 1 else f"entries {first}-{n - 1} are"
            return AuditProblem(
                n, "missing_entries", f"{missing} missing: it does not link to {after}"
            )
        before = "the start of the log" if p is None else f"entry {p.entry_id}"
        return AuditProblem(
            n,
            "broken_link",
            f"it does not link to {before}: an entry was changed, replaced or inserted",
        )

    def _oddity(self, entry: AuditEntry) -> AuditProblem | None:
        p = self._previous
        n = entry.entry_id
        if p is None:
            return None
        if _aware(entry.at) < _aware(p.at):
            return AuditProblem(
                n,
                "time_backwards",
                f"it is dated {_when(entry.at)}, before entry {p.entry_id} "
                f"({_when(p.at)}): back-dated or inserted later",
            )
        if n > p.entry_id + 1:
            first, last = p.entry_id + 1, n - 1
            missing = f"entry {first} is" if first == last else f"entries {first}-{last} are"
            return AuditProblem(n, "missing_entries", f"{missing} missing")
        return None

    def _note_chain_start(self, entry: AuditEntry) -> None:
        p = self._previous
        if (
            entry.action == CHAIN_ACTION
            and entry.entity == "audit_log"
            and p is not None
            and self._chained_from == 1
            and entry.changes.get("chained_through") == p.entry_id
        ):
            self._soft = None
            self._chained_from = entry.entry_id

    def result(self) -> AuditVerification:
        """What the walk found (the earliest problem, if any)."""
        problem = self._soft or self._hard
        if self._soft is not None and self._hard is not None:
            problem = min(self._soft, self._hard, key=lambda found: found.entry_id)
        p = self._previous
        return AuditVerification(
            entries=self._count,
            last_entry_id=0 if p is None else p.entry_id,
            head=GENESIS if p is None or p.hash is None else p.hash,
            keyed=self._keyed,
            chained_from=self._chained_from,
            problem=problem,
        )


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def verify(entries: Iterable[AuditEntry], *, key: bytes | None = None) -> AuditVerification:
    """Walk ``entries`` (oldest first) and report the first one that does not fit."""
    verifier = ChainVerifier(key)
    for entry in entries:
        if not verifier.feed(entry):
            break
    return verifier.result()


class AuditLogBroken(StorageError):
    """The audit log does not verify, or protections of it are missing."""


def verify_audit(target: object, *, key: bytes | None = None) -> AuditVerification:
    """Walk the audit log of a campaign or a storage backend and report the first entry
    that does not fit the chain. ``key`` defaults to ``JIEQIN_AUDIT_KEY``.

    The SQL backend reads the log a page at a time in a read-only transaction; any
    other backend is read through its unit of work's ``audit.entries()``.
    """
    storage = getattr(target, "storage", target)
    key = key if key is not None else audit_key()
    engine = getattr(storage, "engine", None)
    if engine is not None:
        from jieqin.storage.sql.audit import verify_engine

        return verify_engine(engine, key=key)
    unit_of_work = getattr(storage, "unit_of_work", None)
    if unit_of_work is None:
        raise StorageError(f"{type(target).__name__} is neither a campaign nor a storage")
    with unit_of_work("jieqin:audit", read_only=True) as uow:
        return verify(uow.audit.entries(), key=key)
