"""The Team page in chromium against the real server: an admin follows the header's Team link,
adds a user (the authenticator key, its QR code read back from chromium's drawing, and the
recovery codes on the answer only, no-store) and the new user signs in through the console's
sign-in page with the password typed and a code of that key; the admin opens the user, grants
an incident, changes the role and disables the account, each answer axe-clean with no console
error or CSP report; a responder has no Team link and gets the 403 page. Screenshots of the
list, the add-user answer and the user's page are written to the test's folder for a look."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyotp
from playwright.sync_api import Browser

from tests.web.browser import Watched, axe_violations, with_axe
from tests.web.conftest import Console, open_as
from tests.web.qr_decode import decode
from tests.web.test_console_account import _sign_in

PW = "the new hire's passphrase"


def _clean(w: Watched) -> None:
    assert axe_violations(w.page) == []
    w.assert_clean()


def _press(w: Watched, button: str) -> int:
    with w.page.expect_navigation() as nav:
        w.page.get_by_role("button", name=button).click()
    response = nav.value
    assert response is not None
    return response.status


def test_an_admin_manages_the_team_in_the_browser(browser: Browser, console: Console, tmp_path: Path) -> None:
    w = open_as(browser, console, "admin")
    w.goto("/")
    w.page.get_by_role("link", name="Team").click()
    w.page.wait_for_url(console.base + "/team")
    assert w.page.locator("main h1").inner_text() == "Team"
    assert w.page.locator("#users tbody tr").count() >= 5
    _clean(w)
    w.page.screenshot(path=str(tmp_path / "team.png"), full_page=True)

    # a refusal first: the API's sentence, nothing added
    w.page.fill("#add-email", "browser-hire@team.example")
    w.page.select_option("#add-role", "admin")
    w.page.fill("#add-password", PW)
    w.page.uncheck("input[name=totp]")
    assert _press(w, "Add user") == 400
    assert "the admin role needs a second factor" in w.page.locator("#add-error").inner_text()
    _clean(w)

    w.page.select_option("#add-role", "responder")
    w.page.fill("#add-password", PW)
    w.page.check("input[name=totp]")
    with w.page.expect_navigation() as nav:
        w.page.get_by_role("button", name="Add user").click()
    response = nav.value
    assert response is not None and response.status == 200
    assert response.headers["cache-control"] == "no-store"
    secret = w.page.locator("#totp-secret").inner_text().replace(" ", "")
    uri = w.page.locator("#totp-uri").inner_text()
    assert f"secret={secret}" in uri
    assert decode(w.page.locator("#totp-qr svg").screenshot(), ".png") == [uri]
    assert w.page.locator("#new-codes li").count() == 10
    _clean(w)
    w.page.screenshot(path=str(tmp_path / "team-added.png"), full_page=True)

    # the new user signs in through the sign-in page with what the admin was shown
    console.clock.advance(timedelta(seconds=30))
    hire = Watched(with_axe(browser.new_context()).new_page(), console.base)
    assert _sign_in(hire, "browser-hire@team.example", PW, pyotp.TOTP(secret).at(console.clock.now())) == 200
    assert hire.page.get_by_role("link", name="Team").count() == 0  # a responder's header
    hire.goto("/team", status=403)
    hire.assert_clean()

    # the admin opens the user: grant an incident, change the role, disable the account
    w.page.get_by_role("link", name="open their account").click()
    w.page.wait_for_url("**/team/users/*")
    _clean(w)
    w.page.select_option("#grant-incident", str(console.case.demo))
    assert _press(w, "Grant") == 200
    assert "The incident was granted" in w.page.locator("#done").inner_text()
    assert w.page.locator("#member-of li").count() == 1
    w.page.select_option("#role", "communications")
    assert _press(w, "Change role") == 200
    assert "communications" in w.page.locator("#facts").inner_text()
    assert _press(w, "Disable the account") == 200
    assert "disabled" in w.page.locator("#facts").inner_text()
    _clean(w)
    w.page.screenshot(path=str(tmp_path / "team-user.png"), full_page=True)
    hire.goto("/", status=200)  # the disabled account's session ended: the sign-in page
    assert hire.page.url.startswith(console.base + "/sign-in")
    hire.page.context.close()
    w.page.close()
