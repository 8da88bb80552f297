"""watch_domains end to end: a real local DNS server, SQLite and PostgreSQL, reruns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.case.purge import purge
from breachscope.clock import FixedClock
from breachscope.errors import BreachscopeError, InputError
from breachscope.watch import ResolverSettings, watch_domains
from breachscope.watch.service import ACTION_MAIL, ACTION_WEB
from breachscope.watch.store import Lookalike, WatchRun
from tests.watch.dnszone import Zone

WORDS = ("security", "support", "verify", "billing", "login")


@pytest.fixture
def incident_id(engine: Engine, clock: FixedClock) -> int:
    with session_scope(engine) as s:
        return api.create_incident(s, "Vendor leak", vendor="Mixpanel", clock=clock).id


def _run(engine: Engine, incident_id: int, resolver: ResolverSettings, clock: FixedClock, **kw: object):  # type: ignore[no-untyped-def]
    return watch_domains(engine, incident_id, resolver=resolver, words=WORDS, clock=clock, author="ana", **kw)  # type: ignore[arg-type]


def test_registered_look_alikes_are_found_flagged_and_recorded(
    engine: Engine, incident_id: int, resolver: ResolverSettings, clock: FixedClock
) -> None:
    report = _run(engine, incident_id, resolver, clock, domains=["Example.com"])
    found = {f.domain: f for f in report.registered}
    assert set(found) == {
        "exarnple.com",
        "example-security.com",
        "examp1e.com",
        "xn--exmple-cua.com",
        "example.net",
    }
    assert "example.com" not in found  # the official domain exists but is never a look-alike
    mail = {d for d, f in found.items() if f.receives_mail}
    assert mail == {"exarnple.com", "xn--exmple-cua.com"}  # examp1e.com has the null MX "0 ."
    assert found["xn--exmple-cua.com"].unicode == "exämple.com"
    assert found["exarnple.com"].action == ACTION_MAIL and found["example.net"].action == ACTION_WEB
    assert found["example-security.com"].records == {"A": ["192.0.2.11"], "AAAA": ["2001:db8::11"]}
    assert [f.domain for f in report.new] == sorted(found) and report.gone == [] and report.unknown == {}
    assert report.candidates > 1500
    with session_scope(engine) as s:
        rows = {r.domain: r for r in s.scalars(select(Lookalike).where(Lookalike.incident_id == incident_id))}
        assert set(rows) == set(found)
        assert all(r.state == "registered" and r.action_state == "open" for r in rows.values())
        assert rows["exarnple.com"].first_seen == clock.now() == rows["exarnple.com"].last_seen
        events = [e.message for e in api.timeline(s, incident_id) if e.kind == "watch"]
    assert (
        events[0].startswith("watch domains example.com: ")
        and "5 registered (2 receive mail), 5 new" in events[0]
    )
    assert sum("look-alike registered: exarnple.com" in e and "receives mail" in e for e in events) == 1
    assert len(events) == 6


def test_vendor_name_is_an_attacker_word(
    engine: Engine, incident_id: int, resolver: ResolverSettings, clock: FixedClock, zone: Zone
) -> None:
    zone.records["mixpanel-example.com"] = {"A": ["192.0.2.50"]}
    report = _run(engine, incident_id, resolver, clock, domains=["example.com"])
    assert "mixpanel-example.com" in {f.domain for f in report.new}


def test_rerun_shows_what_is_new_and_what_disappeared(
    engine: Engine, incident_id: int, resolver: ResolverSettings, clock: FixedClock, zone: Zone
) -> None:
    _run(engine, incident_id, resolver, clock, domains=["example.com"])
    first = clock.now()
    clock.advance(timedelta(days=1))
    del zone.records["example.net"]  # taken down
    zone.records["exanple.com"] = {"A": ["192.0.2.20"]}  # newly registered
    zone.records["example-security.com"]["MX"] = ["10 mx.example-security.com."]  # now takes mail
    zone.servfail.add("examp1e.com")  # no verdict this time: stays registered, never "gone"
    report = _run(engine, incident_id, resolver, clock)  # no --domain: the last run's domains
    assert report.domains == ["example.com"]
    assert [f.domain for f in report.new] == ["exanple.com"]
    assert [f.domain for f in report.gone] == ["example.net"]
    assert set(report.unknown) == {"examp1e.com"} and "NoNameservers" in report.unknown["examp1e.com"]
    still = {f.domain: f for f in report.still}
    assert set(still) == {"exarnple.com", "example-security.com", "examp1e.com", "xn--exmple-cua.com"}
    assert still["example-security.com"].receives_mail and still["example-security.com"].action == ACTION_MAIL
    assert still["exarnple.com"].first_seen == first and still["exarnple.com"].last_seen == clock.now()
    assert still["examp1e.com"].last_seen == first
    with session_scope(engine) as s:
        net = s.scalars(select(Lookalike).where(Lookalike.domain == "example.net")).one()
        assert net.state == "gone" and net.gone_at == clock.now() and net.last_seen == first
        runs = list(
            s.scalars(select(WatchRun).where(WatchRun.incident_id == incident_id).order_by(WatchRun.id))
        )
        assert [(r.new, r.gone, r.unknown) for r in runs] == [(5, 0, 0), (1, 1, 1)]
        events = [e.message for e in api.timeline(s, incident_id) if e.kind == "watch"]
    assert "look-alike gone (NXDOMAIN): example.net" in events
    assert any(e.startswith("look-alike now receives mail (MX): example-security.com") for e in events)
    # the third run: no verdict on the gone one: it is neither listed gone again nor back
    clock.advance(timedelta(days=1))
    zone.servfail = {"example.net"}
    report = _run(engine, incident_id, resolver, clock)
    assert report.gone == [] and report.new == [] and set(report.unknown) == {"example.net"}
    # the fourth run: it comes back
    clock.advance(timedelta(days=1))
    zone.servfail = set()
    zone.records["example.net"] = {"A": ["192.0.2.13"]}
    report = _run(engine, incident_id, resolver, clock)
    assert [f.domain for f in report.new] == ["example.net"] and report.gone == []
    with session_scope(engine) as s:
        net = s.scalars(select(Lookalike).where(Lookalike.domain == "example.net")).one()
        assert net.state == "registered" and net.first_seen == first and net.gone_at is None


def test_a_timeout_is_unknown_not_absent(
    engine: Engine, incident_id: int, clock: FixedClock, zone: Zone, resolver: ResolverSettings
) -> None:
    zone.slow.add("exarnple.com")
    fast = ResolverSettings(resolver.nameserver, resolver.port, timeout=0.2, lifetime=0.3, concurrency=16)
    report = _run(engine, incident_id, fast, clock, domains=["example.com"])
    assert "exarnple.com" in report.unknown and "Timeout" in report.unknown["exarnple.com"]
    assert "exarnple.com" not in {f.domain for f in report.registered}


def test_no_domain_on_the_first_run_and_a_purged_incident_are_refused(
    engine: Engine, incident_id: int, resolver: ResolverSettings, clock: FixedClock
) -> None:
    with pytest.raises(InputError, match="no watched domains yet"):
        _run(engine, incident_id, resolver, clock)
    with pytest.raises(InputError, match="control"):
        _run(engine, incident_id, resolver, clock, domains=["exa\x07mple.com"])
    purge(engine, incident_id, actor="ana", clock=clock)
    with pytest.raises(BreachscopeError, match="purged"):
        _run(engine, incident_id, resolver, clock, domains=["example.com"])
