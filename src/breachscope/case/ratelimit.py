"""A sliding-window rate limit kept in the case database, so every server process shares it.

The public notice check (``web/pages/public.py``) allows a few attempts per source address in a
window. Kept in one process's memory, two uvicorn workers (or two servers behind one proxy) each
allowed the full limit; here every attempt is a row of ``rate_hits`` in the case database all the
processes already use, so they count together.

- An attempt inserts its row first, then counts the key's rows in the window, in one
  transaction: SQLite serialises writers, and on PostgreSQL a transaction-scoped advisory lock on
  the key does the same, so two processes never both take the last free attempt. A refused
  attempt's row is removed again (refusals do not extend the wait).
- The key is stored as the SHA-256 of ``scope:value`` (the source address is not kept in the
  clear), and rows older than the window are deleted on every attempt: the table holds at most
  the last window's attempts (store the minimum).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import Index, Integer, String, delete, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from breachscope.case.base import Base
from breachscope.case.models import UTCDateTime


class RateHit(Base):
    """One attempt of one (hashed) key."""

    __tablename__ = "rate_hits"
    __table_args__ = (Index("ix_rate_hits_key_at", "key_hash", "at"), Index("ix_rate_hits_at", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


def key_hash(scope: str, value: str) -> str:
    return hashlib.sha256(f"{scope}:{value}".encode()).hexdigest()


def allow(session: Session, scope: str, value: str, *, limit: int, window: timedelta, now: datetime) -> bool:
    """Count one attempt of ``value`` (e.g. a source address) under ``scope``; ``False`` when
    ``limit`` attempts were already allowed in the last ``window``. Call in its own transaction."""
    digest = key_hash(scope, value)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": int(digest[:15], 16)})
    hit = RateHit(key_hash=digest, at=now)
    session.add(hit)
    session.flush()
    session.execute(delete(RateHit).where(RateHit.at <= now - window))
    seen = session.scalar(
        select(func.count()).where(
            RateHit.key_hash == digest, RateHit.at > now - window, RateHit.id <= hit.id
        )
    )
    if int(seen or 0) > limit:
        session.delete(hit)
        return False
    return True


__all__ = ["RateHit", "allow", "key_hash"]
