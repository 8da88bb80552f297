"""The reported-mail tables: every checked message (verdict, reason codes), look-alike hits, mailboxes.

``mail_checks`` holds one row per distinct message (SHA-256 of its bytes) per incident: when it
was checked, from where, the verdict, the reason **codes** (never the texts, which can name a
notice reference), whether it used the leak, and the sender domain. No subject, body, address or
link of the message is stored: the verdict is what the response needs, and the counts over time
come from these rows. ``mail_lookalike_hits`` has one row per look-alike domain a message used
(as sender or link), so counts per look-alike domain need no JSON in SQL. ``mail_mailboxes``
remembers how far a watched mailbox was read (IMAP UIDVALIDITY and last UID).

The rows describe messages and domains, not people: purge keeps them (like the look-alikes).
Migration ``0068_mail_checks``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from breachscope.case.base import Base
from breachscope.case.models import UTCDateTime


class MailCheckRow(Base):
    __tablename__ = "mail_checks"
    __table_args__ = (
        UniqueConstraint("incident_id", "sha256", name="uq_mail_checks_incident_sha256"),
        Index("ix_mail_checks_incident_checked", "incident_id", "checked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: file | maildir | imap
    source: Mapped[str] = mapped_column(String(20))
    mailbox_id: Mapped[int | None] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(20))
    #: The reason codes (``lookalike-sender``, ``asks-credentials``, ...), see docs/watch.md.
    reasons: Mapped[list[str]] = mapped_column(JSON)
    #: Quotes leaked data about the recipient or names the incident/vendor.
    breach_specific: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The leaked fields it quoted (field names: "name", "org id", "city"), never values.
    leaked_fields: Mapped[list[str]] = mapped_column(JSON)
    sender_domain: Mapped[str | None] = mapped_column(String(253))
    incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_by: Mapped[str] = mapped_column(String(200))


class LookalikeHit(Base):
    __tablename__ = "mail_lookalike_hits"
    __table_args__ = (Index("ix_mail_lookalike_hits_incident_domain", "incident_id", "domain"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    check_id: Mapped[int] = mapped_column(ForeignKey("mail_checks.id"), index=True)
    domain: Mapped[str] = mapped_column(String(253))
    #: sender | link
    role: Mapped[str] = mapped_column(String(20))
    #: How it was found: watch-list | generated | confusable | brand
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Mailbox(Base):
    """A watched mailbox and how far it was read (no password: that comes from the environment)."""

    __tablename__ = "mail_mailboxes"
    __table_args__ = (UniqueConstraint("incident_id", "kind", "location", name="uq_mail_mailboxes_location"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    kind: Mapped[str] = mapped_column(String(20))  # maildir | imap
    #: The Maildir path, or imap(s)://user@host:port/folder
    location: Mapped[str] = mapped_column(Text)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    messages: Mapped[int] = mapped_column(Integer, default=0)
