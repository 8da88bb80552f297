"""Tasks of an incident beyond storage: derived from assessments, reported when due, pushed to webhooks.

- :func:`sync_assessment` (:mod:`.derive`): every duty and recommended action of an assessment
  becomes a task with its statute due time; re-assessing updates, never duplicates, and closes
  the tasks whose duty went away as ``not_applicable`` with the reason.
- :func:`due_report` / :func:`notify_due` (:mod:`.due`): due-soon and overdue tasks, and a
  Slack-compatible webhook message about the ones not announced yet (deliveries recorded).

Task rows live in :mod:`breachscope.case.tasks` (the API every stage uses). See docs/tasks.md.
"""

from __future__ import annotations

from breachscope.tasks.derive import SYNC_ACTOR, SyncResult, sync_assessment
from breachscope.tasks.due import DueReport, NotifyResult, due_report, notify_due, slack_payload

__all__ = [
    "SYNC_ACTOR",
    "DueReport",
    "NotifyResult",
    "SyncResult",
    "due_report",
    "notify_due",
    "slack_payload",
    "sync_assessment",
]
