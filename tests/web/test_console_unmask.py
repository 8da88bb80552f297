"""Unmasking in the console, in chromium against the real server: people are masked; a role that
may unmask states a reason and sees one view unmasked, written to the audit chain and shown on
the audit page; the next view is masked again; a role that may not sees no form and is refused
by the server; a too-short reason unmasks nothing. Every page axe-clean, no console error."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select, text

from breachscope.case import audit
from breachscope.case.audit import AuditEntry
from breachscope.case.db import session_scope
from breachscope.case.models import Account
from breachscope.hashing import mask
from tests.web.browser import Watched, axe_violations
from tests.web.conftest import Console, open_as

REASON = "calling the admin back about ticket 4242"


def _views(console: Console) -> list[AuditEntry]:
    with session_scope(console.engine) as s:  # type: ignore[arg-type]
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action == audit.VIEW_ACTION)))
        s.expunge_all()
        return rows


def _an_org_with_admins(console: Console) -> tuple[str, str, str]:
    with session_scope(console.engine) as s:  # type: ignore[arg-type]
        a = s.scalars(
            select(Account)
            .where(Account.incident_id == console.case.demo, Account.is_admin.is_(True))
            .where(Account.org_id.is_not(None), Account.name.is_not(None))
            .order_by(Account.id)
            .limit(1)
        ).one()
        assert a.org_id is not None and a.email and a.name
        return a.org_id, a.email, a.name


def _submit(w: Watched) -> None:
    with w.page.expect_navigation():
        w.page.get_by_role("button", name="Show unmasked").click()


def _clean(w: Watched) -> None:
    assert axe_violations(w.page) == []
    w.assert_clean()


def test_legal_unmasks_an_organization_once_with_a_reason_and_it_is_audited(
    browser: Browser, console: Console
) -> None:
    org, email, name = _an_org_with_admins(console)
    before = len(_views(console))
    w = open_as(browser, console, "legal")
    path = f"/incidents/{console.case.demo}/scope/org?org={org}"
    w.goto(path)
    main = w.page.locator("main")
    assert email not in main.inner_text() and mask(email) in main.inner_text()
    assert name not in main.inner_text()  # names are masked too
    _clean(w)
    w.page.fill("#unmask-reason", REASON)
    _submit(w)
    shown = w.page.locator("main").inner_text()
    assert email in shown and name in shown
    assert REASON in w.page.locator("[role=status]").inner_text()
    _clean(w)
    views = _views(console)
    assert len(views) == before + 1
    entry = views[-1]
    assert entry.actor == "legal@team.example" and entry.object_type == "accounts"
    assert entry.details is not None and entry.details["reason"] == REASON
    assert entry.details["accounts"] and email not in json.dumps(entry.details)  # ids, never values
    # for that view only: the page read again is masked
    w.goto(path)
    assert email not in w.page.locator("main").inner_text()
    # the audit page shows the view with its reason
    w.goto(f"/incidents/{console.case.demo}/audit?action={audit.VIEW_ACTION}")
    assert REASON in w.page.locator("main table").inner_text()
    _clean(w)
    w.page.close()


def test_review_candidates_and_a_notice_preview_unmask_for_communications(
    browser: Browser, console: Console
) -> None:
    w = open_as(browser, console, "communications")
    w.goto(f"/incidents/{console.case.demo}/scope/review")
    candidates = w.page.locator("main tbody td:nth-child(6)").all_inner_texts()
    assert candidates and all("@" not in c or "*" in c for c in candidates)
    # a leaked person's address is masked, or the cell says the case does not hold it: never blank
    emails = w.page.locator("main tbody td:nth-child(2)").all_inner_texts()
    assert emails and all(("@" in e and "*" in e) or e.strip() == "not stored" for e in emails), emails
    w.page.fill("#unmask-reason", "checking which account the look-alike is")
    _submit(w)
    unmasked = w.page.locator("main tbody td:nth-child(6)").all_inner_texts()
    assert any("@" in c and "*" not in c for c in unmasked), unmasked
    entry = _views(console)[-1]
    assert entry.object_type == "exposures" and entry.details and entry.details["accounts"]
    _clean(w)
    with console.engine.connect() as conn:  # type: ignore[attr-defined]
        to_addr = conn.execute(
            text(
                "SELECT to_addr FROM notify_outbox WHERE incident_id = :i AND kind = 'admin'"
                " AND language = 'en' ORDER BY id LIMIT 1"
            ),
            {"i": console.case.demo},
        ).scalar_one()
    w.goto(f"/incidents/{console.case.demo}/notices/preview?kind=admin&lang=en")
    assert to_addr not in w.page.locator("main").inner_text()
    w.page.fill("#unmask-reason", "proofreading the admin notice before approval")
    _submit(w)
    assert to_addr in w.page.locator("main").inner_text()
    assert _views(console)[-1].object_type == "notice"
    _clean(w)
    w.page.close()


@pytest.mark.parametrize("path", ["scope/unmatched", "scope/review"])
def test_a_viewer_sees_no_unmask_form_and_the_server_refuses(
    browser: Browser, console: Console, path: str
) -> None:
    before = len(_views(console))
    w = open_as(browser, console, "viewer")
    w.goto(f"/incidents/{console.case.demo}/{path}")
    assert w.page.locator("#unmask-reason").count() == 0
    assert "your role (viewer) may not unmask" in w.page.locator("main").inner_text()
    _clean(w)
    token = w.page.locator("input[name=csrf_token]").first.get_attribute("value")
    r = w.page.request.post(
        f"{console.base}/incidents/{console.case.demo}/{path}/unmask",
        form={"csrf_token": token or "", "reason": "I would like to see them all please"},
    )
    assert r.status == 403
    assert len(_views(console)) == before
    w.page.close()


def test_a_short_reason_or_no_csrf_token_unmasks_nothing(browser: Browser, console: Console) -> None:
    before = len(_views(console))
    w = open_as(browser, console, "legal")
    w.goto(f"/incidents/{console.case.demo}/scope/unmatched")
    token = w.page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    url = f"{console.base}/incidents/{console.case.demo}/scope/unmatched/unmask"
    r = w.page.request.post(url, form={"csrf_token": token, "reason": "because"})
    assert r.status == 200 and "at least 10 characters" in r.text()
    assert "Shown unmasked" not in r.text()
    assert w.page.request.post(url, form={"reason": REASON}).status == 403
    assert len(_views(console)) == before
    w.page.close()
