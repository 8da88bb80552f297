"""Task storage (case/tasks.py) on SQLite and PostgreSQL: add, idempotent re-add, update, list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from breachscope.case import api
from breachscope.case import tasks as t
from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.errors import BreachscopeError, InputError

DUE = datetime(2025, 11, 30, 9, 0, tzinfo=UTC)


def _incident(engine: Engine, clock: FixedClock) -> int:
    with session_scope(engine) as s:
        return api.create_incident(s, "Vendor leak", clock=clock).id


def test_add_then_readd_with_the_same_source_ref_updates_never_duplicates(
    engine: Engine, clock: FixedClock
) -> None:
    iid = _incident(engine, clock)
    with session_scope(engine) as s:
        first = t.add_task(
            s,
            iid,
            "Notify the AG",
            actor="ana",
            kind="duty",
            source="assess",
            source_ref="us-ca-ag",
            due_at=DUE,
            clock=clock,
        )
        assert first.change == "created" and first.task.status == t.OPEN
    with session_scope(engine) as s:
        t.update_task(s, first.task.id, actor="bo", status=t.IN_PROGRESS, owner="bo", clock=clock)
    clock.advance(timedelta(hours=1))
    with session_scope(engine) as s:
        again = t.add_task(
            s,
            iid,
            "Notify the AG",
            actor="ana",
            kind="duty",
            source="assess",
            source_ref="us-ca-ag",
            due_at=DUE,
            clock=clock,
        )
        assert again.change == "unchanged" and again.task.id == first.task.id
        moved = t.add_task(
            s,
            iid,
            "Notify the AG",
            actor="ana",
            kind="duty",
            source="assess",
            source_ref="us-ca-ag",
            due_at=DUE + timedelta(days=1),
            clock=clock,
        )
        assert moved.change == "updated" and moved.fields == ("due_at",)
        # a person's status and owner survive the re-run
        assert moved.task.status == t.IN_PROGRESS and moved.task.owner == "bo"
        assert len(t.list_tasks(s, iid)) == 1
        # another source with the same ref, and manual tasks without refs, are separate tasks
        t.add_task(s, iid, "Take down look-alike", actor="ana", source="watch", source_ref="us-ca-ag")
        t.add_task(s, iid, "Call the DPO", actor="ana")
        t.add_task(s, iid, "Call the DPO", actor="ana")
        assert len(t.list_tasks(s, iid)) == 4


def test_update_status_reason_owner_due(engine: Engine, clock: FixedClock) -> None:
    iid = _incident(engine, clock)
    with session_scope(engine) as s:
        task = t.add_task(s, iid, "Rotate keys", actor="ana", due_at=DUE, owner="ana", clock=clock).task
    clock.advance(timedelta(minutes=5))
    with session_scope(engine) as s:
        with pytest.raises(InputError, match="needs a reason"):
            t.update_task(s, task.id, actor="bo", status=t.NOT_APPLICABLE)
        with pytest.raises(InputError, match="needs a reason"):
            t.update_task(s, task.id, actor="bo", status=t.NOT_APPLICABLE, reason="   ")
        with pytest.raises(InputError, match="unknown task status"):
            t.update_task(s, task.id, actor="bo", status="closed")
        with pytest.raises(InputError, match="time zone"):
            t.update_task(s, task.id, actor="bo", due_at=datetime(2025, 12, 1))
        change = t.update_task(
            s,
            task.id,
            actor="bo",
            status=t.NOT_APPLICABLE,
            reason="no keys leaked",
            owner=None,
            due_at=None,
            clock=clock,
        )
        assert set(change.fields) == {"status", "status_reason", "owner", "due_at"}
    with session_scope(engine) as s:
        got = t.get_task(s, task.id)
        assert (got.status, got.status_reason, got.owner, got.due_at) == (
            t.NOT_APPLICABLE,
            "no keys leaked",
            None,
            None,
        )
        assert got.updated_by == "bo" and got.updated_at == clock.now() and got.created_by == "ana"
        assert t.task_dict(got)["status"] == "not_applicable"


def test_list_filters_and_order(engine: Engine, clock: FixedClock) -> None:
    iid = _incident(engine, clock)
    other = _incident(engine, clock)
    with session_scope(engine) as s:
        late = t.add_task(s, iid, "late", actor="a", due_at=DUE + timedelta(days=2)).task
        none = t.add_task(s, iid, "no due", actor="a").task
        soon = t.add_task(
            s, iid, "soon", actor="a", due_at=DUE, kind="duty", source="assess", source_ref="d1"
        ).task
        done = t.add_task(s, iid, "done", actor="a", due_at=DUE - timedelta(days=1)).task
        t.update_task(s, done.id, actor="a", status=t.DONE)
        t.add_task(s, other, "elsewhere", actor="a", due_at=DUE)
    with session_scope(engine) as s:
        assert [x.id for x in t.list_tasks(s, iid)] == [done.id, soon.id, late.id, none.id]
        assert [x.id for x in t.list_tasks(s, iid, statuses=t.ACTIVE)] == [soon.id, late.id, none.id]
        assert [x.id for x in t.list_tasks(s, iid, due_before=DUE + timedelta(days=1))] == [done.id, soon.id]
        assert [x.id for x in t.list_tasks(s, iid, source="assess")] == [soon.id]
        assert [x.id for x in t.list_tasks(s, iid, kind="duty")] == [soon.id]
        assert list(t.tasks_by_ref(s, iid, "assess")) == ["d1"]
        assert len(t.list_tasks(s)) == 5


def test_errors_name_what_is_missing(engine: Engine, clock: FixedClock) -> None:
    iid = _incident(engine, clock)
    other = _incident(engine, clock)
    with session_scope(engine) as s:
        task = t.add_task(s, iid, "x", actor="a").task
        with pytest.raises(BreachscopeError, match="no task"):
            t.get_task(s, task.id, incident_id=other)  # another incident's task is "not found"
        with pytest.raises(BreachscopeError, match="no task"):
            t.update_task(s, 9999, actor="a", status=t.DONE)
        with pytest.raises(BreachscopeError, match="no incident"):
            t.add_task(s, 9999, "x", actor="a")
        with pytest.raises(InputError, match="needs a title"):
            t.add_task(s, iid, "  ", actor="a")
        with pytest.raises(InputError, match="at most"):
            t.add_task(s, iid, "x" * 501, actor="a")
        with pytest.raises(InputError, match="goes with a status"):
            t.update_task(s, task.id, actor="a", reason="why")


MINE = {
    "tasks",
    "audit_entries",
    "audit_head",
    "approvals",
    "approval_policy",
    "task_alerts",
    "webhook_deliveries",
}


def test_migration_matches_the_model(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from breachscope.case import approvals, audit  # noqa: F401  (their tables on Base.metadata)
    from breachscope.case.base import Base
    from breachscope.tasks import alerts  # noqa: F401
    from tests.case.test_db import _table_of

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if _table_of(d) in MINE] == []
