"""Through a real uvicorn: recovery codes, self-service password change, an admin's password
reset, and the four-eyes policy's own routes (loosening it needs a second admin)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from breachscope.case import accounts
from breachscope.case.audit import AuditEntry
from breachscope.case.db import session_scope
from breachscope.case.logins import FREE_TRIES
from tests.web.server import CHEAP, Signed, TeamServer, email_of

PW = "a long enough passphrase"


def _user(team: TeamServer, email: str, role: str, *, totp: bool) -> accounts.NewUser:
    assert team.engine is not None
    with session_scope(team.engine) as s:
        new = accounts.create_user(
            s, email, role, PW, now=team.clock.now(), created_by="test", totp=totp, hasher=CHEAP
        )
    team.engine.dispose()
    return new


def _login(team: TeamServer, email: str, password: str, code: str = "") -> httpx.Response:
    return team.client().post("/api/v1/auth/login", json={"email": email, "password": password, "totp": code})


def _signed(team: TeamServer, email: str, password: str, code: str = "") -> Signed:
    c = team.client()
    r = c.post("/api/v1/auth/login", json={"email": email, "password": password, "totp": code})
    assert r.status_code == 200, r.text
    return Signed(c, r.json()["csrf_token"], "")


def _audit(team: TeamServer, action: str) -> list[dict[str, Any]]:
    assert team.engine is not None
    with session_scope(team.engine) as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))
        found = [{"actor": e.actor, **(e.details or {})} for e in rows]
    team.engine.dispose()
    return found


def test_a_recovery_code_signs_in_once_and_new_ones_replace_the_old(team: TeamServer) -> None:
    new = _user(team, "lost-phone@team.example", "legal", totp=True)
    codes = new.recovery_codes
    assert len(codes) == 10
    me = _signed(team, new.user.email, PW, codes[0])
    assert _login(team, new.user.email, PW, codes[0]).status_code == 401  # single use
    assert _login(team, new.user.email, "wrong password!!", codes[1]).status_code == 401
    assert me.get("/api/v1/auth/recovery-codes").json() == {"second_factor": True, "recovery_codes_left": 9}
    entry = [e for e in _audit(team, "auth.login") if e["actor"] == new.user.email and e["result"] == "ok"][
        -1
    ]
    assert entry["second_factor"] == "recovery_code" and entry["recovery_codes_left"] == 9
    assert (
        me.send("POST", "/api/v1/auth/recovery-codes", json={"password": "not it at all"}).status_code == 401
    )
    r = me.send("POST", "/api/v1/auth/recovery-codes", json={"password": PW})
    assert r.status_code == 200
    fresh = r.json()["codes"]
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    assert _login(team, new.user.email, PW, codes[2]).status_code == 401  # the old ones are gone
    assert _login(team, new.user.email, PW, fresh[0]).status_code == 200
    assert [e["result"] for e in _audit(team, "auth.recovery_codes") if e["actor"] == new.user.email] == [
        "failed",
        "ok",
    ]
    # an API token cannot make codes (nor change the password): a browser session can
    token = me.send("POST", "/api/v1/tokens", json={"name": "bot"}).json()["token"]
    bot = team.client()
    bot.headers["authorization"] = f"Bearer {token}"
    assert bot.post("/api/v1/auth/recovery-codes", json={"password": PW}).status_code == 403
    assert (
        bot.post("/api/v1/auth/password", json={"current_password": PW, "new_password": PW + "!"}).status_code
        == 403
    )


def test_changing_the_password_ends_the_other_sessions(team: TeamServer) -> None:
    new = _user(team, "changer@team.example", "responder", totp=False)
    here, there = _signed(team, new.user.email, PW), _signed(team, new.user.email, PW)
    path = "/api/v1/auth/password"
    assert (
        here.send(
            "POST", path, json={"current_password": "wrong one, long", "new_password": "x" * 20}
        ).status_code
        == 401
    )
    assert here.send("POST", path, json={"current_password": PW, "new_password": "short"}).status_code == 400
    assert here.send("POST", path, json={"current_password": PW, "new_password": PW}).status_code == 400
    # without the CSRF token a cross-site form cannot change it
    assert here.client.post(path, json={"current_password": PW, "new_password": "y" * 20}).status_code == 403
    assert (
        here.send(
            "POST", path, json={"current_password": PW, "new_password": "new passphrase, long"}
        ).status_code
        == 204
    )
    assert here.get("/api/v1/auth/me").status_code == 200
    assert there.get("/api/v1/auth/me").status_code == 401
    assert _login(team, new.user.email, PW).status_code == 401
    assert _login(team, new.user.email, "new passphrase, long").status_code == 200
    results = [e["result"] for e in _audit(team, "auth.password_change") if e["actor"] == new.user.email]
    assert results == ["failed", "ok"]
    with session_scope(team.engine) as s:  # type: ignore[arg-type]
        stored = accounts.get_user(s, new.user.email)
        assert stored is not None and stored.password_hash.startswith("$argon2id$")


def test_guessing_the_current_password_locks_like_sign_in(team: TeamServer) -> None:
    new = _user(team, "guessed@team.example", "viewer", totp=False)
    me = _signed(team, new.user.email, PW)
    body = {"current_password": "a wrong guess here", "new_password": "whatever new passphrase"}
    answers = [me.send("POST", "/api/v1/auth/password", json=body).status_code for _ in range(FREE_TRIES + 1)]
    assert answers == [401] * FREE_TRIES + [429]
    right = {"current_password": PW, "new_password": "whatever new passphrase"}
    r = me.send("POST", "/api/v1/auth/password", json=right)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0  # even the right one, while locked
    assert _login(team, new.user.email, PW).status_code == 429  # and sign-in too


def test_an_admin_resets_a_forgotten_password(team: TeamServer) -> None:
    new = _user(team, "forgetful@team.example", "communications", totp=False)
    theirs = _signed(team, new.user.email, PW)
    admin = team.session("admin")
    path = f"/api/v1/users/{new.user.id}/password"
    assert admin.send("POST", path, json={"password": "short"}).status_code == 422
    assert admin.send("POST", path, json={"password": "reset by the admin, long"}).status_code == 204
    assert theirs.get("/api/v1/auth/me").status_code == 401
    assert _login(team, new.user.email, "reset by the admin, long").status_code == 200
    own = f"/api/v1/users/{team.user_ids['admin']}/password"
    assert admin.send("POST", own, json={"password": "my own, long enough"}).status_code == 400
    assert admin.send("POST", "/api/v1/users/999999/password", json={"password": "x" * 20}).status_code == 404
    entry = _audit(team, "user.password_reset")[-1]
    assert entry["actor"] == email_of("admin") and entry["sessions_ended"] == 1


def test_the_four_eyes_policy_over_the_api(team: TeamServer) -> None:
    admin = team.session("admin")
    path = "/api/v1/approvals/policy"
    assert team.session("viewer").get(path).status_code == 200  # anyone signed in reads it
    assert team.session("communications").send("PUT", path, json={"purge": False}).status_code == 403
    r = admin.send("PUT", path, json={"purge": True, "notify_above": 100})  # tightening: at once
    assert r.status_code == 200, r.text
    assert (r.json()["purge"], r.json()["notify_above"], r.json()["set_by"]) == (True, 100, email_of("admin"))
    loosen = {"purge": True, "notify_above": 5000}
    r = admin.send("PUT", path, json=loosen)
    assert r.status_code == 409
    request_id = r.json()["approval_id"]
    assert admin.get(path).json()["notify_above"] == 100  # not applied
    assert [p["id"] for p in admin.get(path).json()["pending"]] == [request_id]
    # the requester cannot approve it, nor can a non-admin; a request of an incident is not here
    assert admin.send("POST", f"/api/v1/approvals/{request_id}/approve", json={}).status_code == 403
    assert (
        team.session("communications")
        .send("POST", f"/api/v1/approvals/{request_id}/approve", json={})
        .status_code
        == 403
    )
    second = _user(team, "second-admin@team.example", "admin", totp=True)
    other = _signed(team, second.user.email, PW, second.recovery_codes[0])
    assert [a["id"] for a in other.get("/api/v1/approvals?status=pending").json()] == [request_id]
    r = admin.send("PUT", path, json={"purge": False, "notify_above": 5000})  # other params: no approval
    assert r.status_code == 409 and r.json()["approval_id"] != request_id
    r = other.send("POST", f"/api/v1/approvals/{request_id}/approve", json={"note": "bigger sends are fine"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    r = admin.send("PUT", path, json=loosen)
    assert r.status_code == 200 and r.json()["notify_above"] == 5000
    assert (
        admin.send("PUT", path, json={"purge": True, "notify_above": 10_000}).status_code == 409
    )  # used once
    changes = _audit(team, "approvals.policy")
    assert changes[-1]["from"] == {"purge": True, "notify_above": 100}
    assert changes[-1]["to"] == {"purge": True, "notify_above": 5000}
    assert admin.send("PUT", path, json={"purge": True, "notify_above": -1}).status_code == 422
