"""The team server (app factory, sign-in, console) on uvicorn on a free localhost port, over the
case of ``case_builder``, with one team user per role, and Debian's chromium driven by Playwright.

Browsers sign in through the console's own sign-in page (password and, for admin and legal, the
TOTP code of the moment); one browser context per role is kept for the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from breachscope.case import accounts
from breachscope.case.db import open_case_db, session_scope
from breachscope.clock import FixedClock
from breachscope.web.app import create_app
from breachscope.web.settings import ServerSettings
from tests.case_helpers import fresh_pg_database
from tests.web.browser import ARGS, CHROMIUM, Watched, with_axe
from tests.web.case_builder import NOW, ConsoleCase, build
from tests.web.server import CHEAP, TeamServer, email_of, password_of, serve_app, team_server

ROLES = accounts.ROLES


@dataclass
class Console:
    base: str
    case: ConsoleCase
    app: FastAPI
    clock: FixedClock
    engine: object
    contexts: dict[str, BrowserContext] = field(default_factory=dict)

    def code(self, role: str) -> str:
        """The role user's TOTP code now, after moving the clock one step (codes are single-use)."""
        self.clock.advance(timedelta(seconds=30))
        with session_scope(self.engine) as s:  # type: ignore[arg-type]
            user = accounts.get_user(s, email_of(role))
            assert user is not None
            return accounts.totp_code(s, user, self.clock.now()) if user.totp_secret else ""


@pytest.fixture(scope="session")
def console_case(tmp_path_factory: pytest.TempPathFactory) -> ConsoleCase:
    case = build(tmp_path_factory.mktemp("console"))
    engine = open_case_db(case.db_url)
    try:
        with session_scope(engine) as s:
            for role in ROLES:
                new = accounts.create_user(
                    s, email_of(role), role, password_of(role), now=NOW, created_by="test",
                    totp=role in accounts.TOTP_REQUIRED, hasher=CHEAP,
                )  # fmt: skip
                for incident in (case.demo, case.hostile):
                    accounts.add_member(s, incident, new.user, by="test", now=NOW)
    finally:
        engine.dispose()
    return case


@pytest.fixture(scope="session")
def console(console_case: ConsoleCase) -> Iterator[Console]:
    clock = FixedClock(NOW)
    settings = ServerSettings(
        db_url=console_case.db_url,
        clock=clock,
        hasher=CHEAP,
        notify_config=console_case.notify_toml,
    )
    app = create_app(settings)
    with serve_app(app) as url:
        engine = open_case_db(console_case.db_url)
        yield Console(url, console_case, app, clock, engine)
        engine.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    yield b
    b.close()


def sign_in(w: Watched, console: Console, role: str) -> None:
    """Sign in through the console's sign-in page: email, password, and the code when required."""
    w.goto("/sign-in")
    w.page.fill("#email", email_of(role))
    w.page.fill("#password", password_of(role))
    code = console.code(role)
    if code:
        w.page.fill("#totp", code)
    w.page.click("button[type=submit]")
    w.page.wait_for_url(console.base + "/")


def open_as(browser: Browser, console: Console, role: str | None, *, javascript: bool = True) -> Watched:
    """A page signed in as the role's user (one context per role, kept), its console watched;
    ``role=None``: a fresh context nobody signed in to."""
    if role is None or not javascript:
        context = with_axe(browser.new_context(java_script_enabled=javascript))
        w = Watched(context.new_page(), console.base)
        if role is not None:
            sign_in(Watched(context.new_page(), console.base), console, role)
        return w
    context = console.contexts.get(role)
    if context is None:
        context = console.contexts[role] = with_axe(browser.new_context())
        first = Watched(context.new_page(), console.base)
        sign_in(first, console, role)
        first.assert_clean()
        first.page.close()
    return Watched(context.new_page(), console.base)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def team(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    """A served case (SQLite, then PostgreSQL) with one user per role and two incidents."""
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('team')) / 'case.db'}"
        with team_server(url, clock) as server:
            yield server
    else:
        with fresh_pg_database(request.getfixturevalue("pg_url")) as url, team_server(url, clock) as server:
            yield server
