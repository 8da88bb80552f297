"""Fixtures of the watch tests: a real local DNS server holding a few registered look-alikes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from breachscope.watch import ResolverSettings
from tests.watch.dnszone import Zone, dns_server

#: Registered look-alikes of example.com in the test zone: with MX, without MX, null MX, IDN.
REGISTERED: dict[str, dict[str, list[str]]] = {
    "exarnple.com": {"A": ["192.0.2.10"], "MX": ["10 mail.exarnple.com."], "NS": ["ns1.exarnple.com."]},
    "example-security.com": {"A": ["192.0.2.11"], "AAAA": ["2001:db8::11"]},
    "examp1e.com": {"NS": ["ns1.parking.test."], "MX": ["0 ."]},
    "xn--exmple-cua.com": {"A": ["192.0.2.12"], "MX": ["5 mx.xn--exmple-cua.com."]},
    "example.net": {"A": ["192.0.2.13"]},
    # the official domain itself exists too, and must never be reported as a look-alike
    "example.com": {"A": ["192.0.2.1"], "MX": ["10 mx.example.com."]},
}


@pytest.fixture
def zone() -> Zone:
    return Zone(records={k: {t: list(v) for t, v in r.items()} for k, r in REGISTERED.items()})


@pytest.fixture
def resolver(zone: Zone) -> Iterator[ResolverSettings]:
    with dns_server(zone) as port:
        yield ResolverSettings(nameserver="127.0.0.1", port=port, timeout=1.0, lifetime=4.0, concurrency=32)
