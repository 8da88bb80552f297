"""``breachscope audit verify|head|export`` on a real SQLite case."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from breachscope.case import audit
from breachscope.case.db import case_database, session_scope

Run = Callable[..., tuple[int, str]]


def _entries(tmp_path: Path, n: int) -> None:
    with case_database(f"sqlite:///{tmp_path / 'case.db'}") as engine:
        for i in range(n):
            with session_scope(engine) as s:
                audit.append(
                    s,
                    actor="ana",
                    action="incident.edit",
                    object_type="incident",
                    object_id=1,
                    incident_id=1,
                    details={"note": f'=HYPERLINK("x") {i}'},
                )


def test_verify_export_and_head(run: Run, tmp_path: Path) -> None:
    assert run("case", "new", "Vendor leak")[0] == 0
    _entries(tmp_path, 3)
    code, out = run("audit", "verify")
    assert code == 0 and "OK: the chain is intact" in out
    code, head = run("audit", "head")
    seq, digest = head.strip().split(":")
    assert code == 0 and int(seq) >= 3 and len(digest) == 64
    code, out = run("audit", "export", "--json", "-")
    doc = json.loads(out)
    assert doc["head"] == {"seq": int(seq), "hash": digest} and len(doc["entries"]) == int(seq)
    (tmp_path / "export.json").write_text(out)
    assert run("audit", "verify", "--file", str(tmp_path / "export.json"))[0] == 0
    code, out = run("audit", "export", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == int(seq)
    assert all(not r["details"].startswith("=") for r in rows)  # JSON text, never a formula
    # an edited export fails verification like the database would
    doc["entries"][1]["actor"] = "mallory"
    (tmp_path / "export.json").write_text(json.dumps(doc))
    code, out = run("audit", "verify", "--file", str(tmp_path / "export.json"))
    assert code == 1 and "BROKEN at entry 2" in out


@pytest.mark.parametrize(
    ("sql", "first"),
    [
        ("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 2", 2),
        ("DELETE FROM audit_entries WHERE seq = 2", 2),
        ("DELETE FROM audit_entries WHERE seq = (SELECT MAX(seq) FROM audit_entries)", None),
    ],
)
def test_verify_exits_1_naming_the_first_broken_entry(
    run: Run, tmp_path: Path, sql: str, first: int | None
) -> None:
    run("case", "new", "Vendor leak")
    _entries(tmp_path, 3)
    last = int(run("audit", "head")[1].split(":")[0])
    with sqlite3.connect(tmp_path / "case.db") as con:
        con.execute(sql)
    code, out = run("audit", "verify", "--json", "-")
    assert code == 1
    result = json.loads(out[: out.rindex("}") + 1])
    assert result["first_broken_seq"] == (first if first is not None else last)
    assert "first broken entry" in out


def test_anchor_catches_a_rewritten_tail(run: Run, tmp_path: Path) -> None:
    run("case", "new", "Vendor leak")
    _entries(tmp_path, 3)
    anchor = run("audit", "head", "--append", str(tmp_path / "anchors.txt"))[1].strip()
    assert (tmp_path / "anchors.txt").read_text().startswith(anchor + " 20")  # SEQ:HASH and the time
    assert (tmp_path / "anchors.txt").stat().st_mode & 0o777 == 0o600
    last = int(anchor.split(":")[0])
    with sqlite3.connect(tmp_path / "case.db") as con:
        prev = con.execute("SELECT hash FROM audit_entries WHERE seq = ?", (last - 1,)).fetchone()[0]
        con.execute("DELETE FROM audit_entries WHERE seq = ?", (last,))
        con.execute("UPDATE audit_head SET seq = ?, hash = ?", (last - 1, prev))
    assert run("audit", "verify")[0] == 0  # the database alone cannot tell
    code, out = run("audit", "verify", "--anchor-file", str(tmp_path / "anchors.txt"))
    assert code == 1 and f"BROKEN at entry {last}" in out
    assert run("audit", "verify", "--anchor", "12:zz")[0] == 2
