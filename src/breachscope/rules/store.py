"""Stored assessments and risk decisions: the ``assessments`` and ``risk_decisions`` tables.

An assessment row is a snapshot: the facts, duties and actions as computed, with the rule-set
version (hash of the rule files + tool version) that produced them. Rows are only ever added,
never updated, so a later rule change can never rewrite a past assessment. A risk decision is a
responder's recorded answer to an "assessment required" duty; the next assessment reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from breachscope import __version__
from breachscope.case import api
from breachscope.case.base import Base
from breachscope.case.models import UTCDateTime
from breachscope.errors import BreachscopeError
from breachscope.rules.facts import Assessment, Duty, RiskDecision
from breachscope.rules.loader import rule_titles


class AssessmentRow(Base):
    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    rule_set_version: Mapped[str] = mapped_column(String(100))
    tool_version: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    facts_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    duties_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    actions_json: Mapped[dict[str, Any]] = mapped_column(JSON)


class RiskDecisionRow(Base):
    __tablename__ = "risk_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    duty_id: Mapped[str] = mapped_column(String(100))
    verdict: Mapped[str] = mapped_column(String(20))  # required | not_required
    decided_by: Mapped[str] = mapped_column(String(200))
    why: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class StoredAssessment:
    id: int
    incident_id: int
    tool_version: str
    assessment: Assessment


def save_assessment(session: Session, incident_id: int, assessment: Assessment) -> int:
    """Append an assessment snapshot; return its id."""
    d = assessment.to_dict()
    row = AssessmentRow(
        incident_id=incident_id,
        rule_set_version=assessment.rule_set_version,
        tool_version=__version__,
        created_at=assessment.assessed_at,
        facts_json=d["facts"],
        duties_json={"duties": d["duties"], "vendor_duties": d["vendor_duties"], "skipped": d["skipped"]},
        actions_json={
            "actions": d["actions"],
            "not_needed": d["not_needed"],
            "undetermined": d["undetermined"],
        },
    )
    session.add(row)
    session.flush()
    return row.id


def _from_row(row: AssessmentRow) -> StoredAssessment:
    d = {
        "rule_set_version": row.rule_set_version,
        "assessed_at": row.created_at.isoformat(),
        "facts": row.facts_json,
        **row.duties_json,
        **row.actions_json,
    }
    return StoredAssessment(row.id, row.incident_id, row.tool_version, _with_titles(Assessment.from_dict(d)))


def _with_titles(a: Assessment) -> Assessment:
    """A snapshot stored before duties carried their translated titles gets them from the
    bundled rule files by rule id (a rule id never changes meaning; unknown ids stay English)."""
    if all(d.titles for d in (*a.duties, *a.vendor_duties)):
        return a
    known = rule_titles()

    def fill(duties: tuple[Duty, ...]) -> tuple[Duty, ...]:
        return tuple(d if d.titles else replace(d, titles=known.get(d.id, {})) for d in duties)

    return replace(a, duties=fill(a.duties), vendor_duties=fill(a.vendor_duties))


def load_assessment(session: Session, assessment_id: int) -> StoredAssessment:
    row = session.get(AssessmentRow, assessment_id)
    if row is None:
        raise BreachscopeError(
            f"no assessment {assessment_id}", "list them with `breachscope assess history`"
        )
    return _from_row(row)


def list_assessments(session: Session, incident_id: int) -> list[StoredAssessment]:
    stmt = select(AssessmentRow).where(AssessmentRow.incident_id == incident_id).order_by(AssessmentRow.id)
    return [_from_row(r) for r in session.scalars(stmt)]


def latest_assessment(session: Session, incident_id: int) -> StoredAssessment | None:
    stmt = (
        select(AssessmentRow)
        .where(AssessmentRow.incident_id == incident_id)
        .order_by(AssessmentRow.id.desc())
        .limit(1)
    )
    row = session.scalars(stmt).first()
    return _from_row(row) if row else None


def record_decision(
    session: Session,
    incident_id: int,
    duty_id: str,
    verdict: Literal["required", "not_required"],
    *,
    by: str,
    why: str,
    at: datetime,
) -> RiskDecision:
    """Record who settled a risk-based duty, how and why, and add it to the incident's timeline.
    Earlier decisions are kept (latest wins)."""
    if verdict not in ("required", "not_required"):
        raise BreachscopeError(f"verdict must be required or not_required, not {verdict!r}")
    if not by.strip() or not why.strip():
        raise BreachscopeError("a risk decision needs who decided (--by) and why (--why)")
    if at.tzinfo is None:
        raise ValueError("decision time must be timezone-aware")
    session.add(
        RiskDecisionRow(
            incident_id=incident_id, duty_id=duty_id, verdict=verdict, decided_by=by, why=why, at=at
        )
    )
    session.flush()
    words = "required" if verdict == "required" else "not required"
    api.add_timeline_event(
        session, incident_id, f"Decision on {duty_id}: {words} - {why}", author=by, kind="decision", at=at
    )
    return RiskDecision(duty_id, verdict, by, why, at)


def decisions(session: Session, incident_id: int) -> tuple[RiskDecision, ...]:
    stmt = (
        select(RiskDecisionRow).where(RiskDecisionRow.incident_id == incident_id).order_by(RiskDecisionRow.id)
    )
    return tuple(
        RiskDecision(
            r.duty_id, "required" if r.verdict == "required" else "not_required", r.decided_by, r.why, r.at
        )
        for r in session.scalars(stmt)
    )
