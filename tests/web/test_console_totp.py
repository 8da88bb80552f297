"""The Account page's new authenticator in chromium against the real server, with real pyotp
codes: signed in with a recovery code (the phone is lost), the person types their password, is
shown the new key once (no-store) with its QR code (read back by zbarimg from chromium's
screenshot), mistypes the code (nothing changes: the old app still signs
in), then confirms; from then on only the new app's codes sign in. Axe-clean, no console error.
A screenshot of the page with the key is written to the test's folder for a look."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyotp
from playwright.sync_api import Browser

from breachscope.case import accounts
from breachscope.case.db import session_scope
from tests.web.browser import Watched, with_axe
from tests.web.conftest import Console
from tests.web.qr_decode import decode
from tests.web.test_console_account import OLD, _clean, _post, _sign_in, _user


def _code(console: Console, secret: str) -> str:
    console.clock.advance(timedelta(seconds=30))  # each step's code is accepted once
    return pyotp.TOTP(secret).at(console.clock.now())


def _fresh(browser: Browser, console: Console) -> Watched:
    return Watched(with_axe(browser.new_context()).new_page(), console.base)


def test_set_up_a_new_authenticator_from_the_account_page(
    browser: Browser, console: Console, tmp_path: Path
) -> None:
    email = "account-totp@team.example"
    first = _user(console, email, totp=True)
    old = first.totp_secret
    assert old is not None
    w = _fresh(browser, console)
    assert _sign_in(w, email, OLD, first.recovery_codes[0]) == 200
    w.goto("/account")
    _clean(w)
    assert w.page.locator("#totp-code").count() == 0  # nothing waits for a code yet

    w.page.fill("#totp-password", "not my password")
    assert _post(w, "Set up a new authenticator") == 401
    assert "the current password is wrong" in w.page.locator("#totp-error").inner_text()

    w.page.fill("#totp-password", OLD)
    with w.page.expect_navigation() as nav:
        w.page.get_by_role("button", name="Set up a new authenticator").click()
    response = nav.value
    assert response is not None and response.status == 200
    assert response.headers["cache-control"] == "no-store"
    shown = w.page.locator("#totp-secret").inner_text()
    secret = shown.replace(" ", "")
    assert len(secret) == 32 and shown.count(" ") == 7 and secret != old
    uri = w.page.locator("#totp-uri").inner_text()
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    # the QR code a phone scans, read back from what chromium drew (zbarimg on a screenshot)
    assert decode(w.page.locator("#totp-qr svg").screenshot(), ".png") == [uri]
    _clean(w)
    w.page.screenshot(path=str(tmp_path / "account-new-authenticator.png"), full_page=True)

    # a mistyped code: refused, the key is not shown again, the form to confirm stays
    w.page.fill("#totp-code", _code(console, old))
    assert _post(w, "Confirm the new authenticator") == 401
    assert "not the new authenticator's current code" in w.page.locator("#totp-error").inner_text()
    assert w.page.locator("#totp-secret").count() == 0 and secret not in w.page.content()
    _clean(w)
    other = _fresh(browser, console)
    assert _sign_in(other, email, OLD, _code(console, old)) == 200  # the old app still works

    w.page.fill("#totp-code", _code(console, secret))
    assert _post(w, "Confirm the new authenticator") == 200
    assert w.page.url == console.base + "/account?done=totp"
    assert "Your new authenticator is set up" in w.page.locator("[role=status]").inner_text()
    assert w.page.locator("#totp-code").count() == 0
    _clean(w)
    other.goto("/account", status=200)  # signed out: the sign-in page answers
    assert "/sign-in" in other.page.url
    other.page.context.close()
    w.page.context.close()

    after = _fresh(browser, console)
    assert _sign_in(after, email, OLD, _code(console, old)) == 401
    assert _sign_in(after, email, OLD, _code(console, secret)) == 200
    after.assert_clean()
    after.page.context.close()


def test_add_a_first_authenticator_from_the_account_page(
    browser: Browser, console: Console, tmp_path: Path
) -> None:
    email = "account-first-totp@team.example"
    _user(console, email, totp=False)
    w = _fresh(browser, console)
    assert _sign_in(w, email, OLD) == 200  # the password alone
    w.goto("/account")
    assert "You have no authenticator" in w.page.locator("#no-totp").inner_text()
    _clean(w)

    w.page.fill("#totp-password", OLD)
    with w.page.expect_navigation() as nav:
        w.page.get_by_role("button", name="Add an authenticator app").click()
    response = nav.value
    assert response is not None and response.status == 200
    assert response.headers["cache-control"] == "no-store"
    uri = w.page.locator("#totp-uri").inner_text()
    secret = w.page.locator("#totp-secret").inner_text().replace(" ", "")
    assert f"secret={secret}" in uri
    assert decode(w.page.locator("#totp-qr svg").screenshot(), ".png") == [uri]
    _clean(w)
    w.page.screenshot(path=str(tmp_path / "account-first-authenticator.png"), full_page=True)

    w.page.fill("#totp-code", _code(console, secret))
    with w.page.expect_navigation() as nav:
        w.page.get_by_role("button", name="Confirm the authenticator").click()
    response = nav.value
    assert response is not None and response.status == 200
    assert response.headers["cache-control"] == "no-store"  # the recovery codes are on this answer only
    assert "Your authenticator is set up" in w.page.locator("[role=status]").first.inner_text()
    codes = w.page.locator("#new-codes code").all_inner_texts()
    assert len(codes) == 10
    assert "unused recovery codes left" in w.page.locator("#codes-left").inner_text()
    assert w.page.locator("#no-totp").count() == 0 and w.page.locator("#totp-secret").count() == 0
    _clean(w)
    w.page.screenshot(path=str(tmp_path / "account-first-authenticator-codes.png"), full_page=True)
    w.goto("/account")
    assert w.page.locator("#new-codes").count() == 0  # shown once
    w.page.context.close()

    after = _fresh(browser, console)
    assert _sign_in(after, email, OLD) == 401  # the password alone no longer signs in
    assert _sign_in(after, email, OLD, codes[0]) == 200
    after.page.context.close()
    again = _fresh(browser, console)
    assert _sign_in(again, email, OLD, _code(console, secret)) == 200
    again.assert_clean()
    again.page.context.close()


def test_a_required_second_factor_leads_to_the_account_page_until_added(
    browser: Browser, console: Console, tmp_path: Path
) -> None:
    email = "account-required-totp@team.example"
    _user(console, email, totp=False)
    with session_scope(console.engine) as s:  # type: ignore[arg-type]
        user = accounts.get_user(s, email)
        assert user is not None
        user.totp_required = True  # as PATCH /api/v1/users/{id} or `breachscope users require-totp` do
    w = _fresh(browser, console)
    w.goto("/sign-in")
    w.page.fill("#email", email)
    w.page.fill("#password", OLD)
    with w.page.expect_navigation():
        w.page.click("button[type=submit]")
    assert w.page.url == console.base + "/account"  # every page leads here
    assert "An admin requires a second factor" in w.page.locator("#totp-required").inner_text()
    assert w.page.locator("#pw-current").count() == 0  # nothing offered that the gate would refuse
    _clean(w)
    w.page.screenshot(path=str(tmp_path / "account-required.png"), full_page=True)
    w.page.goto(f"{console.base}/incidents/{console.case.demo}/overview")
    assert w.page.url == console.base + "/account"

    w.page.fill("#totp-password", OLD)
    assert _post(w, "Add an authenticator app") == 200
    secret = w.page.locator("#totp-secret").inner_text().replace(" ", "")
    assert "An admin requires a second factor" in w.page.locator("#totp-required").inner_text()
    w.page.fill("#totp-code", _code(console, secret))
    assert _post(w, "Confirm the authenticator") == 200
    assert w.page.locator("#totp-required").count() == 0 and w.page.locator("#new-codes code").count() == 10
    assert w.page.locator("#pw-current").count() == 1
    _clean(w)
    w.goto(f"/incidents/{console.case.demo}/overview")
    assert w.page.url.endswith("/overview")
    w.assert_clean()
    w.page.context.close()
