"""Dated updates for the public incident page: what a person wrote, in English and Indonesian.

The public page's other updates are derived from stored dates (we became aware, a dataset was
checked, notices started going out); these are the ones only a person can say ("The vendor
confirmed that no other data was taken."). Each is written once in both languages (the page is
bilingual), is one line of plain text without links (the page must never carry a link someone
typed or pasted from the leak), and adds a timeline event. Rows are never updated. They hold no
person data, so purge keeps them (migration 0056).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from breachscope.case import api
from breachscope.case.base import Base
from breachscope.case.models import UTCDateTime
from breachscope.clock import Clock, SystemClock
from breachscope.errors import InputError
from breachscope.notify.safety import find_links

MAX_LENGTH = 500


class PublicUpdateRow(Base):
    __tablename__ = "public_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(200))
    text_en: Mapped[str] = mapped_column(Text)
    text_id: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class PublicUpdate:
    at: datetime
    author: str
    text: dict[str, str]  # language -> words


def _check(text: str, option: str) -> str:
    words = " ".join(text.split())
    if not words:
        raise InputError(f"{option} is empty", "write the update in both languages: --en TEXT --id TEXT")
    if any(ord(ch) < 32 or ord(ch) == 127 or 0x202A <= ord(ch) <= 0x202E for ch in text if ch not in "\n\t "):
        raise InputError(f"{option} contains control characters", "write plain text")
    if len(words) > MAX_LENGTH:
        raise InputError(f"{option} is longer than {MAX_LENGTH} characters")
    links = find_links(words)
    if links:
        raise InputError(
            f"{option} contains link-like text ({links[0]})",
            "the public page carries no links: name a page in words, never a URL, domain or email",
        )
    return words


def add_update(
    session: Session, incident_id: int, *, en: str, id_: str, by: str, clock: Clock | None = None
) -> PublicUpdate:
    """Record one dated update in English and Indonesian (and a timeline event)."""
    if not by.strip():
        raise InputError("who is writing this update?", "pass --author NAME")
    api.get_incident(session, incident_id)
    text_en, text_id = _check(en, "--en"), _check(id_, "--id")
    now = (clock or SystemClock()).now()
    session.add(PublicUpdateRow(incident_id=incident_id, at=now, author=by, text_en=text_en, text_id=text_id))
    api.add_timeline_event(
        session, incident_id, f"Public page update: {text_en}", author=by, kind="public-update", at=now
    )
    session.flush()
    return PublicUpdate(now, by, {"en": text_en, "id": text_id})


def updates(session: Session, incident_id: int) -> list[PublicUpdate]:
    """Every recorded update, oldest first."""
    rows = session.scalars(
        select(PublicUpdateRow).where(PublicUpdateRow.incident_id == incident_id).order_by(PublicUpdateRow.id)
    )
    return [PublicUpdate(r.at, r.author, {"en": r.text_en, "id": r.text_id}) for r in rows]


__all__ = ["MAX_LENGTH", "PublicUpdate", "PublicUpdateRow", "add_update", "updates"]
