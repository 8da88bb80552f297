"""Incident facts: what a person recorded about the breach, each with who set it and when.

A fact is a key from :data:`FACTS` with a value from its list (``yes``/``no``/``unknown`` or an
enumeration), or, for the few free-text keys (support phone, help page, measures), a checked
single line. Every change adds a row to ``incident_facts`` (history is never rewritten) and an
event to the timeline. A key nobody recorded reads as ``unknown``: assess and the notice
templates treat ``unknown`` as unknown and never assume an answer.

This module is the one source of truth for these facts; ``assess`` reads them from here (its old
``--malicious``-style flags are gone) and the notice templates only state what is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from breachscope.case.models import IncidentFact
from breachscope.clock import Clock, SystemClock
from breachscope.errors import InputError

UNKNOWN = "unknown"
YES_NO = ("yes", "no", UNKNOWN)
#: Regulated sectors a rule file can name (``sector: hipaa``); a test keeps this list in step.
SECTORS = ("hipaa",)


@dataclass(frozen=True)
class FactKey:
    """One fact a person can record: its key, the question it answers and its valid values.

    ``values`` lists the enumerated values; ``None`` means free text checked by ``kind``
    (``phone``, ``text`` or ``sectors``), where ``unknown`` (or an empty value) clears it.
    """

    key: str
    question: str
    values: tuple[str, ...] | None = YES_NO
    kind: str = "choice"
    max_length: int = 0


FACTS: tuple[FactKey, ...] = (
    FactKey(
        "cause",
        "What caused the breach?",
        ("outside-attacker", "insider", "misdirected-export", "misconfigured-export", UNKNOWN),
    ),
    FactKey("our-systems-affected", "Were our own systems affected (not only the vendor's)?"),
    FactKey(
        "vendor-relationship",
        "What happened to the vendor relationship?",
        ("stopped-sending", "removed", "continuing", UNKNOWN),
    ),
    FactKey("working-with-vendor", "Are we working with the vendor to understand the incident?"),
    FactKey(
        "measures",
        "What else are we doing? (a statement quoted in notices and drafts as written)",
        None,
        "text",
        500,
    ),
    FactKey("support-phone", "Phone number a notice may give for questions", None, "phone", 40),
    FactKey(
        "help-page",
        'Name of the page in our product where notices can be checked (e.g. "Settings > Security")',
        None,
        "text",
        80,
    ),
    FactKey("breached-party", "Whose systems were breached?", ("vendor", "us", UNKNOWN)),
    FactKey("encrypted", "Was the leaked data encrypted?"),
    FactKey("key-exposed", "Was the encryption key exposed too?"),
    FactKey("role", "Our role for this data", ("controller", "processor", UNKNOWN)),
    FactKey(
        "sectors",
        "Regulated sectors we are in, comma-separated (" + ", ".join(SECTORS) + ") or none",
        None,
        "sectors",
        200,
    ),
)
BY_KEY: dict[str, FactKey] = {f.key: f for f in FACTS}

_PHONE = re.compile(r"^\+?[0-9][0-9 ().\-/]{4,38}$")
_LINKISH = re.compile(
    r"(?i)([a-z][a-z0-9+.-]*://|www\.|@|\b[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|net|org|io|id|co|app|dev|info|biz)\b)"
)


@dataclass(frozen=True)
class RecordedFact:
    key: str
    value: str
    set_by: str
    set_at: datetime


@dataclass(frozen=True)
class FactChange:
    key: str
    old: str
    new: str


@dataclass(frozen=True)
class IncidentFacts:
    """The current value of every fact (``unknown`` where nothing is recorded)."""

    values: Mapping[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, UNKNOWN)

    def known(self, key: str) -> str:
        """The value, or ``""`` when unknown (for free-text facts shown as written)."""
        value = self.get(key)
        return "" if value == UNKNOWN else value

    def tri(self, key: str) -> bool | None:
        """A yes/no fact as True/False, ``None`` when unknown."""
        return {"yes": True, "no": False}.get(self.get(key))


def valid_values(fact: FactKey) -> str:
    if fact.values is not None:
        return ", ".join(fact.values)
    return {
        "phone": "a phone number such as +62 21 555 0100, or unknown",
        "text": f"one line of text (at most {fact.max_length} characters, no links), or unknown",
        "sectors": ", ".join(SECTORS) + " (comma-separated), none, or unknown",
    }[fact.kind]


def normalise(key: str, value: str) -> tuple[str, str]:
    """The canonical (key, value) for a user's input, or an :class:`InputError` listing valid ones."""
    name = key.strip().lower().replace("_", "-")
    fact = BY_KEY.get(name)
    if fact is None:
        raise InputError(f"unknown fact {key!r}", "valid facts: " + ", ".join(BY_KEY))
    raw = value.strip()
    if fact.values is not None:
        choice = raw.lower().replace("_", "-")
        if choice not in fact.values:
            raise InputError(f"{name}: {value!r} is not a valid value", "valid values: " + valid_values(fact))
        return name, choice
    if raw == "" or raw.lower() == UNKNOWN:
        return name, UNKNOWN
    problem = _text_problem(fact, raw)
    if problem:
        raise InputError(f"{name}: {problem}", "valid values: " + valid_values(fact))
    if fact.kind == "sectors":
        parts = sorted({p.strip().lower() for p in raw.split(",") if p.strip()})
        return name, "none" if parts == ["none"] else ",".join(parts)
    return name, " ".join(raw.split())


def _text_problem(fact: FactKey, raw: str) -> str:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        return "must be one line without control characters"
    if len(raw) > fact.max_length:
        return f"is longer than {fact.max_length} characters"
    if fact.kind == "phone":
        digits = sum(ch.isdigit() for ch in raw)
        return "" if _PHONE.match(raw) and 6 <= digits <= 20 else f"{raw!r} is not a phone number"
    if fact.kind == "sectors":
        parts = {p.strip().lower() for p in raw.split(",") if p.strip()}
        unknown = sorted(parts - {*SECTORS, "none"})
        if unknown:
            return "unknown sector " + ", ".join(repr(u) for u in unknown)
        return "'none' cannot be combined with a sector" if "none" in parts and len(parts) > 1 else ""
    if _LINKISH.search(raw):
        return "must not contain a link, domain or email address (notices carry no links)"
    return ""


def parse_assignment(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` -> the canonical (key, value)."""
    key, sep, value = text.partition("=")
    if not sep:
        raise InputError(f"--set {text!r}: expected KEY=VALUE", "e.g. --set cause=outside-attacker")
    return normalise(key, value)


def history(session: Session, incident_id: int) -> list[RecordedFact]:
    """Every recorded value, oldest first."""
    stmt = select(IncidentFact).where(IncidentFact.incident_id == incident_id).order_by(IncidentFact.id)
    return [RecordedFact(r.key, r.value, r.set_by, r.set_at) for r in session.scalars(stmt)]


def current(session: Session, incident_id: int) -> dict[str, RecordedFact]:
    """The latest recorded value of each key that was ever recorded."""
    return {f.key: f for f in history(session, incident_id)}


def incident_facts(session: Session, incident_id: int) -> IncidentFacts:
    """The current value of every fact, ``unknown`` where nothing was recorded."""
    return IncidentFacts({k: f.value for k, f in current(session, incident_id).items()})


def set_facts(
    session: Session,
    incident_id: int,
    assignments: Mapping[str, str],
    *,
    by: str,
    clock: Clock | None = None,
) -> list[FactChange]:
    """Record new values (validated first, all or nothing); unchanged values add nothing.

    Each change is one ``incident_facts`` row and one timeline event (kind ``fact``).
    """
    from breachscope.case import api

    if not by.strip():
        raise InputError("who is recording these facts?", "pass --by NAME")
    api.require_open(session, incident_id)
    wanted = dict(normalise(k, v) for k, v in assignments.items())
    now = (clock or SystemClock()).now()
    before = current(session, incident_id)
    changes: list[FactChange] = []
    for key, value in wanted.items():
        old = before[key].value if key in before else UNKNOWN
        if old == value:
            continue
        session.add(IncidentFact(incident_id=incident_id, key=key, value=value, set_by=by, set_at=now))
        changes.append(FactChange(key, old, value))
        api.add_timeline_event(
            session, incident_id, f"Fact {key}: {old} -> {value}", author=by, kind="fact", at=now
        )
    session.flush()
    return changes
