"""The vendor registry tables (``breachscope vendors ...``): kept across incidents.

- ``inventory_vendors``: one row per vendor that receives data: purpose, status, contract facts
  (DPA date, breach-notice clause in hours, sub-processors, deletion clause), contacts, last
  review. A contract fact nobody recorded is ``NULL`` and reads as *unknown*, never as "none"
  (``subprocessors = []`` means "recorded: none"; ``NULL`` means "not recorded").
- ``inventory_evidence``: each file that established flows (a HAR capture, a tracking plan), by
  name and SHA-256, with a summary (counts, read issues, pages where the SDK loads, masked keys).
- ``inventory_flows``: what is sent to a vendor: one field with its data classes, from where
  (pages or a recorded origin), how many values were seen, and the evidence that established it
  (``evidence_id``; ``NULL`` for a flow a person typed in, ``source = manual``).
- ``inventory_incident_vendors``: an incident linked to a vendor, with the stored comparison of
  the fields sent to it and the fields of the incident's leaked datasets.

Nothing here holds a leaked or observed *value*: flows hold field names, classes, counts and
page paths; keys and tokens seen in traffic are stored masked. The rows describe the company's
vendors, not people, so purge keeps them. Migration: ``0060_inventory``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from breachscope.case.base import Base
from breachscope.case.models import UTCDateTime

#: Vendor statuses (``removed`` is set by ``vendors remove``).
STATUSES: tuple[str, ...] = ("active", "suspended", "removed")


class Vendor(Base):
    __tablename__ = "inventory_vendors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: ``name`` case-folded and trimmed: the identity (``vendors show mixpanel`` finds "Mixpanel").
    key: Mapped[str] = mapped_column(String(200), unique=True)
    #: The collection service it runs (a key of inventory/data/endpoints.yaml), if any.
    service: Mapped[str | None] = mapped_column(String(40))
    #: A key of inventory/data/purposes.yaml; ``""`` = not recorded.
    purpose: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    #: [{"name": ..., "email": ..., "role": ...}]
    contacts: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    dpa_date: Mapped[date | None] = mapped_column(Date)
    #: Hours within which the contract obliges the vendor to tell us of a breach (NULL: unknown).
    breach_notice_hours: Mapped[int | None] = mapped_column(Integer)
    #: Where the breach-notice duty is written (e.g. "DPA s. 7.2"); "" = recorded as none.
    breach_clause: Mapped[str | None] = mapped_column(Text)
    #: The deletion/return-of-data clause (e.g. "DPA s. 11.1"); "" = recorded as none.
    deletion_clause: Mapped[str | None] = mapped_column(Text)
    subprocessors: Mapped[list[str] | None] = mapped_column(JSON)
    #: Where the vendor processes data (ISO country codes or "EU"); GDPR Art. 28 applies to EU/EEA.
    gdpr: Mapped[bool | None] = mapped_column(Boolean)
    last_review: Mapped[date | None] = mapped_column(Date)
    #: People whose data the vendor holds, as recorded by a person (e.g. from its dashboard).
    people: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VendorEvidence(Base):
    __tablename__ = "inventory_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("inventory_vendors.id"), index=True)
    #: har | segment-protocols | mixpanel-lexicon | amplitude-data | avo
    kind: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(200))
    #: False when a budget or a bad entry left part of the file unread (see summary["issues"]).
    complete: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class VendorFlow(Base):
    __tablename__ = "inventory_flows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("inventory_vendors.id"), index=True)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("inventory_evidence.id"), index=True)
    #: manual | har | segment-protocols | mixpanel-lexicon | amplitude-data | avo
    source: Mapped[str] = mapped_column(String(40))
    #: The field as sent (``properties.$email``, ``traits.email``, ``ep.page_location``).
    field: Mapped[str] = mapped_column(String(500))
    classes: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Where it is sent from, as recorded (manual) or the event names (tracking plans).
    origin: Mapped[str] = mapped_column(Text, default="")
    #: Pages (scheme://host/path, no query) that sent it (HAR), first ones only.
    pages: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Values observed (HAR) or NULL (plans and manual flows: declared, not observed).
    values_seen: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(200))


class IncidentVendor(Base):
    __tablename__ = "inventory_incident_vendors"
    __table_args__ = (
        UniqueConstraint("incident_id", "vendor_id", name="uq_inventory_incident_vendors_pair"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("inventory_vendors.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(200))
    #: The stored comparison (``inventory.compare``), ``NULL`` until first compared.
    comparison: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    compared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
