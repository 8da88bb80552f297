"""SPF (RFC 7208) evaluated by pyspf with every DNS query answered by the caller's lookup.

pyspf's evaluation is used as is; only its one DNS method (``query.dns``) is overridden so the
queries go to the configured resolver (a local test server in the tests), never to whatever
pyspf would pick. A name the resolver does not answer is ``temperror``, never ``fail``. Used by
the canary listener (``canary/``) and the reported-mail check (``watch/mail/``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dns.exception
import dns.name
import dns.resolver
import spf

#: ``(host, rdtype) -> records``: [] when there are none (NXDOMAIN, no data), None when not answered.
Lookup = Callable[[str, str], "list[Any] | None"]


def resolver_lookup(resolver: dns.resolver.Resolver) -> Lookup:
    """A :data:`Lookup` asking ``resolver`` directly (no cache beyond pyspf's own per query)."""

    def answers(host: str, rdtype: str) -> list[Any] | None:
        try:
            answer = resolver.resolve(
                dns.name.from_text(host), rdtype, raise_on_no_answer=False, search=False
            )
        except (dns.resolver.NXDOMAIN, dns.name.EmptyLabel, dns.name.LabelTooLong, dns.name.NameTooLong):
            return []
        except (dns.exception.DNSException, ValueError):  # timeout, SERVFAIL, refused, broken answer
            return None
        return list(answer.rrset) if answer.rrset is not None else []

    return answers


class SpfQuery(spf.query):  # type: ignore[misc]  # pyspf is untyped
    """pyspf's evaluation with its DNS method answered by ``lookup``."""

    def __init__(self, lookup: Lookup, timeout: float, i: str, s: str, h: str) -> None:
        super().__init__(i=i, s=s, h=h, timeout=timeout)
        self._lookup = lookup

    def dns(self, name: Any, qtype: str, cnames: Any = None, ignore_void: bool = False) -> list[Any]:
        host = str(name).rstrip(".").lower()
        if not host or not all(0 < len(label) < 64 for label in host.split(".")):
            return []
        key = (host, qtype)
        if key in self.cache:
            return list(self.cache[key])
        found = self._lookup(host, "TXT" if qtype == "SPF" else qtype)
        if found is None:
            raise spf.TempError(f"DNS: no answer for {host} {qtype}")
        result: list[Any] = []
        for rd in found:
            if qtype in ("A", "AAAA"):
                result.append(rd.address)
            elif qtype == "MX":
                result.append((rd.preference, rd.exchange.to_text(omit_final_dot=True)))
            elif qtype == "PTR":
                result.append(rd.target.to_text(omit_final_dot=True))
            elif qtype in ("TXT", "SPF"):
                result.append(list(rd.strings))
        self.cache[key] = result
        if not result and not ignore_void:
            self.void_lookups += 1
            if self.void_lookups > spf.MAX_VOID_LOOKUPS:
                raise spf.PermError(f"Void lookup limit of {spf.MAX_VOID_LOOKUPS} exceeded")
        return result
