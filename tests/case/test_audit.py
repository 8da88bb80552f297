"""The hash-chained audit log on SQLite and PostgreSQL: append, concurrency, every kind of tampering."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from breachscope.case import audit
from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.errors import InputError

T0 = datetime(2025, 11, 27, 9, 0, 0, 123456, tzinfo=UTC)


def _chain(engine: Engine, n: int = 5) -> None:
    clock = FixedClock(T0)
    for i in range(1, n + 1):
        with session_scope(engine) as s:
            audit.append(
                s,
                actor="ana" if i % 2 else "bo",
                action="incident.edit",
                object_type="incident",
                object_id=1,
                incident_id=1,
                details={"n": i, "why": "dates corrected", "nested": {"b": [1, 2.5, None], "a": "ü"}},
                source="cli",
                clock=clock,
            )
        clock.advance(timedelta(seconds=1))


def _verify(engine: Engine, anchors: tuple[tuple[int, str], ...] = ()) -> audit.VerifyResult:
    with session_scope(engine) as s:
        return audit.verify(s, anchors)


def test_an_untouched_chain_verifies_and_links(engine: Engine) -> None:
    assert _verify(engine).ok and _verify(engine).entries == 0
    _chain(engine)
    res = _verify(engine)
    assert res.ok, res.problems
    assert (res.entries, res.last_seq, res.head_seq) == (5, 5, 5)
    with session_scope(engine) as s:
        rows = list(audit.entries(s))
        assert [e.seq for e in rows] == [1, 2, 3, 4, 5]
        assert rows[0].prev_hash == audit.GENESIS
        assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
        assert rows[0].at == T0 and rows[0].details == {
            "n": 1,
            "why": "dates corrected",
            "nested": {"b": [1, 2.5, None], "a": "ü"},
        }
        # an export verifies on its own, away from the database
        exported = [audit.entry_dict(e) for e in rows]
        assert audit.verify_rows(exported, head_row=audit.head(s)).ok


def _sql(*statements: str) -> Callable[[Engine], None]:
    def run(engine: Engine) -> None:
        with engine.begin() as conn:
            for stmt in statements:
                conn.execute(text(stmt))

    return run


def _rehash(seq: int) -> Callable[[Engine], None]:
    """Edit entry ``seq`` AND recompute its own hash, as a careful forger would."""

    def run(engine: Engine) -> None:
        with session_scope(engine) as s:
            e = s.get(audit.AuditEntry, seq)
            assert e is not None
            e.actor = "mallory"
            e.hash = audit.entry_hash(e.prev_hash, audit._row_mapping(e))

    return run


def _insert_forged(engine: Engine) -> None:
    """Renumber entries 3.. up by one and put a well-formed forged entry at 3."""
    _sql(
        "UPDATE audit_entries SET seq = seq + 1000 WHERE seq >= 3",
        "UPDATE audit_entries SET seq = seq - 999 WHERE seq >= 1000",
    )(engine)
    with session_scope(engine) as s:
        prev = s.get(audit.AuditEntry, 2)
        assert prev is not None
        row = {**audit._row_mapping(prev), "seq": 3, "actor": "mallory", "details": {}}
        row["details_sha256"] = audit.details_digest({})
        forged = audit.AuditEntry(**{**row, "prev_hash": prev.hash, "hash": audit.entry_hash(prev.hash, row)})
        s.add(forged)


SWAP = (
    "UPDATE audit_entries SET seq = 1003 WHERE seq = 3",
    "UPDATE audit_entries SET seq = 3 WHERE seq = 4",
    "UPDATE audit_entries SET seq = 4 WHERE seq = 1003",
)

TAMPER: list[tuple[str, Callable[[Engine], None], int, str]] = [
    ("edit a field", _sql("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 3"), 3, "was changed"),
    (
        "edit the time",
        _sql("UPDATE audit_entries SET action = 'incident.view' WHERE seq = 1"),
        1,
        "was changed",
    ),
    (
        "edit details",
        _sql("UPDATE audit_entries SET details = '{\"n\": 99}' WHERE seq = 2"),
        2,
        "details of entry 2",
    ),
    ("edit and rehash", _rehash(3), 4, "does not link"),
    ("insert", _insert_forged, 4, "was changed"),
    ("delete", _sql("DELETE FROM audit_entries WHERE seq = 3"), 3, "entry 3 missing"),
    ("reorder", _sql(*SWAP), 3, "does not link"),
    ("truncate tail", _sql("DELETE FROM audit_entries WHERE seq >= 4"), 4, "truncated"),
    (
        "remove details without purge",
        _sql("UPDATE audit_entries SET details = NULL WHERE seq = 2"),
        2,
        "removed (not by a purge)",
    ),
    (
        "fake a redaction",
        _sql("UPDATE audit_entries SET details = NULL, redacted_at = '2025-11-28 00:00:00' WHERE seq = 2"),
        2,
        "not purged later",
    ),
]


@pytest.mark.parametrize(("name", "tamper", "first", "words"), TAMPER, ids=[t[0] for t in TAMPER])
def test_tampering_is_detected_at_the_first_broken_entry(
    engine: Engine, name: str, tamper: Callable[[Engine], None], first: int, words: str
) -> None:
    _chain(engine)
    tamper(engine)
    res = _verify(engine)
    assert not res.ok
    assert res.first_broken == first, res.problems
    assert any(words in p.what for p in res.problems if p.seq == first), res.problems


def test_a_rewritten_tail_is_caught_only_by_an_anchor(engine: Engine) -> None:
    _chain(engine)
    with session_scope(engine) as s:
        anchor = audit.head(s)
    # the forger deletes the tail AND moves the head back: the database alone cannot tell
    with session_scope(engine) as s:
        last = s.get(audit.AuditEntry, 3)
        assert last is not None
        last_hash = last.hash
    _sql("DELETE FROM audit_entries WHERE seq > 3", f"UPDATE audit_head SET seq = 3, hash = '{last_hash}'")(
        engine
    )
    assert _verify(engine).ok
    res = _verify(engine, (anchor,))
    assert res.first_broken == 4 and "no longer in the log" in res.problems[0].what
    assert audit.parse_anchor(f"{anchor[0]}:{anchor[1]}\n") == anchor
    with pytest.raises(InputError):
        audit.parse_anchor("5:nothex")


def test_purge_redaction_keeps_the_chain_verifiable(engine: Engine) -> None:
    _chain(engine, 3)
    with session_scope(engine) as s:
        assert audit.redact_incident(s, 1, at=T0) == 3
        audit.append(
            s,
            actor="ana",
            action=audit.PURGE_ACTION,
            object_type="incident",
            object_id=1,
            incident_id=1,
            at=T0,
        )
    res = _verify(engine)
    assert res.ok, res.problems
    assert res.redacted == 3
    with session_scope(engine) as s:
        assert [e.details for e in audit.entries(s, incident_id=1)][:3] == [None, None, None]


def test_append_refuses_what_cannot_be_chained(engine: Engine) -> None:
    with session_scope(engine) as s:
        with pytest.raises(InputError, match="actor"):
            audit.append(s, actor=" ", action="x", object_type="y")
        with pytest.raises(InputError, match="plain JSON"):
            audit.append(s, actor="a", action="x", object_type="y", details={"n": float("nan")})
        with pytest.raises(InputError, match="reason"):
            audit.record_view(s, actor="a", reason="", object_type="exposure", object_id=1, incident_id=1)
        # hostile text is stored safely on both backends and still verifies
        audit.append(s, actor="a\x00\udcff", action="x", object_type="y", details={"v": "\x00\udcff"}, at=T0)
        audit.record_view(
            s,
            actor="a",
            reason="caller asked",
            object_type="exposure",
            object_id=7,
            incident_id=1,
            fields=["email"],
        )
    assert _verify(engine).ok


def test_concurrent_appends_never_fork_the_chain(engine: Engine) -> None:
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            for _ in range(10):
                with session_scope(engine) as s:
                    audit.append(s, actor=name, action="x", object_type="y", details={"w": name})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    res = _verify(engine)
    assert res.ok, res.problems
    assert res.entries == 40 and res.head_seq == 40


def test_a_rolled_back_change_leaves_no_entry(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        audit.append(s, actor="a", action="x", object_type="y")
        raise RuntimeError("the change failed")
    with session_scope(engine) as s:
        assert audit.head(s) == (0, audit.GENESIS) and list(audit.entries(s)) == []
    assert _verify(engine).ok
