"""``case attach`` checks every text value against the registry (through the exposures entry
point) and records the result; with no canary ever issued it records nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from breachscope.canary.store import CanaryCheck, CanaryHit
from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.exposures import attach_file
from tests.canary.conftest import write_leak

Issued = Callable[..., list[dict[str, str]]]


@pytest.mark.parametrize(("planted", "verdict"), [(0, "none"), (1, "vendor")])
def test_attach_records_the_check(
    engine: Engine, issued: Issued, tmp_path: Path, clock: FixedClock, planted: int, verdict: str
) -> None:
    canaries = issued("Mixpanel", 2)
    with session_scope(engine) as s:
        incident = api.create_incident(s, "leak", clock=clock).id
    r = attach_file(engine, incident, write_leak(tmp_path / "leak.csv", canaries[:planted]), clock=clock)
    assert r.canary is not None
    with session_scope(engine) as s:
        check = s.scalars(select(CanaryCheck)).one()
        hits = s.scalars(select(CanaryHit)).all()
        events = [e.message for e in api.timeline(s, incident) if e.kind == "canary"]
    assert (check.verdict, check.dataset_id, check.source) == (verdict, r.dataset_id, "dataset")
    assert check.records == r.records and check.complete
    assert len(hits) == 3 * planted
    assert events == [check.summary] == [r.canary]


def test_no_registry_no_record(engine: Engine, tmp_path: Path, clock: FixedClock) -> None:
    with session_scope(engine) as s:
        incident = api.create_incident(s, "leak", clock=clock).id
    r = attach_file(engine, incident, write_leak(tmp_path / "leak.csv", []), clock=clock)
    assert r.canary is None
    with session_scope(engine) as s:
        assert s.scalars(select(CanaryCheck)).all() == []
        assert [e for e in api.timeline(s, incident) if e.kind == "canary"] == []


def test_a_found_canary_makes_one_task(
    engine: Engine, issued: Issued, tmp_path: Path, clock: FixedClock
) -> None:
    from breachscope.case.tasks import list_tasks

    canaries = issued("Mixpanel", 2)
    with session_scope(engine) as s:
        incident = api.create_incident(s, "leak", clock=clock).id
    attach_file(engine, incident, write_leak(tmp_path / "a.csv", canaries[:1]), clock=clock)
    attach_file(engine, incident, write_leak(tmp_path / "b.csv", canaries[1:], n=51), clock=clock)
    with session_scope(engine) as s:
        tasks = list_tasks(s, incident_id=incident)
    assert [t.source for t in tasks] == ["canary"]
    assert "ask Mixpanel" in tasks[0].title
