"""Tasks from an assessment: one per duty and per recommended action, idempotent on re-assess.

Source ``assess``; ``source_ref`` is ``duty:<rule id>`` or ``action:<action id>``, so a re-run
finds its tasks again. What each becomes:

- a duty ``required``: kind ``duty``, "<title> (<recipient>)", due at the duty's statute due time;
- a duty ``assessment_required`` (a risk decision is pending): kind ``decision``, "Decide: ...",
  due when the assessment must be finished;
- a duty for the company's own records (recipient ``records``): kind ``record``;
- a company action: kind ``action``, no due time (no statute sets one);
- a recipients' action: kind ``advice``, "Tell recipients: ...", due with the earliest
  required notice to individuals (the notice is where the advice goes), else no due time.

A duty ``not_required`` now (a decision, new facts) or gone from the assessment closes its
active task as ``not_applicable`` with the reason; a task closed that way reopens when the duty
comes back. Status, owner and reasons set by people are never overwritten otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from breachscope.case import tasks as store
from breachscope.clock import FixedClock
from breachscope.rules.facts import Action, Assessment, Duty

SOURCE = "assess"
#: How the reason of a task closed because its duty went away begins (reopened when it comes back).
SYNC_ACTOR = "assess: "


@dataclass
class SyncResult:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) for k, v in self.__dict__.items()}

    def summary(self) -> str:
        return (
            f"tasks: {len(self.created)} new, {len(self.updated)} updated, {len(self.closed)} closed "
            f"as not applicable, {len(self.reopened)} reopened, {len(self.unchanged)} unchanged"
        )


@dataclass(frozen=True)
class _Wanted:
    ref: str
    kind: str
    title: str
    detail: str
    due: datetime | None


def _duty_task(d: Duty, assessment_id: int) -> _Wanted | None:
    who = f"{d.recipient_name} ({d.jurisdiction_name})"
    detail = "; ".join(p for p in (d.deadline_words, d.citation, f"{d.affected:,} people affected") if p)
    if d.verdict == "required":
        kind = "record" if d.recipient == "records" else "duty"
        return _Wanted(f"duty:{d.id}", kind, f"{d.title} - {who}", detail, d.due)
    if d.verdict == "assessment_required":
        return _Wanted(f"duty:{d.id}", "decision", f"Decide: {d.title} - {who}", detail, d.due)
    return None


def _action_task(a: Action, advice_due: datetime | None) -> _Wanted:
    words = a.text.get("en") or next(iter(a.text.values()), a.id)
    classes = ", ".join(a.caused_by)
    if a.audience == "company":
        return _Wanted(f"action:{a.id}", "action", words, f"because of: {classes}", None)
    return _Wanted(
        f"action:{a.id}", "advice", f"Tell recipients: {words}", f"because of: {classes}", advice_due
    )


def _not_required_reason(d: Duty | None, assessment_id: int) -> str:
    if d is None:
        return f"{SYNC_ACTOR}assessment {assessment_id} no longer has this duty"
    why = "; ".join(d.reasons[:2]) if d.reasons else "not required"
    if d.decision is not None:
        why = f"decided not required by {d.decision.by}: {d.decision.why}"
    return f"{SYNC_ACTOR}assessment {assessment_id}: not required ({why})"[:2000]


def sync_assessment(
    session: Session,
    incident_id: int,
    assessment_id: int,
    assessment: Assessment,
    *,
    actor: str,
    now: datetime,
) -> SyncResult:
    """Bring the incident's ``assess`` tasks in line with this assessment (in the caller's transaction)."""
    result = SyncResult()
    clock = FixedClock(now)
    notice_dues = [
        d.due for d in assessment.duties if d.recipient == "individuals" and d.verdict == "required" and d.due
    ]
    advice_due = min(notice_dues) if notice_dues else None
    wanted = [w for d in assessment.duties if (w := _duty_task(d, assessment_id)) is not None]
    wanted += [_action_task(a, advice_due) for a in assessment.actions]
    existing = store.tasks_by_ref(session, incident_id, SOURCE)
    for w in wanted:
        before = existing.get(w.ref)
        change = store.add_task(
            session, incident_id, w.title, actor=actor, kind=w.kind, source=SOURCE, source_ref=w.ref,
            due_at=w.due, detail=w.detail, clock=clock,
        )  # fmt: skip
        task = change.task
        auto_closed = (before.status_reason or "").startswith(SYNC_ACTOR) if before is not None else False
        if before is not None and before.status == store.NOT_APPLICABLE and auto_closed:
            store.update_task(session, task.id, actor=actor, status=store.OPEN, clock=clock)
            result.reopened.append(task.id)
        else:
            getattr(result, change.change).append(task.id)
    kept = {w.ref for w in wanted}
    duties = {f"duty:{d.id}": d for d in assessment.duties}
    for ref, task in existing.items():
        if ref in kept or task.status not in store.ACTIVE:
            continue
        reason = _not_required_reason(duties.get(ref), assessment_id)
        store.update_task(
            session, task.id, actor=SYNC_ACTOR, status=store.NOT_APPLICABLE, reason=reason, clock=clock
        )
        result.closed.append(task.id)
    return result
