"""The canary tables: the registry (issue runs and keyed hashes of canary values) and what checks found.

The registry spans incidents: canaries are planted before any leak. It holds, per canary value,
only a keyed hash (HMAC-SHA256 under the database's ``canary registry`` key, kept wrapped in
``named_keys``) and a 32-bit prefilter bucket under a key-derived salt; never the value itself.
The export file written by ``canary issue`` is the only plaintext.

``canary_checks`` / ``canary_hits`` record, per incident, each check (a dataset attached, a file
checked, a mail received) and the canaries it found. Canaries are synthetic people, so these rows
hold no leaked person's data; a mail hit keeps the sender and headers of the mail, which are
evidence about the leaker (shown inert everywhere).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from breachscope.case.base import Base
from breachscope.case.models import UTCDateTime

#: The canary value kinds that are hashed into the registry (names are not: not unique to a canary).
FIELDS: tuple[str, ...] = ("email", "user_id", "distinct_id", "honeytoken")


class CanaryBatch(Base):
    """One ``canary issue`` run: N synthetic people for one vendor."""

    __tablename__ = "canary_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor: Mapped[str] = mapped_column(String(200))
    #: ``vendor`` casefolded: how batches of one vendor are grouped.
    vendor_key: Mapped[str] = mapped_column(String(200), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer)
    domain: Mapped[str] = mapped_column(String(253))
    honeytoken: Mapped[bool] = mapped_column(Boolean, default=False)
    export_format: Mapped[str] = mapped_column(String(40))
    #: The prefilter's probe value when issued; a check whose DuckDB gives another one hashes
    #: every value in full (see :mod:`breachscope.canary.matcher`).
    probe: Mapped[int] = mapped_column(BigInteger)
    #: Set when a person retires the batch (no longer planted); its hits are still reported.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CanaryValue(Base):
    """The keyed hash of one value of one canary (its email, user id, distinct id or honeytoken)."""

    __tablename__ = "canary_values"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("canary_batches.id"), index=True)
    #: 1..count within the batch: which synthetic person.
    canary_no: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(20))
    value_hash: Mapped[str] = mapped_column(String(32), unique=True)
    prefilter: Mapped[int] = mapped_column(BigInteger)


class CanaryCheck(Base):
    """One check of a leaked file (or one mail) against the registry, recorded in an incident."""

    __tablename__ = "canary_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"))
    source: Mapped[str] = mapped_column(String(20))  # dataset | file | mail
    file_name: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(200))
    values_checked: Mapped[int] = mapped_column(BigInteger)
    records: Mapped[int] = mapped_column(BigInteger)
    complete: Mapped[bool] = mapped_column(Boolean)
    registered: Mapped[int] = mapped_column(Integer)  # canaries in the registry at check time
    #: none | vendor | several
    verdict: Mapped[str] = mapped_column(String(20))
    vendors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text)


class CanaryHit(Base):
    """One canary found by a check: which one, where (column or mail), how often."""

    __tablename__ = "canary_hits"
    __table_args__ = (Index("ix_canary_hits_incident", "incident_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("canary_checks.id"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("canary_batches.id"))
    canary_no: Mapped[int] = mapped_column(Integer)
    vendor: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(20))
    column: Mapped[str | None] = mapped_column(String(500))
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
