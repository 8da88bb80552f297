"""Concurrent A/AAAA/MX/NS lookups of many names through one configurable resolver (dnspython).

Each name gets a bounded number of queries, each with a bounded timeout, on a bounded thread
pool. The A query comes first: NXDOMAIN says the name does not exist for every type, so the other
three are only asked of names that exist. Outcomes (never guessed):

- ``registered``: the name exists (an answer, or NOERROR without data for every type asked);
- ``absent``: the server said NXDOMAIN;
- ``unknown``: timeout, SERVFAIL, refused or a broken answer; "not checked" is never "absent".

``receives_mail`` is True only when MX records exist and are not the RFC 7505 "null MX" (``0 .``).
Record data comes from a DNS server (which anyone can run): names are kept as text, bounded.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.name
import dns.rdatatype
import dns.resolver

from breachscope.errors import BreachscopeError, InputError
from breachscope.inert import terminal_text

RECORD_TYPES: tuple[str, ...] = ("A", "AAAA", "MX", "NS")
#: At most this many records of one type are kept per name (a hostile zone can answer hundreds).
MAX_RECORDS = 20
MAX_TEXT = 255


@dataclass(frozen=True, slots=True)
class ResolverSettings:
    """Where and how to ask: ``nameserver`` None = the system's resolvers (/etc/resolv.conf)."""

    nameserver: str | None = None
    port: int = 53
    timeout: float = 2.0  # per query attempt
    lifetime: float = 5.0  # per query, retries included
    concurrency: int = 32

    def describe(self) -> str:
        if self.nameserver is None:
            return "system resolver"
        host = f"[{self.nameserver}]" if ":" in self.nameserver else self.nameserver
        return f"{host}:{self.port}"


def parse_resolver(text: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT``, ``[IPv6]:PORT`` or a bare IPv6 address -> (ip, port), else InputError."""
    raw = text.strip()
    host, port = raw, 53
    if raw.startswith("["):
        host, sep, rest = raw[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise _bad_resolver(text)
        port_text = rest[1:]
        if rest:
            port = _port(port_text, text)
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
        port = _port(port_text, text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise _bad_resolver(text) from None
    return host, port


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise _bad_resolver(whole)
    return int(text)


def _bad_resolver(text: str) -> InputError:
    return InputError(
        f"resolver {terminal_text(text, 60)!r} is not IP or IP:PORT",
        "for example --resolver 127.0.0.1:5353 or --resolver [::1]:53",
    )


@dataclass(slots=True)
class Lookup:
    """What DNS said about one name."""

    name: str
    status: str = "unknown"  # registered | absent | unknown
    records: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None

    @property
    def receives_mail(self) -> bool:
        return any(mx.rstrip(".").split(" ")[-1] not in ("", ".") for mx in self.records.get("MX", ()))


def make_resolver(settings: ResolverSettings) -> dns.resolver.Resolver:
    if settings.nameserver is None:
        try:
            res = dns.resolver.Resolver(configure=True)
        except dns.resolver.NoResolverConfiguration:
            raise BreachscopeError(
                "no system DNS resolver is configured (/etc/resolv.conf)",
                "name one with --resolver IP[:PORT]",
            ) from None
    else:
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = [settings.nameserver]
        res.port = settings.port
    res.timeout = settings.timeout
    res.lifetime = settings.lifetime
    res.cache = None
    return res


def _texts(answer: dns.resolver.Answer) -> list[str]:
    if answer.rrset is None:
        return []
    out = sorted(terminal_text(rd.to_text(), MAX_TEXT) for rd in answer.rrset)
    return out[:MAX_RECORDS]


def lookup(res: dns.resolver.Resolver, name: str) -> Lookup:
    """A, then (if the name exists) AAAA, MX and NS of ``name``, asked as an absolute name."""
    result = Lookup(name)
    qname = dns.name.from_text(name)
    for rdtype in RECORD_TYPES:
        try:
            answer = res.resolve(qname, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            if rdtype == "A":
                result.status = "absent"
                return result
            result.error = f"{rdtype}: NXDOMAIN after A existed"
            continue
        except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.YXDOMAIN) as exc:
            result.error = f"{rdtype}: {type(exc).__name__}"
            if rdtype == "A":
                return result  # unknown: the server did not answer for this name
            continue
        except dns.exception.DNSException as exc:  # a malformed answer is reported, never raised
            result.error = f"{rdtype}: {terminal_text(exc, 80)}"
            if rdtype == "A":
                return result
            continue
        records = _texts(answer)
        if records:
            result.records[rdtype] = records
    result.status = "registered"
    return result


def resolve_all(
    names: Iterable[str],
    settings: ResolverSettings,
    *,
    advance: Callable[[int], None] | None = None,
) -> dict[str, Lookup]:
    """:func:`lookup` of every name on ``settings.concurrency`` threads; one result per name."""
    make_resolver(settings)  # a missing system configuration is one error, before any thread
    local = threading.local()

    def one(name: str) -> Lookup:
        res = getattr(local, "resolver", None)
        if res is None:  # one resolver per thread: nothing shared between concurrent queries
            res = local.resolver = make_resolver(settings)
        return lookup(res, name)

    todo = list(dict.fromkeys(names))
    out: dict[str, Lookup] = {}
    workers = max(1, min(settings.concurrency, 256))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="watch-dns") as pool:
        for found in pool.map(one, todo):
            out[found.name] = found
            if advance is not None:
                advance(1)
    return out
