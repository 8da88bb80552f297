from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.errors import BreachscopeError


def test_incident_dates_are_kept_apart_and_stored_as_utc(engine: Engine, clock: FixedClock) -> None:
    wib = timezone(timedelta(hours=7))
    with session_scope(engine) as s:
        inc = api.create_incident(
            s,
            "Mixpanel leak",
            vendor="Mixpanel",
            vendor_detected_at=datetime(2025, 11, 9, tzinfo=UTC),
            vendor_notified_us_at=datetime(2025, 11, 25, 8, 0, tzinfo=wib),
            aware_at=datetime(2025, 11, 25, 12, 0, tzinfo=UTC),
            author="rina",
            clock=clock,
        )
        incident_id = inc.id
    with session_scope(engine) as s:
        inc = api.get_incident(s, incident_id)
        assert inc.vendor_detected_at == datetime(2025, 11, 9, tzinfo=UTC)
        assert inc.vendor_notified_us_at == datetime(2025, 11, 25, 1, 0, tzinfo=UTC)
        assert inc.vendor_notified_us_at is not None and inc.vendor_notified_us_at.tzinfo is not None
        assert inc.dataset_received_at is None
        assert inc.created_at == clock.now()
        assert inc.hash_key is None and inc.wrapped_key is not None  # the key is kept outside
        assert len(api.case_key(s, incident_id)) == 32
        events = api.timeline(s, incident_id)
        assert [(e.kind, e.author) for e in events] == [("created", "rina")]


def test_naive_datetimes_are_refused(engine: Engine, clock: FixedClock) -> None:
    with pytest.raises(Exception, match="timezone-aware"), session_scope(engine) as s:
        api.create_incident(s, "x", aware_at=datetime(2025, 1, 1), clock=clock)


def test_timeline_is_ordered_by_time(engine: Engine, clock: FixedClock) -> None:
    with session_scope(engine) as s:
        iid = api.create_incident(s, "x", clock=clock).id
        clock.advance(timedelta(hours=2))
        api.add_timeline_event(s, iid, "second", author="a", clock=clock)
        api.add_timeline_event(s, iid, "backdated", author="b", at=clock.now() - timedelta(hours=1))
    with session_scope(engine) as s:
        assert [e.message for e in api.timeline(s, iid)][1:] == ["backdated", "second"]


def test_unknown_incident_is_a_user_error(engine: Engine) -> None:
    with pytest.raises(BreachscopeError, match="no incident with id 99"), session_scope(engine) as s:
        api.get_incident(s, 99)


def test_store_exposures_merges_the_same_person(engine: Engine, clock: FixedClock) -> None:
    with session_scope(engine) as s:
        iid = api.create_incident(s, "x", clock=clock).id
        d1 = api.attach_dataset(
            s, iid, file_name="a.csv", sha256="0" * 64, size_bytes=10, format="csv", scan={}, clock=clock
        ).id
        d2 = api.attach_dataset(
            s, iid, file_name="b.csv", sha256="1" * 64, size_bytes=10, format="csv", scan={}, clock=clock
        ).id
        api.store_exposures(
            s,
            iid,
            d1,
            [
                api.ExposureRecord("k1", "distinct_id", exposed_classes=["email"], exposed_fields=["$email"]),
                api.ExposureRecord("k2", "distinct_id", exposed_classes=["email"]),
                api.ExposureRecord("k1", "distinct_id", exposed_classes=["person_name"], city="Bandung"),
            ],
        )
        api.store_exposures(
            s, iid, d2, [api.ExposureRecord("k1", "distinct_id", exposed_classes=["device"], city="Jakarta")]
        )
    with session_scope(engine) as s:
        by_key = {e.person_key_hash: e for e in api.get_exposures(s, iid)}
        assert set(by_key) == {"k1", "k2"}
        assert by_key["k1"].exposed_classes == ["device", "email", "person_name"]
        assert by_key["k1"].city == "Bandung"  # first value kept
        assert by_key["k1"].dataset_id == d1
        assert api.counts(s, iid)["exposures"] == 2
