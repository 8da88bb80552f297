"""An API token never holds a right its owner's role does not: roles are not a ladder (a
responder uploads datasets, a communications user does not; legal decides, communications
does not), so "a role ranked no higher" was the wrong test, at creation and at each request.

Before: a communications user made a "legal" or "responder" token (POST /api/v1/tokens) and
with it decided, uploaded, created incidents; a responder demoted to communications kept a
responder token's rights. Through a real server, SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from breachscope.case import accounts
from breachscope.case.db import session_scope
from tests.web.server import CHEAP, TeamServer

#: (the owner's role, the token's role asked for, the answer)
CREATE = [
    ("communications", "legal", 400),
    ("communications", "responder", 400),
    ("legal", "responder", 400),
    ("legal", "communications", 400),
    ("responder", "viewer", 201),
    ("communications", "communications", 201),
    ("admin", "responder", 201),
    ("admin", "legal", 201),
]


@pytest.mark.parametrize(("owner", "role", "status"), CREATE)
def test_a_token_holds_no_right_its_owner_has_not(
    team: TeamServer, owner: str, role: str, status: int
) -> None:
    signed = team.session(owner)
    r = signed.send("POST", "/api/v1/tokens", json={"name": "bot", "role": role})
    assert r.status_code == status, r.text


#: (the token's role, the owner's role after a change, POST /api/v1/incidents allowed)
DEMOTED = [
    ("responder", "communications", False),
    ("responder", "legal", False),
    ("responder", "viewer", False),
    ("responder", "admin", True),
    ("responder", "responder", True),
]


@pytest.mark.parametrize(("token_role", "now_role", "allowed"), DEMOTED)
def test_a_token_loses_the_rights_its_owner_lost(
    team: TeamServer, token_role: str, now_role: str, allowed: bool
) -> None:
    assert team.engine is not None
    with session_scope(team.engine) as s:
        user = accounts.create_user(
            s, f"bot-{token_role}-{now_role}@team.example", token_role, "a long enough passphrase",
            now=team.clock.now(), created_by="test", totp=True, hasher=CHEAP,
        ).user  # fmt: skip
        _, text = accounts.create_token(
            s, user, name="bot", role=token_role, incident_id=None, lifetime=timedelta(days=30),
            now=team.clock.now(),
        )  # fmt: skip
        user.role = now_role  # as PATCH /api/v1/users/{id} or the Team page change it
    team.engine.dispose()
    bot = httpx.Client(base_url=team.url, headers={"Authorization": f"Bearer {text}"}, timeout=30)
    r = bot.post("/api/v1/incidents", json={"name": f"by a {now_role}"})
    assert (r.status_code == 201) is allowed, (r.status_code, r.text)
    assert r.status_code in (201, 403)
