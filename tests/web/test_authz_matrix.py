"""The authorization matrix: every route of the app x every role x member / non-member.

Built from the app's own route table, so a new route without a rule in ``ROUTE_RULES`` fails
here (and the app factory refuses to start). The server runs with ``authz_probe``: once the
gate has allowed a request it answers 204 + ``X-Authz: allowed`` instead of running the
endpoint, so every combination is probed through the real gate without side effects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from breachscope.case import accounts
from breachscope.case.accounts import ROLES
from breachscope.case.db import session_scope
from breachscope.web.app import create_app, route_table
from breachscope.web.auth.rules import ENROLMENT_ROUTES, PERMISSIONS, PUBLIC_UNGATED, ROUTE_RULES, Rule
from breachscope.web.settings import ServerSettings
from tests.web.server import CHEAP, Signed, TeamServer


def _routes(team: TeamServer) -> list[tuple[str, str]]:
    table = route_table(team.app)
    ungated = [path for _, path, gated in table if not gated]
    assert set(ungated) <= PUBLIC_UNGATED, "an ungated route is not listed as public"
    return [(method, path) for method, path, gated in table if gated]


def expected(rule: Rule, role: str | None, member: bool, path: str) -> int:
    """The status the gate must give: 204 (allowed), 401 (303 to the sign-in page), 403 or 404."""
    if rule.kind == "public":
        return 204
    if role is None:
        return 401 if path.startswith("/api/") else 303
    if rule.kind == "incident" and not member:
        return 404
    if rule.permission is not None and role not in PERMISSIONS[rule.permission]:
        return 403
    return 204


def _fill(path: str, incident: int) -> str:
    path = path.replace("{incident_id}", str(incident))
    return re.sub(r"\{[a-z_]+\}", "1", path)


@pytest.fixture
def probing(team: TeamServer) -> Iterator[dict[str, Signed]]:
    sessions = {role: team.session(role) for role in ROLES}
    team.settings.authz_probe = True
    try:
        yield sessions
    finally:
        team.settings.authz_probe = False


def test_every_route_has_a_rule(team: TeamServer) -> None:
    missing = [r for r in _routes(team) if r not in ROUTE_RULES]
    assert missing == []
    stale = [r for r in ROUTE_RULES if r not in _routes(team)]
    assert stale == [], "rules for routes that no longer exist"


def test_matrix(team: TeamServer, probing: dict[str, Signed]) -> None:
    """Every route x role x member / non-member, and anonymous (4 requests at a time)."""
    anonymous = team.client()
    cases = []
    for method, path in _routes(team):
        rule = ROUTE_RULES[(method, path)]
        # membership only changes the request when the incident is in the path
        for member in (True, False) if "{incident_id}" in path else (True,):
            for role in (*ROLES, None):
                cases.append((method, path, rule, member, role))

    def probe(case: tuple[str, str, Rule, bool, str | None]) -> str | None:
        method, path, rule, member, role = case
        url = _fill(path, team.mine if member else team.theirs)
        if role is None:
            r = anonymous.request(method, url, json={}, follow_redirects=False)
        else:
            r = probing[role].send(method, url, json={})
        want = expected(rule, role, member, path)
        if r.status_code != want or (want == 204 and r.headers.get("x-authz") != "allowed"):
            return f"{method} {url} as {role or 'anonymous'} (member: {member}): {r.status_code}, want {want}"
        return None

    with ThreadPoolExecutor(4) as pool:
        wrong = [w for w in pool.map(probe, cases) if w]
    assert wrong == []
    assert len(cases) >= len(ROUTE_RULES) * len(ROLES)


def test_a_route_without_a_rule_stops_the_app(team: TeamServer) -> None:
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/api/v1/unruled")
    def unruled() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="GET /api/v1/unruled"):
        create_app(ServerSettings(db_url=team.db_url), extra_routers=lambda: [router])


def test_tokens_are_capped_to_their_role_and_incident(team: TeamServer, probing: dict[str, Signed]) -> None:
    """An admin's viewer-role token may read but not manage users; an incident-bound token
    reaches only its incident (others: the same 404 as a missing one)."""
    admin = probing["admin"]
    team.settings.authz_probe = False
    viewer_token = admin.send("POST", "/api/v1/tokens", json={"name": "ro", "role": "viewer"}).json()["token"]
    bound = admin.send("POST", "/api/v1/tokens", json={"name": "one", "incident_id": team.mine}).json()[
        "token"
    ]
    other = admin.send("POST", "/api/v1/incidents", json={"name": "another"}).json()["id"]
    team.settings.authz_probe = True
    assert admin.get(f"/api/v1/incidents/{other}").status_code == 204  # the admin is a member
    c = httpx.Client(base_url=team.url)
    try:
        h = {"Authorization": f"Bearer {viewer_token}"}
        assert c.get(f"/api/v1/incidents/{team.mine}", headers=h).status_code == 204
        assert c.post("/api/v1/users", headers=h, json={}).status_code == 403
        h = {"Authorization": f"Bearer {bound}"}
        assert c.post("/api/v1/users", headers=h, json={}).status_code == 204  # admin's own role
        assert c.get(f"/api/v1/incidents/{team.mine}", headers=h).status_code == 204
        r = c.get(f"/api/v1/incidents/{other}", headers=h)
        assert (r.status_code, r.json()) == (404, {"detail": "no such incident"})
    finally:
        c.close()


def test_a_user_who_must_add_a_second_factor_reaches_only_the_enrolment(team: TeamServer) -> None:
    """Every route, as a user of whom an admin requires a second factor they have not added:
    the enrolment routes are allowed, every other non-public route is refused before its own
    rule is looked at (API 403 with the sentence; a page: 303 to the Account page)."""
    assert ENROLMENT_ROUTES <= set(ROUTE_RULES)
    assert {ROUTE_RULES[r].kind for r in ENROLMENT_ROUTES} == {"signed_in"}
    email, password = "must-enrol@team.example", "a long enough passphrase"
    assert team.engine is not None
    with session_scope(team.engine) as s:
        new = accounts.create_user(s, email, "responder", password, now=team.clock.now(), created_by="test",
                                   totp=False, hasher=CHEAP)  # fmt: skip
        new.user.totp_required = True
        accounts.add_member(s, team.mine, new.user, by="test", now=team.clock.now())
    team.engine.dispose()
    c = team.client()
    r = c.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text  # the password alone signs in (there is no factor yet)
    me = Signed(c, r.json()["csrf_token"], "")
    wrong = []
    team.settings.authz_probe = True
    try:
        for method, path in _routes(team):
            rule = ROUTE_RULES[(method, path)]
            url = _fill(path, team.mine)
            r = me.send(method, url, json={}, follow_redirects=False)
            where = None
            if rule.kind == "public" or (method, path) in ENROLMENT_ROUTES:
                want = 204
            elif path.startswith("/api/"):
                want = 403
                if r.status_code == want and "requires a second factor" not in r.json()["detail"]:
                    wrong.append(f"{method} {url}: {r.json()}")
            else:
                want, where = 303, "/account"
            if r.status_code != want or r.headers.get("location") != where:
                wrong.append(
                    f"{method} {url}: {r.status_code} {r.headers.get('location')}, want {want} {where}"
                )
    finally:
        team.settings.authz_probe = False
    assert wrong == []
