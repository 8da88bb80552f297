"""The resolver step alone, against the local DNS server: outcomes and bounds."""

from __future__ import annotations

import pytest

from breachscope.watch import ResolverSettings
from breachscope.watch.resolve import MAX_RECORDS, resolve_all
from tests.watch.dnszone import Zone


@pytest.mark.parametrize(
    ("name", "status", "mail"),
    [
        ("exarnple.com", "registered", True),
        ("example-security.com", "registered", False),
        ("examp1e.com", "registered", False),  # null MX "0 ." cannot receive mail
        ("nothing-here.com", "absent", False),
        ("broken.example.org", "unknown", False),  # SERVFAIL
    ],
)
def test_outcomes(zone: Zone, resolver: ResolverSettings, name: str, status: str, mail: bool) -> None:
    zone.servfail.add("broken.example.org")
    found = resolve_all([name], resolver)[name]
    assert (found.status, found.receives_mail) == (status, mail)
    if status == "absent":
        assert zone.queries == 1  # NXDOMAIN on A: the other types are not asked


def test_a_hostile_zone_is_bounded_and_inert(zone: Zone, resolver: ResolverSettings) -> None:
    zone.records["many.example.org"] = {
        "A": [f"192.0.2.{i}" for i in range(1, 101)],
        "MX": ["10 evil\\027[31m.example.org."],
    }
    found = resolve_all(["many.example.org"], resolver)["many.example.org"]
    assert found.status == "registered" and len(found.records["A"]) == MAX_RECORDS
    assert found.receives_mail and "\x1b" not in found.records["MX"][0]


def test_no_resolver_listening_is_unknown_never_absent() -> None:
    settings = ResolverSettings("127.0.0.1", 9, timeout=0.2, lifetime=0.3, concurrency=2)
    found = resolve_all(["exarnple.com", "exanple.com"], settings)
    assert {f.status for f in found.values()} == {"unknown"}
