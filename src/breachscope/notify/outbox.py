"""The outbox: one row per (incident, recipient, notice kind), its attempts, and the send runs.

``notify_outbox.idempotency_key`` (``<incident>:<kind>:<recipient>``) is unique, so queuing the
same notice twice is a no-op, and the Message-ID is derived from it, so a message that must be
re-sent carries the same Message-ID. States::

    queued --claim--> sending --250--> sent
       ^                 |--4xx--> queued (next_attempt_at = backoff) --max attempts--> failed
       |                 |--5xx--> bounced
       +--- crash before the final "." (final_dot_at is NULL): requeued by the next run
            crash after it: "presume-sent" (sent, confirmed = false) or "resend" (queued)

Rows hold what the notice needs (address, display name, rendered subject and body) and are
deleted by ``case purge`` (``info={"purge": "delete"}``), like every other person-derived row.
"""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from breachscope.case.base import Base
from breachscope.case.models import PURGE_DELETE, UTCDateTime

STATES: tuple[str, ...] = ("queued", "sending", "sent", "failed", "bounced")


class OutboxMessage(Base):
    __tablename__ = "notify_outbox"
    __table_args__ = (
        Index("ix_notify_outbox_incident_state", "incident_id", "state"),
        # The public notice check finds a notice by the reference a recipient types (migration 0053).
        Index("ix_notify_outbox_reference", "reference"),
        {"info": PURGE_DELETE},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # user | admin | regulator
    recipient_key: Mapped[str] = mapped_column(String(250))
    language: Mapped[str] = mapped_column(String(20))
    to_addr: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str] = mapped_column(String(300), default="")
    subject: Mapped[str] = mapped_column(Text)
    #: zlib-compressed JSON {"text": ..., "html": ...}: exactly what will be sent.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    reference: Mapped[str] = mapped_column(String(20))
    #: The recipient's jurisdiction codes as ";US;US-CA;DE;" (leak and directory; migration 0023).
    jurisdictions: Mapped[str | None] = mapped_column(String(200))
    message_id: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set (and committed) just before the closing "." of DATA: from then on the server may have it.
    final_dot_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: True when the server's 250 was read; False when presumed sent after a crash.
    confirmed: Mapped[bool | None] = mapped_column(Boolean)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxAttempt(Base):
    """One delivery attempt of one notice (or one recovery decision about it)."""

    __tablename__ = "notify_attempts"
    __table_args__ = ({"info": PURGE_DELETE},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("notify_outbox.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: sent | temporary | permanent | failed | requeued | unconfirmed | error
    outcome: Mapped[str] = mapped_column(String(20))
    code: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")


class NotifyRun(Base):
    """One ``breachscope notify`` run (a lock while running; counts when done; no person data)."""

    __tablename__ = "notify_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(20))  # send | dry-run
    audience: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: finished | crashed | running
    status: Mapped[str] = mapped_column(String(20), default="running")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        # one running send per incident, whatever the timing of two starts (migration 0005)
        Index(
            "uq_notify_runs_one_running",
            "incident_id",
            unique=True,
            sqlite_where=text("status = 'running' AND mode = 'send'"),
            postgresql_where=text("status = 'running' AND mode = 'send'"),
        ),
    )


def pack_body(text: str, html: str) -> bytes:
    return zlib.compress(json.dumps({"text": text, "html": html}, ensure_ascii=False).encode(), 1)


def unpack_body(body: bytes) -> tuple[str, str]:
    data = json.loads(zlib.decompress(body).decode())
    return str(data["text"]), str(data["html"])
