"""Deadline arithmetic across time zones and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from breachscope.rules.clocks import add_period, resolve_local
from breachscope.rules.schema import Period

Z = ZoneInfo


@pytest.mark.parametrize(
    ("start", "period", "tz", "end_of_day", "expected"),
    [
        # 72 h across the EU switch back to CET (25 Oct 2026): elapsed, so 11:00 CET.
        (
            datetime(2026, 10, 23, 12, 0, tzinfo=Z("Europe/Berlin")),
            Period(72, "hours"),
            "Europe/Brussels",
            False,
            datetime(2026, 10, 26, 11, 0, tzinfo=Z("Europe/Brussels")),
        ),
        # 72 h across the EU switch to CEST (29 Mar 2026): 13:00 CEST.
        (
            datetime(2026, 3, 27, 12, 0, tzinfo=Z("Europe/Paris")),
            Period(72, "hours"),
            "Europe/Brussels",
            False,
            datetime(2026, 3, 30, 13, 0, tzinfo=Z("Europe/Brussels")),
        ),
        # 30 days across the US spring-forward (8 Mar 2026): same wall-clock time.
        (
            datetime(2026, 2, 20, 9, 0, tzinfo=Z("America/Los_Angeles")),
            Period(30, "days"),
            "America/Los_Angeles",
            False,
            datetime(2026, 3, 22, 9, 0, tzinfo=Z("America/Los_Angeles")),
        ),
        # Days count on the local calendar: 20:00 UTC is already the 26th in Jakarta.
        (
            datetime(2025, 11, 25, 20, 0, tzinfo=UTC),
            Period(30, "days"),
            "Asia/Jakarta",
            False,
            datetime(2025, 12, 26, 3, 0, tzinfo=Z("Asia/Jakarta")),
        ),
        # US business days across the US fall-back (1 Nov 2026): Thu + 3 business days = Tue, 10:00 EST.
        (
            datetime(2026, 10, 29, 10, 0, tzinfo=Z("America/New_York")),
            Period(3, "business_days"),
            "America/New_York",
            False,
            datetime(2026, 11, 3, 10, 0, tzinfo=Z("America/New_York")),
        ),
        # Brazil 3 business days from a Friday: Wednesday.
        (
            datetime(2026, 11, 20, 10, 0, tzinfo=Z("America/Sao_Paulo")),
            Period(3, "business_days"),
            "America/Sao_Paulo",
            False,
            datetime(2026, 11, 25, 10, 0, tzinfo=Z("America/Sao_Paulo")),
        ),
        # A Saturday start: the first business day is Monday.
        (
            datetime(2026, 11, 21, 10, 0, tzinfo=Z("America/Sao_Paulo")),
            Period(1, "business_days"),
            "America/Sao_Paulo",
            False,
            datetime(2026, 11, 23, 10, 0, tzinfo=Z("America/Sao_Paulo")),
        ),
        # Singapore: "3 calendar days after the day" = end of the third local day.
        (
            datetime(2026, 3, 1, 15, 0, tzinfo=Z("Asia/Singapore")),
            Period(3, "days"),
            "Asia/Singapore",
            True,
            datetime(2026, 3, 4, 23, 59, 59, tzinfo=Z("Asia/Singapore")),
        ),
        # CERT-In 6 hours, reported in IST.
        (
            datetime(2025, 11, 25, 0, 0, tzinfo=UTC),
            Period(6, "hours"),
            "Asia/Kolkata",
            False,
            datetime(2025, 11, 25, 11, 30, tzinfo=Z("Asia/Kolkata")),
        ),
    ],
)
def test_add_period(start: datetime, period: Period, tz: str, end_of_day: bool, expected: datetime) -> None:
    due = add_period(start, period, Z(tz), end_of_day=end_of_day)
    assert due == expected
    assert due.utcoffset() == expected.utcoffset()  # same instant AND the right local offset


def test_72_hours_across_eu_dst_is_exactly_72_elapsed_hours() -> None:
    start = datetime(2026, 10, 23, 12, 0, tzinfo=Z("Europe/Berlin"))
    due = add_period(start, Period(72, "hours"), Z("Europe/Berlin"))
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=72)
    assert (due.hour, due.tzname()) == (11, "CET")


@pytest.mark.parametrize(
    ("naive", "expected_utc"),
    [
        (datetime(2026, 3, 8, 2, 30), datetime(2026, 3, 8, 9, 30, tzinfo=UTC)),  # gap: earlier instant
        (datetime(2026, 11, 1, 1, 30), datetime(2026, 11, 1, 8, 30, tzinfo=UTC)),  # fold: earlier (PDT)
        (datetime(2026, 6, 1, 12, 0), datetime(2026, 6, 1, 19, 0, tzinfo=UTC)),  # ordinary
    ],
)
def test_resolve_local_takes_the_earlier_instant(naive: datetime, expected_utc: datetime) -> None:
    # compare in UTC: PEP 495 makes a time in a repeated hour unequal to every other zone's time
    assert resolve_local(naive, Z("America/Los_Angeles")).astimezone(UTC) == expected_utc


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_period(datetime(2026, 1, 1), Period(1, "days"), Z("UTC"))


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Jakarta", "America/Sao_Paulo"]
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@given(start=instants, hours=st.integers(1, 24 * 90), zone=st.sampled_from(ZONES))
def test_hours_are_always_elapsed_time(start: datetime, hours: int, zone: str) -> None:
    due = add_period(start, Period(hours, "hours"), Z(zone))
    assert due - start == timedelta(hours=hours)


@given(start=instants, days=st.integers(1, 120), zone=st.sampled_from(ZONES))
def test_days_keep_the_local_date_distance(start: datetime, days: int, zone: str) -> None:
    due = add_period(start, Period(days, "days"), Z(zone))
    assert (due.astimezone(Z(zone)).date() - start.astimezone(Z(zone)).date()).days == days


@given(start=instants, n=st.integers(1, 40), zone=st.sampled_from(ZONES))
def test_business_days_never_land_on_a_weekend(start: datetime, n: int, zone: str) -> None:
    due = add_period(start, Period(n, "business_days"), Z(zone))
    assert due.astimezone(Z(zone)).weekday() < 5
    assert due > start
