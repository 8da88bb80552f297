"""The console on uvicorn on a free localhost port, over the case of ``case_builder``, and chromium.

Until the server's sign-in lands, :class:`CookieAuth` stands in for it: a fixed set of users,
their roles per incident, and a CSRF token per user (tests/web/test_sign_in.py will drive the real
sign-in once it exists).
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Request
from playwright.sync_api import Browser, Playwright, sync_playwright

from breachscope.case.db import open_case_db
from breachscope.clock import FixedClock
from breachscope.notify.config import load_config
from breachscope.web.pages import ConsoleSettings, Viewer, install_console
from tests.case_helpers import fresh_pg_database
from tests.notify.conftest import free_port
from tests.web.browser import ARGS, CHROMIUM, Watched
from tests.web.case_builder import NOW, ConsoleCase, build
from tests.web.server import TeamServer, team_server

COOKIE = "bs_test_viewer"


@dataclass
class CookieAuth:
    """Users by id, their role per incident; the signed-in user is named by a cookie."""

    users: dict[int, Viewer]
    roles: dict[tuple[int, int], str] = field(default_factory=dict)

    def viewer(self, request: Request) -> Viewer | None:
        raw = request.cookies.get(COOKIE, "")
        return self.users.get(int(raw)) if raw.isdigit() else None

    def role(self, viewer: Viewer, incident_id: int) -> str | None:
        return self.roles.get((viewer.id, incident_id))

    def incident_ids(self, viewer: Viewer) -> list[int]:
        return sorted(i for (u, i) in self.roles if u == viewer.id)

    def csrf_token(self, request: Request) -> str:
        viewer = self.viewer(request)
        return f"csrf-{viewer.id}" if viewer else ""

    def check_csrf(self, request: Request, token: str) -> bool:
        return bool(token) and hmac.compare_digest(token, self.csrf_token(request))


USERS = {
    1: Viewer(1, "lee@example.com", "Lee Legal"),
    2: Viewer(2, "cory@example.com", "Cory Comms"),
    3: Viewer(3, "val@example.com", "Val Viewer"),
    4: Viewer(4, "ada@example.com", "Ada Admin"),
}
ROLE_OF = {1: "legal", 2: "communications", 3: "viewer", 4: "admin"}


@dataclass(frozen=True)
class Console:
    base: str
    case: ConsoleCase
    app: FastAPI


@pytest.fixture(scope="session")
def console_case(tmp_path_factory: pytest.TempPathFactory) -> ConsoleCase:
    return build(tmp_path_factory.mktemp("console"))


def make_app(case: ConsoleCase) -> FastAPI:
    roles = {(u, i): ROLE_OF[u] for u in USERS for i in (case.demo, case.hostile)}
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    install_console(
        app,
        ConsoleSettings(
            engine=open_case_db(case.db_url),
            auth=CookieAuth(USERS, roles),
            notify_config=load_config(case.notify_toml),
            clock=FixedClock(NOW),
        ),
    )
    return app


@pytest.fixture(scope="session")
def console(console_case: ConsoleCase) -> Iterator[Console]:
    app = make_app(console_case)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield Console(f"http://127.0.0.1:{port}", console_case, app)
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    yield b
    b.close()


def open_as(browser: Browser, console: Console, user: int | None) -> Watched:
    """A fresh browser context signed in as ``user`` (None: nobody), its console watched."""
    context = browser.new_context(java_script_enabled=True)
    if user is not None:
        context.add_cookies([{"name": COOKIE, "value": str(user), "url": console.base}])
    return Watched(context.new_page(), console.base)


@pytest.fixture
def as_legal(browser: Browser, console: Console) -> Iterator[Watched]:
    w = open_as(browser, console, 1)
    yield w
    w.page.context.close()


@pytest.fixture
def screenshots_dir() -> Path | None:
    return None


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
