"""Screenshots of the console's main pages for the docs (``make screenshots``).

Builds the browser tests' case (a small synthetic leak scoped, assessed and partly notified,
plus an incident of hostile values), serves it with the real app on a free localhost port,
signs in as a legal user through the sign-in page (password + TOTP) and saves one PNG per page
in ``docs/screenshots/`` (1280x900, the top of each page); then as an admin, the Team page, the
answer to adding a user and a user's page. Debian's chromium, never a download.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = (
    ("sign-in", "/sign-in", None),
    ("incidents", "/", "legal"),
    ("account", "/account", "legal"),
    ("overview", "/incidents/1/overview", "legal"),
    ("data", "/incidents/1/data", "legal"),
    ("scope", "/incidents/1/scope", "legal"),
    ("scope-review", "/incidents/1/scope/review", "legal"),
    ("duties", "/incidents/1/duties", "legal"),
    ("tasks", "/incidents/1/tasks", "legal"),
    ("notices", "/incidents/1/notices", "legal"),
    ("notice-preview", "/incidents/1/notices/preview?kind=admin&lang=id", "legal"),
    ("regulator-draft", "/incidents/1/notices/drafts/1", "legal"),
    ("timeline", "/incidents/1/timeline", "legal"),
    ("hostile-timeline", "/incidents/2/timeline", "legal"),
    ("public-check", "/check", None),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bs-shots-") as tmp:
        os.environ["BREACHSCOPE_KEY_DIR"] = str(Path(tmp) / "keys")
        return shoot(Path(tmp), args.out)


def shoot(tmp: Path, out: Path) -> int:
    import uvicorn
    from playwright.sync_api import BrowserContext, sync_playwright

    from breachscope.case import accounts
    from breachscope.case.db import open_case_db, session_scope
    from breachscope.clock import FixedClock
    from breachscope.web.app import create_app
    from breachscope.web.settings import ServerSettings
    from tests.notify.conftest import free_port
    from tests.web.browser import ARGS, CHROMIUM
    from tests.web.case_builder import NOW, build
    from tests.web.server import CHEAP, email_of, password_of

    case = build(tmp / "case")
    engine = open_case_db(case.db_url)
    with session_scope(engine) as s:
        user = accounts.create_user(
            s, email_of("legal"), "legal", password_of("legal"), now=NOW, created_by="screenshots",
            totp=True, hasher=CHEAP,
        ).user  # fmt: skip
        for incident in (case.demo, case.hostile):
            accounts.add_member(s, incident, user, by="screenshots", now=NOW)
        accounts.create_user(
            s, email_of("admin"), "admin", password_of("admin"), now=NOW, created_by="screenshots",
            totp=True, hasher=CHEAP,
        )  # fmt: skip
    clock = FixedClock(NOW)
    app = create_app(
        ServerSettings(db_url=case.db_url, clock=clock, hasher=CHEAP, notify_config=case.notify_toml)
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"

    def sign_in(context: BrowserContext, role: str) -> None:
        page = context.new_page()
        page.goto(base + "/sign-in")
        page.fill("#email", email_of(role))
        page.fill("#password", password_of(role))
        with session_scope(engine) as s:
            found = accounts.get_user(s, email_of(role))
            assert found is not None
            page.fill("#totp", accounts.totp_code(s, found, clock.now()))
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")
        page.close()

    out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            anonymous = browser.new_context(viewport={"width": 1280, "height": 900})
            signed = browser.new_context(viewport={"width": 1280, "height": 900})
            sign_in(signed, "legal")
            for name, path, role in PAGES:
                tab = (signed if role else anonymous).new_page()
                tab.goto(base + path)
                tab.screenshot(path=str(out / f"{name}.png"))
                tab.close()
                print(f"{out / name}.png")
            # the Account page's answer with new recovery codes (shown once, then never again)
            tab = signed.new_page()
            tab.goto(base + "/account")
            tab.fill("#codes-password", password_of("legal"))
            with tab.expect_navigation():
                tab.get_by_role("button", name="Make new recovery codes").click()
            tab.screenshot(path=str(out / "account-new-codes.png"), full_page=True)
            tab.close()
            print(f"{out / 'account-new-codes'}.png")
            # a new authenticator: the key and setup link shown once, waiting for a code
            tab = signed.new_page()
            tab.goto(base + "/account")
            tab.fill("#totp-password", password_of("legal"))
            with tab.expect_navigation():
                tab.get_by_role("button", name="Set up a new authenticator").click()
            tab.screenshot(path=str(out / "account-new-authenticator.png"), full_page=True)
            tab.close()
            print(f"{out / 'account-new-authenticator'}.png")
            shoot_team(browser, sign_in, base, out)
            browser.close()
    finally:
        server.should_exit = True
        engine.dispose()
    return 0


def shoot_team(browser: Any, sign_in: Callable[[Any, str], None], base: str, out: Path) -> None:
    """The Team page, the answer to "Add user" (its key and codes shown once) and a user's page."""
    admin = browser.new_context(viewport={"width": 1280, "height": 900})
    sign_in(admin, "admin")
    tab = admin.new_page()
    tab.goto(base + "/team")
    tab.screenshot(path=str(out / "team.png"))
    tab.fill("#add-email", "new.responder@team.example")
    tab.select_option("#add-role", "responder")
    tab.fill("#add-password", "a long initial passphrase")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Add user").click()
    tab.screenshot(path=str(out / "team-added.png"), full_page=True)
    with tab.expect_navigation():
        tab.get_by_role("link", name="open their account").click()
    tab.screenshot(path=str(out / "team-user.png"), full_page=True)
    tab.close()
    admin.close()
    for name in ("team", "team-added", "team-user"):
        print(f"{out / name}.png")


if __name__ == "__main__":
    raise SystemExit(main())
