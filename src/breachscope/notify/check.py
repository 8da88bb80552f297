"""The public notice check: is this reference + verification phrase one of our notices? Yes or no.

What a recipient types is untrusted and the answer goes to anyone on the internet, so the check
reveals one bit: genuine or not. An unknown reference and a wrong phrase give the same answer
after the same work (an HMAC is computed either way). The reference is looked up through its
index on any incident (a recipient does not know incident ids); the phrase is checked with
:func:`breachscope.notify.verification.check` under the company's verification key.
"""

from __future__ import annotations

import re
from typing import cast

from sqlalchemy import Engine, Table, select

from breachscope.notify import verification
from breachscope.notify.outbox import OutboxMessage

#: Crockford base-32 reads O as 0 and I/L as 1; people type references from paper.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_REFERENCE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")
MAX_INPUT = 200


def normalise_reference(raw: str) -> str | None:
    """``" k7qp4 xma92 "`` -> ``"K7QP4-XMA92"``; ``None`` when it cannot be a reference."""
    text = "".join(raw[:MAX_INPUT].upper().split()).replace("-", "").translate(_READ_AS)
    if len(text) != verification.REFERENCE_CHARS:
        return None
    ref = f"{text[:5]}-{text[5:]}"
    return ref if _REFERENCE.match(ref) else None


def is_genuine(engine: Engine, verification_key: str, reference: str, phrase: str) -> bool:
    """True only when a notice with this reference exists and the phrase is its phrase."""
    ref = normalise_reference(reference)
    phrase = phrase[:MAX_INPUT]
    rows: list[tuple[int, str, str]] = []
    if ref is not None:
        table = cast(Table, OutboxMessage.__table__)
        stmt = (
            select(table.c.incident_id, table.c.kind, table.c.recipient_key)
            .where(table.c.reference == ref, table.c.state.in_(("queued", "sending", "sent")))
            .limit(5)
        )
        with engine.connect() as conn:
            rows = [(int(i), str(k), str(r)) for i, k, r in conn.execute(stmt)]
    if not rows:  # the same work as a wrong phrase: no timing difference to learn from
        verification.check(verification_key, 0, "none", "none", phrase)
        return False
    return any(verification.check(verification_key, i, k, r, phrase) for i, k, r in rows)


__all__ = ["is_genuine", "normalise_reference"]
