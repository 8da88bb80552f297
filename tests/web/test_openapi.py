"""The OpenAPI document: served without sign-in, equal to the checked-in docs/openapi.json."""

from __future__ import annotations

import json
from pathlib import Path

from tests.web.server import TeamServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_served_document_is_the_checked_in_one(team: TeamServer) -> None:
    served = team.client().get("/api/v1/openapi.json")
    assert served.status_code == 200
    stale = "docs/openapi.json is stale: python scripts/gen_docs.py"
    assert served.json() == json.loads(DOC.read_text()), stale
    paths = served.json()["paths"]
    assert "/api/v1/auth/login" in paths and "/api/v1/incidents/{incident_id}" in paths
    assert "/docs" not in paths  # no interactive pages loading scripts from elsewhere
