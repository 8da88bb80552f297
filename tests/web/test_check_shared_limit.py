"""The public notice check's rate limit is one count for every server process: two app
instances (as two uvicorn workers) over one case database, each with its own engine and memory,
allow the limit together, not each. SQLite here; the count under racing connections on
PostgreSQL too is tests/case/test_ratelimit.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from breachscope.case.db import open_case_db
from breachscope.web.app import create_app
from breachscope.web.settings import ServerSettings
from tests.web.server import CHEAP, serve_app


@contextmanager
def _served(db_url: str) -> Iterator[str]:
    with serve_app(create_app(ServerSettings(db_url=db_url, hasher=CHEAP))) as url:
        yield url


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
