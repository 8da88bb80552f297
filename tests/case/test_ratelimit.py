"""The shared rate limit (case/ratelimit.py) on SQLite and PostgreSQL: a sliding window per key,
refusals that do not extend the wait, old rows deleted, the key stored hashed, and no more than
the limit allowed when many connections race for the last attempts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from breachscope.case import ratelimit
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.ratelimit import RateHit

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=60)


def _try(engine: Engine, key: str, at_s: float, limit: int = 3) -> bool:
    with session_scope(engine) as s:
        return ratelimit.allow(s, "check", key, limit=limit, window=WINDOW, now=T0 + timedelta(seconds=at_s))


#: (key, seconds) attempts -> allowed?
CASES: list[tuple[list[tuple[str, float]], list[bool]]] = [
    ([("a", 0), ("a", 1), ("a", 2), ("a", 3)], [True, True, True, False]),
    ([("a", 0), ("a", 1), ("a", 2), ("b", 3)], [True, True, True, True]),  # per key
    ([("a", 0), ("a", 1), ("a", 2), ("a", 60), ("a", 60.5)], [True, True, True, True, False]),
    # refusals at 10..50 s do not extend the wait: at 60 s the first attempt left the window
    (
        [("a", 0), ("a", 1), ("a", 2), ("a", 10), ("a", 50), ("a", 60)],
        [True, True, True, False, False, True],
    ),
]


def test_sliding_window(engine: Engine) -> None:
    """The cases in one database (one migration run on PostgreSQL), each 1,000 s after the last."""
    for n, (attempts, expected) in enumerate(CASES):
        got = [_try(engine, f"{n}:{key}", n * 1000 + at) for key, at in attempts]
        assert got == expected, (n, attempts)


def test_only_the_window_is_kept_and_never_the_address(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from breachscope.case.base import Base

    with engine.connect() as conn:  # the migration (0088) matches the model
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if "rate_hits" in repr(d)] == []
    for i in range(5):
        _try(engine, f"192.0.2.{i}", i)
    _try(engine, "192.0.2.99", 200)  # every older row has left the window: deleted
    with session_scope(engine) as s:
        keys = list(s.scalars(select(RateHit.key_hash)))
    assert keys == [ratelimit.key_hash("check", "192.0.2.99")]
    assert all("192.0.2" not in k for k in keys)


def test_racing_connections_never_pass_the_limit(db_url: str) -> None:
    """16 threads, each its own connection of the pool, 40 attempts of one key at the same
    instant: exactly the limit is allowed (SQLite serialises writers; PostgreSQL: advisory lock)."""
    engine = open_case_db(db_url, create=True)
    try:
        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(lambda _: _try(engine, "203.0.113.7", 5, limit=10), range(40)))
        assert results.count(True) == 10
        with session_scope(engine) as s:
            assert s.scalar(select(func.count()).select_from(RateHit)) == 10
    finally:
        engine.dispose()
