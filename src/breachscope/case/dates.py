"""The incident dates that drive legal clocks, and their checked correction.

The dates must be plausible: none in the future, and in the order things happen,
occurred <= vendor detected <= vendor told us <= we became aware (and the dataset cannot be
received before the breach occurred). A date that breaks this is refused unless the person
forces it and gives a reason; the reason, the old and new values go into the timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from breachscope.clock import Clock, SystemClock
from breachscope.errors import InputError

if TYPE_CHECKING:  # the CLI's date options read the names above without loading SQLAlchemy
    from sqlalchemy.orm import Session

DATE_FIELDS = (
    "occurred_at",
    "vendor_detected_at",
    "vendor_notified_us_at",
    "dataset_received_at",
    "aware_at",
)
DATE_LABELS = {
    "occurred_at": "the breach occurred",
    "vendor_detected_at": "vendor detected the breach",
    "vendor_notified_us_at": "vendor told us",
    "dataset_received_at": "we received the dataset",
    "aware_at": "we became aware",
}
#: The order the dates must follow (each <= the next, where both are known).
ORDER = ("occurred_at", "vendor_detected_at", "vendor_notified_us_at", "aware_at")
#: Extra pairs (earlier, later) that must hold.
PAIRS = (("occurred_at", "dataset_received_at"),)


@dataclass(frozen=True)
class DateChange:
    field: str
    old: datetime | None
    new: datetime | None


def _fmt(value: datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value else "not set"


def problems(dates: Mapping[str, datetime | None], now: datetime) -> list[str]:
    """What is implausible about a set of incident dates (empty = fine)."""
    out = [
        f"{DATE_LABELS[k]} ({_fmt(v)}) is in the future (now {_fmt(now)})"
        for k in DATE_FIELDS
        if (v := dates.get(k)) is not None and v > now
    ]
    known = [(k, v) for k in ORDER if (v := dates.get(k)) is not None]
    pairs = [(a, b) for i, (a, _) in enumerate(known) for b, _ in known[i + 1 :]]
    for first, later in [*pairs, *PAIRS]:
        a, b = dates.get(first), dates.get(later)
        if a is not None and b is not None and a > b:
            out.append(f"{DATE_LABELS[first]} ({_fmt(a)}) is after {DATE_LABELS[later]} ({_fmt(b)})")
    return out


def check(
    dates: Mapping[str, datetime | None],
    now: datetime,
    *,
    force: bool,
    reason: str,
    before: Mapping[str, datetime | None] | None = None,
) -> list[str]:
    """The problems (those ``before`` did not already have, e.g. forced earlier), or an
    :class:`InputError` when there are some and the change is not forced."""
    known = set(problems(before, now)) if before is not None else set()
    found = [p for p in problems(dates, now) if p not in known]
    if found and not force:
        raise InputError(
            "refused: " + "; ".join(found),
            "fix the date, or pass --force with --reason TEXT if it is really so (the reason is logged)",
        )
    if found and not reason.strip():
        raise InputError(
            "--force needs --reason: say why these dates are right", "e.g. --reason 'vendor letter'"
        )
    return found


def edit_dates(
    session: Session,
    incident_id: int,
    changes: Mapping[str, datetime | None],
    *,
    by: str,
    reason: str = "",
    force: bool = False,
    clock: Clock | None = None,
) -> list[DateChange]:
    """Set or correct incident dates after checking them; log each change with the reason.

    Correcting a date that was already set needs a reason; filling an unset one does not.
    """
    from breachscope.case import api

    unknown = sorted(set(changes) - set(DATE_FIELDS))
    if unknown:
        raise InputError(f"unknown incident date {', '.join(unknown)}", "dates: " + ", ".join(DATE_FIELDS))
    incident = api.require_open(session, incident_id)
    now = (clock or SystemClock()).now()
    done = [DateChange(k, getattr(incident, k), v) for k, v in changes.items() if getattr(incident, k) != v]
    if not done:
        return []
    if any(c.old is not None for c in done) and not reason.strip():
        raise InputError(
            "correcting a date that was already set needs --reason", "e.g. --reason 'vendor's second letter'"
        )
    before = {k: getattr(incident, k) for k in DATE_FIELDS}
    found = check(before | dict(changes), now, force=force, reason=reason, before=before)
    for c in done:
        setattr(incident, c.field, c.new)
    words = "; ".join(f"{DATE_LABELS[c.field]} {_fmt(c.old)} -> {_fmt(c.new)}" for c in done)
    message = f"Dates {'corrected' if any(c.old for c in done) else 'set'}: {words}"
    if reason.strip():
        message += f". Reason: {reason.strip()}"
    if found:
        message += ". Forced past: " + "; ".join(found)
    api.add_timeline_event(session, incident_id, message, author=by, kind="dates", at=now)
    session.flush()
    return done
