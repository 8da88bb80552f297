"""The Team page (``/team``) through a real uvicorn, over SQLite and PostgreSQL, posting its
forms as a browser does (form fields, the session's CSRF token in ``csrf_token``).

An admin adds a user and the user signs in with the password typed and the authenticator shown
once (never cached); every other role is refused the page and each of its forms (403, as the
API's user routes); a form without the CSRF token, or from another origin, changes nothing; each
action is written to the audit chain exactly as its API counterpart writes it (same action,
object, incident and details), and the chain verifies; the API's refusals are the page's.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import select

from breachscope.case import accounts
from breachscope.case import audit as case_audit
from breachscope.case.audit import AuditEntry
from breachscope.case.db import session_scope
from breachscope.web.auth import team as team_ops
from tests.web.server import CHEAP, Signed, TeamServer, email_of

PW = "a long enough passphrase"
NEW_PW = "another long passphrase"
STEP = timedelta(seconds=accounts.TOTP_STEP)  # codes are single-use per step


def _user(team: TeamServer, email: str, role: str = "responder", *, totp: bool = False) -> int:
    assert team.engine is not None
    with session_scope(team.engine) as s:
        new = accounts.create_user(
            s, email, role, PW, now=team.clock.now(), created_by="test", totp=totp, hasher=CHEAP
        )
        user_id = new.user.id
    team.engine.dispose()
    return user_id


def _stored(team: TeamServer, user_id: int) -> dict[str, Any]:
    assert team.engine is not None
    with session_scope(team.engine) as s:
        u = s.get(accounts.TeamUser, user_id)
        assert u is not None
        found = {
            "role": u.role,
            "disabled": u.disabled_at is not None,
            "totp": u.totp_secret is not None,
            "totp_required": u.totp_required,
            "incidents": accounts.member_incident_ids(s, user_id),
            "password": accounts.verify_password(u, PW, CHEAP),
        }
    team.engine.dispose()
    return found


def _entries(
    team: TeamServer, after: int, object_id: int
) -> list[tuple[str, str, int | None, dict[str, Any]]]:
    """(action, object, incident, details) of the audit entries about user ``object_id`` after ``after``."""
    assert team.engine is not None
    with session_scope(team.engine) as s:
        rows = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.seq > after, AuditEntry.object_type == "user")
            .where(AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.seq)
        )
        found = [(e.action, e.object_type, e.incident_id, dict(e.details or {})) for e in rows]
    team.engine.dispose()
    return found


def _head(team: TeamServer) -> int:
    assert team.engine is not None
    with session_scope(team.engine) as s:
        seq = case_audit.head(s)[0]
    team.engine.dispose()
    return seq


def _post(signed: Signed, path: str, data: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
    """Post a console form: the CSRF token as the hidden field, as the page's forms carry it."""
    return signed.client.post(path, data={"csrf_token": signed.csrf, **(data or {})}, **kw)


def _text(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page, re.S)
    assert found is not None, f"#{element_id} not on the page"
    return html.unescape(found.group(1))


def test_an_admin_adds_a_user_who_signs_in_with_what_the_page_showed(team: TeamServer) -> None:
    admin = team.session("admin")
    page = admin.get("/team")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert 'href="/team"' in page.text and "admin@team.example" in page.text
    r = _post(
        admin,
        "/team/users",
        {"email": "New.Hire@Team.example", "role": "legal", "password": PW, "totp": "on"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"  # the secret and codes are never cached
    secret = _text(r.text, "totp-secret").replace(" ", "")
    codes = re.findall(r"<li><code>([^<]+)</code></li>", r.text)
    assert len(codes) == 10
    assert "new.hire@team.example" in _text(r.text, "added")
    again = admin.get("/team")  # shown once: the list never shows them
    assert secret not in again.text.replace(" ", "") and codes[0] not in again.text
    assert "new.hire@team.example" in again.text

    team.clock.advance(STEP)
    code = pyotp.TOTP(secret).at(team.clock.now())
    c = team.client()
    login = c.post(
        "/api/v1/auth/login", json={"email": "new.hire@team.example", "password": PW, "totp": code}
    )
    assert login.status_code == 200, login.text
    me = c.get("/api/v1/auth/me").json()
    assert me["email"] == "new.hire@team.example" and me["role"] == "legal"
    fresh = team.client()
    by_code = fresh.post(
        "/api/v1/auth/login", json={"email": "new.hire@team.example", "password": PW, "totp": codes[0]}
    )
    assert by_code.status_code == 200  # a recovery code shown on the page works


def test_an_admin_adds_a_user_who_adds_their_own_factor(team: TeamServer) -> None:
    admin = team.session("admin")
    r = _post(
        admin,
        "/team/users",
        {"email": "later@team.example", "role": "viewer", "password": PW, "totp_required": "on"},
    )
    assert r.status_code == 200 and 'id="totp-secret"' not in r.text
    assert "At their first sign-in they must add an authenticator" in r.text
    login = team.client().post("/api/v1/auth/login", json={"email": "later@team.example", "password": PW})
    assert login.status_code == 200  # the password alone; then only the enrolment is open


def test_the_apis_refusals_are_the_pages(team: TeamServer) -> None:
    admin = team.session("admin")
    # adding: a role that needs a second factor, without one; a short password; a duplicate
    r = _post(admin, "/team/users", {"email": "nofactor@team.example", "role": "admin", "password": PW})
    assert r.status_code == 400 and "the admin role needs a second factor" in _text(r.text, "add-error")
    r = _post(admin, "/team/users", {"email": "short@team.example", "role": "viewer", "password": "short"})
    assert r.status_code == 400 and "shorter than" in _text(r.text, "add-error")
    r = _post(admin, "/team/users", {"email": email_of("viewer"), "role": "viewer", "password": PW})
    assert r.status_code == 400 and "already exists" in _text(r.text, "add-error")
    api = admin.send(
        "POST", "/api/v1/users", json={"email": email_of("viewer"), "role": "viewer", "password": PW}
    )
    assert api.status_code == 400 and api.json()["detail"] in _text(r.text, "add-error")
    # a role that needs a second factor the user has not got: refused, not applied
    uid = _user(team, "plain@team.example")
    r = _post(admin, f"/team/users/{uid}/change", {"role": "legal"})
    api = admin.send("PATCH", f"/api/v1/users/{uid}", json={"role": "legal"})
    assert (r.status_code, api.status_code) == (400, 400)
    assert api.json()["detail"] in _text(r.text, "account-error")
    assert _stored(team, uid)["role"] == "responder"
    # your own password and authenticator: the Account page (the API's sentence)
    me = team.user_ids["admin"]
    r = _post(admin, f"/team/users/{me}/password", {"password": NEW_PW})
    assert r.status_code == 400 and team_ops.OWN_PASSWORD in _text(r.text, "factor-error")
    r = _post(admin, f"/team/users/{me}/totp")
    assert r.status_code == 400 and team_ops.OWN_TOTP in _text(r.text, "factor-error")
    # no such user, no such incident, not a member
    assert _post(admin, "/team/users/999999/change", {"disabled": "yes"}).status_code == 404
    r = _post(admin, f"/team/users/{uid}/incidents", {"incident_id": "999999"})
    assert r.status_code == 404 and "no such incident" in _text(r.text, "incidents-error")
    r = _post(admin, f"/team/users/{uid}/incidents/{team.mine}/revoke")
    assert r.status_code == 404 and "no such member" in _text(r.text, "incidents-error")
    assert _stored(team, uid)["incidents"] == []


def test_the_last_enabled_admin_is_neither_disabled_nor_demoted(team: TeamServer) -> None:
    """Without an enabled admin nobody could manage accounts from the console or the API: the
    page and the API refuse (409) to disable the last one or give them another role."""
    admin = team.session("admin")
    me = team.user_ids["admin"]
    for form, body in (({"disabled": "yes"}, {"disabled": True}), ({"role": "legal"}, {"role": "legal"})):
        r = _post(admin, f"/team/users/{me}/change", form)
        api = admin.send("PATCH", f"/api/v1/users/{me}", json=body)
        assert (r.status_code, api.status_code) == (409, 409)
        assert api.json()["detail"] == team_ops.LAST_ADMIN.format(email=email_of("admin"))
        assert api.json()["detail"] in _text(r.text, "account-error")
        assert _stored(team, me)["role"] == "admin" and not _stored(team, me)["disabled"]
    # with a second enabled admin, either may go; then the one left is the last again
    other = _user(team, "second.admin@team.example", "admin", totp=True)
    assert admin.send("PATCH", f"/api/v1/users/{other}", json={"role": "responder"}).status_code == 200
    assert admin.send("PATCH", f"/api/v1/users/{me}", json={"disabled": True}).status_code == 409
    assert admin.send("PATCH", f"/api/v1/users/{other}", json={"role": "admin"}).status_code == 200
    assert admin.send("PATCH", f"/api/v1/users/{other}", json={"disabled": True}).status_code == 200
    assert admin.send("PATCH", f"/api/v1/users/{me}", json={"role": "viewer"}).status_code == 409
    # a disabled admin is not counted, and changing them never leaves the team without one
    assert admin.send("PATCH", f"/api/v1/users/{other}", json={"role": "viewer"}).status_code == 200
    assert _stored(team, other)["role"] == "viewer"


ACTIONS: list[tuple[str, dict[str, str], str, str, Any]] = [
    # (page form, its fields, API method, API path, API body); {incident} filled in
    ("change", {"role": "communications"}, "PATCH", "/api/v1/users/{uid}", {"role": "communications"}),
    ("change", {"disabled": "yes"}, "PATCH", "/api/v1/users/{uid}", {"disabled": True}),
    ("change", {"disabled": "no"}, "PATCH", "/api/v1/users/{uid}", {"disabled": False}),
    ("change", {"totp_required": "yes"}, "PATCH", "/api/v1/users/{uid}", {"totp_required": True}),
    ("password", {"password": NEW_PW}, "POST", "/api/v1/users/{uid}/password", {"password": NEW_PW}),
    ("totp", {}, "POST", "/api/v1/users/{uid}/totp", None),
    ("incidents", {"incident_id": "{incident}"}, "PUT", "/api/v1/users/{uid}/incidents/{incident}", None),
    ("incidents/{incident}/revoke", {}, "DELETE", "/api/v1/incidents/{incident}/members/{uid}", None),
    ("change", {"totp_required": "no"}, "PATCH", "/api/v1/users/{uid}", {"totp_required": False}),
]


def test_each_action_is_audited_as_the_api_audits_it(team: TeamServer) -> None:
    admin = team.session("admin")
    by_page, by_api = _user(team, "by-page@team.example"), _user(team, "by-api@team.example")
    start = _head(team)
    for form, fields, method, path, body in ACTIONS:
        filled = {k: v.format(incident=team.mine) for k, v in fields.items()}
        r = _post(admin, f"/team/users/{by_page}/{form.format(incident=team.mine)}", filled)
        assert r.status_code in (200, 303), (form, fields, r.text)
        kw = {} if body is None else {"json": body}
        api = admin.send(method, path.format(uid=by_api, incident=team.mine), **kw)
        assert api.status_code in (200, 204), (path, api.text)
    page_entries, api_entries = _entries(team, start, by_page), _entries(team, start, by_api)
    assert [e[0] for e in page_entries] == [
        "user.change", "user.change", "user.change", "user.change", "user.password_reset",
        "user.totp_reset", "member.add", "member.remove", "user.change",
    ]  # fmt: skip
    assert page_entries == api_entries
    assert page_entries[0][3] == {"role": "communications"}
    assert _stored(team, by_page) == _stored(team, by_api)
    assert _stored(team, by_page)["password"] is False  # the new one was set
    assert team.engine is not None
    with session_scope(team.engine) as s:
        assert case_audit.verify(s).ok
    team.engine.dispose()


def test_a_reset_authenticator_is_shown_once_and_signs_in(team: TeamServer) -> None:
    admin = team.session("admin")
    uid = _user(team, "lost-phone@team.example", totp=True)
    r = _post(admin, f"/team/users/{uid}/totp")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    secret = _text(r.text, "totp-secret").replace(" ", "")
    assert secret not in admin.get(f"/team/users/{uid}").text.replace(" ", "")
    team.clock.advance(STEP)
    login = team.client().post(
        "/api/v1/auth/login",
        json={
            "email": "lost-phone@team.example",
            "password": PW,
            "totp": pyotp.TOTP(secret).at(team.clock.now()),
        },
    )
    assert login.status_code == 200, login.text


PAGE_POSTS = (
    ("/team/users", {"email": "x@team.example", "role": "viewer", "password": PW}),
    ("/team/users/{uid}/change", {"role": "admin"}),
    ("/team/users/{uid}/change", {"disabled": "yes"}),
    ("/team/users/{uid}/password", {"password": NEW_PW}),
    ("/team/users/{uid}/totp", {}),
    ("/team/users/{uid}/incidents", {"incident_id": "{incident}"}),
    ("/team/users/{uid}/incidents/{incident}/revoke", {}),
)


@pytest.mark.parametrize("role", ["viewer", "responder", "legal", "communications"])
def test_other_roles_are_refused_the_page_and_each_form(team: TeamServer, role: str) -> None:
    uid = _user(team, f"target-of-{role}@team.example")
    assert team.engine is not None
    with session_scope(team.engine) as s:
        user = s.get(accounts.TeamUser, uid)
        assert user is not None
        accounts.add_member(s, team.mine, user, by="test", now=team.clock.now())
    team.engine.dispose()
    signed = team.session(role)
    before, seq = _stored(team, uid), _head(team)
    home = signed.get("/")
    assert home.status_code == 200 and 'href="/team"' not in home.text  # no link in the header
    for path in ("/team", f"/team/users/{uid}"):
        assert signed.get(path).status_code == 403
        assert signed.get("/api/v1/users").status_code == 403  # as the API answers
    for path, fields in PAGE_POSTS:
        filled = {k: v.format(incident=team.mine) for k, v in fields.items()}
        r = _post(signed, path.format(uid=uid, incident=team.mine), filled)
        assert r.status_code == 403, (path, r.status_code)
    assert _stored(team, uid) == before
    assert _entries(team, seq, uid) == []
    assert _missing(team, "x@team.example")


def _missing(team: TeamServer, email: str) -> bool:
    assert team.engine is not None
    with session_scope(team.engine) as s:
        found = accounts.get_user(s, email)
    team.engine.dispose()
    return found is None


def test_a_form_without_the_csrf_token_or_from_elsewhere_changes_nothing(team: TeamServer) -> None:
    admin = team.session("admin")
    uid = _user(team, "csrf-target@team.example")
    before, seq = _stored(team, uid), _head(team)
    for path, fields in PAGE_POSTS:
        url = path.format(uid=uid, incident=team.mine)
        filled = {k: v.format(incident=team.mine) for k, v in fields.items()}
        r = admin.client.post(url, data=filled)  # no token
        assert r.status_code == 403 and "CSRF" in r.text, (url, r.status_code)
        r = admin.client.post(url, data={**filled, "csrf_token": "not the token"})
        assert r.status_code == 403, url
        r = _post(admin, url, filled, headers={"Origin": "https://evil.example"})
        assert r.status_code == 403 and "cross-origin" in r.text, url
    assert _stored(team, uid) == before
    assert _entries(team, seq, uid) == [] and _missing(team, "x@team.example")


def test_a_user_that_does_not_exist_is_a_404_on_the_page_and_each_form(team: TeamServer) -> None:
    """No such user: 404 on the user's page and each of its forms, never a server error (the
    password and authenticator forms looked the user up again and failed an assertion: 500)."""
    admin = team.session("admin")
    seq = _head(team)
    missing = 10**9
    assert admin.get(f"/team/users/{missing}").status_code == 404
    for path, fields in PAGE_POSTS:
        if "{uid}" not in path:
            continue
        filled = {k: v.format(incident=team.mine) for k, v in fields.items()}
        r = _post(admin, path.format(uid=missing, incident=team.mine), filled)
        assert r.status_code == 404, (path, r.status_code)
    assert _entries(team, seq, missing) == []
