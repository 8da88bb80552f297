"""Console pages: server response time of every page on a case of 10M leaked people (quick: 1M).

Target (issue 15): every page's server time p95 under 200 ms on the 10M-exposure case.

The case: the browser tests' demo incident (a real synthetic leak scanned, scoped, assessed and
partly notified through the CLI: datasets, facts, duties, notices and drafts are real), then
grown in SQL to N leaked people: N exposures, N/2 directory accounts in N/10 organizations
(every fifth an admin), 90% of the people matched (1% ambiguous), 10% unmatched, and N/10
outbox rows. SQLite, as ``breachscope serve`` uses by default. The app is the real one
(``create_app``: gate, sessions, console) on uvicorn on a loopback port; a signed-in legal user
(password + TOTP) requests each page sequentially: 3 warm-up requests, then 25 timed ones. The
time is measured at the client on loopback, so it is an upper bound of the server time.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn

from benchmarks.common import emit, parse_args, row
from breachscope.case import accounts
from breachscope.case.db import open_case_db, session_scope
from breachscope.clock import FixedClock
from breachscope.web.app import create_app
from breachscope.web.settings import ServerSettings
from tests.notify.conftest import free_port
from tests.web.case_builder import NOW, build
from tests.web.server import CHEAP, email_of, password_of

TARGET_MS = 200.0
RUNS = 25
PAGES = (
    "/",
    "/incidents/1/overview",
    "/incidents/1/data",
    "/incidents/1/scope",
    "/incidents/1/scope?after=org-500",
    "/incidents/1/scope/org?org=org-1234",
    "/incidents/1/scope/unmatched",
    "/incidents/1/scope/unmatched?after=5000000",
    "/incidents/1/scope/review",
    "/incidents/1/duties",
    "/incidents/1/tasks",
    "/incidents/1/notices",
    "/incidents/1/notices/preview?kind=admin&lang=en",
    "/incidents/1/notices/drafts/1",
    "/incidents/1/timeline",
    "/incidents/1/audit",
    "/check",
)


HEAVY = ("exposures", "accounts", "matches", "affected_orgs", "notify_outbox")


def _indexes(con: sqlite3.Connection, tables: tuple[str, ...]) -> list[str]:
    """The CREATE INDEX statements of ``tables`` (not the automatic ones of UNIQUE/PRIMARY KEY)."""
    marks = ",".join("?" * len(tables))
    rows = con.execute(
        f"SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name IN ({marks}) AND sql IS NOT NULL",
        tables,
    )
    return [r[0] for r in rows]


def _index_name(sql: str) -> str:
    words = sql.split()
    return words[3] if words[1].upper() == "UNIQUE" else words[2]


def grow(db: Path, people: int) -> None:
    """Add ``people`` leaked people (and their directory side) to incident 1, in SQL."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -262144")
    # the indexes are dropped for the bulk insert and built again after it (a sorted build, minutes
    # instead of the random-order B-tree inserts that took 24 min at 10M); the case ends with every
    # index the migrations make
    saved = _indexes(con, HEAVY)
    for sql in saved:
        con.execute(f"DROP INDEX {_index_name(sql)}")
    base = con.execute("SELECT max(id) FROM exposures").fetchone()[0]
    abase = con.execute("SELECT max(id) FROM accounts").fetchone()[0]
    series = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)"
    con.execute(
        f"""{series} INSERT INTO exposures (id, incident_id, dataset_id, person_key_hash, person_key_kind,
            email_hash, exposed_classes, exposed_fields, country_code, jurisdiction, email)
        SELECT ? + i, 1, 1, printf('%032x', i), 'distinct_id', printf('e%031x', i),
               '["email","person_name","coarse_location"]',
               CASE i % 3 WHEN 0 THEN '["$email","$name","$city"]' ELSE '["$email","$name"]' END,
               'ID', CASE i % 4 WHEN 0 THEN 'US-CA' WHEN 1 THEN 'DE' ELSE 'ID' END,
               'person' || i || '@example.org' FROM s""",
        (people, base),
    )
    con.execute(
        f"""{series} INSERT INTO accounts (id, incident_id, user_id, email, name, org_id, org_name, role,
            language, country_code, is_admin, affected)
        SELECT ? + i, 1, 'bench-' || i, 'user' || i || '@corp.example', 'Person ' || i, 'org-' || (i / 5),
               'Org ' || (i / 5), CASE WHEN i % 5 = 0 THEN 'admin' ELSE 'member' END, 'en', 'ID',
               i % 5 = 0, i % 5 <> 0 FROM s""",
        (people // 2, abase),
    )
    con.execute(
        f"""{series} INSERT INTO matches
            (incident_id, exposure_id, account_id, org_id, key, strength, ambiguous)
        SELECT 1, ? + i, ? + 1 + (i % ?), 'org-' || ((i % ?) / 5), 'user_id', 5, i % 100 = 7
        FROM s WHERE i % 10 <> 0""",
        (people, base, abase, people // 2, people // 2),
    )
    con.execute(
        f"""{series} INSERT INTO affected_orgs (incident_id, org_id, org_name, leaked_people, affected_users,
            org_only_people, admins, exposed_classes)
        SELECT 1, 'org-' || i, 'Org ' || i, 18, 4, 0, 1, '["email","person_name"]' FROM s""",
        (people // 10,),
    )
    body = con.execute("SELECT body FROM notify_outbox WHERE kind = 'admin' LIMIT 1").fetchone()[0]
    con.execute(
        f"""{series} INSERT INTO notify_outbox (incident_id, idempotency_key, kind, recipient_key, language,
            to_addr, to_name, subject, body, reference, message_id, state, attempts, created_at, updated_at)
        SELECT 1, 'bench:' || i, 'user', 'bench-' || i, CASE i % 3 WHEN 0 THEN 'id' ELSE 'en' END,
               'user' || i || '@corp.example', 'Person ' || i, 'Notice of Data Breach', ?,
               printf('B%04d-%05d', i / 100000, i % 100000), '<' || i || '@example.com>',
               CASE i % 50 WHEN 0 THEN 'queued' WHEN 1 THEN 'bounced' ELSE 'sent' END, 1,
               '2025-11-28 09:00:00', '2025-11-28 09:00:00' FROM s""",
        (people // 10, body),
    )
    con.execute("UPDATE datasets SET exposures = exposures + ? WHERE id = 1", (people,))
    con.commit()
    for sql in saved:
        con.execute(sql)
    con.execute("ANALYZE")
    con.close()


def serve(case_url: str, notify_toml: Path) -> tuple[str, FixedClock, uvicorn.Server]:
    clock = FixedClock(datetime.now(UTC))  # a new TOTP step each run (a used code is refused)
    app = create_app(ServerSettings(db_url=case_url, clock=clock, hasher=CHEAP, notify_config=notify_toml))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", clock, server


def main() -> None:
    args = parse_args(__doc__ or "")
    people = 1_000_000 if args.quick else 10_000_000
    os.environ.setdefault("BREACHSCOPE_KEY_DIR", str(args.work / "keys"))
    folder = args.work / f"case-{people}"
    db = folder / "case.db"
    started = time.perf_counter()
    if not db.exists():
        build(folder)
        grow(db, people)
    build_s = time.perf_counter() - started
    url = f"sqlite:///{db}"
    engine = open_case_db(url)
    with session_scope(engine) as s:
        if accounts.get_user(s, email_of("legal")) is None:
            user = accounts.create_user(
                s, email_of("legal"), "legal", password_of("legal"), now=NOW, created_by="bench",
                totp=True, hasher=CHEAP,
            ).user  # fmt: skip
            accounts.add_member(s, 1, user, by="bench", now=NOW)
    base, clock, server = serve(url, folder / "notify.toml")
    rows = [row("console case build (once)", round(build_s, 1), "s", people=people)]
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            with session_scope(engine) as s:
                found = accounts.get_user(s, email_of("legal"))
                assert found is not None
                code = accounts.totp_code(s, found, clock.now())
            r = client.post(
                "/api/v1/auth/login",
                json={"email": email_of("legal"), "password": password_of("legal"), "totp": code},
            )
            r.raise_for_status()
            for path in PAGES:
                times = []
                for n in range(3 + RUNS):
                    t0 = time.perf_counter()
                    resp = client.get(path)
                    elapsed = (time.perf_counter() - t0) * 1000
                    if resp.status_code != 200:
                        raise RuntimeError(f"{path}: HTTP {resp.status_code}")
                    if n >= 3:
                        times.append(elapsed)
                p95 = statistics.quantiles(times, n=20)[-1]
                rows.append(
                    row(
                        f"page {path} p95", round(p95, 1), "ms", f"< {TARGET_MS:.0f} ms", p95 < TARGET_MS,
                        p50=round(statistics.median(times), 1), people=people,
                    )
                )  # fmt: skip
                print(f"{path}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms", flush=True)
    finally:
        server.should_exit = True
        engine.dispose()
    emit(rows)


if __name__ == "__main__":
    main()
