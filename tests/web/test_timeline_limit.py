"""The timeline and audit pages show the newest 1,000 entries and say so; their CSV exports
never stop short: every entry that matches the filter is in the file."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from breachscope.case import api as case_api
from breachscope.case import audit
from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.web.pages.timeline import LIMIT
from tests.web.server import team_server

EXTRA = LIMIT + 5


@pytest.fixture(scope="module")
def long_history(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('history')) / 'case.db'}"
    with team_server(url, clock) as team:
        assert team.engine is not None
        with session_scope(team.engine) as s:
            for i in range(EXTRA):
                case_api.add_timeline_event(s, team.mine, f"bulk event {i:05d}", kind="bulk", clock=clock)
                audit.append(
                    s, actor="tester", action="bulk.test", object_type="incident", object_id=str(i),
                    incident_id=team.mine, details={"n": i}, clock=clock,
                )  # fmt: skip
        team.engine.dispose()
        yield team


@pytest.mark.parametrize(
    ("page", "query", "word", "role"),
    [("timeline", "kind=bulk", "events", "responder"), ("audit", "action=bulk.test", "entries", "legal")],
)
def test_the_page_shows_the_newest_and_says_so_and_the_csv_has_all(
    long_history, page, query, word, role
) -> None:  # type: ignore[no-untyped-def]
    signed = long_history.session(role)
    html = signed.get(f"/incidents/{long_history.mine}/{page}?{query}")
    assert html.status_code == 200
    assert f"Only the latest {LIMIT:,} {word} that match are shown here" in html.text
    assert html.text.count("<tr>") - 1 == LIMIT  # the header row, then LIMIT entries
    exported = signed.get(f"/incidents/{long_history.mine}/{page}.csv?{query}")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.text)))[1:]
    assert len(rows) == EXTRA
