"""The case tables: incidents, their timeline, datasets, exposures, accounts, matches, audit.

Every table hangs off ``incidents.id`` (an integer), so other stages (assessments, the outbox)
add their own tables with a plain ``ForeignKey("incidents.id")``.

What is stored about leaked people is deliberately narrow: keyed hashes (HMAC under the case's
own key) of every identifier, the set of exposed data classes and fields, a coarse location, and
only the values a notice must quote (email, display name, city/region/country names). Nothing
else from the leaked file is copied.

Tables that hold person-derived data carry ``info={"purge": "delete"}``; :func:`case.purge.purge`
deletes their rows for the incident. Other stages mark their own tables the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column

from breachscope.case.base import Base

#: ``__table_args__`` info marking a table whose rows for an incident are deleted by purge.
PURGE_DELETE: dict[str, Any] = {"purge": "delete"}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("case timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    vendor: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    #: When the breach itself happened (best estimate; migration 0010).
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the vendor detected the breach (their statement).
    vendor_detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the vendor told us.
    vendor_notified_us_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When we received the affected dataset.
    dataset_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When we became aware of a breach affecting our users (starts most legal clocks).
    aware_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed | purged
    #: Older versions kept the per-case HMAC key here in plain; ``open_case_db`` moves it out
    #: (into ``wrapped_key``) and sets this NULL. Never written any more.
    hash_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: The per-case HMAC key, encrypted under the key-encryption key kept outside the database
    #: (``breachscope.case.keys``); NULL once purged (leftover hashes become unlinkable).
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Which key-encryption key wrapped it (a fingerprint, not the key).
    key_id: Mapped[str | None] = mapped_column(String(32))
    #: ``case new --encrypt``: notice values of exposures are stored sealed (case/sealed.py).
    seal_values: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NamedKey(Base):
    """A key that belongs to the database, not to one incident (the canary registry's HMAC key):
    stored only wrapped under the key-encryption key, like ``incidents.wrapped_key``, and re-wrapped
    by key rotation (migration 0064)."""

    __tablename__ = "named_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(60), unique=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str | None] = mapped_column(String(32))


class TimelineEvent(Base):
    __tablename__ = "timeline_events"
    # The timeline page by page (the server's API; migration 0045).
    __table_args__ = (Index("ix_timeline_events_incident_at", "incident_id", "at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="note")  # note | created | attach | scope ...
    message: Mapped[str] = mapped_column(Text)


class IncidentFact(Base):
    """One recorded value of an incident fact (cause, our systems affected, ...): who set it, when.

    Rows are never updated: a change adds a row, so the history stays. The current value of a key
    is its latest row (highest id). The vocabulary and validation are in :mod:`case.facts`.
    """

    __tablename__ = "incident_facts"
    __table_args__ = (Index("ix_incident_facts_incident_key", "incident_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    key: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Dataset(Base):
    __tablename__ = "datasets"
    # Attaching the same file twice is refused by sha256 (case.api.attach_dataset); migration 0006.
    __table_args__ = (Index("ix_datasets_incident_sha256", "incident_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    format: Mapped[str] = mapped_column(String(40), default="")
    vendor: Mapped[str | None] = mapped_column(String(100))
    layout: Mapped[str | None] = mapped_column(String(100))
    #: The whole ``ScanReport.to_dict()``, so reports never rescan. Reduced to class statuses by purge.
    scan_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    records: Mapped[int] = mapped_column(BigInteger, default=0)
    exposures: Mapped[int] = mapped_column(Integer, default=0)
    #: The scan read every record (True) or left content unread (False); NULL: attached before
    #: breachscope recorded it (then the stored scan report decides). Migration 0006.
    complete: Mapped[bool | None] = mapped_column(Boolean)
    unread_records: Mapped[int] = mapped_column(BigInteger, default=0)
    unread_bytes: Mapped[int | None] = mapped_column(BigInteger)  # NULL: unknown (or none recorded)
    #: A person accepted the unread part of an incomplete dataset (who, why, when): only then may
    #: assess and notify say a class absent from the records read is "not included".
    incomplete_accepted_by: Mapped[str | None] = mapped_column(String(200))
    incomplete_accepted_why: Mapped[str | None] = mapped_column(Text)
    incomplete_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Canary records (synthetic people planted at vendors, breachscope.canary) found among
    #: ``records`` and left out of the people; NULL: no canary check ran at attach (none issued
    #: then, or attached before breachscope left them out). Migration 0072.
    canary_records: Mapped[int | None] = mapped_column(BigInteger)
    #: Those records per vendor whose canaries they hold ({vendor: records}).
    canary_vendors: Mapped[dict[str, int] | None] = mapped_column(JSON)
    #: An attach storing its people batch by batch (the server on SQLite) has not finished: its
    #: people are still coming, or its process died mid-way. No stage reads such a dataset or
    #: the people first seen in it (``case.api.list_datasets``, ``settled``); the server's job
    #: runner removes it when it finds its job no longer running. Migration 0093.
    attaching: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: The server job that attached (or is attaching) it; NULL for the CLI and the library.
    attach_job_id: Mapped[int | None] = mapped_column(Integer)

    @property
    def is_complete(self) -> bool:
        """Complete read, from the recorded column or (older datasets) the stored scan report."""
        if self.complete is not None:
            return self.complete
        scan = self.scan_json or {}
        return bool(scan.get("complete", True))

    @property
    def absence_usable(self) -> bool:
        """May "absent" classes of this dataset be said "not included"? Complete, or accepted."""
        return self.is_complete or self.incomplete_accepted_by is not None


class Exposure(Base):
    """One leaked person (deduplicated per incident by ``person_key_hash``)."""

    __tablename__ = "exposures"
    __table_args__ = (
        UniqueConstraint("incident_id", "person_key_hash", name="uq_exposures_incident_person"),
        {"info": PURGE_DELETE},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No separate index: the unique (incident_id, person_key_hash) index serves incident lookups.
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)  # first seen in
    person_key_hash: Mapped[str] = mapped_column(String(32))
    # distinct_id | user_id | email | anonymous_id | row
    person_key_kind: Mapped[str] = mapped_column(String(20))
    # Keyed hashes (HMAC under incidents.hash_key) of each identifier, NULL where absent. Matching
    # runs in DuckDB, so only the email hash is indexed (for "is this address in the leak?").
    distinct_id_hash: Mapped[str | None] = mapped_column(String(32))
    user_id_hash: Mapped[str | None] = mapped_column(String(32))
    email_hash: Mapped[str | None] = mapped_column(String(32), index=True)  # normalised email
    email_loose_hash: Mapped[str | None] = mapped_column(String(32))  # gmail dots / plus-tag folded
    email_skeleton_hash: Mapped[str | None] = mapped_column(String(32))  # confusables folded (review)
    org_id_hash: Mapped[str | None] = mapped_column(String(32))
    exposed_classes: Mapped[list[str]] = mapped_column(JSON, default=list)
    exposed_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Coarse location, as leaked, plus its ISO resolution.
    country_code: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    region_code: Mapped[str | None] = mapped_column(String(10))  # ISO 3166-2, e.g. US-CA
    #: Where the person lives, as an ISO code ("US-CA", else "DE"); from the leak, else the directory.
    jurisdiction: Mapped[str | None] = mapped_column(String(10))
    #: leak_region | leak_country | directory_country; NULL = unknown.
    jurisdiction_source: Mapped[str | None] = mapped_column(String(30))
    #: The matched account's directory country (ISO 3166-1), set by ``scope`` whatever the leak
    #: says: a person counts in the leak's jurisdiction AND the directory's (migration 0022).
    directory_jurisdiction: Mapped[str | None] = mapped_column(String(10))
    # Only what a notice quotes back to the person (sealed, when the incident encrypts values:
    # TEXT on PostgreSQL, since a sealed value is longer than the plain one; migration 0019).
    email: Mapped[str | None] = mapped_column(String(320).with_variant(Text(), "postgresql"))
    display_name: Mapped[str | None] = mapped_column(String(300))  # no longer stored (always NULL)
    city: Mapped[str | None] = mapped_column(String(200).with_variant(Text(), "postgresql"))
    region: Mapped[str | None] = mapped_column(String(200).with_variant(Text(), "postgresql"))
    country: Mapped[str | None] = mapped_column(String(200).with_variant(Text(), "postgresql"))


class DatasetPerson(Base):
    """A person an earlier dataset already held, found again in a later dataset of the incident
    (people first seen in a dataset carry it in ``exposures.dataset_id``), with the data classes
    this dataset added for them. Follow-up notices use it (migration 0065)."""

    __tablename__ = "dataset_people"
    __table_args__ = (
        UniqueConstraint("dataset_id", "exposure_id", name="uq_dataset_people_dataset_exposure"),
        Index("ix_dataset_people_exposure_id", "exposure_id"),
        {"info": PURGE_DELETE},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    exposure_id: Mapped[int] = mapped_column(ForeignKey("exposures.id"))
    new_classes: Mapped[list[str]] = mapped_column(JSON, default=list)


class Account(Base):
    """A directory account the scope touched: matched users and the admins of affected orgs."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("incident_id", "user_id", name="uq_accounts_incident_user"),
        # An organization's admins and users, page by page (scope/browse.py; migration 0052).
        Index("ix_accounts_incident_org", "incident_id", "org_id", "id"),
        # An incident's affected users, page by page (the server's API; migration 0045).
        Index("ix_accounts_incident_affected", "incident_id", "affected", "id"),
        {"info": PURGE_DELETE},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(300))
    org_id: Mapped[str | None] = mapped_column(String(200), index=True)
    org_name: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(40))  # admin | owner | member ...
    language: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(100))
    country_code: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 of ``country``
    created: Mapped[str | None] = mapped_column(String(40))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    affected: Mapped[bool] = mapped_column(Boolean, default=False)  # own record leaked


class Match(Base):
    """A leaked person linked to an account (or, for key ``org_id``, only to an organization)."""

    __tablename__ = "matches"
    __table_args__ = (
        Index("ix_matches_incident_exposure", "incident_id", "exposure_id"),
        # Foreign-key lookups when accounts or exposures are deleted (migration 0004).
        Index("ix_matches_account_id", "account_id"),
        Index("ix_matches_exposure_id", "exposure_id"),
        # The console's review list (scope/browse.py; migration 0052).
        Index("ix_matches_incident_ambiguous", "incident_id", "ambiguous", "exposure_id"),
        {"info": PURGE_DELETE},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    exposure_id: Mapped[int] = mapped_column(ForeignKey("exposures.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    org_id: Mapped[str | None] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(30))  # user_id | distinct_id | email | email_loose | org_id
    strength: Mapped[int] = mapped_column(Integer)  # higher is stronger, see scope.matching.STRENGTH
    ambiguous: Mapped[bool] = mapped_column(Boolean, default=False)


class AffectedOrg(Base):
    """One affected organization of the latest scope: its roll-up, computed once by ``scope``
    and read by the scope report and the recipients list (migration 0026)."""

    __tablename__ = "affected_orgs"
    __table_args__ = (
        UniqueConstraint("incident_id", "org_id", name="uq_affected_orgs_incident_org"),
        # Organization search by name prefix (scope/browse.py; migration 0052).
        Index("ix_affected_orgs_incident_name", "incident_id", "org_name"),
        {"info": PURGE_DELETE},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    org_id: Mapped[str] = mapped_column(String(200))
    org_name: Mapped[str | None] = mapped_column(String(300))
    leaked_people: Mapped[int] = mapped_column(Integer)  # non-ambiguous matches in the org
    affected_users: Mapped[int] = mapped_column(Integer)  # accounts whose own record leaked
    org_only_people: Mapped[int] = mapped_column(Integer)  # matched to the org, not to an account
    admins: Mapped[int] = mapped_column(Integer)
    exposed_classes: Mapped[list[str]] = mapped_column(JSON, default=list)


class ScopeRun(Base):
    """One ``breachscope scope`` run: its summary (counts only, no person data)."""

    __tablename__ = "scope_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    directory: Mapped[str] = mapped_column(Text)  # source description, never a password
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditRecord(Base):
    """Things that must be provable later, such as a purge: what, by whom, when. Never deleted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))  # purge | ...
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
