"""Follow-up notices: after a new dataset, exactly the already-notified people whose record is in
it get one update, once, threaded under their first notice, in their language, saying only what
changed; the other changes reach the people they concern."""

from __future__ import annotations

import csv
import email
from datetime import date
from email import policy
from email.message import EmailMessage
from pathlib import Path

import dkim
import pytest
from sqlalchemy import Engine, select

from breachscope.case.db import session_scope
from breachscope.case.models import DatasetPerson
from breachscope.clock import FixedClock
from breachscope.exposures import attach_file
from breachscope.notify.config import NotifyConfig
from breachscope.notify.outbox import OutboxMessage
from breachscope.notify.service import notify
from breachscope.notify.updates import (
    class_change,
    dataset_change,
    phishing_change,
    send_updates,
    vendor_scope_change,
)
from breachscope.scope.directory import DirectorySource
from breachscope.scope.run import run_scope

from .conftest import DkimKey, SmtpServer

#: user -> (language, in dataset A, in dataset B)
PEOPLE = {
    "u1": ("en", True, False),
    "u2": ("en", True, False),
    "u3": ("id", True, False),
    "u4": ("en", True, True),
    "u5": ("id", True, True),
    "u6": ("en", False, True),
    "u7": ("id", False, True),
}


def _addr(user: str) -> str:
    return f"{user}@people.example"


def _write(path: Path, users: list[str], phone: bool) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["$distinct_id", "$email", "$name", "$city", *(["$phone"] if phone else [])])
        for i, u in enumerate(users):
            w.writerow(
                [f"d-{u}", _addr(u), f"Person {u}", "Jakarta", *([f"+62 812 555 01{i:02d}"] if phone else [])]
            )
    return path


def _directory(path: Path) -> DirectorySource:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["user_id", "email", "name", "org_id", "org_name", "role", "language", "country"])
        for u, (lang, _, _) in PEOPLE.items():
            w.writerow([u, _addr(u), f"Person {u}", f"org-{u}", "Personal", "member", lang, "ID"])
    return DirectorySource(str(path))


def _messages(server: SmtpServer) -> list[EmailMessage]:
    out = []
    for m in server.recorder.messages:
        out.append(email.message_from_bytes(m.data, policy=policy.default))
    return out  # type: ignore[return-value]


def _to(msg: EmailMessage) -> str:
    return str(msg["To"]).split("<")[-1].rstrip(">")


@pytest.fixture
def notified(
    engine: Engine, tmp_path: Path, config: NotifyConfig, smtp_server: SmtpServer, clock: FixedClock
) -> tuple[Engine, int, dict[str, str]]:
    return _notified(engine, tmp_path, config, smtp_server, clock)


def _notified(
    engine: Engine, tmp_path: Path, config: NotifyConfig, smtp_server: SmtpServer, clock: FixedClock
) -> tuple[Engine, int, dict[str, str]]:
    """Incident 1: dataset A attached, scoped, every user notified; then dataset B attached and
    scoped. Returns the engine, dataset B's id and each first notice's Message-ID by address."""
    directory = _directory(tmp_path / "directory.csv")
    a = [u for u, (_, in_a, _) in PEOPLE.items() if in_a]
    attach_file(engine, 1, _write(tmp_path / "a.csv", a, phone=False), clock=clock)
    run_scope(engine, 1, directory, clock=clock)
    notify(engine, 1, config, audience="users", clock=clock)
    firsts = {_to(m): str(m["Message-ID"]) for m in _messages(smtp_server)}
    assert sorted(firsts) == sorted(_addr(u) for u in a)
    b = [u for u, (_, _, in_b) in PEOPLE.items() if in_b]
    second = attach_file(engine, 1, _write(tmp_path / "b.csv", b, phone=True), clock=clock)
    run_scope(engine, 1, directory, clock=clock)
    return engine, second.dataset_id, firsts


def test_a_new_dataset_reaches_exactly_the_people_in_it_once(
    notified: tuple[Engine, int, dict[str, str]],
    config: NotifyConfig,
    smtp_server: SmtpServer,
    clock: FixedClock,
    dkim_key: DkimKey,
) -> None:
    engine, dataset_b, firsts = notified
    with session_scope(engine) as s:
        change = dataset_change(s, 1, dataset_b)
        again = s.scalars(select(DatasetPerson).where(DatasetPerson.dataset_id == dataset_b)).all()
    assert len(again) == 2 and all(r.new_classes == ["phone"] for r in again)
    before = len(smtp_server.recorder.messages)
    report = send_updates(engine, 1, config, change, clock=clock)
    updates = _messages(smtp_server)[before:]
    # exactly the already-notified people whose record is in dataset B (u4, u5): not u6/u7,
    # who have had no notice yet (their first notice covers everything), not u1-u3
    assert sorted(_to(m) for m in updates) == [_addr("u4"), _addr("u5")]
    assert report.plan.without_first_notice == 2
    for m in updates:
        first = firsts[_to(m)]
        assert str(m["In-Reply-To"]) == first and str(m["References"]) == first
        assert str(m["Message-ID"]) != first
        raw = next(r.data for r in smtp_server.recorder.messages if _addr(_to(m).split("@")[0]) in r.rcpt_tos)
        assert dkim.verify(raw, dnsfunc=dkim_key.dnsfunc("notice", "example.com"))
        text = m.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "http" not in text and "Verification" in text or "Frasa verifikasi" in text
    en = next(m for m in updates if _to(m) == _addr("u4"))
    id_ = next(m for m in updates if _to(m) == _addr("u5"))
    assert str(en["Subject"]).startswith("Update on the data breach")
    assert str(id_["Subject"]).startswith("Kabar terbaru")
    en_text = en.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "another file of leaked data" in en_text and "phone" in en_text.lower()
    assert "city" not in en_text.lower()  # only what changed: the city was told before
    # rerun: the same change never reaches anyone twice
    again_report = send_updates(engine, 1, config, change, clock=clock)
    assert len(smtp_server.recorder.messages) == before + 2
    assert again_report.sent is not None and again_report.sent.sent == 0
    with session_scope(engine) as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "update")).all()
    assert len(rows) == 2 and {r.state for r in rows} == {"sent"}


@pytest.mark.postgres
def test_a_new_dataset_on_postgresql(
    pg_engine: Engine, tmp_path: Path, config: NotifyConfig, smtp_server: SmtpServer, clock: FixedClock
) -> None:
    """The same on PostgreSQL (COPY staging path of attach, the outbox upsert with the new columns)."""
    engine, dataset_b, firsts = _notified(pg_engine, tmp_path, config, smtp_server, clock)
    with session_scope(engine) as s:
        change = dataset_change(s, 1, dataset_b)
    before = len(smtp_server.recorder.messages)
    send_updates(engine, 1, config, change, clock=clock)
    send_updates(engine, 1, config, change, clock=clock)
    updates = _messages(smtp_server)[before:]
    assert sorted(_to(m) for m in updates) == [_addr("u4"), _addr("u5")]
    assert all(str(m["In-Reply-To"]) == firsts[_to(m)] for m in updates)


@pytest.mark.parametrize(
    ("make", "expected", "phrase"),
    [
        (lambda: vendor_scope_change(date(2025, 12, 1)), 5, "confirmed to us the scope"),
        (lambda: phishing_change(date(2025, 12, 2), reported=12), 5, "12 reported to us"),
        (lambda: class_change("phone", date(2025, 12, 3)), 2, "not told you about before"),
    ],
)
def test_other_changes_reach_the_people_they_concern(
    notified: tuple[Engine, int, dict[str, str]],
    config: NotifyConfig,
    smtp_server: SmtpServer,
    clock: FixedClock,
    make: object,
    expected: int,
    phrase: str,
) -> None:
    engine, _, firsts = notified
    before = len(smtp_server.recorder.messages)
    send_updates(engine, 1, config, make(), clock=clock)  # type: ignore[operator]
    updates = _messages(smtp_server)[before:]
    assert len(updates) == expected
    assert {_to(m) for m in updates} <= set(firsts)
    english = [m for m in updates if str(m["Subject"]).startswith("Update")]
    assert english and all(phrase in m.get_body(("plain",)).get_content() for m in english)  # type: ignore[union-attr]
    send_updates(engine, 1, config, make(), clock=clock)  # type: ignore[operator]
    assert len(smtp_server.recorder.messages) == before + expected
