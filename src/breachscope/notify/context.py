"""What a notice says, as plain frozen dataclasses: the input of rendering.

These are notify's own shapes, filled by :mod:`breachscope.notify.sources` from the case (scope
recipients, assessment actions and duties). Rendering and message building only see these, so
they are testable without a database. Strings marked *untrusted* may come from the leaked file
or the directory and are treated as hostile (escaped, defanged, stripped of line breaks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["user", "admin", "regulator", "update"]
KINDS: tuple[Kind, ...] = ("user", "admin", "regulator")
#: CLI audience name -> notice kind.
AUDIENCES: dict[str, Kind] = {"users": "user", "admins": "admin", "regulators": "regulator"}


@dataclass(frozen=True)
class IncidentInfo:
    id: int
    name: str
    vendor: str
    #: ISO dates (YYYY-MM-DD) or "" when unknown.
    detected_on: str = ""
    aware_on: str = ""
    description: str = ""
    occurred_on: str = ""
    notified_on: str = ""
    #: Recorded incident facts (``breachscope case facts``); "unknown" unless a person recorded one.
    #: Templates state a fact only when it is recorded (see templates/<lang>/_facts.j2).
    cause: str = "unknown"
    our_systems_affected: str = "unknown"
    vendor_relationship: str = "unknown"
    working_with_vendor: str = "unknown"
    breached_party: str = "unknown"
    #: Recorded free text ("" when unknown): a statement of measures, a support phone, a help page.
    measures: str = ""
    support_phone: str = ""
    help_page: str = ""


@dataclass(frozen=True)
class ActionItem:
    """A recommended action (or one that is NOT needed, with the reason), texts per language."""

    id: str
    text: dict[str, str]
    reason: dict[str, str] = field(default_factory=dict)
    #: For a not-needed action: its words per language with ``{classes}``/``{values}`` left in,
    #: the classes that were checked and absent, and how many values were checked.
    template: dict[str, str] = field(default_factory=dict)
    classes: tuple[str, ...] = ()
    values: int = 0
    #: records the scan examined, and whether that was every record (see rules.actions.records_phrase)
    records: int = 0
    records_complete: bool = True


@dataclass(frozen=True)
class OrgInfo:
    id: str
    name: str  # untrusted
    affected_users: int
    classes: tuple[str, ...]
    #: How many of these people have their own notice queued or sent (this run or the outbox); the
    #: admin notice says "we are telling each affected person" only when that is all of them.
    users_told: int = 0


@dataclass(frozen=True)
class DutyInfo:
    """One legal duty to tell a regulator: who, under which law, what the notice must contain."""

    id: str
    jurisdiction: str
    recipient: str
    citation: str
    deadline: str = ""
    #: Content items the law requires (ids such as ``nature``, ``categories``, ``contact``...).
    required_content: tuple[str, ...] = ()
    affected_people: int = 0
    language: str = "en"
    #: The deadline as a date and hour in the regulator's time zone ("2025-11-28 07:00 WIB"), or "".
    due: str = ""
    #: Records in the leaked dataset(s) (all jurisdictions); ``None`` when the case does not say.
    records: int | None = None


@dataclass(frozen=True)
class UpdateInfo:
    """What a follow-up notice says changed (kind ``update``, see :mod:`breachscope.notify.updates`).

    ``change`` is ``dataset`` (another leaked file holding the person's record), ``class`` (a data
    class found present for them after the first notice), ``vendor_scope`` (the vendor confirmed the
    scope) or ``phishing`` (phishing that uses the leaked data is being seen). ``new_classes`` are
    the classes about this person not told before; ``None`` when what was told is not recorded
    (the notice then says nothing about classes rather than something untrue).
    """

    change: str
    on: str  # ISO date of the change
    in_reply_to: str  # Message-ID of the first notice
    new_classes: tuple[str, ...] | None = ()
    reported: int = 0  # phishing: messages reported so far


@dataclass(frozen=True)
class NoticeContext:
    """Everything one notice to one recipient needs."""

    kind: Kind
    #: Stable id of the recipient within the incident (directory user id, org, duty id).
    recipient_key: str
    email: str  # untrusted
    name: str  # untrusted
    language: str
    incident: IncidentInfo
    exposed_classes: tuple[str, ...] = ()
    #: Classes the scan proved absent from the leaked data (said as "not included"): only classes
    #: every value of which was examined, in datasets read whole or whose unread part a person accepted.
    absent_classes: tuple[str, ...] = ()
    #: How the absence was established, said in people's words: records examined, files, all read.
    checked_records: int = 0
    checked_files: int = 0
    checked_complete: bool = True
    location: str = ""  # untrusted, e.g. "Jakarta, Indonesia"
    org: OrgInfo | None = None
    actions: tuple[ActionItem, ...] = ()
    not_needed: tuple[ActionItem, ...] = ()
    duty: DutyInfo | None = None
    #: Where the recipient lives (leak and directory, ``("US-CA", "DE")``); a draft: its duty's.
    jurisdictions: tuple[str, ...] = ()
    #: A follow-up notice (kind ``update``): what changed.
    update: UpdateInfo | None = None

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.incident.id, self.kind, self.recipient_key)


def idempotency_key(incident_id: int, kind: str, recipient_key: str) -> str:
    """``<incident>:<kind>:<recipient>``: the same notice always gets the same key."""
    return f"{incident_id}:{kind}:{recipient_key}"
