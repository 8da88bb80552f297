"""Four eyes inside notify.send: a send above the case's policy needs a second person's approval."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from breachscope.case import approvals, audit
from breachscope.case.db import session_scope
from breachscope.notify.config import NotifyConfig, from_mapping
from breachscope.notify.mailer import MemoryMailer
from breachscope.notify.service import notify
from tests.scope.test_jurisdiction_sources import PEOPLE

from .conftest import DkimKey, config_mapping

NOW = datetime(2025, 11, 27, 9, 0, tzinfo=UTC)


def test_a_large_send_waits_for_an_approval_bound_to_its_requester_and_plan(
    scoped: Engine, dkim_key: DkimKey
) -> None:
    config: NotifyConfig = from_mapping(config_mapping(dkim_key))
    approvals.set_policy(scoped, approvals.Policy(notify_above=PEOPLE - 1), actor="ana", now=NOW)
    mailer = MemoryMailer()

    def send(who: str) -> object:
        return notify(scoped, 1, config, audience="users", mailer=mailer, confirm=lambda p: True, actor=who)

    with pytest.raises(approvals.ApprovalNeeded) as info:
        send("ana")
    assert mailer.sent == []  # nothing left before the approval
    with session_scope(scoped) as s:
        request = approvals.get_approval(s, info.value.approval_id)
        assert request.params["notices"] == PEOPLE and request.params["audience"] == "users"
        with pytest.raises(Exception, match="cannot also decide"):
            approvals.approve(s, request.id, approver="ana", role="admin", now=NOW)
    with session_scope(scoped) as s:
        with pytest.raises(Exception, match="may not decide"):
            approvals.approve(s, request.id, approver="bo", role="legal", now=NOW)
    with session_scope(scoped) as s:
        approvals.approve(s, request.id, approver="bo", role="communications", now=NOW)
    with pytest.raises(approvals.ApprovalNeeded):
        send("bo")  # the approver cannot use the requester's approval
    assert mailer.sent == []
    report = send("ana")
    assert len(mailer.sent) == PEOPLE and report.sent is not None and report.sent.sent == PEOPLE  # type: ignore[attr-defined]
    with session_scope(scoped) as s:
        assert approvals.get_approval(s, request.id).status == "used"
        sends = [e for e in audit.entries(s) if e.action == "notify.send"]
        assert len(sends) == 1 and sends[0].actor == "ana" and sends[0].details is not None
        assert sends[0].details["approval"] == request.id and sends[0].details["sent"] == PEOPLE
        assert audit.verify(s).ok
