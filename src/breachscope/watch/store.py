"""The watch tables: every registered look-alike of an incident, and every watch run.

``watch_lookalikes`` has one row per (incident, look-alike domain) ever seen registered, with
``first_seen``/``last_seen`` and a ``state``:

- ``registered``: it resolved at the last check;
- ``gone``: it resolved before and the resolver now says NXDOMAIN (``gone_at``);
a name whose last check was inconclusive (timeout, SERVFAIL) keeps its state and gets
``unknown_at``: "not checked" never turns a look-alike into "gone".

Each row is also the response's work item (there is no task table yet): ``action`` is the
suggested step (takedown request; block at the mail gateway when it receives mail) and
``action_state`` starts ``open``. The rows describe domains, not people: purge keeps them.
Migration: ``0038_watch_lookalikes``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from breachscope.case.base import Base
from breachscope.case.models import UTCDateTime

STATES: tuple[str, ...] = ("registered", "gone")


class Lookalike(Base):
    __tablename__ = "watch_lookalikes"
    __table_args__ = (
        UniqueConstraint("incident_id", "domain", name="uq_watch_lookalikes_incident_domain"),
        Index("ix_watch_lookalikes_incident_state", "incident_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    #: The look-alike as a lowercase A-label (``xn--`` for IDN), and the official domain it imitates.
    domain: Mapped[str] = mapped_column(String(253))
    official: Mapped[str] = mapped_column(String(253))
    #: The generator that made it (dnstwist's fuzzer name; a hint, the domain is the identity).
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))
    receives_mail: Mapped[bool] = mapped_column(Boolean, default=False)
    #: {"A": [...], "AAAA": [...], "MX": [...], "NS": [...]} as last answered (bounded text).
    records: Mapped[dict[str, Any]] = mapped_column(JSON)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_checked: Mapped[datetime] = mapped_column(UTCDateTime)
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unknown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The suggested response step, and whether someone has done it (open | done).
    action: Mapped[str] = mapped_column(Text)
    action_state: Mapped[str] = mapped_column(String(20), default="open")


class WatchRun(Base):
    """One ``watch domains`` run: what was watched, through which resolver, what it found."""

    __tablename__ = "watch_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(200))
    #: The official domains, comma-separated (a rerun without --domain watches them again).
    domains: Mapped[str] = mapped_column(Text)
    resolver: Mapped[str] = mapped_column(String(100))
    candidates: Mapped[int] = mapped_column(Integer)
    registered: Mapped[int] = mapped_column(Integer)
    receives_mail: Mapped[int] = mapped_column(Integer)
    unknown: Mapped[int] = mapped_column(Integer)
    new: Mapped[int] = mapped_column(Integer)
    gone: Mapped[int] = mapped_column(Integer)
