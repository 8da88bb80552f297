"""Recording reported mail in the incident: once per message, counts over time, phishing-wave task."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.case.purge import purge
from breachscope.case.tasks import list_tasks
from breachscope.clock import FixedClock
from breachscope.watch.mail.service import MailSettings, check_mail, mail_counts, watch_maildir
from breachscope.watch.mail.store import LookalikeHit, MailCheckRow
from tests.watch.mail.conftest import LOOKALIKE_IP, Case, Keys, make_case
from tests.watch.mail.corpus import PHISH_TEXT, message, received


def phish(keys: Keys, n: int) -> bytes:
    raw = message(
        from_="Example Security <security@exarnple.com>",
        subject=f"Action required #{n}",
        text=PHISH_TEXT,
        message_id=f"<p{n}@exarnple.com>",
    )
    signed = keys.lookalike.signer("s1", "exarnple.com").sign(raw)
    return received(LOOKALIKE_IP, "mail.exarnple.com") + b"Return-Path: <b@exarnple.com>\r\n" + signed


def test_verdicts_are_recorded_once_with_counts_and_a_wave_task(
    any_engine: Engine, keys: Keys, settings: MailSettings, tmp_path: Path, clock: FixedClock
) -> None:
    case = make_case(any_engine, keys, tmp_path, clock)
    eng, inc = case.engine, case.incident_id
    p1 = phish(keys, 1)
    first = check_mail(
        [("n0", case.notices[0]), ("p1", p1), ("p2", phish(keys, 2))],
        engine=eng,
        incident_id=inc,
        settings=settings,
        clock=clock,
        author="ana",
    )
    assert first.wave_task is None  # 2 < the threshold of 3
    again = check_mail([("p1 again", p1)], engine=eng, incident_id=inc, settings=settings, clock=clock)
    assert [m.new for m in again.messages] == [False]
    clock.advance(timedelta(days=1, hours=1))
    third = check_mail([("p3", phish(keys, 3))], engine=eng, incident_id=inc, settings=settings, clock=clock)
    assert third.wave_task is None  # p1 and p2 are older than the 24 h window
    fourth = check_mail(
        [("p4", phish(keys, 4)), ("p5", phish(keys, 5))],
        engine=eng,
        incident_id=inc,
        settings=settings,
        clock=clock,
    )
    assert (
        fourth.wave_task is not None
        and fourth.wave_task["change"] == "created"
        and fourth.wave_task["messages"] == 3
    )
    fifth = check_mail([("p6", phish(keys, 6))], engine=eng, incident_id=inc, settings=settings, clock=clock)
    assert (
        fifth.wave_task is not None and fifth.wave_task["id"] == fourth.wave_task["id"]
    )  # the same open task
    with session_scope(eng) as s:
        rows = s.scalars(select(MailCheckRow).where(MailCheckRow.incident_id == inc)).all()
        assert len(rows) == 7
        assert sorted(r.verdict for r in rows) == ["genuine"] + ["phishing"] * 6
        p = next(r for r in rows if r.verdict == "phishing")
        assert p.breach_specific and p.leaked_fields == ["city", "name", "org id"]
        assert "lookalike-sender" in p.reasons and p.sender_domain == "exarnple.com"
        tasks = [t for t in list_tasks(s, incident_id=inc) if t.kind == "phishing-wave"]
        assert len(tasks) == 1 and tasks[0].source == "mail"
        assert "Budi" not in tasks[0].title + tasks[0].detail  # tasks name no leaked value
    counts = mail_counts(eng, inc)
    assert counts["totals"] == {"genuine": 1, "suspicious": 0, "phishing": 6, "breach_specific": 6}
    assert [(d["day"], d["phishing"]) for d in counts["by_day"]] == [("2025-11-27", 2), ("2025-11-28", 4)]
    assert (
        counts["lookalike_domains"][0]["domain"] == "exarnple.com"
        and counts["lookalike_domains"][0]["messages"] == 6
    )
    # nothing of a message's text is stored; purge keeps these rows (they describe mail, not people)
    purge(eng, inc, actor="ana", clock=clock)
    with session_scope(eng) as s:
        assert s.scalars(select(LookalikeHit).where(LookalikeHit.incident_id == inc)).first() is not None


def test_a_maildir_is_read_without_changing_it_and_counted_once(
    case: Case, keys: Keys, settings: MailSettings, tmp_path: Path
) -> None:
    md = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True)
    (md / "new" / "1.eml").write_bytes(phish(keys, 1))
    (md / "cur" / "2.eml:2,S").write_bytes(case.notices[0])
    (md / "new" / "link").symlink_to(md / "new" / "1.eml")  # not a message file of the folder
    (md / "new" / "fifo").parent.joinpath("sub").mkdir()
    before = sorted(p.name for p in md.rglob("*"))
    report = watch_maildir(case.engine, case.incident_id, md, settings=settings, clock=case.clock)
    assert sorted((m.name, m.check.verdict) for m in report.messages) == [
        ("cur/2.eml:2,S", "genuine"),
        ("new/1.eml", "phishing"),
    ]
    assert sorted(p.name for p in md.rglob("*")) == before
    (md / "new" / "3.eml").write_bytes(phish(keys, 3))
    report = watch_maildir(case.engine, case.incident_id, md, settings=settings, clock=case.clock)
    assert [m.name for m in report.messages if m.new] == ["new/3.eml"]
    with session_scope(case.engine) as s:
        assert any("reported mail checked" in e.message for e in api.timeline(s, case.incident_id))


def test_an_encrypted_case_and_phishing_that_does_not_use_the_leak(
    engine: Engine, keys: Keys, settings: MailSettings, clock: FixedClock
) -> None:
    """Sealed values (case new --encrypt) are compared too; phishing without leaked data or the
    incident does not count towards a wave."""
    from breachscope.case.models import Exposure
    from breachscope.hashing import keyed_hash
    from breachscope.watch.mail.service import check_mail as check
    from tests.watch.mail.conftest import LEAKED_EMAIL, _leaked_person

    with session_scope(engine) as s:
        inc = api.create_incident(s, "Sealed leak", vendor="Mixpanel", encrypt=True, clock=clock).id
    _leaked_person(engine, inc)
    with session_scope(engine) as s:
        sealer = api.value_sealer(s, inc)
        assert sealer is not None
        exp = s.scalars(select(Exposure).where(Exposure.incident_id == inc)).one()
        exp.city = sealer.seal("city", "Bandung")
        exp.org_id_hash = keyed_hash(api.case_key(s, inc), "nothing-quoted")
    text = "Hello, the weather in Bandung is fine. Confirm your password now: https://exarnple.com/x"
    raw = message(from_="x@mail.test", to=LEAKED_EMAIL, subject="hi", text=text)
    [m] = check([("m", raw)], engine=engine, incident_id=inc, settings=settings, clock=clock).messages
    assert m.check.leaked == ["city"] and m.check.breach_specific
    generic = [
        message(
            from_="x@mail.test", subject=f"hi {i}", text="Confirm your password at https://exarnple.com/x"
        )
        for i in range(4)
    ]
    report = check(
        [(str(i), g) for i, g in enumerate(generic)],
        engine=engine,
        incident_id=inc,
        settings=settings,
        clock=clock,
    )
    assert [r.check.verdict for r in report.messages] == ["phishing"] * 4
    assert not any(r.check.breach_specific for r in report.messages)
    assert report.wave_task is None  # 1 message used the leak; the threshold is 3
