"""The facts the engine decides from, and the results it returns. Plain frozen dataclasses with
``to_dict`` so an assessment can be stored as JSON and read back unchanged."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

from breachscope.rules.schema import distinct_total

Verdict = Literal["required", "not_required", "assessment_required"]
Role = Literal["controller", "processor"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


#: Facts the engine needs an answer for, and the cautious reading used while none is recorded.
ASSUMED_WHEN_UNRECORDED: dict[str, str] = {
    "encrypted": "not encrypted",
    "breached-party": "the vendor's systems were breached",
    "role": "you are the controller",
    "cause": "unknown (duties that depend on a malicious cause need an answer)",
}


@dataclass(frozen=True)
class RiskDecision:
    """A responder's recorded answer to a risk-based duty ("assessment required")."""

    duty_id: str
    verdict: Literal["required", "not_required"]
    by: str
    why: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "duty_id": self.duty_id,
            "verdict": self.verdict,
            "by": self.by,
            "why": self.why,
            "at": _iso(self.at),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RiskDecision:
        at = _dt(d["at"])
        assert at is not None
        return cls(d["duty_id"], d["verdict"], d["by"], d["why"], at)


@dataclass(frozen=True)
class Facts:
    """What is known about the incident. All datetimes are timezone-aware.

    ``present`` / ``absent`` are data-class ids from the scan; a class in neither was not checked.
    ``affected`` maps jurisdiction codes (``"ID"``, ``"US-CA"``, ``"DE"``) to people affected.
    ``classes_by_code`` (optional) maps the same codes to the classes exposed for the people located
    there; with it, each jurisdiction's rules see only its own people's classes (plus any class no
    located person carries). Empty = every jurisdiction sees the incident's classes.
    """

    present: frozenset[str]
    affected: Mapping[str, int]
    absent: frozenset[str] = frozenset()
    values_checked: int = 0
    #: Records the scans examined in the datasets whose absences count, in how many files, and
    #: whether all of them were read whole (False: a person accepted an incomplete read).
    records_checked: int = 0
    files_checked: int = 0
    absence_complete: bool = True
    vendor_detected_at: datetime | None = None
    vendor_notified_us_at: datetime | None = None
    dataset_received_at: datetime | None = None
    aware_at: datetime | None = None
    occurred_at: datetime | None = None
    encrypted: bool = False
    key_exposed: bool | None = None
    vendor_breach: bool = True
    role: Role = "controller"
    malicious: bool | None = None
    #: The recorded cause (``breachscope case facts``): ``outside-attacker``, ``insider``,
    #: ``misdirected-export``, ``misconfigured-export`` or ``unknown`` (underscores accepted too).
    cause: str = "unknown"
    sectors: frozenset[str] = frozenset()
    #: Facts nobody recorded, assessed with their cautious reading (see ``case_facts``).
    unrecorded: tuple[str, ...] = ()
    decisions: tuple[RiskDecision, ...] = ()
    classes_by_code: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: Jurisdiction code -> when the first notice to an affected individual there was sent (from
    #: the notify outbox). Starts "after another duty is performed" clocks (California's AG notice).
    individuals_notified_at: Mapping[str, datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in (
            "vendor_detected_at",
            "vendor_notified_us_at",
            "dataset_received_at",
            "aware_at",
            "occurred_at",
        ):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"Facts.{name} must be timezone-aware")

    @property
    def total_affected(self) -> int:
        return distinct_total(self.affected)

    @property
    def cause_id(self) -> str | None:
        """The recorded cause with hyphens (``misdirected-export``); ``None`` when unknown."""
        if not self.cause:
            return None
        value = self.cause.strip().lower().replace("_", "-")
        return None if value in ("", "unknown") else value

    def unauthorised_acquisition(self) -> tuple[bool | None, str]:
        """Whether the personal information was acquired or used by an unauthorised person
        (Massachusetts c. 93H s. 3(b)), and in words why; ``None`` when the case does not say.

        An outside attacker, an insider and a misdirected export (data sent to the wrong party)
        are each acquisition by an unauthorised person; so is a vendor breach in which the dataset
        was exfiltrated from the vendor (the vendor breach breachscope handles), unless a recorded
        cause says otherwise. A misconfigured export (data left reachable) is exposure, not proven
        acquisition: it needs an answer.
        """
        cause = self.cause_id
        if cause in ("outside-attacker", "insider", "misdirected-export"):
            return True, f"recorded cause: {cause.replace('-', ' ')}"
        if self.malicious:
            return True, "the breach was caused by an unauthorised outsider"
        if cause is None and self.vendor_breach and self.role == "controller":
            return True, "a vendor breach: the dataset was exfiltrated from the vendor's systems"
        if cause == "misconfigured-export":
            return (
                None,
                "recorded cause: misconfigured export - whether anyone acquired the data is not recorded",
            )
        return None, "the cause of the breach is not recorded"

    def decision_for(self, duty_id: str) -> RiskDecision | None:
        found = [d for d in self.decisions if d.duty_id == duty_id]
        return max(found, key=lambda d: d.at) if found else None

    def gaps(self) -> list[str]:
        """What the assessment could not know, in words: a missing awareness date, unrecorded facts."""
        out: list[str] = []
        if self.aware_at is None and self.vendor_notified_us_at is None and self.dataset_received_at is None:
            out.append("no awareness date recorded: due times that run from awareness cannot be computed")
        elif self.aware_at is None:
            out.append("no awareness date recorded: clocks from awareness count from the vendor's notice")
        out += [
            f"{k} not recorded: assessed as {ASSUMED_WHEN_UNRECORDED.get(k, 'unknown')}"
            for k in self.unrecorded
        ]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "present": sorted(self.present),
            "absent": sorted(self.absent),
            "values_checked": self.values_checked,
            "records_checked": self.records_checked,
            "files_checked": self.files_checked,
            "absence_complete": self.absence_complete,
            "affected": dict(sorted(self.affected.items())),
            "vendor_detected_at": _iso(self.vendor_detected_at),
            "vendor_notified_us_at": _iso(self.vendor_notified_us_at),
            "dataset_received_at": _iso(self.dataset_received_at),
            "aware_at": _iso(self.aware_at),
            "occurred_at": _iso(self.occurred_at),
            "encrypted": self.encrypted,
            "key_exposed": self.key_exposed,
            "vendor_breach": self.vendor_breach,
            "role": self.role,
            "malicious": self.malicious,
            "cause": self.cause,
            "sectors": sorted(self.sectors),
            "unrecorded": list(self.unrecorded),
            "decisions": [d.to_dict() for d in self.decisions],
            "classes_by_code": {k: sorted(v) for k, v in sorted(self.classes_by_code.items())},
            "individuals_notified_at": {k: _iso(v) for k, v in sorted(self.individuals_notified_at.items())},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Facts:
        return cls(
            present=frozenset(d["present"]),
            absent=frozenset(d.get("absent", ())),
            values_checked=int(d.get("values_checked", 0)),
            records_checked=int(d.get("records_checked", 0)),
            files_checked=int(d.get("files_checked", 0)),
            absence_complete=bool(d.get("absence_complete", True)),
            affected=dict(d["affected"]),
            vendor_detected_at=_dt(d.get("vendor_detected_at")),
            vendor_notified_us_at=_dt(d.get("vendor_notified_us_at")),
            dataset_received_at=_dt(d.get("dataset_received_at")),
            aware_at=_dt(d.get("aware_at")),
            occurred_at=_dt(d.get("occurred_at")),
            encrypted=bool(d.get("encrypted", False)),
            key_exposed=d.get("key_exposed"),
            vendor_breach=bool(d.get("vendor_breach", True)),
            role=d.get("role", "controller"),
            malicious=d.get("malicious"),
            cause=str(d.get("cause") or "unknown"),
            sectors=frozenset(d.get("sectors", ())),
            unrecorded=tuple(d.get("unrecorded", ())),
            decisions=tuple(RiskDecision.from_dict(x) for x in d.get("decisions", ())),
            classes_by_code={k: frozenset(v) for k, v in d.get("classes_by_code", {}).items()},
            individuals_notified_at={
                k: v for k, v in ((k, _dt(x)) for k, x in d.get("individuals_notified_at", {}).items()) if v
            },
        )


@dataclass(frozen=True)
class ContentRequirement:
    id: str
    words: str


@dataclass(frozen=True)
class Duty:
    """One rule evaluated for this incident. ``id`` is the rule id (stable; decisions refer to it)."""

    id: str
    jurisdiction: str
    jurisdiction_name: str
    affected: int
    recipient: str
    recipient_name: str
    title: str
    verdict: Verdict
    due: datetime | None
    #: "notice" (deadline to notify) or "assessment" (deadline to finish the risk assessment).
    due_kind: Literal["notice", "assessment"]
    deadline_words: str
    clock: str
    clock_started: datetime | None
    overdue: bool
    reasons: tuple[str, ...]
    factors_for: tuple[str, ...]
    factors_against: tuple[str, ...]
    statute: str
    citation: str
    confidence: str
    confidence_reason: str
    sources: tuple[str, ...]
    content: tuple[ContentRequirement, ...]
    decision: RiskDecision | None = None
    duty_of: str = "controller"
    #: "required unless ...": the recorded determination that would settle it as not required.
    unless: str = ""
    #: record-keeping duties: how long the record must be kept.
    retention: str = ""
    #: the deadline had already passed when you learned of the breach (a clock from occurrence).
    overdue_at_awareness: bool = False
    #: the regulator's own language: language -> {recipient_name, citation, deadline}.
    local: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: the jurisdiction's time zone (IANA), where ``due`` is shown as a date and hour.
    timezone: str = ""
    #: the title in other languages (language -> title, from the rule file's ``titles``).
    titles: Mapping[str, str] = field(default_factory=dict)

    def title_in(self, language: str) -> str:
        """The title in ``language`` (English, or the rule's own words for it; English when the
        snapshot predates translated titles)."""
        return self.titles.get(language) or self.title

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "jurisdiction": self.jurisdiction,
            "jurisdiction_name": self.jurisdiction_name,
            "affected": self.affected,
            "recipient": self.recipient,
            "recipient_name": self.recipient_name,
            "title": self.title,
            "verdict": self.verdict,
            "due": _iso(self.due),
            "due_kind": self.due_kind,
            "deadline_words": self.deadline_words,
            "clock": self.clock,
            "clock_started": _iso(self.clock_started),
            "overdue": self.overdue,
            "reasons": list(self.reasons),
            "factors_for": list(self.factors_for),
            "factors_against": list(self.factors_against),
            "statute": self.statute,
            "citation": self.citation,
            "confidence": self.confidence,
            "confidence_reason": self.confidence_reason,
            "sources": list(self.sources),
            "content": [{"id": c.id, "words": c.words} for c in self.content],
            "decision": self.decision.to_dict() if self.decision else None,
            "duty_of": self.duty_of,
            "unless": self.unless,
            "retention": self.retention,
            "overdue_at_awareness": self.overdue_at_awareness,
            "local": {k: dict(v) for k, v in self.local.items()},
            "timezone": self.timezone,
            "titles": dict(self.titles),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Duty:
        known = {f.name for f in fields(cls)}  # a snapshot written by a newer version may hold more
        return cls(
            **{
                **{k: v for k, v in d.items() if k in known},
                "due": _dt(d["due"]),
                "clock_started": _dt(d["clock_started"]),
                "reasons": tuple(d["reasons"]),
                "factors_for": tuple(d["factors_for"]),
                "factors_against": tuple(d["factors_against"]),
                "sources": tuple(d["sources"]),
                "content": tuple(ContentRequirement(c["id"], c["words"]) for c in d["content"]),
                "decision": RiskDecision.from_dict(d["decision"]) if d.get("decision") else None,
            }
        )


@dataclass(frozen=True)
class Action:
    """Something recipients (or the company) should do, and the exposed classes that cause it.

    ``text`` holds the recipient-facing words by language: ``text["en"]``, ``text["id"]``.
    """

    id: str
    audience: Literal["recipients", "company"]
    caused_by: tuple[str, ...]
    text: Mapping[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "audience": self.audience,
            "caused_by": list(self.caused_by),
            "text": dict(self.text),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Action:
        return cls(d["id"], d["audience"], tuple(d["caused_by"]), dict(d["text"]))


@dataclass(frozen=True)
class NotNeeded:
    """An action that is NOT needed, with why: its trigger classes were checked and are absent."""

    id: str
    checked: tuple[str, ...]
    values_checked: int
    text: Mapping[str, str]
    audience: str = "recipients"  # who would have had to act: "recipients" or "company"
    #: The unformatted words per language (with ``{classes}`` and ``{records}``), so that a notice
    #: can name the classes in the recipient's language; ``text`` is the English-named rendering.
    template: Mapping[str, str] = field(default_factory=dict)
    records_checked: int = 0
    absence_complete: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "checked": list(self.checked),
            "values_checked": self.values_checked,
            "text": dict(self.text),
            "audience": self.audience,
            "template": dict(self.template),
            "records_checked": self.records_checked,
            "absence_complete": self.absence_complete,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> NotNeeded:
        return cls(
            d["id"],
            tuple(d["checked"]),
            int(d["values_checked"]),
            dict(d["text"]),
            str(d.get("audience", "recipients")),
            dict(d.get("template") or {}),
            int(d.get("records_checked", 0)),
            bool(d.get("absence_complete", True)),
        )


@dataclass(frozen=True)
class Skipped:
    """A rule that was looked at but does not apply (not in force, or another party's duty)."""

    rule_id: str
    jurisdiction: str
    why: str


@dataclass(frozen=True)
class Assessment:
    rule_set_version: str
    assessed_at: datetime
    facts: Facts
    duties: tuple[Duty, ...]
    actions: tuple[Action, ...]
    not_needed: tuple[NotNeeded, ...]
    undetermined: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    vendor_duties: tuple[Duty, ...] = field(default=())

    def duties_for(self, recipient: str, *, include_pending: bool = True) -> tuple[Duty, ...]:
        """Duties towards one kind of recipient ("individuals", "authority", ...) that are required
        (and, by default, those still waiting for a risk decision), soonest first."""
        wanted = ("required", "assessment_required") if include_pending else ("required",)
        return tuple(d for d in self.duties if d.recipient == recipient and d.verdict in wanted)

    def required_content(self, recipient: str) -> tuple[ContentRequirement, ...]:
        """Union of the content items the required notices to ``recipient`` must contain, first-seen order."""
        seen: dict[str, ContentRequirement] = {}
        for d in self.duties_for(recipient, include_pending=False):
            for c in d.content:
                seen.setdefault(c.id, c)
        return tuple(seen.values())

    def duty(self, duty_id: str) -> Duty:
        for d in self.duties:
            if d.id == duty_id:
                return d
        raise KeyError(duty_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_set_version": self.rule_set_version,
            "assessed_at": self.assessed_at.isoformat(),
            "facts": self.facts.to_dict(),
            "duties": [d.to_dict() for d in self.duties],
            "vendor_duties": [d.to_dict() for d in self.vendor_duties],
            "actions": [a.to_dict() for a in self.actions],
            "not_needed": [n.to_dict() for n in self.not_needed],
            "undetermined": list(self.undetermined),
            "skipped": [
                {"rule_id": s.rule_id, "jurisdiction": s.jurisdiction, "why": s.why} for s in self.skipped
            ],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Assessment:
        at = _dt(d["assessed_at"])
        assert at is not None
        return cls(
            rule_set_version=d["rule_set_version"],
            assessed_at=at,
            facts=Facts.from_dict(d["facts"]),
            duties=tuple(Duty.from_dict(x) for x in d["duties"]),
            vendor_duties=tuple(Duty.from_dict(x) for x in d.get("vendor_duties", ())),
            actions=tuple(Action.from_dict(x) for x in d["actions"]),
            not_needed=tuple(NotNeeded.from_dict(x) for x in d["not_needed"]),
            undetermined=tuple(d.get("undetermined", ())),
            skipped=tuple(Skipped(x["rule_id"], x["jurisdiction"], x["why"]) for x in d.get("skipped", ())),
        )
