"""What the due-task webhooks already said, and every delivery attempt (migration ``0051``).

``task_alerts``: one row per (task, state, due time) announced, so ``notify-due`` announces a
task once when it becomes due soon and once when it becomes overdue (again if its due time
moves). ``webhook_deliveries``: each post with its redacted target (scheme and host, never the
URL's path, where a Slack token lives), whether it was delivered and every attempt.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from breachscope.case.base import Base
from breachscope.case.models import UTCDateTime


class TaskAlert(Base):
    __tablename__ = "task_alerts"
    __table_args__ = (UniqueConstraint("task_id", "state", "due_at", name="uq_task_alerts_task_state_due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    state: Mapped[str] = mapped_column(String(20))  # due_soon | overdue
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"))


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(300))
    delivered: Mapped[bool] = mapped_column(Boolean)
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    items: Mapped[int] = mapped_column(Integer)
    payload_sha256: Mapped[str] = mapped_column(String(64))
