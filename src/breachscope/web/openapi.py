"""The OpenAPI document of the team server, as checked in at docs/openapi.json.

Built from an app over an in-memory case (the document does not depend on the data), with
stable formatting so the checked-in copy diffs cleanly. Regenerate with
``python scripts/gen_docs.py``; tests/test_docs.py fails when it is stale.
"""

from __future__ import annotations

import json

from breachscope.web.app import create_app
from breachscope.web.settings import ServerSettings


def document() -> str:
    app = create_app(ServerSettings(db_url="sqlite://"))
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
