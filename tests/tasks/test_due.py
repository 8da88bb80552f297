"""Due-soon and overdue tasks, and their webhook message to a real local receiver."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from breachscope.case import api, audit
from breachscope.case import tasks as store
from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.tasks import due_report, notify_due, slack_payload
from breachscope.tasks.alerts import WebhookDelivery
from tests.tasks.receiver import receiver

NOW = datetime(2025, 11, 27, 9, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def _setup(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as s:
        iid = api.create_incident(s, "Vendor leak", clock=FixedClock(NOW)).id
        ids = {
            "overdue": store.add_task(
                s, iid, "Notify the DPA", actor="a", due_at=NOW - timedelta(hours=1)
            ).task.id,
            "soon": store.add_task(
                s,
                iid,
                "Take down exarnple.com <!channel> *now*",
                actor="a",
                owner="bo",
                due_at=NOW + timedelta(hours=5),
            ).task.id,  # fmt: skip
            "later": store.add_task(s, iid, "Later", actor="a", due_at=NOW + 3 * DAY).task.id,
            "nodue": store.add_task(s, iid, "No due", actor="a").task.id,
            "done": store.add_task(s, iid, "Done", actor="a", due_at=NOW - DAY).task.id,
        }
        store.update_task(s, ids["done"], actor="a", status=store.DONE)
    return ids


def test_due_report_and_payload_are_inert(engine: Engine) -> None:
    ids = _setup(engine)
    with session_scope(engine) as s:
        rep = due_report(s, NOW, DAY)
        assert [t.id for t in rep.overdue] == [ids["overdue"]]
        assert [t.id for t in rep.due_soon] == [ids["soon"]]
        payload = slack_payload(rep.items(), DAY)
    assert payload["text"] == "breachscope: 1 task(s) overdue, 1 due within 24 h"
    text = payload["blocks"][0]["text"]["text"]
    assert payload["blocks"][0]["text"]["type"] == "mrkdwn"
    assert "exarnple[.]com" in text and "exarnple.com" not in text  # Slack would autolink it
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text  # no @channel ping from a title
    assert "*OVERDUE*" in text and "owner bo" in text


def test_notify_due_announces_once_records_attempts_and_keeps_the_url_secret(engine: Engine) -> None:
    ids = _setup(engine)
    with receiver([500, 200]) as r:
        result = notify_due(engine, r.url, now=NOW, within=DAY, actor="cron", attempts=3)
        assert result.post is not None and result.post.ok and result.post.attempts == 2
        assert sorted(t for _, t in result.announced) == sorted([ids["overdue"], ids["soon"]])
        assert len(r.requests) == 2 and r.bodies()[1]["text"].startswith("breachscope: 1 task(s) overdue")
        # a second run has nothing new: nothing is posted
        again = notify_due(engine, r.url, now=NOW + timedelta(minutes=10), within=DAY, actor="cron")
        assert again.post is None and len(r.requests) == 2
        # the due-soon task becomes overdue: announced again, in its new state only
        later = notify_due(
            engine, r.url, now=NOW + timedelta(hours=6), within=timedelta(hours=1), actor="cron"
        )
        assert later.announced == [("overdue", ids["soon"])]
        six = NOW + timedelta(hours=6)
        forced = notify_due(engine, r.url, now=six, within=timedelta(hours=1), actor="cron", again=True)
        assert len(forced.announced) == 2
    with session_scope(engine) as s:
        deliveries = list(s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
        assert [d.delivered for d in deliveries] == [True, True, True]
        assert [a["status"] for a in deliveries[0].attempts] == [500, 200]
        stored = json.dumps([d.attempts for d in deliveries]) + " ".join(d.target for d in deliveries)
        entries = [audit.entry_dict(e) for e in audit.entries(s)]
        assert "s3cr3tT0ken" not in stored + json.dumps(entries)
        assert [e["action"] for e in entries if e["action"] == "webhook.post"] == ["webhook.post"] * 3


def test_a_failed_delivery_is_recorded_and_retried_next_run(engine: Engine) -> None:
    _setup(engine)
    with receiver([503]) as r:
        failed = notify_due(engine, r.url, now=NOW, within=DAY, actor="cron", attempts=2)
        assert failed.post is not None and not failed.post.ok and len(r.requests) == 2
    with receiver([200]) as r:
        retried = notify_due(engine, r.url, now=NOW, within=DAY, actor="cron")
        assert retried.post is not None and retried.post.ok and len(retried.announced) == 2
    with session_scope(engine) as s:
        assert [d.delivered for d in s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))] == [
            False,
            True,
        ]
