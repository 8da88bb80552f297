"""Due-soon and overdue tasks, and the webhook message that announces them.

- :func:`due_report`: active tasks (open, in progress) with a due time before ``now`` (overdue)
  or before ``now + within`` (due soon), earliest first.
- :func:`slack_payload`: a Slack-compatible incoming-webhook message (``text`` plus one
  ``mrkdwn`` section). Task titles can carry text from outside (a look-alike domain, a vendor
  name): it is made inert (no control characters, links defanged so Slack does not autolink,
  ``& < >`` escaped as Slack requires).
- :func:`notify_due`: posts the tasks not announced yet in their current state, records the
  delivery (and every attempt) and, once delivered, what was announced; appends an audit entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from breachscope.case import audit
from breachscope.case import tasks as store
from breachscope.case.session import session_scope
from breachscope.inert import defang_links, terminal_text
from breachscope.tasks.alerts import TaskAlert, WebhookDelivery
from breachscope.webhooks import PostResult, post_json, redact_url

OVERDUE, DUE_SOON = "overdue", "due_soon"
MAX_LINES = 40


@dataclass
class DueReport:
    now: datetime
    within: timedelta
    overdue: list[store.Task] = field(default_factory=list)
    due_soon: list[store.Task] = field(default_factory=list)

    def items(self) -> list[tuple[str, store.Task]]:
        return [(OVERDUE, t) for t in self.overdue] + [(DUE_SOON, t) for t in self.due_soon]

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "within_hours": self.within.total_seconds() / 3600,
            "overdue": [store.task_dict(t) for t in self.overdue],
            "due_soon": [store.task_dict(t) for t in self.due_soon],
        }


def due_report(
    session: Session, now: datetime, within: timedelta, incident_id: int | None = None
) -> DueReport:
    """Active tasks overdue at ``now`` or due before ``now + within``."""
    report = DueReport(now, within)
    for task in store.list_tasks(session, incident_id, statuses=store.ACTIVE, due_before=now + within):
        assert task.due_at is not None  # due_before keeps only tasks with a due time
        (report.overdue if task.due_at <= now else report.due_soon).append(task)
    return report


def _slack_text(value: object, limit: int = 200) -> str:
    text = defang_links(terminal_text(value, limit))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _line(state: str, task: store.Task) -> str:
    assert task.due_at is not None
    label = "*OVERDUE*" if state == OVERDUE else "due soon"
    owner = f", owner {_slack_text(task.owner, 80)}" if task.owner else ", no owner"
    return (
        f"• {label}: task {task.id} (incident {task.incident_id}): {_slack_text(task.title)} - due "
        f"{task.due_at.strftime('%Y-%m-%d %H:%M UTC')}{owner}"
    )


def slack_payload(items: list[tuple[str, store.Task]], within: timedelta) -> dict[str, Any]:
    """The message for ``items`` ((state, task) pairs): ``text`` and one mrkdwn section."""
    overdue = sum(state == OVERDUE for state, _ in items)
    hours = round(within.total_seconds() / 3600)
    head = f"breachscope: {overdue} task(s) overdue, {len(items) - overdue} due within {hours} h"
    lines = [_line(state, task) for state, task in items[:MAX_LINES]]
    if len(items) > MAX_LINES:
        lines.append(f"… and {len(items) - MAX_LINES} more (breachscope tasks list --due-within {hours}h)")
    body = "\n".join(lines)[:2900]  # a section's text is at most 3,000 characters
    return {
        "text": head,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"{head}\n{body}"}}],
    }


@dataclass
class NotifyResult:
    report: DueReport
    announced: list[tuple[str, int]]  # (state, task id) in this message
    post: PostResult | None  # None: nothing new to announce, nothing posted

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.report.to_dict(),
            "announced": [{"state": s, "task_id": t} for s, t in self.announced],
            "post": None if self.post is None else self.post.to_dict(),
        }


def _already(session: Session, items: list[tuple[str, store.Task]]) -> set[tuple[int, str, datetime]]:
    ids = [t.id for _, t in items]
    if not ids:
        return set()
    rows = session.execute(
        select(TaskAlert.task_id, TaskAlert.state, TaskAlert.due_at).where(TaskAlert.task_id.in_(ids))
    )
    return {(r[0], r[1], r[2]) for r in rows}


def notify_due(
    engine: Engine,
    url: str,
    *,
    now: datetime,
    within: timedelta,
    actor: str,
    incident_id: int | None = None,
    again: bool = False,
    post: Callable[..., PostResult] = post_json,
    timeout: float = 10.0,
    attempts: int = 4,
) -> NotifyResult:
    """Post the due-soon and overdue tasks not announced yet in that state (all, with ``again``)."""
    with session_scope(engine) as session:
        report = due_report(session, now, within, incident_id)
        items = report.items()
        if not again:
            seen = _already(session, items)
            items = [(s, t) for s, t in items if (t.id, s, t.due_at) not in seen]
    if not items:
        return NotifyResult(report, [], None)
    payload = slack_payload(items, within)
    result = post(url, payload, timeout=timeout, attempts=attempts)
    with session_scope(engine) as session:
        delivery = WebhookDelivery(
            at=now, kind="tasks.due", target=redact_url(url), delivered=result.ok,
            attempts=[a.to_dict() for a in result.tries], items=len(items),
            payload_sha256=hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest(),
        )  # fmt: skip
        session.add(delivery)
        session.flush()
        if result.ok:
            seen = _already(session, items)
            for state, task in items:
                assert task.due_at is not None
                if (task.id, state, task.due_at) not in seen:
                    session.add(
                        TaskAlert(task_id=task.id, state=state, due_at=task.due_at, delivery_id=delivery.id)
                    )
        audit.append(
            session, actor=actor, action="webhook.post", object_type="webhook_delivery",
            object_id=delivery.id, incident_id=incident_id, at=now,
            details={"kind": "tasks.due", "target": delivery.target, "delivered": result.ok,
                     "attempts": result.attempts, "tasks": [t.id for _, t in items]},
        )  # fmt: skip
    return NotifyResult(report, [(s, t.id) for s, t in items], result)
