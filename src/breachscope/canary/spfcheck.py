"""SPF of a canary mail's sender (RFC 7208, pyspf) with every DNS query through the listener's resolver.

The evaluation is :class:`breachscope.spfquery.SpfQuery` (pyspf with every DNS query through
the listener's resolver), shared with the reported-mail check. A resolver that does not answer
is ``temperror``, never ``fail``. Inputs are the SMTP client IP, MAIL FROM (or HELO when MAIL
FROM is empty) and HELO.
"""

from __future__ import annotations

import dns.resolver

from breachscope.inert import terminal_text
from breachscope.spfquery import SpfQuery, resolver_lookup


def check_spf(
    resolver: dns.resolver.Resolver | None, client: str | None, mail_from: str | None, helo: str | None
) -> dict[str, str]:
    """``{"result": pass|fail|softfail|neutral|none|temperror|permerror|not checked, ...}``."""
    if resolver is None or not client:
        return {"result": "not checked", "reason": "no resolver or no client address"}
    sender = (mail_from or "").strip().strip("<>") or f"postmaster@{helo or ''}"
    try:
        result, explanation = SpfQuery(
            resolver_lookup(resolver), resolver.lifetime, client, sender, helo or ""
        ).check()[:2]
    except Exception as exc:  # pyspf on hostile input: not verifiable, never a crash
        return {"result": "temperror", "reason": terminal_text(exc, 200)}
    domain = sender.rpartition("@")[2]
    return {
        "result": str(result),
        "domain": terminal_text(domain, 253),
        "reason": terminal_text(explanation or "", 200),
    }
