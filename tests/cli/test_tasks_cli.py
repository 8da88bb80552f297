"""``breachscope tasks list|add|update|notify-due`` and tasks made by ``breachscope assess``."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.tasks.receiver import receiver

Run = Callable[..., tuple[int, str]]


def test_manual_tasks_from_the_cli(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BREACHSCOPE_ACTOR", "ana")
    run("case", "new", "Vendor leak")
    code, out = run(
        "tasks", "add", "--incident", "1", "--title", "Call the DPO", "--due", "2020-01-01T09:00Z"
    )
    assert code == 0 and "Task 1 added" in out
    code, out = run("tasks", "list", "--incident", "1")
    assert code == 0 and "OVERDUE" in out and "1 task(s), 1 overdue" in out
    code, out = run("tasks", "update", "1", "--status", "not_applicable")
    assert code == 2 and "needs a reason" in out
    code, out = run(
        "tasks", "update", "1", "--status", "not_applicable", "--reason", "DPO called us", "--owner", "bo"
    )
    assert code == 0 and "status" in out
    code, out = run("tasks", "list", "--incident", "1", "--json", "-")
    assert json.loads(out)["tasks"] == []  # closed tasks only with --all
    doc = json.loads(run("tasks", "list", "--all", "--json", "-")[1])
    [task] = doc["tasks"]
    assert (task["status"], task["status_reason"], task["owner"], task["updated_by"]) == (
        "not_applicable", "DPO called us", "bo", "ana",
    )  # fmt: skip
    assert run("tasks", "update", "1", "--incident", "2", "--status", "done")[0] == 1  # another incident's id
    assert run("tasks", "list", "--due-within", "soon")[0] == 2


def test_notify_due_posts_to_a_receiver_and_never_prints_the_url(run: Run) -> None:
    run("case", "new", "Vendor leak")
    run("tasks", "add", "--incident", "1", "--title", "Notify the DPA", "--due", "2020-01-01T09:00Z")
    with receiver([200]) as r:
        code, out = run("tasks", "notify-due", "--webhook", r.url)
        assert code == 0 and "1 overdue" in out and "Delivered to" in out and "s3cr3tT0ken" not in out
        assert "Notify the DPA" in r.bodies()[0]["blocks"][0]["text"]["text"]
        code, out = run("tasks", "notify-due", "--webhook", r.url)
        assert code == 0 and "Nothing new" in out and len(r.requests) == 1
    with receiver([404]) as r:
        code, out = run("tasks", "notify-due", "--webhook", r.url, "--again")
        assert code == 1 and "did not accept" in out and "s3cr3tT0ken" not in out
    assert run("tasks", "notify-due", "--webhook", "file:///etc/passwd")[0] == 2
