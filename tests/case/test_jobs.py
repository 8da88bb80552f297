"""Background job rows: one claimant wins, progress, end states, crash recovery, per incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from breachscope.case import api as case_api
from breachscope.case import jobs
from breachscope.case.db import session_scope

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_claim_progress_finish_and_recover(engine: Engine) -> None:
    with session_scope(engine) as s:
        inc = case_api.create_incident(s, "leak").id
        other = case_api.create_incident(s, "other").id
        a = jobs.enqueue(s, inc, "attach", {"file_name": "x.csv"}, by="ann", now=NOW).id
        b = jobs.enqueue(s, inc, "scope", {}, by="ann", now=NOW).id
    with session_scope(engine) as s:
        first = jobs.claim(s, NOW)
        assert first is not None and first.id == a and first.state == "running"
    with session_scope(engine) as s:
        second = jobs.claim(s, NOW)
        assert second is not None and second.id == b  # a is taken: never claimed twice
        assert jobs.claim(s, NOW) is None
    with session_scope(engine) as s:
        jobs.report(s, a, stage="reading", done=5, total=10, now=NOW + timedelta(seconds=5))
        jobs.finish(s, a, {"records": 10}, NOW + timedelta(seconds=6))
    with session_scope(engine) as s:
        done = jobs.get(s, inc, a)
        assert done is not None and (done.state, done.result, done.done) == ("done", {"records": 10}, 5)
        assert jobs.get(s, other, a) is None  # another incident's job id: not found
        # b's worker died: no heartbeat for longer than the stale limit
        assert jobs.recover(s, NOW + timedelta(seconds=30)) == 0
        assert jobs.recover(s, NOW + jobs.STALE + timedelta(seconds=1)) == 1
    with session_scope(engine) as s:
        dead = jobs.get(s, inc, b)
        assert dead is not None and dead.state == "interrupted" and "start it again" in (dead.error or "")
        assert [j.id for j in jobs.listed(s, inc, before=None, limit=10)] == [b, a]
