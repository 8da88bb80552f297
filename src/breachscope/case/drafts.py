"""Regulator drafts completed by a person (storage): the values of a draft's ``[TO COMPLETE: ...]``
fields, who saved them and when. Append-only; the latest row of a draft counts. The logic
(finding the fields, filling them in, export) is in :mod:`breachscope.notify.drafts`.
Deleted by purge (``PURGE_DELETE``): a field may name a person. Migration 0054.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from breachscope.case.base import Base
from breachscope.case.models import PURGE_DELETE, UTCDateTime


class DraftCompletion(Base):
    __tablename__ = "notify_draft_completions"
    __table_args__ = ({"info": PURGE_DELETE},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("notify_outbox.id"), index=True)
    #: The value of each marker, in the order the markers appear ("" = still to complete).
    values: Mapped[list[str]] = mapped_column(JSON)
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = ["DraftCompletion"]
