"""Four eyes, web and the API's answers through a real uvicorn: a purge waits for a second
admin (409 with the request's number, in a request and inside a background job), the requester
cannot approve, a role that may not decide is refused, a second admin approves, the purge runs.
Also: a 422 never echoes the submitted value (a password)."""

from __future__ import annotations

from datetime import timedelta

from breachscope.case import accounts, approvals, jobs
from breachscope.case.db import session_scope
from tests.web.server import CHEAP, Signed, TeamServer, wait_job

SECOND = "second.admin@team.example"
SECOND_PW = "the second admin's password, long enough"


def _second_admin(team: TeamServer) -> tuple[int, Signed]:
    assert team.engine is not None
    try:
        with session_scope(team.engine) as s:
            user = accounts.get_user(s, SECOND)
            if user is None:
                user = accounts.create_user(
                    s, SECOND, "admin", SECOND_PW, now=team.clock.now(), created_by="test", hasher=CHEAP
                ).user
            user_id = user.id
        team.clock.advance(timedelta(seconds=30))  # TOTP codes are single-use
        with session_scope(team.engine) as s:
            user = accounts.get_user(s, SECOND)
            assert user is not None
            code = accounts.totp_code(s, user, team.clock.now())
    finally:
        team.engine.dispose()
    c = team.client()
    r = c.post("/api/v1/auth/login", json={"email": SECOND, "password": SECOND_PW, "totp": code})
    assert r.status_code == 200, r.text
    return user_id, Signed(c, r.json()["csrf_token"], "admin")


def test_a_purge_waits_for_a_second_admin(team: TeamServer) -> None:
    first = team.session("admin")
    second_id, second = _second_admin(team)
    made = first.send("POST", "/api/v1/incidents", json={"name": "Purge me"})
    assert made.status_code == 201, made.text
    incident = made.json()["id"]
    base = f"/api/v1/incidents/{incident}"
    for uid in (second_id, team.user_ids["communications"]):
        assert first.send("PUT", f"{base}/members/{uid}").status_code == 204
    assert team.engine is not None
    try:
        approvals.set_policy(team.engine, approvals.Policy(purge=True), actor="test", now=team.clock.now())
        # a purge job queued without an approval (e.g. before the policy was tightened): the job
        # fails with the 409 answer and the request's number, nothing purged
        with session_scope(team.engine) as s:
            queued = jobs.enqueue(
                s, incident, "purge", {"reason": "closed"}, by="admin@team.example", now=team.clock.now()
            )
            job_id = queued.id
    finally:
        team.engine.dispose()
    team.app.state.jobs.wake()
    failed = wait_job(first, incident, job_id)
    assert failed["state"] == "failed" and failed["approval"]["status"] == 409, failed
    number = failed["approval"]["approval_id"]
    assert f"#{number}" in failed["error"]

    # the request: 409 with the same (pending) request, no job queued
    purge = {"confirm_name": "Purge me", "reason": "closed"}
    asked = first.send("POST", f"{base}/purge", json=purge)
    assert asked.status_code == 409, asked.text
    assert asked.json()["approval_id"] == number and f"#{number}" in asked.json()["detail"]
    [pending] = first.get(f"{base}/approvals").json()
    assert (pending["id"], pending["status"], pending["action"]) == (number, "pending", "incident.purge")
    assert pending["requested_by"] == "admin@team.example"

    # the requester cannot approve; communications may approve sends, not purges; another
    # incident's path does not reach the request
    assert first.send("POST", f"{base}/approvals/{number}/approve", json={}).status_code == 403
    comms = team.session("communications")
    assert comms.send("POST", f"{base}/approvals/{number}/approve", json={}).status_code == 403
    other = f"/api/v1/incidents/{team.mine}/approvals/{number}/approve"
    assert second.send("POST", other, json={}).status_code == 404
    assert first.get(f"{base}/approvals", params={"status": "pending"}).json()[0]["id"] == number

    ok = second.send("POST", f"{base}/approvals/{number}/approve", json={"note": "checked the scope"})
    assert ok.status_code == 200, ok.text
    assert (ok.json()["status"], ok.json()["decided_by"]) == ("approved", SECOND)
    assert second.send("POST", f"{base}/approvals/{number}/reject", json={}).status_code == 400  # decided

    job = first.send("POST", f"{base}/purge", json=purge)
    assert job.status_code == 202, job.text
    done = wait_job(first, incident, job.json()["id"])
    assert done["state"] == "done" and done["approval"] is None, done
    [used] = first.get(f"{base}/approvals").json()
    assert used["status"] == "used"
    # used once: purging again needs a new request
    again = first.send("POST", f"{base}/purge", json=purge)
    assert again.status_code == 409 and again.json()["approval_id"] != number


def test_a_wrong_typed_password_is_not_echoed(team: TeamServer) -> None:
    c = team.client()
    for password in (31415926535897932, ["a secret-ish password 7781"], {"p": "another 5512 secret"}):
        r = c.post("/api/v1/auth/login", json={"email": "admin@team.example", "password": password})
        assert r.status_code == 422, r.text
        for shown in ("31415926535897932", "7781", "5512"):
            assert shown not in r.text
        [error] = r.json()["detail"]
        assert error["loc"] == ["body", "password"] and "input" not in error and error["msg"]
    r = c.post("/api/v1/auth/login", content=b'{"email": 7, "password": "still 9911 secret"', headers={
        "content-type": "application/json"})  # fmt: skip
    assert r.status_code == 422 and "9911" not in r.text
