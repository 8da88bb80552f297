"""Tasks from a real assessment (bundled rules): due times from the statute clock, idempotent re-assess."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from breachscope.case import api, audit
from breachscope.case import tasks as store
from breachscope.case.db import session_scope
from breachscope.rules import store as rules_store
from breachscope.rules.case_facts import run_assessment
from breachscope.rules.facts import Assessment
from breachscope.rules.schema import RuleSet
from breachscope.tasks import sync_assessment
from tests.tasks.conftest import NOW, make_incident


def _assess(engine: Engine, iid: int, rules: RuleSet, at=NOW) -> tuple[Assessment, object]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        aid, a = run_assessment(s, iid, rules, now=at)
        result = sync_assessment(s, iid, aid, a, actor="ana", now=at)
    return a, result


def _by_ref(engine: Engine, iid: int) -> dict[str, store.Task]:
    with session_scope(engine) as s:
        return store.tasks_by_ref(s, iid, "assess")


def test_every_duty_and_action_becomes_a_task_with_its_statute_due_time(
    engine: Engine, rules: RuleSet
) -> None:
    iid = make_incident(engine)
    a, result = _assess(engine, iid, rules)
    tasks = _by_ref(engine, iid)
    active = [d for d in a.duties if d.verdict in ("required", "assessment_required")]
    assert active and a.actions
    assert set(tasks) == {f"duty:{d.id}" for d in active} | {f"action:{x.id}" for x in a.actions}
    for d in active:
        t = tasks[f"duty:{d.id}"]
        assert t.due_at == d.due and d.title in t.title and t.status == store.OPEN
    id_notice = tasks["duty:id-subjects"]
    assert id_notice.kind == "duty" and id_notice.due_at is not None
    assert tasks["duty:eu-sa"].kind == "decision" and tasks["duty:eu-sa"].title.startswith("Decide: ")
    individual_dues = [
        d.due for d in a.duties if d.recipient == "individuals" and d.verdict == "required" and d.due
    ]
    for x in a.actions:
        t = tasks[f"action:{x.id}"]
        assert t.due_at == (None if x.audience == "company" else min(individual_dues))
    assert len(result.created) == len(tasks)  # type: ignore[attr-defined]


def test_reassessing_never_duplicates_and_keeps_what_people_set(engine: Engine, rules: RuleSet) -> None:
    iid = make_incident(engine)
    _assess(engine, iid, rules)
    first = _by_ref(engine, iid)
    with session_scope(engine) as s:
        store.update_task(s, first["duty:id-subjects"].id, actor="bo", status=store.IN_PROGRESS, owner="bo")
    _, again = _assess(engine, iid, rules, NOW + timedelta(minutes=5))
    assert again.created == [] and again.closed == [] and again.updated == []  # type: ignore[attr-defined]
    second = _by_ref(engine, iid)
    assert {k: t.id for k, t in second.items()} == {k: t.id for k, t in first.items()}
    kept = second["duty:id-subjects"]
    assert (kept.status, kept.owner) == (store.IN_PROGRESS, "bo")
    with session_scope(engine) as s:
        assert len(store.list_tasks(s, iid)) == len(first)


def test_due_times_follow_the_dates(engine: Engine, rules: RuleSet) -> None:
    iid = make_incident(engine)
    _assess(engine, iid, rules)
    before = _by_ref(engine, iid)["duty:id-subjects"].due_at
    assert before is not None
    with session_scope(engine) as s:  # we became aware a day later than the vendor told us
        api.set_dates(s, iid, aware_at=NOW - timedelta(hours=2))
    a, result = _assess(engine, iid, rules, NOW + timedelta(minutes=1))
    after = _by_ref(engine, iid)["duty:id-subjects"]
    assert after.due_at == a.duty("id-subjects").due
    if after.due_at != before:
        assert after.id in result.updated  # type: ignore[attr-defined]


def test_a_duty_that_goes_away_closes_its_task_and_comes_back(engine: Engine, rules: RuleSet) -> None:
    iid = make_incident(engine)
    _assess(engine, iid, rules)
    with session_scope(engine) as s:
        rules_store.record_decision(
            s, iid, "eu-sa", "not_required", by="Dana", why="contact data only", at=NOW
        )
    _, result = _assess(engine, iid, rules, NOW + timedelta(minutes=1))
    task = _by_ref(engine, iid)["duty:eu-sa"]
    assert task.id in result.closed  # type: ignore[attr-defined]
    assert task.status == store.NOT_APPLICABLE and "Dana" in (task.status_reason or "")
    with session_scope(engine) as s:
        rules_store.record_decision(
            s, iid, "eu-sa", "required", by="Dana", why="names with locations", at=NOW + timedelta(minutes=1)
        )
    _, result = _assess(engine, iid, rules, NOW + timedelta(minutes=2))
    task = _by_ref(engine, iid)["duty:eu-sa"]
    assert task.id in result.reopened and task.status == store.OPEN and task.kind == "duty"  # type: ignore[attr-defined]
    # a task a person closed by hand stays closed
    with session_scope(engine) as s:
        store.update_task(
            s, task.id, actor="bo", status=store.NOT_APPLICABLE, reason="filed by the DPO already"
        )
    _assess(engine, iid, rules, NOW + timedelta(minutes=3))
    assert _by_ref(engine, iid)["duty:eu-sa"].status_reason == "filed by the DPO already"
    with session_scope(engine) as s:
        assert audit.verify(s).ok
        assert {e.action for e in audit.entries(s)} == {"task.create", "task.update"}
