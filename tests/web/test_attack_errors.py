"""Attack: error answers are ordinary answers - no 500 for an id past 64 bits, headers on a 500.

Found by the attacker review: an id past SQLite's 64-bit integers (``/tasks/99999999999999999999``)
made the driver raise OverflowError: a 500 with a traceback in the log, from Starlette's
last-resort handler, which runs outside the security-headers middleware (no CSP, no nosniff).
Now such an id is a missing object (404, HTML for pages, JSON for the API), and any unhandled
error still answers a bare 500 with the security headers.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient

from breachscope.web.pages.headers import SecurityHeaders
from tests.web.server import TeamServer

BIG = 10**20

# (what, method, path ({m} = the incident), JSON body or None, form body or None)
CASES: list[tuple[str, str, str, Any, Any]] = [
    ("token for a huge incident id", "POST", "/api/v1/tokens", {"name": "t", "incident_id": BIG}, None),
    ("task of a huge id", "PATCH", f"/api/v1/incidents/{{m}}/tasks/{BIG}", {"status": "done"}, None),
    ("job of a huge id", "GET", f"/api/v1/incidents/{{m}}/jobs/{BIG}", None, None),
    ("user of a huge id", "PATCH", f"/api/v1/users/{BIG}", {"role": "viewer"}, None),
    ("member of a huge id", "PUT", f"/api/v1/incidents/{{m}}/members/{BIG}", None, None),
    ("user into a huge incident", "PUT", f"/api/v1/users/1/incidents/{BIG}", None, None),
    ("console task status", "POST", f"/incidents/{{m}}/tasks/{BIG}/status", None, {"status": "done"}),
    ("console regulator draft", "GET", f"/incidents/{{m}}/notices/drafts/{BIG}", None, None),
]


@pytest.mark.parametrize(("what", "method", "path", "body", "form"), CASES, ids=[c[0] for c in CASES])
def test_an_id_past_64_bits_is_a_missing_object(
    team: TeamServer, what: str, method: str, path: str, body: Any, form: Any
) -> None:
    admin = team.session("admin")
    url = path.format(m=team.mine)
    if form is not None:
        form = {**form, "csrf_token": admin.csrf}
    answer = admin.send(method, url, json=body, data=form)
    assert answer.status_code == 404, (what, answer.status_code, answer.text[:200])
    assert "content-security-policy" in answer.headers
    for leak in ("Traceback", "OverflowError", "sqlite", "INTEGER"):
        assert leak not in answer.text
    if url.startswith("/api/"):
        assert answer.json() == {"detail": "no such object"}
    else:
        assert answer.headers["content-type"].startswith("text/html")


def _boom(request: Request) -> None:
    raise RuntimeError("secret detail /srv/case.db SELECT")


def test_an_unhandled_error_answers_500_with_the_security_headers() -> None:
    app = Starlette(routes=[Route("/boom", _boom)])
    app.add_middleware(SecurityHeaders)

    # TestClient runs the app on its own event loop thread: Playwright's sync API (the browser
    # tests of this folder) keeps a loop running in the main thread, so asyncio.run would fail
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/boom")
    assert answer.status_code == 500
    assert answer.text == "Internal Server Error"
    for name in ("content-security-policy", "x-content-type-options", "x-frame-options", "cache-control"):
        assert name in answer.headers, name


# (what, method, path, JSON body): values the database may refuse (PostgreSQL: NUL characters)
NUL_CASES = [
    ("timeline entry with a NUL", "POST", "/api/v1/incidents/{m}/timeline", {"message": "a\x00b"}),
    ("token name with a NUL", "POST", "/api/v1/tokens", {"name": "a\x00b"}),
]


@pytest.mark.parametrize(("what", "method", "path", "body"), NUL_CASES, ids=[c[0] for c in NUL_CASES])
def test_a_value_the_database_refuses_is_no_server_error(
    team: TeamServer, what: str, method: str, path: str, body: Any
) -> None:
    answer = team.session("admin").send(method, path.format(m=team.mine), json=body)
    assert answer.status_code < 500, (what, answer.status_code, answer.text[:200])
    assert "content-security-policy" in answer.headers
    assert "Traceback" not in answer.text and "psycopg" not in answer.text
