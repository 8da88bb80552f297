"""Deadline arithmetic: hours are elapsed time; days and business days are counted on the
jurisdiction's local calendar (zoneinfo), so a deadline lands on the right wall-clock time across
daylight-saving changes.

- ``hours``: absolute elapsed time. 72 h from 12:00 CEST on the Friday before the EU switch back
  to CET ends at 11:00 CET on the Monday (the clock hour gained is not added twice).
- ``days``: the same local wall-clock time N calendar days later.
- ``business_days``: the same local wall-clock time N weekdays later (Saturdays and Sundays
  skipped). Public holidays are NOT skipped: the result is never later than the law allows.
- ``end_of_day``: the last second of the final local day ("3 days after the day ...").

A local time that does not exist (spring-forward gap) or exists twice (fall-back fold) resolves
to the earlier instant, the conservative choice for a deadline.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from breachscope.rules.schema import Period


def resolve_local(naive: datetime, tz: ZoneInfo) -> datetime:
    """A naive local wall-clock time in ``tz`` as an aware datetime; earliest instant on gaps/folds."""
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return min(first, second).astimezone(tz)


def add_period(start: datetime, period: Period, tz: ZoneInfo, *, end_of_day: bool = False) -> datetime:
    """``start`` plus ``period``, counted in time zone ``tz``. ``start`` must be timezone-aware."""
    if start.tzinfo is None:
        raise ValueError("deadline arithmetic needs a timezone-aware start")
    if period.unit == "hours":
        due = (start.astimezone(UTC) + timedelta(hours=period.amount)).astimezone(tz)
        if end_of_day:
            due = resolve_local(due.replace(tzinfo=None, hour=23, minute=59, second=59, microsecond=0), tz)
        return due
    local = start.astimezone(tz).replace(tzinfo=None)
    if period.unit == "days":
        local = local + timedelta(days=period.amount)
    else:
        left = period.amount
        while left:
            local = local + timedelta(days=1)
            if local.weekday() < 5:
                left -= 1
    if end_of_day:
        local = local.replace(hour=23, minute=59, second=59, microsecond=0)
    return resolve_local(local, tz)


def describe(period: Period) -> str:
    unit = {"hours": "hour", "days": "day", "business_days": "business day"}[period.unit]
    return f"{period.amount} {unit}{'' if period.amount == 1 else 's'}"
