"""A real case built by the pipeline for the report tests: synth -> attach (scan) -> facts -> scope
-> assess -> risk decision -> notify (DKIM-signed, delivered to a real aiosmtpd server).

The leaked file carries hostile values (a column named with markup and a formula, URLs and
naughty strings as values), and the incident name, a timeline note and a decision's reason are
hostile too, so every report test also checks that leaked text stays inert. Built once per test
session (about 10 s), on SQLite.
"""

from __future__ import annotations

import base64
import csv
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from breachscope.case import api, tasks
from breachscope.case import facts as case_facts
from breachscope.case.db import open_case_db, session_scope
from breachscope.clock import FixedClock
from breachscope.exposures import attach_file
from breachscope.notify import send
from breachscope.notify.config import NotifyConfig, from_mapping
from breachscope.rules import load_rules, run_assessment
from breachscope.rules.store import record_decision
from breachscope.scope import DirectorySource, run_scope
from breachscope.synth import generate
from tests.notify.conftest import DkimKey, Recorder, config_mapping, free_port

#: Hostile values planted in the case: each must reach the report only as inert text.
HOSTILE_NAME = '<script>alert("name")</script> Vendor leak http://evil.example/x \u202egnp.exe'
HOSTILE_COLUMN = '<img src=x onerror=alert(1)>=HYPERLINK("https://evil.example/c")'
HOSTILE_NOTE = "Vendor call: see https://evil.example/phish and mail ceo@evil.example {{7*7}} <b>bold</b>"
HOSTILE_DESCRIPTION = "Statement at https://evil.example/status <iframe src=//evil.example></iframe>"
HOSTILE_TASK = "Block <b>look-alike</b> exarnple.com =cmd|' /C calc'!A0"
HOSTILE_WHY = '"><svg/onload=alert(1)> risk is low per www.evil.example'
NOW = datetime(2025, 11, 28, 6, 0, tzinfo=UTC)
SENT = 40  # notices delivered by the test run; the rest stay queued (pending)


@dataclass(frozen=True)
class BuiltCase:
    engine: Engine
    incident_id: int
    config: NotifyConfig
    received: int
    clock: FixedClock


def _hostile_leak(src: Path, dst: Path) -> None:
    """The synthetic leak plus one hostile column whose values are URLs and naughty strings."""
    values = [
        "http://evil.example/a?b=1",
        "<script>alert(2)</script>",
        "=1+1",
        "\u202eevil",
        "www.evil.example",
    ]
    with src.open(newline="", encoding="utf-8") as fin, dst.open("w", newline="", encoding="utf-8") as fout:
        reader = csv.reader(fin)
        writer = csv.writer(fout)
        header = next(reader)
        writer.writerow([*header, HOSTILE_COLUMN])
        for i, row in enumerate(reader):
            writer.writerow([*row, values[i % len(values)]])


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> DkimKey:
    d = tmp_path_factory.mktemp("dkim-report")
    private = d / "notice.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(private), "1024"], check=True, capture_output=True)
    pub = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    return DkimKey(private, "v=DKIM1; k=rsa; p=" + base64.b64encode(pub).decode())


@pytest.fixture(scope="session")
def built_case(tmp_path_factory: pytest.TempPathFactory, dkim_key: DkimKey) -> Iterator[BuiltCase]:
    work = tmp_path_factory.mktemp("report-case")
    generate(300, work / "leak", seed=11, formats=("csv",))
    _hostile_leak(work / "leak" / "people.csv", work / "leak.csv")
    clock = FixedClock(datetime(2025, 11, 27, 9, 0, tzinfo=UTC))
    engine = open_case_db(f"sqlite:///{work / 'case.db'}", create=True)
    with session_scope(engine) as s:
        incident = api.create_incident(
            s,
            HOSTILE_NAME,
            vendor="Mixpanel",
            description=HOSTILE_DESCRIPTION,
            vendor_detected_at=datetime(2025, 11, 9, tzinfo=UTC),
            vendor_notified_us_at=datetime(2025, 11, 27, 2, 0, tzinfo=UTC),
            aware_at=datetime(2025, 11, 27, 2, 0, tzinfo=UTC),
            author="rina",
            clock=clock,
        ).id
    attach_file(engine, incident, work / "leak.csv", author="rina", clock=clock)
    with session_scope(engine) as s:
        case_facts.set_facts(
            s,
            incident,
            {"cause": "outside-attacker", "our-systems-affected": "no", "working-with-vendor": "yes"},
            by="rina",
            clock=clock,
        )
        api.add_timeline_event(s, incident, HOSTILE_NOTE, author="rina", kind="note", clock=clock)
    run_scope(
        engine, incident, DirectorySource(str(work / "leak" / "directory.csv")), clock=clock, author="rina"
    )
    with session_scope(engine) as s:
        _, first = run_assessment(s, incident, load_rules(), now=NOW)
        pending = next(d for d in first.duties if d.verdict == "assessment_required")
        record_decision(s, incident, pending.id, "not_required", by="legal-dewi", why=HOSTILE_WHY, at=NOW)
        run_assessment(s, incident, load_rules(), now=NOW)
    with session_scope(engine) as s:
        t = tasks.add_task
        t(
            s,
            incident,
            "Report the incident to CERT-In",
            actor="rina",
            kind="duty",
            source="assess",
            source_ref="in-certin",
            due_at=datetime(2025, 11, 27, 8, 0, tzinfo=UTC),
            clock=clock,
        )
        busy = t(
            s,
            incident,
            "Notify the PDP agency",
            actor="rina",
            kind="duty",
            source="assess",
            source_ref="id-pdp",
            due_at=datetime(2025, 11, 30, 2, 0, tzinfo=UTC),
            clock=clock,
        ).task
        tasks.update_task(s, busy.id, actor="rina", status=tasks.IN_PROGRESS, owner="dewi", clock=clock)
        done = t(s, incident, "Stop sending data to the vendor", actor="rina", clock=clock).task
        tasks.update_task(s, done.id, actor="rina", status=tasks.DONE, clock=clock)
        t(s, incident, HOSTILE_TASK, actor="rina", clock=clock)
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = from_mapping(config_mapping(dkim_key, port))
        send(engine, incident, config, audience="users", limit=SENT, clock=clock)
    finally:
        controller.stop()
    yield BuiltCase(engine, incident, config, len(recorder.messages), clock)
    engine.dispose()
