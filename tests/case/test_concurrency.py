"""Two processes writing to one SQLite case at once: no lost writes, no corruption."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

from sqlalchemy import func, select, text

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.models import Exposure, TimelineEvent

EVENTS = 60
PEOPLE = 300


def _writer(url: str, incident_id: int, dataset_id: int, tag: str) -> None:
    engine = open_case_db(url, create=True)
    for i in range(EVENTS):
        with session_scope(engine) as s:  # one short transaction per event, like CLI calls
            api.add_timeline_event(s, incident_id, f"{tag} {i}", author=tag)
    with session_scope(engine) as s:
        records = (api.ExposureRecord(f"{tag}-{i}", "row", exposed_classes=["email"]) for i in range(PEOPLE))
        api.store_exposures(s, incident_id, dataset_id, records)
    engine.dispose()


def test_two_processes_write_to_one_sqlite_case(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'case.db'}"
    engine = open_case_db(url, create=True)
    with session_scope(engine) as s:
        iid = api.create_incident(s, "concurrent").id
        dsid = api.attach_dataset(
            s, iid, file_name="f", sha256="0" * 64, size_bytes=1, format="csv", scan={}
        ).id
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(url, iid, dsid, tag)) for tag in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    with session_scope(engine) as s:
        notes = s.scalar(
            select(func.count()).where(TimelineEvent.incident_id == iid, TimelineEvent.kind == "note")
        )
        people = s.scalar(select(func.count()).where(Exposure.incident_id == iid))
        assert notes == 2 * EVENTS
        assert people == 2 * PEOPLE
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()
