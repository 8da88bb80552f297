"""The outbox: one row per (incident, recipient, notice kind), its attempts, and the send runs.

``notify_outbox.idempotency_key`` (``<incident>:<kind>:<recipient>``) is unique, so queuing the
same notice twice is a no-op, and the Message-ID is derived from it, so a message that must be
re-sent carries the same Message-ID. States::

    queued --claim--> sending --250--> sent
       ^                 |--4xx--> queued (next_attempt_at = backoff) --max attempts--> failed
       |                 |--5xx--> bounced
       +--- crash before the final "." (final_dot_at is NULL): requeued by the next run
            crash after it: "presume-sent" (sent, confirmed = false) or "resend" (queued)

Rows hold what the notice needs (address, display name, rendered subject and body) and are
deleted by ``case purge`` (``info={"purge": "delete"}``), like every other person-derived row.
The tables are declared in :mod:`breachscope.case.outbox` (storage, so that purge knows them
without importing this stage); this module adds the states and the body packing.
"""

from __future__ import annotations

import json
import zlib

from breachscope.case.outbox import NotifyRun, OutboxAttempt, OutboxMessage

__all__ = ["STATES", "NotifyRun", "OutboxAttempt", "OutboxMessage", "pack_body", "unpack_body"]

STATES: tuple[str, ...] = ("queued", "sending", "sent", "failed", "bounced")


def pack_body(text: str, html: str) -> bytes:
    return zlib.compress(json.dumps({"text": text, "html": html}, ensure_ascii=False).encode(), 1)


def unpack_body(body: bytes) -> tuple[str, str]:
    data = json.loads(zlib.decompress(body).decode())
    return str(data["text"]), str(data["html"])
