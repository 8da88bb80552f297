"""Phishing watch: the incident's registered look-alike domains (from ``breachscope watch
domains``) and the reported-mail verdicts over time (from ``check-mail`` / ``watch mailbox``).

Read-only: the page shows what the watch stored; it runs no DNS query and reads no mailbox.
Domains are shown as text (never links): a look-alike is an attacker's address.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from breachscope.case.db import session_scope
from breachscope.watch.mail.service import mail_counts
from breachscope.watch.store import Lookalike
from breachscope.web.pages.base import incident_page
from breachscope.web.pages.context import incident_role, settings

router = APIRouter()

#: At most this many look-alike rows on the page (registered first, then by first seen).
SHOWN = 500


@router.get("/incidents/{incident_id}/watch", response_class=HTMLResponse)
def watch_page(request: Request, incident_id: int) -> HTMLResponse:
    incident_role(request, incident_id)
    conf = settings(request)
    with session_scope(conf.engine) as s:
        rows = list(
            s.scalars(
                select(Lookalike)
                .where(Lookalike.incident_id == incident_id)
                .order_by(Lookalike.state.desc(), Lookalike.first_seen, Lookalike.domain)
                .limit(SHOWN + 1)
            )
        )
        lookalikes = [
            {
                "domain": r.domain,
                "official": r.official,
                "kind": r.kind,
                "state": r.state,
                "mail": r.receives_mail,
                "first_seen": r.first_seen,
                "last_seen": r.last_seen,
                "last_checked": r.last_checked,
            }
            for r in rows[:SHOWN]
        ]
    mail = mail_counts(conf.engine, incident_id)
    return incident_page(
        request, incident_id, "watch", "watch.html.j2",
        lookalikes=lookalikes, more=len(rows) > SHOWN, mail=mail,
    )  # fmt: skip
