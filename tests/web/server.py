"""A real team server for tests: uvicorn on a loopback port, in a thread, over a case database.

:class:`TeamServer` holds the app's settings (its :class:`FixedClock` is moved by the tests),
one user per role with known passwords, two incidents (``mine``: every role user is a member;
``theirs``: nobody is) and helpers to sign in and call the API through a real HTTP client.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from argon2 import PasswordHasher
from sqlalchemy import Engine

from breachscope.case import accounts
from breachscope.case import api as case_api
from breachscope.case.db import open_case_db, session_scope
from breachscope.clock import FixedClock
from breachscope.web.app import create_app
from breachscope.web.settings import CSRF_HEADER, ServerSettings

ROLES = accounts.ROLES
#: argon2id with cheap parameters: the production ones cost ~1 s a hash on a busy 2-core machine.
#: The code path is the same; a hash carries its parameters (tests/case/test_accounts.py checks
#: the RFC 9106 defaults and the rehash to them).
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def password_of(role: str) -> str:
    return f"pw of the {role}, long enough"


def email_of(role: str) -> str:
    return f"{role}@team.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Signed:
    """A signed-in client: a session cookie in its jar and the session's CSRF token."""

    client: httpx.Client
    csrf: str
    role: str

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, **kw)

    def send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {CSRF_HEADER: self.csrf, **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)


@dataclass
class TeamServer:
    url: str
    db_url: str
    settings: ServerSettings
    clock: FixedClock
    mine: int = 0
    theirs: int = 0
    user_ids: dict[str, int] = field(default_factory=dict)
    engine: Engine | None = None
    app: Any = None
    _clients: list[httpx.Client] = field(default_factory=list)
    _sessions: dict[str, Signed] = field(default_factory=dict)

    def client(self) -> httpx.Client:
        c = httpx.Client(base_url=self.url, timeout=30)
        self._clients.append(c)
        return c

    def code(self, role: str) -> str:
        """The role user's current TOTP code, after moving the clock one step (codes are single-use)."""
        self.clock.advance(timedelta(seconds=30))
        assert self.engine is not None
        try:
            with session_scope(self.engine) as s:
                user = accounts.get_user(s, email_of(role))
                assert user is not None
                return accounts.totp_code(s, user, self.clock.now()) if user.totp_secret else ""
        finally:
            self.engine.dispose()  # hold no connection: a purge needs the SQLite file alone

    def login(self, role: str, client: httpx.Client | None = None) -> Signed:
        c = client or self.client()
        r = c.post(
            "/api/v1/auth/login",
            json={"email": email_of(role), "password": password_of(role), "totp": self.code(role)},
        )
        assert r.status_code == 200, r.text
        return Signed(c, r.json()["csrf_token"], role)

    def session(self, role: str) -> Signed:
        """A signed-in session of the role's user, made once per server and kept alive (the
        clock moves: it is used again before the idle timeout or made anew)."""
        signed = self._sessions.get(role)
        if signed is None or signed.get("/api/v1/auth/me").status_code != 200:
            signed = self._sessions[role] = self.login(role)
        return signed

    def close(self) -> None:
        for c in self._clients:
            c.close()


def _populate(db_url: str, clock: FixedClock) -> tuple[dict[str, int], int, int]:
    engine = open_case_db(db_url, create=True)
    try:
        with session_scope(engine) as s:
            ids = {}
            mine = case_api.create_incident(s, "Our leak", author="test", clock=clock).id
            theirs = case_api.create_incident(s, "Someone else's leak", author="test", clock=clock).id
            for role in ROLES:
                new = accounts.create_user(
                    s,
                    email_of(role),
                    role,
                    password_of(role),
                    now=clock.now(),
                    created_by="test",
                    totp=role in accounts.TOTP_REQUIRED,
                    hasher=CHEAP,
                )
                accounts.add_member(s, mine, new.user, by="test", now=clock.now())
                ids[role] = new.user.id
        return ids, mine, theirs
    finally:
        engine.dispose()


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free port of 127.0.0.1 in a thread; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@contextmanager
def team_server(db_url: str, clock: FixedClock, **settings: Any) -> Iterator[TeamServer]:
    """Populate ``db_url`` and serve it with uvicorn on 127.0.0.1 until the block ends."""
    ids, mine, theirs = _populate(db_url, clock)
    # each server its own upload folder: tests look into it (the default one is shared by every
    # server of the machine)
    settings.setdefault("upload_dir", Path(tempfile.mkdtemp(prefix="bs-uploads-")))
    conf = ServerSettings(db_url=db_url, clock=clock, hasher=CHEAP, **settings)
    app = create_app(conf)
    with serve_app(app) as url:
        team = TeamServer(url, db_url, conf, clock, mine, theirs, ids, open_case_db(db_url), app)
        try:
            yield team
        finally:
            team.close()
            assert team.engine is not None
            team.engine.dispose()
            shutil.rmtree(conf.upload_dir or "", ignore_errors=True)


def wait_job(signed: Signed, incident: int, job_id: int, timeout: float = 120) -> dict[str, Any]:
    """Poll a job until it ends; its final state."""
    deadline = time.monotonic() + timeout
    while True:
        answer = signed.get(f"/api/v1/incidents/{incident}/jobs/{job_id}")
        if answer.status_code == 503:  # a purge holds the SQLite case alone: try again
            time.sleep(0.2)
            continue
        job = answer.json()
        if job["state"] not in ("queued", "running"):
            return dict(job)
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['state']}: {job}")
        time.sleep(0.1)


def upload(signed: Signed, path: str, data: bytes, **params: Any) -> httpx.Response:
    return signed.send(
        "POST", path, content=data, params=params, headers={"content-type": "application/octet-stream"}
    )
