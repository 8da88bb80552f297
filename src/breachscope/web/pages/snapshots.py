"""Assessment snapshots, parsed once per app.

An assessment is an append-only snapshot (``rules.store``: a new assess adds a row, none is
edited), so the parsed snapshot of a given row id never changes: the pages look the latest id
up (one indexed query) and parse its JSON only the first time. One cache per app (per case
database: ids of two databases must not meet), bounded to the most recent few.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breachscope.rules.store import AssessmentRow, StoredAssessment, load_assessment


@dataclass
class SnapshotCache:
    size: int = 16
    _items: OrderedDict[int, StoredAssessment] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def latest(self, session: Session, incident_id: int) -> StoredAssessment | None:
        """The incident's latest assessment (as ``rules.store.latest_assessment``), cached by row id."""
        row_id = session.scalar(
            select(func.max(AssessmentRow.id)).where(AssessmentRow.incident_id == incident_id)
        )
        if row_id is None:
            return None
        with self._lock:
            hit = self._items.get(row_id)
            if hit is not None:
                self._items.move_to_end(row_id)
                return hit
        stored = load_assessment(session, row_id)
        with self._lock:
            self._items[row_id] = stored
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return stored
