"""Through a real uvicorn, with real pyotp codes: a person sets up a new authenticator (the
current password, then a code of the new app; until then the old one works), someone created
without a second factor adds a first one the same way (and gets recovery codes), and an admin
gives one to someone who cannot sign in. Neither is open to an API token; both are audited, never
with the secret."""

from __future__ import annotations

import json
from datetime import timedelta

import pyotp
from sqlalchemy import select

from breachscope.case.audit import AuditEntry
from breachscope.case.db import session_scope
from breachscope.case.reenrol import PENDING_FOR
from tests.web.server import Signed, TeamServer, email_of
from tests.web.test_account_api import PW, _audit, _login, _signed, _user


def _code(team: TeamServer, secret: str) -> str:
    """The code of ``secret`` one step later than the last (each step is accepted once)."""
    team.clock.advance(timedelta(seconds=30))
    return pyotp.TOTP(secret).at(team.clock.now())


def _begin(me: Signed, password: str = PW) -> tuple[int, dict[str, str]]:
    r = me.send("POST", "/api/v1/auth/totp", json={"password": password})
    if r.status_code == 200:
        assert r.headers["cache-control"] == "no-store"
    return r.status_code, r.json()


def _confirm(me: Signed, code: str) -> int:
    return me.send("POST", "/api/v1/auth/totp/confirm", json={"code": code}).status_code


def _audit_text(team: TeamServer) -> str:
    assert team.engine is not None
    with session_scope(team.engine) as s:
        text = json.dumps([e.details for e in s.scalars(select(AuditEntry))], default=str)
    team.engine.dispose()
    return text


def test_a_new_authenticator_takes_effect_only_when_confirmed(team: TeamServer) -> None:
    new = _user(team, "new-phone@team.example", "legal", totp=True)
    email, old = new.user.email, new.totp_secret
    assert old is not None
    me = _signed(team, email, PW, new.recovery_codes[0])  # the phone is lost: a recovery code
    elsewhere = _signed(team, email, PW, _code(team, old))

    # an API token can do neither step
    token = me.send("POST", "/api/v1/tokens", json={"name": "bot"}).json()["token"]
    bot = team.client()
    bot.headers["authorization"] = f"Bearer {token}"
    assert bot.post("/api/v1/auth/totp", json={"password": PW}).status_code == 403
    assert bot.post("/api/v1/auth/totp/confirm", json={"code": "123456"}).status_code == 403

    assert _confirm(me, "123456") == 400  # nothing started
    assert _begin(me, "not my password at all")[0] == 401
    status, body = _begin(me)
    assert status == 200
    secret = body["secret"]
    assert secret != old and secret in body["uri"] and body["uri"].startswith("otpauth://totp/")

    # a mistyped enrolment (here: the old app's code) changes nothing; the old app still signs in
    assert _confirm(me, _code(team, old)) == 401
    assert _login(team, email, PW, _code(team, old)).status_code == 200
    assert elsewhere.get("/api/v1/auth/me").status_code == 200

    assert _confirm(me, _code(team, secret)) == 204
    assert me.get("/api/v1/auth/me").status_code == 200  # this session stays
    assert elsewhere.get("/api/v1/auth/me").status_code == 401  # the others end
    assert _login(team, email, PW, _code(team, old)).status_code == 401  # the old app stopped working
    assert _login(team, email, PW, _code(team, secret)).status_code == 200
    assert _confirm(me, _code(team, secret)) == 400  # used up: nothing pending any more
    assert me.get("/api/v1/auth/recovery-codes").json()["recovery_codes_left"] == 9  # codes untouched

    mine = [e for e in _audit(team, "auth.totp_enrol") if e["actor"] == email]
    assert [e["result"] for e in mine] == ["failed", "ok"]
    confirmed = [e for e in _audit(team, "auth.totp_confirm") if e["actor"] == email]
    assert [e["result"] for e in confirmed] == ["none", "failed", "ok", "none"]
    assert confirmed[2]["sessions_ended"] == 2  # `elsewhere` and the sign-in with the old code
    assert secret not in _audit_text(team) and old not in _audit_text(team)


def test_a_new_secret_waits_a_quarter_hour(team: TeamServer) -> None:
    new = _user(team, "slow@team.example", "admin", totp=True)
    assert new.totp_secret is not None
    me = _signed(team, new.user.email, PW, _code(team, new.totp_secret))
    first = _begin(me)[1]["secret"]
    second = _begin(me)[1]["secret"]  # starting again replaces the first
    assert _confirm(me, _code(team, first)) == 401
    team.clock.advance(PENDING_FOR)
    assert _confirm(me, _code(team, second)) == 400  # too late: start again
    assert _login(team, new.user.email, PW, _code(team, new.totp_secret)).status_code == 200


def test_someone_without_a_second_factor_adds_a_first_one(team: TeamServer) -> None:
    plain = _user(team, "plain@team.example", "viewer", totp=False)
    email = plain.user.email
    me = _signed(team, email, PW)  # the password alone signs in
    elsewhere = _signed(team, email, PW)
    assert me.get("/api/v1/auth/recovery-codes").json() == {"second_factor": False, "recovery_codes_left": 0}
    status, body = _begin(me)
    assert status == 200 and body["secret"] in body["uri"]
    secret = body["secret"]

    # until a code confirms it nothing changes: still the password alone, a wrong code is refused
    assert _confirm(me, f"{(int(_code(team, secret)) + 1) % 1_000_000:06d}") == 401
    assert _login(team, email, PW).status_code == 200

    r = me.send("POST", "/api/v1/auth/totp/confirm", json={"code": _code(team, secret)})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    codes = r.json()["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert me.get("/api/v1/auth/me").status_code == 200  # this session stays
    assert elsewhere.get("/api/v1/auth/me").status_code == 401  # the others (password only) end
    assert _login(team, email, PW).status_code == 401  # from now on the password alone does not do
    assert _login(team, email, PW, _code(team, secret)).status_code == 200
    assert _login(team, email, PW, codes[0]).status_code == 200
    assert me.get("/api/v1/auth/recovery-codes").json() == {"second_factor": True, "recovery_codes_left": 9}

    # replacing it later is the ordinary re-enrolment: 204, the recovery codes stay
    again = _begin(me)[1]["secret"]
    assert _confirm(me, _code(team, again)) == 204
    assert me.get("/api/v1/auth/recovery-codes").json()["recovery_codes_left"] == 9

    enrols = [e for e in _audit(team, "auth.totp_enrol") if e["actor"] == email]
    assert enrols == [{"actor": email, "result": "ok", "first": True}, {"actor": email, "result": "ok"}]
    confirms = [e for e in _audit(team, "auth.totp_confirm") if e["actor"] == email]
    assert [e["result"] for e in confirms] == ["failed", "ok", "ok"]
    assert confirms[1] == {"actor": email, "result": "ok", "sessions_ended": 2, "first": True,
                           "recovery_codes": 10}  # fmt: skip
    assert "first" not in confirms[2]
    logged = _audit_text(team)
    assert secret not in logged and again not in logged and not any(c in logged for c in codes)


def test_an_admin_gives_a_new_second_factor(team: TeamServer) -> None:
    new = _user(team, "locked-out@team.example", "communications", totp=True)
    assert new.totp_secret is not None
    theirs = _signed(team, new.user.email, PW, _code(team, new.totp_secret))
    admin = team.session("admin")
    r = admin.send("POST", f"/api/v1/users/{new.user.id}/totp")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["sessions_ended"] == 1 and len(body["recovery_codes"]) == 10
    assert body["totp_uri"].startswith("otpauth://totp/") and body["totp_secret"] in body["totp_uri"]
    assert theirs.get("/api/v1/auth/me").status_code == 401
    email = new.user.email
    assert _login(team, email, PW, _code(team, new.totp_secret)).status_code == 401
    assert _login(team, email, PW, new.recovery_codes[1]).status_code == 401  # old codes gone too
    assert _login(team, email, PW, _code(team, body["totp_secret"])).status_code == 200
    assert _login(team, email, PW, body["recovery_codes"][0]).status_code == 200
    own = f"/api/v1/users/{team.user_ids['admin']}/totp"
    assert admin.send("POST", own).status_code == 400
    assert admin.send("POST", "/api/v1/users/999999/totp").status_code == 404
    assert team.session("responder").send("POST", f"/api/v1/users/{new.user.id}/totp").status_code == 403
    entry = _audit(team, "user.totp_reset")[-1]
    assert entry == {"actor": email_of("admin"), "sessions_ended": 1, "recovery_codes": 10}
    assert body["totp_secret"] not in _audit_text(team)


def test_an_admin_requires_a_second_factor_and_the_user_adds_it(team: TeamServer) -> None:
    plain = _user(team, "required@team.example", "communications", totp=False)
    email, uid = plain.user.email, plain.user.id
    me = _signed(team, email, PW)
    token = me.send("POST", "/api/v1/tokens", json={"name": "bot"}).json()["token"]
    bot = team.client()
    bot.headers["authorization"] = f"Bearer {token}"
    assert bot.get("/api/v1/incidents").status_code == 200

    admin = team.session("admin")
    assert (
        team.session("responder")
        .send("PATCH", f"/api/v1/users/{uid}", json={"totp_required": True})
        .status_code
        == 403
    )
    r = admin.send("PATCH", f"/api/v1/users/{uid}", json={"totp_required": True})
    assert r.status_code == 200
    assert (r.json()["totp"], r.json()["totp_required"]) == (False, True)
    assert me.get("/api/v1/auth/me").status_code == 401  # a change ends the user's sessions
    assert _audit(team, "user.change")[-1] == {"actor": email_of("admin"), "totp_required": True}

    me = _signed(team, email, PW)  # the password alone still signs in, but opens only the enrolment
    r = me.get("/api/v1/incidents")
    assert r.status_code == 403 and "requires a second factor" in r.json()["detail"]
    assert bot.get("/api/v1/incidents").status_code == 403  # the token too
    assert me.get("/api/v1/auth/me").status_code == 200
    secret = _begin(me)[1]["secret"]
    r = me.send("POST", "/api/v1/auth/totp/confirm", json={"code": _code(team, secret)})
    assert r.status_code == 200 and len(r.json()["codes"]) == 10
    assert me.get("/api/v1/incidents").status_code == 200
    assert bot.get("/api/v1/incidents").status_code == 200
    listed = {u["id"]: u for u in admin.get("/api/v1/users").json()}
    assert (listed[uid]["totp"], listed[uid]["totp_required"]) == (True, True)

    # no longer required: the factor added stays, and the password alone still does not sign in
    r = admin.send("PATCH", f"/api/v1/users/{uid}", json={"totp_required": False})
    assert (r.json()["totp"], r.json()["totp_required"]) == (True, False)
    assert _login(team, email, PW).status_code == 401
    assert _login(team, email, PW, _code(team, secret)).status_code == 200


def test_an_account_made_to_add_its_own_authenticator_at_first_sign_in(team: TeamServer) -> None:
    admin = team.session("admin")
    body = {"email": "first-sign-in@team.example", "role": "viewer", "password": PW, "totp": False}
    r = admin.send("POST", "/api/v1/users", json={**body, "totp_required": True})
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["totp"], made["totp_required"], made["totp_secret"], made["recovery_codes"]) == (
        False,
        True,
        None,
        [],
    )
    assert _audit(team, "user.create")[-1] == {
        "actor": email_of("admin"),
        "role": "viewer",
        "totp_required": True,
    }
    r = admin.send("POST", "/api/v1/users", json={**body, "email": "admin-too@team.example", "role": "admin",
                                                   "totp_required": True})  # fmt: skip
    assert r.status_code == 400  # admin and legal get their secret at creation, never later
    me = _signed(team, body["email"], PW)
    assert me.get("/api/v1/incidents").status_code == 403
    secret = _begin(me)[1]["secret"]
    assert me.send("POST", "/api/v1/auth/totp/confirm", json={"code": _code(team, secret)}).status_code == 200
    assert me.get("/api/v1/incidents").status_code == 200
