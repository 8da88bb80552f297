"""Regenerate docs/report-sample/: the report (EN and ID PDF, pages as PNG) and the public page of
a synthetic case built by the real pipeline (synth -> attach -> facts -> scope -> assess ->
decision -> tasks -> notify to a local aiosmtpd). Run by ``make report-sample``; needs
poppler-utils (pdftoppm). No real person's data is involved."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from breachscope.case import api, tasks
from breachscope.case import facts as case_facts
from breachscope.case.db import open_case_db, session_scope
from breachscope.clock import FixedClock
from breachscope.exposures import attach_file
from breachscope.notify import send
from breachscope.notify.config import from_mapping
from breachscope.report import write_report
from breachscope.report.public import write_public_page
from breachscope.rules import load_rules, run_assessment
from breachscope.rules.store import record_decision
from breachscope.scope import DirectorySource, run_scope
from breachscope.synth import generate

OUT = Path(__file__).resolve().parent.parent / "docs" / "report-sample"
CLOCK = FixedClock(datetime(2025, 11, 28, 6, 0, tzinfo=UTC))


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generate(2_000, work / "leak", seed=7, formats=("csv",))
        engine = open_case_db(f"sqlite:///{work / 'case.db'}", create=True)
        with session_scope(engine) as s:
            incident = api.create_incident(
                s,
                "Mixpanel analytics leak (sample)",
                vendor="Mixpanel",
                vendor_detected_at=datetime(2025, 11, 9, tzinfo=UTC),
                vendor_notified_us_at=datetime(2025, 11, 27, 2, tzinfo=UTC),
                dataset_received_at=datetime(2025, 11, 27, 2, tzinfo=UTC),
                aware_at=datetime(2025, 11, 27, 2, tzinfo=UTC),
                author="rina",
                clock=CLOCK,
            ).id
        attach_file(engine, incident, work / "leak" / "people.csv", author="rina", clock=CLOCK)
        with session_scope(engine) as s:
            case_facts.set_facts(
                s,
                incident,
                {
                    "cause": "outside-attacker",
                    "our-systems-affected": "no",
                    "breached-party": "vendor",
                    "vendor-relationship": "stopped-sending",
                    "working-with-vendor": "yes",
                    "help-page": "Settings > Security notices",
                },
                by="rina",
                clock=CLOCK,
            )
        run_scope(engine, incident, DirectorySource(str(work / "leak" / "directory.csv")), clock=CLOCK)
        with session_scope(engine) as s:
            _, first = run_assessment(s, incident, load_rules(), now=CLOCK.now())
            eu = next(d for d in first.duties if d.id == "eu-sa")
            record_decision(
                s,
                incident,
                eu.id,
                "required",
                by="legal-dewi",
                why="names and emails of EU users",
                at=CLOCK.now(),
            )
            run_assessment(s, incident, load_rules(), now=CLOCK.now())
            tasks.add_task(s, incident, "Report the incident to CERT-In", actor="rina", kind="duty",
                           source="assess", source_ref="in-certin",
                           due_at=datetime(2025, 11, 27, 8, tzinfo=UTC), clock=CLOCK)  # fmt: skip
            busy = tasks.add_task(s, incident, "Notify the EU supervisory authority", actor="rina",
                                  kind="duty", source="assess", source_ref="eu-sa",
                                  due_at=datetime(2025, 11, 30, 2, tzinfo=UTC), clock=CLOCK).task  # fmt: skip
            tasks.update_task(s, busy.id, actor="rina", status=tasks.IN_PROGRESS, owner="dewi", clock=CLOCK)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        key = work / "dkim.pem"
        subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
        config = from_mapping(
            {
                "notify": {
                    "company": "Example Corp",
                    "official_domain": "example.com",
                    "from": "Example Corp Security <security@example.com>",
                    "support_phone": "+62 21 555 0100",
                    "verification_key": "sample-only",
                    "dkim": {"selector": "sample", "private_key_file": str(key)},
                    "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "rate_per_second": 0},
                }
            }
        )
        controller = Controller(Sink(), hostname="127.0.0.1", port=port)
        controller.start()
        try:
            send(engine, incident, config, audience="users", limit=600, clock=CLOCK)
        finally:
            controller.stop()
        for lang in ("en", "id"):
            pdf = OUT / f"report-{lang}.pdf"
            write_report(engine, incident, pdf_path=pdf, language=lang, clock=CLOCK)
            subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(OUT / f"page-{lang}")], check=True)
        write_public_page(engine, incident, config, OUT / "public", clock=CLOCK)
        engine.dispose()
    for path in OUT.rglob("*"):  # docs are public: readable, unlike the 0600 files breachscope writes
        path.chmod(0o755 if path.is_dir() else 0o644)
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
