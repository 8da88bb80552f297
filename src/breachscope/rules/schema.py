"""The shape of a rule file, as typed frozen dataclasses.

A rule file describes one jurisdiction: its codes (ISO 3166), time zone, and a list of rules. A
rule is one legal duty: who must tell whom, when it is triggered, by when, with what content.
``loader.py`` turns YAML into these classes and names the file, rule and field of any error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Recipient = Literal[
    "authority",
    "individuals",
    "attorney_general",
    "credit_agencies",
    "controller",
    "other_regulator",
    "media",
    "public",
    "records",
]
#: ``records``: not a notice but a record the law makes you keep (GDPR Art. 33(5), PIPEDA s 10.3,
#: Quebec's register): owed even when no notice is, with its retention period.
RECIPIENTS: tuple[str, ...] = (
    "authority",
    "individuals",
    "attorney_general",
    "credit_agencies",
    "controller",
    "other_regulator",
    "media",
    "public",
    "records",
)

#: ``occurrence_or_informed``: from when you were informed for a vendor breach, else from occurrence.
#: ``after_duty``: from when another duty (``deadline.after``) was performed, e.g. California's
#: sample notice to the AG "within 15 days of notifying residents".
ClockEvent = Literal[
    "awareness",
    "discovery",
    "after_assessment",
    "occurrence",
    "determination",
    "occurrence_or_informed",
    "after_duty",
]
CLOCK_EVENTS: tuple[str, ...] = (
    "awareness",
    "discovery",
    "after_assessment",
    "occurrence",
    "determination",
    "occurrence_or_informed",
    "after_duty",
)
#: What of the other duty starts an ``after_duty`` clock: it was performed (the first notice of
#: that duty sent, from the notify outbox), or a person recorded its decision (a determination).
AfterEvent = Literal["performed", "decided"]

Unit = Literal["hours", "days", "business_days"]
UNITS: tuple[str, ...] = ("hours", "days", "business_days")

DeadlineForm = Literal["fixed", "without_undue_delay", "as_soon_as_practicable", "immediately", "promptly"]
DEADLINE_FORMS: tuple[str, ...] = (
    "fixed",
    "without_undue_delay",
    "as_soon_as_practicable",
    "immediately",
    "promptly",
)

Confidence = Literal["confirmed", "unconfirmed"]
CONFIDENCES: tuple[str, ...] = ("confirmed", "unconfirmed")

DutyOf = Literal["controller", "processor"]
DUTY_OF: tuple[str, ...] = ("controller", "processor")

#: ``encrypted_factor``: never applied; when the data was encrypted and the key not exposed it is
#: listed as a factor against (regulator guidance, e.g. EDPB on GDPR Art. 33).
ExemptionKind = Literal["encrypted_key_safe", "judgment", "encrypted_factor"]
EXEMPTION_KINDS: tuple[str, ...] = ("encrypted_key_safe", "judgment", "encrypted_factor")

#: ``jurisdiction``: people in this file's codes; ``incident``: the whole incident; ``subdivision``:
#: the largest single subdivision count (e.g. "more than 500 residents of a State", HIPAA media).
HeadcountScope = Literal["jurisdiction", "incident", "subdivision"]


def distinct_total(counts: Mapping[str, int]) -> int:
    """Sum of counts keyed by ISO code, not counting a subdivision twice when its country is there."""
    return sum(n for code, n in counts.items() if not ("-" in code and code.split("-", 1)[0] in counts))


# --- trigger: a small tree of conditions, evaluated with three values (yes / no / unknown) -------


@dataclass(frozen=True)
class Combo:
    """A data-class combination: every group must have at least one present class.

    Written in a rule file as ``"person_name + government_id|payment_card"``.
    """

    groups: tuple[tuple[str, ...], ...]

    def text(self) -> str:
        return " + ".join("|".join(g) for g in self.groups)


@dataclass(frozen=True)
class Always:
    """True when any personal data was exposed (no threshold in the law)."""

    words: str = ""


@dataclass(frozen=True)
class Classes:
    combos: tuple[Combo, ...]
    words: str = ""


@dataclass(frozen=True)
class Headcount:
    min_affected: int
    scope: HeadcountScope = "jurisdiction"
    words: str = ""


@dataclass(frozen=True)
class Malicious:
    """True when the breach was (or may have been) caused by an unauthorised outsider."""

    words: str = ""


@dataclass(frozen=True)
class Acquired:
    """True when the personal information was acquired or used by an unauthorised person: the
    recorded cause (outside attacker, insider, misdirected export), a malicious actor, or a vendor
    breach in which the dataset was exfiltrated from the vendor. See ``Facts.unauthorised_acquisition``."""

    words: str = ""


@dataclass(frozen=True)
class DutyIs:
    """True when another duty of the same assessment (``rule``) is required; unknown while it
    needs a decision; false when it is not required or not applied. E.g. Texas' CRA notice applies
    only when notice to more than 10,000 individuals is actually required."""

    rule: str
    words: str = ""


@dataclass(frozen=True)
class Determined:
    """True when ``rule`` was settled as not required by a recorded determination (e.g. Florida's
    written no-harm determination, which must then be sent to the Department of Legal Affairs)."""

    rule: str
    words: str = ""


@dataclass(frozen=True)
class UnlessDetermined:
    """Required by default; false only once a person records the determination the law names
    (``--decide RULE --verdict not_required``), e.g. Florida's and Washington's no-harm determination."""

    determination: str
    words: str = ""


@dataclass(frozen=True)
class Sector:
    sector: str
    words: str = ""


@dataclass(frozen=True)
class Risk:
    """A risk threshold: never decided by the engine, only by a recorded decision."""

    level: str
    words: str = ""
    factors: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]
    words: str = ""


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]
    words: str = ""


Condition = (
    Always
    | Classes
    | Headcount
    | Malicious
    | Acquired
    | DutyIs
    | Determined
    | UnlessDetermined
    | Sector
    | Risk
    | AnyOf
    | AllOf
)


# --- the rest of a rule ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    amount: int
    unit: Unit


@dataclass(frozen=True)
class LongerBound:
    """Another outer bound that replaces the deadline's when ``when`` is yes (Japan: 60 days for an
    item-3 leak instead of 30, even if item 4 applies too)."""

    when: Condition
    bound: Period
    words: str


@dataclass(frozen=True)
class Deadline:
    form: DeadlineForm
    clock: ClockEvent
    words: str
    bound: Period | None = None
    #: "statute" when the law states the bound; "guidance" when a regulator's guidance does.
    bound_basis: Literal["statute", "guidance"] = "statute"
    #: count to the end of the last local day (e.g. "3 calendar days after the day ...").
    end_of_day: bool = False
    #: ``after_duty`` clocks: the rule id of the other duty, and what of it starts the clock.
    after: str = ""
    after_event: AfterEvent = "performed"
    #: what the regulator expects when the deadline had already passed at awareness (late notice).
    late: str = ""
    instead: tuple[LongerBound, ...] = ()


@dataclass(frozen=True)
class ContentItem:
    id: str
    words: str


@dataclass(frozen=True)
class Exemption:
    kind: ExemptionKind
    words: str
    citation: str = ""


#: Languages every rule's title is written in besides English (``titles:`` in a rule file):
#: the languages of the incident report and the notices.
TITLE_LANGUAGES: tuple[str, ...] = ("id",)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    duty_of: DutyOf
    recipient: Recipient
    recipient_name: str
    statute: str
    citation: str
    trigger: Condition
    deadline: Deadline
    content: tuple[ContentItem, ...]
    effective_from: date
    confidence: Confidence
    sources: tuple[str, ...]
    until: date | None = None
    exemptions: tuple[Exemption, ...] = ()
    assessment_within: Period | None = None
    confidence_reason: str = ""
    notes: str = ""
    #: record-keeping duties (recipient ``records``): how long the record must be kept.
    retention: str = ""
    #: the regulator's own language: language -> {recipient_name, citation, deadline} for drafts.
    local: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: the title in the other languages of the reports and console (language -> title; the
    #: loader requires every one of :data:`TITLE_LANGUAGES`); ``title`` is the English one.
    titles: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: str
    codes: tuple[str, ...]
    timezone: str
    law: str
    rules: tuple[Rule, ...]
    file: str = ""

    def affected(self, counts: Mapping[str, int]) -> int:
        """People covered by this file. A subdivision count ("US-CA") is part of its country's
        ("US"), so it is only added when the country itself is not counted."""
        return distinct_total({code: n for code, n in counts.items() if self.covers(code)})

    def largest_subdivision(self, counts: Mapping[str, int]) -> int:
        """The largest count of one covered subdivision ("US-CA"), or 0 when none is known."""
        return max((n for code, n in counts.items() if "-" in code and self.covers(code)), default=0)

    def covers(self, code: str) -> bool:
        """Whether an affected person's jurisdiction code (``"DE"``, ``"US-CA"``) falls under this file."""
        for pattern in self.codes:
            if pattern.endswith("*"):
                if code.startswith(pattern[:-1]):
                    return True
            elif code == pattern:
                return True
        return False


@dataclass(frozen=True)
class ActionSpec:
    """A recommended action from ``data/actions.yaml``: taken when any of ``when_any`` is exposed.

    ``text`` and ``not_needed`` map language codes (``en``, ``id``) to words; ``not_needed`` may use
    ``{classes}`` and ``{values}`` (the absent classes and the number of values checked).
    """

    id: str
    audience: Literal["recipients", "company"]
    when_any: tuple[str, ...]
    text: dict[str, str]
    not_needed: dict[str, str]


@dataclass(frozen=True)
class RuleSet:
    jurisdictions: tuple[Jurisdiction, ...]
    #: ``sha256:<first 16 hex>`` of every rule file's name and bytes, plus the tool version.
    version: str
    files: tuple[str, ...] = field(default=())
    actions: tuple[ActionSpec, ...] = field(default=())

    def rule(self, rule_id: str) -> tuple[Jurisdiction, Rule]:
        for j in self.jurisdictions:
            for r in j.rules:
                if r.id == rule_id:
                    return j, r
        raise KeyError(rule_id)
