"""Four eyes through the console: a send above the policy waits for a second person; the
requester cannot approve their own request; communications approves it in the page."""

from __future__ import annotations

import contextlib

from playwright.sync_api import Browser

from breachscope.case import approvals
from tests.web.case_builder import NOW
from tests.web.conftest import Console, open_as
from tests.web.server import email_of


def test_a_second_person_approves_a_send_in_the_page(browser: Browser, console: Console) -> None:
    with contextlib.suppress(approvals.ApprovalNeeded):
        approvals.require(
            console.engine,  # type: ignore[arg-type]
            approvals.NOTIFY_SEND, 1, {"audience": "users", "recipients": 5000},
            actor=email_of("admin"), now=NOW, what="send 5,000 user notices",
        )  # fmt: skip
    own = open_as(browser, console, "admin")
    own.goto("/incidents/1/approvals")
    assert own.page.get_by_role("button", name="Approve").count() == 0  # not your own request
    own.page.close()
    viewer = open_as(browser, console, "viewer")
    viewer.goto("/incidents/1/approvals")
    assert viewer.page.get_by_role("button", name="Approve").count() == 0  # not the role
    viewer.page.close()
    w = open_as(browser, console, "communications")
    w.goto("/incidents/1/approvals")
    card = w.page.locator("article", has_text="send 5,000 user notices")
    card.get_by_role("button", name="Approve").click()
    w.page.wait_for_url("**/approvals#approval-*")
    card = w.page.locator("article", has_text="send 5,000 user notices")
    assert "approved" in card.inner_text().lower()
    assert "communications@team.example" in card.inner_text()
    w.assert_clean()
    w.page.close()
