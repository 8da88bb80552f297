"""The 0003 migration creates exactly the notify tables the models describe (SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

import breachscope.notify.outbox  # noqa: F401  (registers the notify tables)
from breachscope.case.base import Base

NOTIFY_TABLES = {"notify_outbox", "notify_attempts", "notify_runs"}


def _tables(diff: object) -> set[str]:
    items = diff if isinstance(diff, list) else [diff]
    names: set[str] = set()
    for item in items:
        for part in item[1:]:
            table = getattr(part, "table", None)
            if table is not None and hasattr(table, "name"):
                names.add(str(table.name))
            elif hasattr(part, "name") and hasattr(part, "columns"):
                names.add(str(part.name))
            elif isinstance(part, str):
                names.add(part)
    return names


def test_notify_migration_matches_models(any_engine: Engine) -> None:
    assert NOTIFY_TABLES <= set(inspect(any_engine).get_table_names())
    with any_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if _tables(d) & NOTIFY_TABLES] == []
    uniques = inspect(any_engine).get_unique_constraints("notify_outbox")
    assert any(u["column_names"] == ["idempotency_key"] for u in uniques)


def test_case_purge_deletes_the_outbox_and_attempts(engine: Engine, config: object) -> None:
    from sqlalchemy import func, select

    from breachscope.case.purge import purge
    from breachscope.notify.mailer import MemoryMailer
    from breachscope.notify.outbox import NotifyRun, OutboxAttempt, OutboxMessage
    from breachscope.notify.queue import queue_notices
    from breachscope.notify.sender import DeliveryRun
    from breachscope.notify.service import make_renderer

    from .conftest import user_ctx

    queue_notices(engine, [user_ctx(n) for n in range(3)], renderer=make_renderer(config), config=config)  # type: ignore[arg-type]
    DeliveryRun(engine, 1, mailer=MemoryMailer(), config=config).run()  # type: ignore[arg-type]
    deleted = purge(engine, 1, reason="test").deleted
    assert deleted["notify_outbox"] == 3 and deleted["notify_attempts"] == 3
    with engine.connect() as conn:
        for model, expected in ((OutboxMessage, 0), (OutboxAttempt, 0), (NotifyRun, 1)):
            assert conn.execute(select(func.count()).select_from(model)).scalar() == expected


def test_migration_0005_keeps_the_latest_running_run_of_each_incident(db_url: str) -> None:
    """A case from before 0005 may hold several 'running' sends for one incident (crashes, the
    old start race): the upgrade marks all but the latest crashed, then adds the index."""
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from breachscope.case import api
    from breachscope.case.db import create_case_engine, session_scope, upgrade
    from breachscope.notify.recovery import RUNS

    engine = create_case_engine(db_url, create=True)
    try:
        upgrade(engine, "0003")
        upgrade(engine, "case_fk@head")
        upgrade(engine, "0002")
        upgrade(engine, "facts@head")  # the Incident model has occurred_at (0010)
        upgrade(engine, "case_key_apart@head")  # incidents keep their key apart (0018)
        with session_scope(engine) as session:
            api.create_incident(session, "one")
            api.create_incident(session, "two")
        now = datetime(2026, 11, 25, tzinfo=UTC)
        row = {"pid": 1, "host": "h", "mode": "send", "audience": "user", "summary": {}}
        with engine.connect() as conn:
            for incident in (1, 1, 1, 2):
                conn.execute(
                    insert(RUNS).values(
                        incident_id=incident, status="running", started_at=now, heartbeat_at=now, **row
                    )
                )
            conn.commit()
        upgrade(engine)
        with engine.connect() as conn:
            states = conn.execute(select(RUNS.c.id, RUNS.c.status).order_by(RUNS.c.id)).all()
        assert [tuple(s) for s in states] == [(1, "crashed"), (2, "crashed"), (3, "running"), (4, "running")]
    finally:
        engine.dispose()
