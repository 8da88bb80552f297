"""SPF of a canary mail's sender (RFC 7208, pyspf) with every DNS query through the listener's resolver.

pyspf's evaluation is used as is; only its one DNS method (``query.dns``) is overridden in a
subclass so the queries go to the configured resolver (a local test server in the tests) and
not to whatever pyspf would pick. A resolver that does not answer is ``temperror``, never
``fail``. Inputs are the SMTP client IP, MAIL FROM (or HELO when MAIL FROM is empty) and HELO.
"""

from __future__ import annotations

from typing import Any

import dns.exception
import dns.name
import dns.resolver
import spf

from breachscope.inert import terminal_text


class _Query(spf.query):  # type: ignore[misc]  # pyspf is untyped
    def __init__(self, resolver: dns.resolver.Resolver, i: str, s: str, h: str) -> None:
        super().__init__(i=i, s=s, h=h, timeout=resolver.lifetime)
        self._resolver = resolver

    def dns(self, name: Any, qtype: str, cnames: Any = None, ignore_void: bool = False) -> list[Any]:
        host = str(name).rstrip(".").lower()
        if not host or not all(0 < len(label) < 64 for label in host.split(".")):
            return []
        key = (host, qtype)
        if key in self.cache:
            return list(self.cache[key])
        try:
            answer = self._resolver.resolve(
                dns.name.from_text(host), "TXT" if qtype == "SPF" else qtype, raise_on_no_answer=False
            )
            found = list(answer.rrset) if answer.rrset is not None else []
        except dns.resolver.NXDOMAIN:
            found = []
        except (dns.exception.DNSException, ValueError) as exc:
            raise spf.TempError(f"DNS: no answer for {host} {qtype}: {exc}") from None
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


def check_spf(
    resolver: dns.resolver.Resolver | None, client: str | None, mail_from: str | None, helo: str | None
) -> dict[str, str]:
    """``{"result": pass|fail|softfail|neutral|none|temperror|permerror|not checked, ...}``."""
    if resolver is None or not client:
        return {"result": "not checked", "reason": "no resolver or no client address"}
    sender = (mail_from or "").strip().strip("<>") or f"postmaster@{helo or ''}"
    try:
        result, explanation = _Query(resolver, client, sender, helo or "").check()[:2]
    except Exception as exc:  # pyspf on hostile input: not verifiable, never a crash
        return {"result": "temperror", "reason": terminal_text(exc, 200)}
    domain = sender.rpartition("@")[2]
    return {
        "result": str(result),
        "domain": terminal_text(domain, 253),
        "reason": terminal_text(explanation or "", 200),
    }
