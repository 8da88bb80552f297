"""Each registered look-alike becomes two tasks (takedown request; block), kept in step with reruns."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.tasks import list_tasks
from breachscope.clock import FixedClock
from breachscope.watch import ResolverSettings, set_action_state, watch_domains
from tests.watch.dnszone import Zone

WORDS = ("security",)


def _tasks(engine: Engine, incident_id: int) -> dict[str, tuple[str, str]]:
    with session_scope(engine) as s:
        return {t.source_ref or "": (t.title, t.status) for t in list_tasks(s, incident_id=incident_id)}


def test_look_alikes_become_tasks_that_follow_the_watch(
    tmp_path: Path, resolver: ResolverSettings, zone: Zone, clock: FixedClock
) -> None:
    """SQLite only: three watch runs of ~2,000 names (task storage itself is tested on both)."""
    engine = open_case_db(f"sqlite:///{tmp_path / 'case.db'}", create=True)
    with session_scope(engine) as s:
        incident_id = api.create_incident(s, "Vendor leak", vendor="Mixpanel", clock=clock).id
    watch_domains(
        engine, incident_id, ["example.com"], resolver=resolver, words=WORDS, clock=clock, author="ana"
    )
    tasks = _tasks(engine, incident_id)
    assert tasks["takedown:exarnple.com"] == (
        "Request a takedown of the look-alike exarnple.com of example.com",
        "open",
    )
    assert tasks["block:exarnple.com"][0].startswith("Block the look-alike exarnple.com at the mail gateway")
    assert tasks["block:example.net"][0] == "Block the look-alike example.net at the web proxy / DNS filter"
    assert "exämple.com" in tasks["takedown:xn--exmple-cua.com"][0]
    assert len(tasks) == 2 * 5  # five registered look-alikes in the zone, two tasks each
    # "done" closes both tasks; a rerun adds none, and gaining MX reopens the block task
    set_action_state(engine, incident_id, "example.net", note="ticket 7", author="ana")
    tasks = _tasks(engine, incident_id)
    assert tasks["takedown:example.net"][1] == "done" and tasks["block:example.net"][1] == "done"
    zone.records["example.net"]["MX"] = ["10 mx.example.net."]
    watch_domains(engine, incident_id, resolver=resolver, words=WORDS, clock=clock, author="ana")
    tasks = _tasks(engine, incident_id)
    assert len(tasks) == 10
    assert tasks["block:example.net"][1] == "open" and tasks["takedown:example.net"][1] == "done"
    assert tasks["block:example.net"][0].startswith("Block the look-alike example.net at the mail gateway")
