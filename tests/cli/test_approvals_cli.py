"""Four eyes from the CLI: purge under the policy, approvals by team accounts, bypass attempts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from breachscope.case import accounts, audit
from breachscope.case.db import case_database, session_scope

Run = Callable[..., tuple[int, str]]
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
NOW = datetime(2025, 11, 27, 9, 0, tzinfo=UTC)


def _team(tmp_path: Path, people: dict[str, str], incident_id: int = 1, members: bool = True) -> None:
    with case_database(f"sqlite:///{tmp_path / 'case.db'}") as engine, session_scope(engine) as s:
        for email, role in people.items():
            user = accounts.create_user(
                s, email, role, "a long enough password", now=NOW, created_by="test", totp=False if role
                not in accounts.TOTP_REQUIRED else True, hasher=CHEAP,
            ).user  # fmt: skip
            if members:
                accounts.add_member(s, incident_id, user, by="test", now=NOW)


def _as(monkeypatch: pytest.MonkeyPatch, who: str) -> None:
    monkeypatch.setenv("BREACHSCOPE_ACTOR", who)


def test_purge_needs_a_second_admin(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("case", "new", "Vendor leak")[0] == 0
    _team(
        tmp_path, {"ana@example.org": "admin", "bo@example.org": "admin", "cy@example.org": "communications"}
    )
    _as(monkeypatch, "ana@example.org")
    code, out = run("approvals", "policy", "--purge", "--notify-above", "100")
    assert code == 0 and "purge needs approval: yes" in out
    code, out = run("case", "purge", "1", "--yes", "--reason", "retention ended")
    assert code == 4 and "request #1" in out and "approvals approve 1" in out
    code, out = run("approvals", "approve", "1")
    assert code == 1 and "cannot also decide" in out  # the requester approving herself
    _as(monkeypatch, "cy@example.org")
    code, out = run("approvals", "approve", "1")
    assert code == 1 and "may not decide" in out  # communications may not approve a purge
    _as(monkeypatch, "mallory@example.org")
    code, out = run("approvals", "approve", "1")
    assert code == 1 and "no team role" in out  # no account
    _as(monkeypatch, "bo@example.org")
    code, out = run("approvals", "approve", "1", "--note", "checked the retention schedule")
    assert code == 0 and "Approved #1" in out
    _as(monkeypatch, "bo@example.org")
    code, out = run("case", "purge", "1", "--yes")  # the approver cannot use ana's approval
    assert code == 4 and "request #2" in out
    _as(monkeypatch, "ana@example.org")
    code, out = run("case", "purge", "1", "--yes", "--reason", "retention ended")
    assert code == 0 and "Purged incident 1" in out
    code, out = run("approvals", "list", "--json", "-")
    assert '"status": "used"' in out
    # loosening the policy is itself guarded
    code, out = run("approvals", "policy", "--no-purge")
    assert code == 4 and "loosening the four-eyes policy" in out
    assert run("audit", "verify")[0] == 0
    with case_database(f"sqlite:///{tmp_path / 'case.db'}") as engine, session_scope(engine) as s:
        actions = [(e.actor, e.action) for e in audit.entries(s)]
    assert ("bo@example.org", "approval.approve") in actions
    assert ("ana@example.org", "incident.purge") in actions


def test_a_non_member_cannot_approve(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run("case", "new", "Vendor leak")
    _team(tmp_path, {"ana@example.org": "admin"})
    _team(tmp_path, {"bo@example.org": "admin"}, members=False)
    _as(monkeypatch, "ana@example.org")
    run("approvals", "policy", "--purge")
    assert run("case", "purge", "1", "--yes")[0] == 4
    _as(monkeypatch, "bo@example.org")
    code, out = run("approvals", "approve", "1")
    assert code == 1 and "no team role" in out
