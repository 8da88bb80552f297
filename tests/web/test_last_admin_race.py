"""Two admins disabling or demoting each other at the same moment: the last-admin guard holds.

Each change runs in its own transaction, as two requests do. The first has checked and written
(not committed yet) when the second checks: under PostgreSQL's READ COMMITTED the second still
saw the first's target enabled, so both changes passed and the team was left without an enabled
admin (SQLite too: its read ran before it waited for the write lock). The second must wait for
the first to end and then be refused (409).
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from breachscope.case import accounts
from breachscope.case.session import session_scope
from breachscope.clock import FixedClock
from breachscope.web.auth import team
from breachscope.web.auth.principal import Principal
from breachscope.web.settings import ServerSettings
from tests.web.server import CHEAP

CHANGES = [
    pytest.param(team.Change(disabled=True), team.Change(disabled=True), id="disable-each-other"),
    pytest.param(team.Change(role="legal"), team.Change(role="legal"), id="demote-each-other"),
    pytest.param(team.Change(disabled=True), team.Change(role="legal"), id="disable-and-demote"),
]


def _admin(engine: Engine, clock: FixedClock, email: str) -> Principal:
    with session_scope(engine) as s:
        user = accounts.create_user(
            s, email, "admin", "a long passphrase", now=clock.now(), created_by="test", hasher=CHEAP
        ).user
        return Principal(user.id, user.email, "admin", "session")


def _enabled_admins(engine: Engine) -> list[str]:
    with session_scope(engine) as s:
        query = select(accounts.TeamUser.email).where(
            accounts.TeamUser.role == "admin", accounts.TeamUser.disabled_at.is_(None)
        )
        return list(s.scalars(query))


@pytest.mark.parametrize(("first", "second"), CHANGES)
def test_two_admins_cannot_remove_each_other_at_once(
    engine: Engine, clock: FixedClock, first: team.Change, second: team.Change
) -> None:
    settings = ServerSettings(clock=clock, hasher=CHEAP)
    a, b = _admin(engine, clock, "admin1@example.org"), _admin(engine, clock, "admin2@example.org")
    first_written = threading.Event()
    outcome: dict[str, object] = {}

    def change(by: Principal, target: Principal, what: team.Change, name: str) -> None:
        try:
            with session_scope(engine) as s:
                user = s.get(accounts.TeamUser, target.user_id)
                assert user is not None
                refusal = team.change_user(s, settings, by, user, what, source="test")
                s.flush()
                outcome[name] = refusal.status if refusal else "changed"
                if name == "first":
                    first_written.set()
                    time.sleep(1.0)  # the second checks meanwhile
        except Exception as exc:  # recorded: the assertions below say it
            outcome[name] = repr(exc)
        finally:
            first_written.set()

    one = threading.Thread(target=change, args=(a, b, first, "first"))
    one.start()
    assert first_written.wait(30)
    two = threading.Thread(target=change, args=(b, a, second, "second"))
    two.start()
    one.join(60)
    two.join(60)
    assert outcome["first"] == "changed"
    assert outcome["second"] == 409, outcome  # refused, after waiting for the first
    assert _enabled_admins(engine), outcome
