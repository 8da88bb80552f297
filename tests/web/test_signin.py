"""Sign-in through a real uvicorn: cookies, fixation, CSRF, throttling, TOTP, tokens, timeouts."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from breachscope.case.logins import FREE_TRIES
from breachscope.web.settings import CSRF_HEADER, SESSION_COOKIE
from tests.web.server import TeamServer, email_of, password_of


def _login(c: httpx.Client, email: str, password: str, totp: str = "") -> httpx.Response:
    return c.post("/api/v1/auth/login", json={"email": email, "password": password, "totp": totp})


def test_the_session_cookie_is_httponly_strict_and_new_at_every_sign_in(team: TeamServer) -> None:
    c = team.client()
    r = _login(c, email_of("viewer"), password_of("viewer"))
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http and secure_cookies=auto
    first = c.cookies[SESSION_COOKIE]
    r = _login(c, email_of("viewer"), password_of("viewer"))
    assert c.cookies[SESSION_COOKIE] != first
    stale = httpx.Client(base_url=team.url, cookies={SESSION_COOKIE: first})
    assert stale.get("/api/v1/auth/me").status_code == 401  # the previous id was ended
    stale.close()


def test_a_session_id_planted_before_sign_in_is_never_promoted(team: TeamServer) -> None:
    """Fixation: an attacker sets a cookie, the victim signs in; the attacker's id stays useless."""
    planted = "attacker-chosen-session-id"
    victim = httpx.Client(base_url=team.url, cookies={SESSION_COOKIE: planted})
    r = _login(victim, email_of("responder"), password_of("responder"))
    assert r.status_code == 200
    assert r.cookies[SESSION_COOKIE] != planted
    attacker = httpx.Client(base_url=team.url, cookies={SESSION_COOKIE: planted})
    assert attacker.get("/api/v1/auth/me").status_code == 401
    # an attacker's own valid session planted in the victim's browser is ended by the sign-in
    own = team.login("viewer")
    sid = next(c.value for c in own.client.cookies.jar if c.name == SESSION_COOKIE)
    victim2 = httpx.Client(base_url=team.url, cookies={SESSION_COOKIE: sid})
    _login(victim2, email_of("responder"), password_of("responder"))
    assert own.get("/api/v1/auth/me").status_code == 401
    for c in (victim, attacker, victim2):
        c.close()


def test_unknown_user_wrong_password_and_wrong_code_look_the_same(team: TeamServer) -> None:
    c = team.client()
    answers = [
        _login(c, "nobody@team.example", "whatever password"),
        _login(c, email_of("communications"), "wrong password!!"),
        _login(c, email_of("admin"), password_of("admin"), "000000"),
        _login(c, email_of("admin"), password_of("admin")),  # admin without a code
    ]
    assert {(r.status_code, r.text) for r in answers} == {(401, '{"detail":"email, password or code wrong"}')}


def test_a_totp_code_is_accepted_once(team: TeamServer) -> None:
    code = team.code("legal")
    c = team.client()
    assert _login(c, email_of("legal"), password_of("legal"), code).status_code == 200
    assert _login(c, email_of("legal"), password_of("legal"), code).status_code == 401  # replay


def test_brute_force_locks_the_account_even_for_the_right_password(team: TeamServer) -> None:
    c = team.client()
    email = email_of("viewer")
    for _ in range(FREE_TRIES):
        assert _login(c, email, "not the password!").status_code == 401
    r = _login(c, email, password_of("viewer"))
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # an unknown email locks the same way (no way to tell accounts apart)
    for _ in range(FREE_TRIES):
        _login(c, "ghost@team.example", "not the password!")
    assert _login(c, "ghost@team.example", "not the password!").status_code == 429
    team.clock.advance(timedelta(seconds=int(r.headers["retry-after"]) + 1))
    assert _login(c, email, password_of("viewer")).status_code == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 403),  # no token
        ({CSRF_HEADER: "0" * 64}, 403),  # a wrong token
        ({"origin": "https://evil.example"}, 403),  # the right token, from another origin
        ({"referer": "https://evil.example/page"}, 403),
        (None, 201),  # the right token from our own origin
    ],
)
def test_csrf(team: TeamServer, headers: dict[str, str] | None, status: int) -> None:
    s = team.session("responder")
    body = {"name": "csrf probe"}
    if headers is None:
        r = s.send("POST", "/api/v1/incidents", json=body, headers={"origin": team.url})
    elif CSRF_HEADER in headers or not headers:
        r = s.client.post("/api/v1/incidents", json=body, headers=headers)
    else:
        r = s.send("POST", "/api/v1/incidents", json=body, headers=headers)
    assert r.status_code == status, r.text


def test_a_cross_origin_sign_in_is_refused(team: TeamServer) -> None:
    c = team.client()
    r = c.post(
        "/api/v1/auth/login",
        json={"email": email_of("viewer"), "password": password_of("viewer")},
        headers={"origin": "https://evil.example"},
    )
    assert r.status_code == 403


def test_tokens_expire_are_revocable_and_need_no_csrf(team: TeamServer) -> None:
    s = team.session("responder")
    made = s.send("POST", "/api/v1/tokens", json={"name": "ci", "days": 1}).json()
    token = made["token"]
    assert token.startswith("bst_")
    listed = s.get("/api/v1/tokens").json()
    assert all(t["token"] is None for t in listed)  # the secret is shown once only
    c = httpx.Client(base_url=team.url, headers={"Authorization": f"Bearer {token}"})
    assert c.post("/api/v1/incidents", json={"name": "by token"}).status_code == 201  # no CSRF token
    assert c.post("/api/v1/tokens", json={"name": "x"}).status_code == 403  # no token from a token
    bad = httpx.Client(base_url=team.url, headers={"Authorization": f"Bearer {token[:-2]}xx"})
    assert bad.get("/api/v1/auth/me").status_code == 401
    team.clock.advance(timedelta(days=1, seconds=1))
    assert c.get("/api/v1/auth/me").status_code == 401  # expired
    s = team.session("responder")
    made = s.send("POST", "/api/v1/tokens", json={"name": "short"}).json()
    c2 = httpx.Client(base_url=team.url, headers={"Authorization": f"Bearer {made['token']}"})
    assert c2.get("/api/v1/auth/me").status_code == 200
    assert s.send("DELETE", f"/api/v1/tokens/{made['id']}").status_code == 204
    assert c2.get("/api/v1/auth/me").status_code == 401  # revoked
    assert s.send("POST", "/api/v1/tokens", json={"name": "up", "role": "admin"}).status_code == 400
    for x in (c, bad, c2):
        x.close()


def test_sessions_end_when_idle_and_at_sign_out(team: TeamServer) -> None:
    s = team.login("viewer")
    team.clock.advance(team.settings.sessions.idle + timedelta(seconds=1))
    assert s.get("/api/v1/auth/me").status_code == 401
    s = team.login("viewer")
    assert s.send("POST", "/api/v1/auth/logout").status_code == 204
    assert s.get("/api/v1/auth/me").status_code == 401


def test_another_incidents_ids_answer_like_missing_ones(team: TeamServer) -> None:
    """A member of ``mine`` guessing ids: ``theirs`` and a never-used id give the same answer."""
    s = team.session("admin")
    answers = {
        (r.status_code, r.text)
        for r in (
            s.get(f"/api/v1/incidents/{team.theirs}"),
            s.get("/api/v1/incidents/987654"),
            s.get(f"/api/v1/incidents/{team.theirs}/members"),
            s.get("/api/v1/incidents/987654/members"),
            s.get("/api/v1/incidents/not-a-number"),
        )
    }
    assert answers == {(404, '{"detail":"no such incident"}')}
    ids = [i["id"] for i in s.get("/api/v1/incidents").json()]
    assert team.theirs not in ids and team.mine in ids


def test_the_console_sign_in_page(team: TeamServer) -> None:
    """The form signs in and goes to the asked page of this site only (no open redirect);
    pages send the signed-out to it; sign-out ends the session."""
    c = team.client()
    r = c.get(f"/incidents/{team.mine}/overview", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/sign-in?next=/incidents/{team.mine}/overview"
    page = c.get("/sign-in")
    assert page.status_code == 200 and 'name="password"' in page.text
    form = {"email": email_of("viewer"), "password": "wrong password!!", "next": "/"}
    r = c.post("/sign-in", data=form, headers={"origin": team.url})
    assert r.status_code == 401 and "email, password or code wrong" in r.text
    for nxt, where in (
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        (f"/incidents/{team.mine}", None),
    ):
        form = {"email": email_of("viewer"), "password": password_of("viewer"), "next": nxt}
        r = c.post("/sign-in", data=form, headers={"origin": team.url}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == (where or nxt)
    home = c.get("/")
    assert home.status_code == 200 and "Our leak" in home.text and "Someone else" not in home.text
    token = next(m for m in home.text.split('name="csrf_token" value="')[1:]).split('"')[0]
    assert c.post("/sign-out", data={"csrf_token": "wrong"}).status_code == 403
    r = c.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 303
