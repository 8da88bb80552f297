"""The notify outbox's tables: one row per (incident, recipient, notice kind), its delivery
attempts, and the send runs (how :mod:`breachscope.notify` uses them: ``notify/outbox.py``).

They live in the case because they hold person-derived data (addresses, names, rendered notices)
that ``case purge`` deletes (``info={"purge": "delete"}``): purge finds every such table among
the case's own models, never by importing a stage.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from breachscope.case.base import Base
from breachscope.case.models import PURGE_DELETE, UTCDateTime

__all__ = ["NotifyRun", "OutboxAttempt", "OutboxMessage"]


class OutboxMessage(Base):
    __tablename__ = "notify_outbox"
    __table_args__ = (
        Index("ix_notify_outbox_incident_state", "incident_id", "state"),
        # The public notice check finds a notice by the reference a recipient types (migration 0053).
        Index("ix_notify_outbox_reference", "reference"),
        # The console's outbox page on millions of notices (migration 0055): counts by state and
        # kind and the unconfirmed list from the index alone; one seek per kind and language.
        Index(
            "ix_notify_outbox_incident_state_kind", "incident_id", "state", "confirmed", "kind", "language"
        ),
        Index("ix_notify_outbox_incident_kind_state", "incident_id", "kind", "state", "language"),
        # The incident report counts the outbox from this index alone (report/model.py; 0057).
        Index("ix_notify_outbox_report", "incident_id", "kind", "state", "confirmed", "sent_at"),
        # The notices queued for a retry, by last error, without reading the other queued rows (0089).
        Index(
            "ix_notify_outbox_retrying",
            "incident_id",
            "last_error",
            sqlite_where=text("state = 'queued' AND attempts > 0"),
            postgresql_where=text("state = 'queued' AND attempts > 0"),
        ),
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
    #: A follow-up: the Message-ID of the first notice it answers (In-Reply-To/References; 0065).
    in_reply_to: Mapped[str | None] = mapped_column(String(200))
    #: The data classes this notice told the recipient about (user notices and follow-ups; 0065).
    told_classes: Mapped[list[str] | None] = mapped_column(JSON)
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
