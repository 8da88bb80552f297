"""The CLI over a case filled the way scope fills it: dry run, send, status, config errors."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.case.models import Account, Exposure, Match
from breachscope.cli import cli
from breachscope.notify.outbox import OutboxMessage
from breachscope.notify.safety import find_html_links

from .conftest import DkimKey, SmtpServer
from .test_crash_resume import _write_config

PEOPLE = [
    # user_id, email, name, language, org, admin, leaked classes, city, country
    (
        "u1",
        "ana@example.org",
        "Ana",
        "id",
        "o1",
        False,
        ["person_name", "email", "coarse_location"],
        "Jakarta",
        "Indonesia",
    ),
    ("u2", "bo@example.org", "Bo <b>", "en", "o1", False, ["email", "device"], None, None),
    ("a1", "admin@example.org", "Admin", "en", "o1", True, [], None, None),
    ("u3", "bad address", "Nobody", "en", "o2", False, ["email"], None, None),
]


@pytest.fixture
def case(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        ds = api.attach_dataset(
            session, 1, file_name="leak.csv", sha256="0" * 64, size_bytes=1, format="csv", scan=None
        )
        for uid, addr, name, lang, org, admin, classes, city, country in PEOPLE:
            acc = Account(
                incident_id=1,
                user_id=uid,
                email=addr,
                name=name,
                org_id=org,
                org_name=f"Org {org}",
                language=lang,
                is_admin=admin,
                affected=bool(classes),
            )
            session.add(acc)
            session.flush()
            if classes:
                exp = Exposure(
                    incident_id=1,
                    dataset_id=ds.id,
                    person_key_hash=uid,
                    person_key_kind="user_id",
                    exposed_classes=classes,
                    exposed_fields=[],
                    email=addr,
                    display_name=name,
                    city=city,
                    country=country,
                )
                session.add(exp)
                session.flush()
                session.add(
                    Match(
                        incident_id=1,
                        exposure_id=exp.id,
                        account_id=acc.id,
                        org_id=org,
                        key="user_id",
                        strength=100,
                        ambiguous=False,
                    )
                )
    return engine


def test_dry_run_writes_eml_per_notice_and_sends_nothing(
    tmp_path: Path, case: Engine, dkim_key: DkimKey, smtp_server: SmtpServer
) -> None:
    cfg = tmp_path / "notify.toml"
    _write_config(cfg, dkim_key, smtp_server.port, "presume-sent")
    out = tmp_path / "outbox"
    args = ["notify", "--incident", "1", "--db", str(case.url), "--config", str(cfg), "--dry-run", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "1 skipped (invalid address)" in result.output
    files = sorted(p.relative_to(out).parts[0] for p in out.rglob("*.eml"))
    assert files == ["admin", "user", "user"]
    assert smtp_server.recorder.messages == []
    with session_scope(case) as session:  # a true preview: nothing stored
        assert session.query(OutboxMessage).count() == 0
        assert not [e for e in api.timeline(session, 1) if e.kind == "notify"]
    assert "Who will be notified: 3 notice(s)" in result.output
    ana = next(p for p in out.rglob("u1-*.eml"))
    msg = email.message_from_bytes(ana.read_bytes(), policy=policy.default)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "perkiraan lokasi Anda (Jakarta, Indonesia)" in text and "nama Anda" in text
    admin = next(p for p in out.rglob("a1_o1-*.eml"))
    amsg = email.message_from_bytes(admin.read_bytes(), policy=policy.default)
    html = amsg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<strong>2</strong> people" in html and find_html_links(html) == []

    # then really send: without a terminal to ask and without --yes, nothing goes out
    result = CliRunner().invoke(cli, args[:-2])
    assert result.exit_code == 2 and "refusing to send 3 notice(s) without a confirmation" in result.output
    assert "--yes" in result.output and smtp_server.recorder.messages == []
    # --yes: the same three notices, once
    result = CliRunner().invoke(cli, [*args[:-2], "--yes"])
    assert result.exit_code == 0, result.output
    assert len(smtp_server.recorder.messages) == 3
    result = CliRunner().invoke(cli, [*args[:-2], "--yes"])
    assert len(smtp_server.recorder.messages) == 3
    assert "Rendered 0 notice(s)" in result.output  # already sent: not rendered again

    reference = msg["X-Notice-Reference"]
    phrase = text.split("Frasa verifikasi:", 1)[1].splitlines()[0].strip()
    verify = ["notify", "verify", "--incident", "1", "--db", str(case.url), "--config", str(cfg)]
    ok = CliRunner().invoke(cli, [*verify, "--reference", reference, "--phrase", phrase.upper()])
    assert ok.exit_code == 0 and "GENUINE: a user notice (id), state sent" in ok.output
    bad = CliRunner().invoke(
        cli, [*verify, "--reference", reference, "--phrase", "otter lantern quartz maple"]
    )
    assert bad.exit_code == 1 and "NOT FOUND" in bad.output

    status = CliRunner().invoke(cli, ["notify", "status", "--incident", "1", "--db", str(case.url)])
    assert status.exit_code == 0 and "user" in status.output and "admin" in status.output
    with session_scope(case) as session:
        events = [e.message for e in api.timeline(session, 1) if e.kind == "notify"]
    assert any("3 sent" in e for e in events)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"from": "Security <security@examp1e.com>"}, "not on the official domain"),
        ({"reply_to": "help@example.com.evil.org"}, "not on the official domain"),
        ({"official_domain": ""}, "official_domain is missing"),
    ],
)
def test_config_errors_are_clean(
    tmp_path: Path, case: Engine, dkim_key: DkimKey, change: dict[str, str], message: str
) -> None:
    cfg = tmp_path / "notify.toml"
    _write_config(cfg, dkim_key, 25, "presume-sent")
    text = cfg.read_text()
    for key, value in change.items():
        text = "\n".join(
            f'{key} = "{value}"' if line.startswith(f"{key} =") else line for line in text.splitlines()
        )
    cfg.write_text(text)
    result = CliRunner().invoke(
        cli, ["notify", "--incident", "1", "--db", str(case.url), "--config", str(cfg)]
    )
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
