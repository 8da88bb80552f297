"""Before a real send: who will be notified per jurisdiction and duty, a confirmation, and the
selection (``--jurisdiction``, ``--required-only``); ``--dry-run`` is a true preview.

The case is built end to end (attach, scope, assess) with people in ten directory countries.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.cli import cli
from breachscope.notify.config import NotifyConfig, from_mapping
from breachscope.notify.mailer import MemoryMailer
from breachscope.notify.outbox import OutboxMessage
from breachscope.notify.plan import Selection, SendPlan
from breachscope.notify.service import notify
from tests.scope.test_jurisdiction_sources import COUNTRIES, PEOPLE

from .conftest import DkimKey, SmtpServer, config_mapping

#: The directory countries where a duty to notify individuals is required for this leak.
REQUIRED = {"ID", "KR", "ZA"}


@pytest.fixture
def config(dkim_key: DkimKey) -> NotifyConfig:
    return from_mapping(config_mapping(dkim_key))


def _outbox(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(OutboxMessage)).scalar() or 0)


def _country(address: str) -> str:
    return COUNTRIES[int(address.split("@")[0].removeprefix("user")) % len(COUNTRIES)]


def test_dry_run_is_a_true_preview_with_the_plan(
    scoped: Engine, config: NotifyConfig, tmp_path: Path
) -> None:
    report = notify(scoped, 1, config, audience="users", dry_run=tmp_path / "eml")
    assert report.written == PEOPLE and len(list((tmp_path / "eml").rglob("*.eml"))) == PEOPLE
    assert _outbox(scoped) == 0  # nothing stored...
    with session_scope(scoped) as s:
        assert not [e for e in api.timeline(s, 1) if e.kind == "notify"]  # ...not even an event
    plan = report.plan
    assert plan is not None and plan.total == PEOPLE
    lines = {line.code: line for line in plan.lines}
    assert set(lines) == set(COUNTRIES)
    assert {c for c, line in lines.items() if line.required} == REQUIRED
    de = lines["DE"]
    assert de.duties and not de.required  # shown, with its duties, though none is required
    assert de.notices["user"] == PEOPLE // len(COUNTRIES)


def test_a_declined_confirmation_sends_nothing(scoped: Engine, config: NotifyConfig) -> None:
    seen: list[SendPlan] = []
    mailer = MemoryMailer()
    report = notify(
        scoped, 1, config, audience="users", mailer=mailer, confirm=lambda p: seen.append(p) or False
    )
    assert report.cancelled and mailer.sent == [] and seen[0].total == PEOPLE
    report = notify(scoped, 1, config, audience="users", mailer=mailer, confirm=lambda p: True)
    assert len(mailer.sent) == PEOPLE and report.sent is not None and report.sent.sent == PEOPLE


@pytest.mark.parametrize(
    ("selection", "countries"),
    [
        (Selection(("DE",)), {"DE"}),
        (Selection(("de", "JP,SG".split(",")[0])), {"DE", "JP"}),
        (Selection(("EU",)), {"DE"}),  # the EU rule file's countries
        (Selection(required_only=True), REQUIRED),
        (Selection(("ID", "DE"), required_only=True), {"ID"}),
    ],
)
def test_selection_sends_only_there(
    scoped: Engine, config: NotifyConfig, selection: Selection, countries: set[str]
) -> None:
    mailer = MemoryMailer()
    report = notify(
        scoped, 1, config, audience="users", mailer=mailer, selection=selection, confirm=lambda p: True
    )
    sent = {_country(m.to) for m in mailer.sent}
    assert sent == countries
    assert report.plan is not None and {line.code for line in report.plan.lines} == countries
    # the rest is still there for a later, wider run
    rest = notify(scoped, 1, config, audience="users", mailer=mailer, confirm=lambda p: True)
    assert rest.sent is not None and rest.sent.sent == PEOPLE - len(sent) * (PEOPLE // len(COUNTRIES))
    assert {_country(m.to) for m in mailer.sent} == set(COUNTRIES)


def test_cli_shows_the_plan_and_needs_yes(scoped: Engine, dkim_key: DkimKey, tmp_path: Path) -> None:
    from .test_crash_resume import _write_config

    cfg = tmp_path / "notify.toml"
    _write_config(cfg, dkim_key, 9, "presume-sent")  # port 9: nothing may be sent in this test
    base = ["notify", "--incident", "1", "--db", str(scoped.url), "--config", str(cfg), "--audience", "users"]
    result = CliRunner().invoke(cli, [*base, "--required-only"], env={"COLUMNS": "250"})
    assert result.exit_code == 2, result.output
    assert "Who will be notified: 6 notice(s)" in result.output and "refusing to send" in result.output
    assert "za-subjects: required" in result.output
    result = CliRunner().invoke(cli, [*base, "--dry-run", str(tmp_path / "eml")], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "none required: notified by choice" in result.output
    assert "nothing was stored" in result.output


def _at_a_terminal(args: list[str], db: str, answer: str) -> tuple[int, str]:
    """Run ``breachscope ARGS`` with a pseudo-terminal as stdin/stdout; answer the question."""
    import os
    import subprocess
    import sys
    import time

    master, slave = os.openpty()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"), COLUMNS="250")
    proc = subprocess.Popen(
        [sys.executable, "-m", "breachscope", *args, "--db", db],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 120
    answered = False
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
        if not answered and b"now? [y/N]" in out:
            os.write(master, answer.encode() + b"\n")
            answered = True
    code = proc.wait(60)
    os.close(master)
    return code, out.decode("utf-8", "replace")


def test_at_a_terminal_the_question_decides(
    scoped: Engine, dkim_key: DkimKey, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    from .test_crash_resume import _write_config

    cfg = tmp_path / "notify.toml"
    _write_config(cfg, dkim_key, smtp_server.port, "presume-sent")
    args = ["notify", "--incident", "1", "--config", str(cfg), "--audience", "users"]
    code, out = _at_a_terminal(args, str(scoped.url), "n")
    assert code == 0 and "Who will be notified: 20 notice(s)" in out and "Not confirmed" in out, out
    assert smtp_server.recorder.messages == []
    code, out = _at_a_terminal(args, str(scoped.url), "y")
    assert code == 0, out
    assert len(smtp_server.recorder.messages) == PEOPLE
