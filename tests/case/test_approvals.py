"""Four eyes (case/approvals.py) on SQLite and PostgreSQL: the flow, and every bypass attempt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from breachscope.case import api, approvals, audit
from breachscope.case.db import session_scope
from breachscope.case.purge import purge
from breachscope.clock import FixedClock
from breachscope.errors import BreachscopeError

NOW = datetime(2025, 11, 27, 9, 0, tzinfo=UTC)
PARAMS = {"audience": "all", "notices": 500}


def _incident(engine: Engine) -> int:
    with session_scope(engine) as s:
        return api.create_incident(s, "Vendor leak", clock=FixedClock(NOW)).id


def _request(
    engine: Engine, iid: int, actor: str = "ana", params: dict[str, object] = PARAMS, at: datetime = NOW
) -> int:
    with pytest.raises(approvals.ApprovalNeeded) as info:
        approvals.require(engine, approvals.NOTIFY_SEND, iid, params, actor=actor, now=at, what="sending 500")
    assert info.value.exit_code == 4
    return info.value.approval_id


def _approve(engine: Engine, aid: int, who: str, role: str | None, at: datetime = NOW) -> None:
    with session_scope(engine) as s:
        approvals.approve(s, aid, approver=who, role=role, now=at)


def test_request_approve_use_once(engine: Engine) -> None:
    iid = _incident(engine)
    aid = _request(engine, iid)
    assert _request(engine, iid) == aid  # running again reuses the pending request
    _approve(engine, aid, "bo", "communications")
    got = approvals.require(engine, approvals.NOTIFY_SEND, iid, PARAMS, actor="ana", now=NOW, what="x")
    assert got == aid
    with session_scope(engine) as s:
        approvals.consume(s, aid, actor="ana", now=NOW)
    # replay: the used approval does not work again; a new request is recorded instead
    assert _request(engine, iid) != aid
    with session_scope(engine) as s, pytest.raises(BreachscopeError, match="can no longer be used"):
        approvals.consume(s, aid, actor="ana", now=NOW)
    with session_scope(engine) as s:
        actions = [e.action for e in audit.entries(s)]
        assert actions == [
            "approval.request", "approval.approve", "approval.use", "approval.request",
        ]  # fmt: skip
        assert audit.verify(s).ok


@pytest.mark.parametrize(
    ("approver", "role", "error"),
    [
        ("ana", "admin", "cannot also decide"),  # the requester approving their own request
        ("ANA ", "admin", "cannot also decide"),  # ... spelled differently
        ("bo", "legal", "may not decide"),  # wrong role
        ("bo", "viewer", "may not decide"),
        ("bo", None, "no team role"),  # no team account at all
    ],
)
def test_bypass_attempts_are_refused(engine: Engine, approver: str, role: str | None, error: str) -> None:
    iid = _incident(engine)
    aid = _request(engine, iid)
    with pytest.raises(BreachscopeError, match=error):
        _approve(engine, aid, approver, role)
    _request(engine, iid)  # still pending, still needed


def test_expired_approvals_and_requests_do_not_work(engine: Engine) -> None:
    iid = _incident(engine)
    aid = _request(engine, iid)
    with pytest.raises(BreachscopeError, match="expired"):
        _approve(engine, aid, "bo", "admin", at=NOW + approvals.DEFAULT_TTL)
    later = NOW + approvals.DEFAULT_TTL
    aid2 = _request(engine, iid, at=later)
    assert aid2 != aid  # the expired request is not reused
    _approve(engine, aid2, "bo", "admin", at=later)
    late = later + approvals.DEFAULT_TTL + timedelta(seconds=1)
    with pytest.raises(approvals.ApprovalNeeded):
        approvals.require(engine, approvals.NOTIFY_SEND, iid, PARAMS, actor="ana", now=late, what="x")
    with session_scope(engine) as s, pytest.raises(BreachscopeError, match="can no longer be used"):
        approvals.consume(s, aid2, actor="ana", now=late)


def test_an_approval_binds_to_its_parameters_incident_and_requester(engine: Engine) -> None:
    iid, other = _incident(engine), _incident(engine)
    aid = _request(engine, iid)
    _approve(engine, aid, "bo", "admin")
    for action_iid, params, who in (
        (iid, {**PARAMS, "notices": 5000}, "ana"),  # more recipients than approved
        (other, PARAMS, "ana"),  # another incident
        (iid, PARAMS, "cy"),  # someone else using ana's approval
    ):
        with pytest.raises(approvals.ApprovalNeeded):
            approvals.require(engine, approvals.NOTIFY_SEND, action_iid, params, actor=who, now=NOW, what="x")
    with session_scope(engine) as s:
        with pytest.raises(BreachscopeError, match="not pending"):
            approvals.approve(s, aid, approver="cy", role="admin", now=NOW)  # decided once


def test_rejected_requests_never_work(engine: Engine) -> None:
    iid = _incident(engine)
    aid = _request(engine, iid)
    with session_scope(engine) as s:
        approvals.reject(s, aid, approver="bo", role="admin", now=NOW, note="too many")
    assert _request(engine, iid) != aid


def test_policy_tightens_freely_and_loosens_only_with_approval(engine: Engine) -> None:
    approvals.set_policy(engine, approvals.Policy(purge=True, notify_above=100), actor="ana", now=NOW)
    with pytest.raises(approvals.ApprovalNeeded) as info:
        approvals.set_policy(engine, approvals.Policy(purge=False, notify_above=100), actor="ana", now=NOW)
    with session_scope(engine) as s:
        assert approvals.get_policy(s).purge is True
    _approve(engine, info.value.approval_id, "bo", "admin")
    approvals.set_policy(engine, approvals.Policy(purge=False, notify_above=100), actor="ana", now=NOW)
    with session_scope(engine) as s:
        assert approvals.get_policy(s) == approvals.Policy(purge=False, notify_above=100)


def test_purge_needs_an_admins_approval_when_the_policy_says_so(engine: Engine) -> None:
    iid = _incident(engine)
    with session_scope(engine) as s:
        audit.append(s, actor="ana", action="personal_data.view", object_type="exposure", object_id=1,
                     incident_id=iid, details={"reason": "Jane Doe called support"})  # fmt: skip
    approvals.set_policy(engine, approvals.Policy(purge=True), actor="ana", now=NOW)
    with pytest.raises(approvals.ApprovalNeeded) as info:
        purge(engine, iid, actor="ana", clock=FixedClock(NOW), reason="retention ended")
    with session_scope(engine) as s:
        assert api.get_incident(s, iid).status == "open"  # nothing changed
    with pytest.raises(BreachscopeError, match="may not decide"):
        _approve(engine, info.value.approval_id, "bo", "communications")
    _approve(engine, info.value.approval_id, "bo", "admin")
    result = purge(engine, iid, actor="ana", clock=FixedClock(NOW), reason="retention ended")
    assert result.deleted is not None
    with session_scope(engine) as s:
        assert api.get_incident(s, iid).status == "purged"
        entries = list(audit.entries(s, incident_id=iid))
        view = next(e for e in entries if e.action == "personal_data.view")
        assert view.details is None and view.redacted_at is not None  # the reason is gone ...
        res = audit.verify(s)
        assert res.ok and res.redacted >= 1, res.problems  # ... and the chain still verifies
        assert [e.action for e in entries][-3:] == ["approval.use", "incident.purge", "incident.purge_check"]
    # purging again is a new irreversible action: the used approval does not cover it
    with pytest.raises(approvals.ApprovalNeeded):
        purge(engine, iid, actor="ana", clock=FixedClock(NOW), reason="again")
