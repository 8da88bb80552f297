"""The Account page in chromium against the real server: change one's password and sign in with
the new one; a wrong current password is refused (and the throttle's answer shown as text);
new recovery codes are shown once, not cached, and one of them signs in once only; the page reads
and changes with JavaScript off. Every page axe-clean, no console error. Each test has its own
user (the shared role users keep their passwords for the other browser tests)."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Browser, BrowserContext

from breachscope.case import accounts
from breachscope.case.db import session_scope
from breachscope.case.logins import FREE_TRIES
from tests.web.browser import Watched, axe_violations, with_axe
from tests.web.conftest import Console
from tests.web.server import CHEAP

OLD = "the first long passphrase"
NEW = "a second long passphrase"


def _user(console: Console, email: str, *, totp: bool) -> accounts.NewUser:
    with session_scope(console.engine) as s:  # type: ignore[arg-type]
        new = accounts.create_user(
            s, email, "responder", OLD, now=console.clock.now(), created_by="test", totp=totp, hasher=CHEAP
        )
        accounts.add_member(s, console.case.demo, new.user, by="test", now=console.clock.now())
        return new


def _totp(console: Console, email: str) -> str:
    console.clock.advance(timedelta(seconds=30))  # codes are single-use per step
    with session_scope(console.engine) as s:  # type: ignore[arg-type]
        user = accounts.get_user(s, email)
        assert user is not None
        return accounts.totp_code(s, user, console.clock.now()) if user.totp_secret else ""


def _context(browser: Browser) -> BrowserContext:
    return with_axe(browser.new_context())


def _sign_in(w: Watched, email: str, password: str, code: str = "") -> int:
    """Fill and post the console's sign-in form; the status of the answer."""
    w.goto("/sign-in")
    w.page.fill("#email", email)
    w.page.fill("#password", password)
    if code:
        w.page.fill("#totp", code)
    with w.page.expect_navigation() as nav:
        w.page.click("button[type=submit]")
    response = nav.value
    assert response is not None
    # a success is a 303 to "/" (the followed answer is the incident list)
    return 200 if w.page.url == w.base + "/" else response.status


def _clean(w: Watched) -> None:
    assert axe_violations(w.page) == []
    w.assert_clean()


def _post(w: Watched, button: str) -> int:
    with w.page.expect_navigation() as nav:
        w.page.get_by_role("button", name=button).click()
    response = nav.value
    assert response is not None
    return response.status


def test_change_the_password_then_sign_in_with_the_new_one(browser: Browser, console: Console) -> None:
    email = "account-pw@team.example"
    _user(console, email, totp=False)
    context = _context(browser)
    w = Watched(context.new_page(), console.base)
    assert _sign_in(w, email, OLD) == 200
    w.page.get_by_role("link", name="Account").click()  # the header's link
    w.page.wait_for_url(console.base + "/account")
    _clean(w)
    # the policy's refusal, as the API words it
    w.page.fill("#pw-current", OLD)
    w.page.fill("#pw-new", "short")
    w.page.fill("#pw-again", "short")
    w.page.eval_on_selector("#pw-new", "e => e.removeAttribute('minlength')")
    assert _post(w, "Change password") == 400
    assert "shorter than 12 characters" in w.page.locator("#password-error").inner_text()
    _clean(w)
    w.page.fill("#pw-current", OLD)
    w.page.fill("#pw-new", NEW)
    w.page.fill("#pw-again", NEW)
    assert _post(w, "Change password") == 200
    assert w.page.url == console.base + "/account?done=password"
    assert "Your password was changed" in w.page.locator("[role=status]").inner_text()
    _clean(w)
    w.goto("/")  # this session stays signed in
    context.close()

    fresh = Watched(_context(browser).new_page(), console.base)
    assert _sign_in(fresh, email, OLD) == 401
    assert _sign_in(fresh, email, NEW) == 200
    fresh.assert_clean()
    fresh.page.context.close()


def test_a_wrong_current_password_is_refused_and_then_throttled(browser: Browser, console: Console) -> None:
    email = "account-wrong@team.example"
    _user(console, email, totp=False)
    w = Watched(_context(browser).new_page(), console.base)
    assert _sign_in(w, email, OLD) == 200
    w.goto("/account")
    for attempt in range(FREE_TRIES):
        w.page.fill("#pw-current", f"not my password {attempt}")
        w.page.fill("#pw-new", NEW)
        w.page.fill("#pw-again", NEW)
        assert _post(w, "Change password") == 401
        assert "the current password is wrong" in w.page.locator("#password-error").inner_text()
    _clean(w)
    # the throttle now refuses even the right password, and says how long to wait
    w.page.fill("#pw-current", OLD)
    w.page.fill("#pw-new", NEW)
    w.page.fill("#pw-again", NEW)
    assert _post(w, "Change password") == 429
    text = w.page.locator("#password-error").inner_text()
    assert "too many failed attempts: try again in" in text and " s." in text
    _clean(w)
    w.page.context.close()
    with session_scope(console.engine) as s:  # type: ignore[arg-type]
        user = accounts.get_user(s, email)
        assert user is not None and accounts.verify_password(user, OLD, CHEAP)  # unchanged


def test_new_recovery_codes_are_shown_once_and_each_signs_in_once(browser: Browser, console: Console) -> None:
    email = "account-codes@team.example"
    first = _user(console, email, totp=True)
    w = Watched(_context(browser).new_page(), console.base)
    assert _sign_in(w, email, OLD, _totp(console, email)) == 200
    w.goto("/account")
    assert "10 unused recovery codes left" in w.page.locator("#codes-left").inner_text()
    w.page.fill("#codes-password", "not my password")
    assert _post(w, "Make new recovery codes") == 401
    assert "the current password is wrong" in w.page.locator("#codes-error").inner_text()
    w.page.fill("#codes-password", OLD)
    with w.page.expect_navigation() as nav:
        w.page.get_by_role("button", name="Make new recovery codes").click()
    response = nav.value
    assert response is not None and response.status == 200
    assert response.headers["cache-control"] == "no-store"
    codes = [c.strip() for c in w.page.locator("#new-codes code").all_inner_texts()]
    assert len(codes) == 10 and not set(codes) & set(first.recovery_codes)
    _clean(w)
    w.goto("/account")  # shown once: the page read again has no codes
    assert w.page.locator("#new-codes").count() == 0
    assert not any(code in w.page.content() for code in codes)
    w.page.context.close()

    again = Watched(_context(browser).new_page(), console.base)
    assert _sign_in(again, email, OLD, first.recovery_codes[0]) == 401  # the old codes stopped working
    assert _sign_in(again, email, OLD, codes[3]) == 200
    again.goto("/account")
    assert "9 unused recovery codes left" in again.page.locator("#codes-left").inner_text()
    again.page.context.close()
    third = Watched(_context(browser).new_page(), console.base)
    assert _sign_in(third, email, OLD, codes[3]) == 401  # the same code, the second time
    third.assert_clean()
    third.page.context.close()


def test_the_page_reads_and_changes_with_javascript_off(browser: Browser, console: Console) -> None:
    email = "account-nojs@team.example"
    _user(console, email, totp=True)
    w = Watched(with_axe(browser.new_context(java_script_enabled=False)).new_page(), console.base)
    assert _sign_in(w, email, OLD, _totp(console, email)) == 200
    w.goto("/account")
    assert "10 unused recovery codes left" in w.page.locator("#codes-left").inner_text()
    w.page.fill("#pw-current", OLD)
    w.page.fill("#pw-new", NEW)
    w.page.fill("#pw-again", NEW)
    assert _post(w, "Change password") == 200
    assert "Your password was changed" in w.page.locator("[role=status]").inner_text()
    w.assert_clean()
    w.page.context.close()
