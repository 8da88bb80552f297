"""The audit log: an append-only, hash-chained record of who changed or saw what, when, from where.

Each entry (table ``audit_entries``, migration ``0049_audit_chain``) has a ``seq`` (1, 2, 3, ...
without gaps), the time (UTC), the ``actor``, the ``action`` (``incident.create``,
``notify.send``, ``personal_data.view``, ...), the object (``object_type`` / ``object_id``), the
incident, the ``source`` (network address, or ``cli``), and ``details`` (JSON). Entries are
chained::

    details_sha256 = SHA-256(canonical JSON of details)
    hash           = SHA-256(prev_hash || "\\n" || canonical JSON of the entry's fields + details_sha256)

where canonical JSON has sorted keys, no spaces and ASCII escapes, and the first entry's
``prev_hash`` is 64 zeros. ``audit_head`` (one row) holds the last ``seq`` and ``hash``.

- :func:`append` adds an entry in the caller's transaction, so the entry commits or rolls back
  with the change it records. It first updates the head row, which takes the write lock
  (SQLite) or the row lock (PostgreSQL): concurrent appenders queue there, so two entries never
  get the same ``seq`` or ``prev_hash``. Append as the last step of a transaction: the lock is
  held until it commits.
- :func:`verify` recomputes the chain and names the first broken ``seq``: an entry edited (its
  hash no longer matches), inserted or reordered (``prev_hash`` no longer links), deleted (a
  gap), the tail truncated (the head is ahead of the last entry), or details removed other than
  by purge. ``anchors`` (``(seq, hash)`` pairs recorded elsewhere, e.g. ``audit head`` output
  kept off the database) also catch a chain rewritten wholesale by someone with write access.
- **Purge** (:func:`redact_incident`): the chained fields never hold leaked values (ids, counts,
  names of team members, addresses of the team's clients); ``details`` may hold stated reasons
  and other free text, so purge replaces the details of the incident's entries with ``NULL``
  and sets ``redacted_at``. ``details_sha256`` stays, so the chain still verifies; a redacted
  entry without a later ``incident.purge`` entry of its incident is reported as tampering.

Callers never put a leaked value in an entry: they name objects by id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import JSON, BigInteger, Index, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from breachscope.case.base import Base
from breachscope.case.models import UTCDateTime
from breachscope.clock import Clock, SystemClock
from breachscope.errors import InputError

__all__ = [
    "GENESIS",
    "AuditEntry",
    "AuditHead",
    "Problem",
    "VerifyResult",
    "append",
    "canonical",
    "entries",
    "entry_dict",
    "entry_hash",
    "head",
    "record_view",
    "redact_incident",
    "verify",
    "verify_rows",
]

GENESIS = "0" * 64
VERSION = 1
PURGE_ACTION = "incident.purge"
VIEW_ACTION = "personal_data.view"
_TEXT_MAX = {"actor": 200, "action": 60, "object_type": 40, "object_id": 200, "source": 200}


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_incident_seq", "incident_id", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(200))
    #: No foreign key: the log outlives anything it names.
    incident_id: Mapped[int | None] = mapped_column(Integer)
    #: Where the change came from: a network address (web), ``cli``.
    source: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    details_sha256: Mapped[str] = mapped_column(String(64))
    #: Set when purge removed the details (kept in the chain through ``details_sha256``).
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row (id 1): the last entry's ``seq`` and ``hash``; the lock appenders queue on."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))


# -- encoding --------------------------------------------------------------------------------


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, ASCII escapes, no NaN/Infinity."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _fields(row: Mapping[str, Any]) -> dict[str, Any]:
    at = row["at"]
    return {
        "v": VERSION,
        "seq": int(row["seq"]),
        "at": at if isinstance(at, str) else _stamp(at),
        "actor": row["actor"],
        "action": row["action"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "incident_id": row["incident_id"],
        "source": row["source"],
        "details_sha256": row["details_sha256"],
    }


def entry_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The hash of an entry (a mapping with the column names) chained on ``prev_hash``."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(_fields(row))).hexdigest()


def details_digest(details: Any) -> str:
    return hashlib.sha256(canonical(details)).hexdigest()


def _clean(name: str, value: str | None) -> str | None:
    """Text a database accepts on both backends: no NUL, no lone surrogates; bounded."""
    if value is None:
        return None
    text = value.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
    return text[: _TEXT_MAX[name]]


def _json_safe(details: Any) -> Any:
    """Details as they will read back from a JSON column (so the digest survives the round trip)."""
    try:
        return json.loads(canonical(details))
    except (TypeError, ValueError) as exc:
        raise InputError(f"audit details must be plain JSON: {exc}") from exc


# -- append ----------------------------------------------------------------------------------


def _lock_head(session: Session) -> tuple[int, str]:
    """Bump the head's seq (taking its lock) and return (new seq, previous hash)."""
    row = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash)
    ).first()
    if row is None:  # a database created before 0049 seeded the row (never in practice)
        session.add(AuditHead(id=1, seq=1, hash=GENESIS))
        session.flush()
        return 1, GENESIS
    return int(row[0]), str(row[1])


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    incident_id: int | None = None,
    details: Mapping[str, Any] | None = None,
    source: str | None = None,
    at: datetime | None = None,
    clock: Clock | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (commits or rolls back with it)."""
    if not actor or not actor.strip():
        raise InputError("an audit entry needs an actor", "set BREACHSCOPE_ACTOR to who you are")
    when = at if at is not None else (clock or SystemClock()).now()
    if when.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    when = when.astimezone(UTC)
    body = _json_safe(dict(details or {}))
    seq, prev = _lock_head(session)
    row: dict[str, Any] = {
        "seq": seq,
        "at": when,
        "actor": _clean("actor", actor),
        "action": _clean("action", action),
        "object_type": _clean("object_type", object_type),
        "object_id": _clean("object_id", None if object_id is None else str(object_id)),
        "incident_id": incident_id,
        "source": _clean("source", source),
        "details_sha256": details_digest(body),
    }
    digest = entry_hash(prev, row)
    entry = AuditEntry(**row, details=body, redacted_at=None, prev_hash=prev, hash=digest)
    session.add(entry)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=digest))
    session.flush()
    return entry


def record_view(
    session: Session,
    *,
    actor: str,
    reason: str,
    object_type: str,
    object_id: str | int | None,
    incident_id: int | None,
    source: str | None = None,
    fields: Iterable[str] = (),
    clock: Clock | None = None,
) -> AuditEntry:
    """Record that ``actor`` saw unmasked personal data (which object and fields, never the
    values), with the reason they stated; a view without a reason is refused."""
    if not reason or not reason.strip():
        raise InputError("unmasking personal data needs a stated reason", "say why you need to see it")
    return append(
        session,
        actor=actor,
        action=VIEW_ACTION,
        object_type=object_type,
        object_id=object_id,
        incident_id=incident_id,
        details={"reason": reason.strip(), "fields": sorted(set(fields))},
        source=source,
        clock=clock,
    )


def redact_incident(session: Session, incident_id: int, *, at: datetime) -> int:
    """Purge: drop the details of the incident's entries (the chain stays verifiable).

    Call in the purge transaction, which also appends the ``incident.purge`` entry."""
    result = session.execute(
        update(AuditEntry)
        .where(AuditEntry.incident_id == incident_id, AuditEntry.redacted_at.is_(None))
        .values(details=None, redacted_at=at)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# -- reading ---------------------------------------------------------------------------------


def head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the last entry as the head row records it; (0, GENESIS) when empty."""
    row = session.get(AuditHead, 1)
    return (0, GENESIS) if row is None else (int(row.seq), row.hash)


def entries(
    session: Session, *, incident_id: int | None = None, after_seq: int = 0, batch: int = 5000
) -> Iterator[AuditEntry]:
    """Entries in ``seq`` order (of one incident, with ``incident_id``), streamed."""
    stmt = select(AuditEntry).where(AuditEntry.seq > after_seq)
    if incident_id is not None:
        stmt = stmt.where(AuditEntry.incident_id == incident_id)
    yield from session.scalars(stmt.order_by(AuditEntry.seq).execution_options(yield_per=batch))


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    """The export shape: every column, times as ISO 8601 UTC strings."""
    row = _row_mapping(entry)
    row["at"] = _stamp(entry.at)
    row["redacted_at"] = None if entry.redacted_at is None else _stamp(entry.redacted_at)
    return row


# -- verify ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    seq: int
    what: str


@dataclass
class VerifyResult:
    """What :func:`verify` found: entries checked, the head, problems (first = lowest seq)."""

    entries: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    head_seq: int | None = None
    head_hash: str | None = None
    redacted: int = 0
    anchors_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_broken(self) -> int | None:
        return min((p.seq for p in self.problems), default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "last_seq": self.last_seq,
            "last_hash": self.last_hash,
            "head": None if self.head_seq is None else {"seq": self.head_seq, "hash": self.head_hash},
            "redacted": self.redacted,
            "anchors_checked": self.anchors_checked,
            "first_broken_seq": self.first_broken,
            "problems": [{"seq": p.seq, "what": p.what} for p in sorted(self.problems, key=lambda p: p.seq)],
        }


MAX_PROBLEMS = 100


def verify_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    head_row: tuple[int, str] | None = None,
    anchors: Iterable[tuple[int, str]] = (),
) -> VerifyResult:
    """Check a stream of entries (mappings with the column names, in ``seq`` order): from the
    database or from an export. ``head_row`` is the recorded head; ``anchors`` are (seq, hash)
    pairs recorded elsewhere that the chain must still contain."""
    res = VerifyResult()
    wanted = dict(anchors)
    seen_anchor: set[int] = set()
    redacted: dict[int, list[int]] = {}  # incident -> redacted seqs
    last_purge: dict[int, int] = {}  # incident -> seq of its last purge entry

    def problem(seq: int, what: str) -> None:
        if len(res.problems) < MAX_PROBLEMS:
            res.problems.append(Problem(seq, what))

    expected, prev = 1, GENESIS
    for row in rows:
        seq = int(row["seq"])
        res.entries += 1
        if seq != expected:
            missing = f"entry {expected}" if seq == expected + 1 else f"entries {expected}-{seq - 1}"
            problem(expected, f"{missing} missing (deleted, or the log renumbered)")
        if row["prev_hash"] != prev:
            problem(
                seq, f"entry {seq} does not link to the entry before it (inserted, reordered or rewritten)"
            )
        try:
            recomputed = entry_hash(row["prev_hash"], row)
        except (TypeError, ValueError, KeyError) as exc:
            problem(seq, f"entry {seq} cannot be encoded: {exc}")
            recomputed = ""
        if recomputed != row["hash"]:
            problem(seq, f"entry {seq} was changed (its hash does not match its content)")
        details = row["details"]
        if details is not None:
            try:
                ok = details_digest(details) == row["details_sha256"]
            except (TypeError, ValueError):
                ok = False
            if not ok:
                problem(seq, f"the details of entry {seq} were changed")
        elif row.get("redacted_at") is None or row["incident_id"] is None:
            problem(seq, f"the details of entry {seq} were removed (not by a purge)")
        else:
            redacted.setdefault(int(row["incident_id"]), []).append(seq)
            res.redacted += 1
        if row["action"] == PURGE_ACTION and row["incident_id"] is not None:
            last_purge[int(row["incident_id"])] = seq
        if seq in wanted:
            seen_anchor.add(seq)
            if wanted[seq] != row["hash"]:
                problem(seq, f"entry {seq} differs from the anchor recorded for it (the log was rewritten)")
        expected, prev = seq + 1, row["hash"]
        res.last_seq, res.last_hash = seq, row["hash"]
    for incident, seqs in redacted.items():
        for seq in seqs:
            if last_purge.get(incident, 0) < seq:
                problem(
                    seq,
                    f"the details of entry {seq} were removed, but incident {incident} was not purged later",
                )
    for seq in sorted(set(wanted) - seen_anchor):
        problem(min(seq, res.last_seq + 1), f"entry {seq} of an anchor is no longer in the log (truncated)")
    res.anchors_checked = len(wanted)
    if head_row is not None:
        res.head_seq, res.head_hash = head_row
        if head_row[0] > res.last_seq:
            problem(
                res.last_seq + 1,
                f"the log ends at entry {res.last_seq} but its head records entry {head_row[0]} (truncated)",
            )
        elif head_row != (res.last_seq, res.last_hash):
            problem(res.last_seq, f"the head ({head_row[0]}) does not match the last entry ({res.last_seq})")
    return res


def _row_mapping(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "incident_id": entry.incident_id,
        "source": entry.source,
        "details": entry.details,
        "details_sha256": entry.details_sha256,
        "redacted_at": entry.redacted_at,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def verify(session: Session, anchors: Iterable[tuple[int, str]] = ()) -> VerifyResult:
    """Recompute the whole chain of the case database (see :func:`verify_rows`)."""
    table = AuditEntry.__table__
    stmt = select(table).order_by(table.c.seq).execution_options(yield_per=5000)  # rows, not ORM objects
    rows = (cast(Mapping[str, Any], row._mapping) for row in session.execute(stmt))
    return verify_rows(rows, head_row=head(session), anchors=anchors)


def parse_anchor(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` (as ``audit head`` prints it; anything after a space, such as the time
    ``audit head --append`` adds, is a comment) -> (seq, hash)."""
    seq, _, digest = (text.strip().split() or [""])[0].partition(":")
    if not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise InputError(
            f"not an audit anchor: {text.strip()[:80]!r}",
            "give SEQ:HASH as 'breachscope audit head' prints it",
        )
    return int(seq), digest
