"""The public notice check's rate limit is one count for every server process: two app
instances (as two uvicorn workers) over one case database, each with its own engine and memory,
allow the limit together, not each. SQLite here; the count under racing connections on
PostgreSQL too is tests/case/test_ratelimit.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import uvicorn

from breachscope.case.db import open_case_db
from breachscope.web.app import create_app
from breachscope.web.settings import ServerSettings
from tests.notify.conftest import free_port
from tests.web.server import CHEAP


@contextmanager
def _served(db_url: str) -> Iterator[str]:
    app = create_app(ServerSettings(db_url=db_url, hasher=CHEAP))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_two_app_instances_share_one_limit(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'case.db'}"
    open_case_db(db_url, create=True).dispose()
    with ExitStack() as stack:
        bases = [stack.enter_context(_served(db_url)) for _ in range(2)]
        form = {"reference": "00000-00000", "phrase": "otter lantern quartz maple"}
        statuses = []
        for n in range(12):  # alternating between the two instances; the limit is 10 per address
            r = httpx.post(bases[n % 2] + "/check", data=form, headers={"origin": bases[n % 2]})
            statuses.append(r.status_code)
        assert statuses == [200] * 10 + [429, 429]
        assert "Retry-After" in r.headers
