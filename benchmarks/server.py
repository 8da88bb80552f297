"""The team server on a case of 10M exposures: list endpoints' p95 and a 60 s load test.

:func:`build_case` makes the case fast by bulk insert (the console's page timings reuse it):
one incident with ``exposures`` leaked people (keyed hashes, classes, coarse location), one
account per ten of them (``accounts``, every second one affected), matches for nine of ten
exposures (so one in ten is unmatched), ``orgs`` affected organizations and ``events`` timeline
events. The indexes of the exposures and matches are dropped for the insert and built again
after it (a sorted build), so the case has every index the migrations make.

Measured, against ``breachscope``'s app under uvicorn in its own process on 127.0.0.1:

- list endpoints (organizations, users, unmatched, timeline): first pages and pages deep in the
  list by keyset (``?after=`` near the end), sequentially: p50/p95/p99; target p95 < 100 ms;
- a load test: 50 signed-in users (50 accounts, 50 sessions) for 60 s, each requesting list
  pages in a loop: p50/p95/p99, requests/s and errors; target zero errors.

Sign-in is done before the timed window; the accounts are made with cheap argon2 parameters
(the server verifies with the hash's own parameters), as argon2 does not touch the measured
endpoints. ``--quick``: 200,000 exposures and a 10 s load test.

    python -m benchmarks.server [--quick] [--exposures N] [--work DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import sqlite3
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from argon2 import PasswordHasher

from benchmarks.common import emit, row
from breachscope.case import accounts
from breachscope.case import api as case_api
from breachscope.case.db import open_case_db, session_scope

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "benchmark password, long enough"
CLASSES = '["email", "name", "city", "country"]'
FIELDS = '["$email", "$name", "$city", "$country_code"]'
COUNTRIES = ("US", "DE", "ID", "BR", "IN", "GB", "FR", "AU")
T0 = datetime(2025, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class BuiltCase:
    db_url: str
    incident_id: int
    exposures: int
    accounts: int
    orgs: int
    events: int
    seconds: float


def _indexes(con: sqlite3.Connection, tables: tuple[str, ...]) -> list[str]:
    marks = ",".join("?" * len(tables))
    rows = con.execute(
        f"SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name IN ({marks}) AND sql IS NOT NULL",
        tables,
    )
    return [r[0] for r in rows]


def build_case(path: Path, exposures: int, *, orgs: int | None = None, events: int = 100_000) -> BuiltCase:
    """A SQLite case at ``path`` with ``exposures`` leaked people (see the module doc)."""
    started = time.perf_counter()
    url = f"sqlite:///{path}"
    n_accounts = max(exposures // 10, 10)
    n_orgs = orgs or max(n_accounts // 20, 1)
    engine = open_case_db(url, create=True)
    with session_scope(engine) as s:
        incident = case_api.create_incident(s, "Benchmark leak (10M)", vendor="Mixpanel")
        iid = incident.id
        ds = case_api.attach_dataset(
            s, iid, file_name="people.csv", sha256="b" * 64, size_bytes=1, format="csv", scan={}
        )
        dataset_id = ds.id
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -262144")
    heavy = ("exposures", "matches", "accounts", "timeline_events", "affected_orgs")
    saved = _indexes(con, heavy)
    for sql in saved:
        name = sql.split()[2] if not sql.upper().startswith("CREATE UNIQUE") else sql.split()[3]
        con.execute(f"DROP INDEX {name}")
    rnd = random.Random(7)
    batch = 200_000
    con.execute("BEGIN")
    for start in range(0, exposures, batch):
        rows = []
        for i in range(start, min(start + batch, exposures)):
            h = f"{i:032x}"
            c = COUNTRIES[i % len(COUNTRIES)]
            rows.append(
                (iid, dataset_id, h, "distinct_id", h, h, CLASSES, FIELDS, c, c, f"p{i}@mail.example")
            )
        con.executemany(
            "INSERT INTO exposures (incident_id, dataset_id, person_key_hash, person_key_kind, "
            "distinct_id_hash, email_hash, exposed_classes, exposed_fields, country_code, jurisdiction, "
            "email) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    con.execute("COMMIT")
    con.execute("BEGIN")
    for start in range(0, n_accounts, batch):
        rows2 = [
            (iid, f"u{i}", f"p{i * 10}@mail.example", f"Person {i}", f"org{i % n_orgs:07d}",
             f"Org {i % n_orgs}", "admin" if i % 20 == 0 else "member", "en", COUNTRIES[i % 8], i % 20 == 0,
             i % 2 == 0)
            for i in range(start, min(start + batch, n_accounts))
        ]  # fmt: skip
        con.executemany(
            "INSERT INTO accounts (incident_id, user_id, email, name, org_id, org_name, role, language, "
            "country_code, is_admin, affected) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows2,
        )
    con.execute("COMMIT")
    con.execute("BEGIN")
    for start in range(1, exposures + 1, batch):
        rows3 = [
            (iid, e, (e - 1) // 10 % n_accounts + 1, f"org{((e - 1) // 10 % n_accounts) % n_orgs:07d}",
             "email", 3, False)
            for e in range(start, min(start + batch, exposures + 1))
            if e % 10 != 0
        ]  # fmt: skip
        con.executemany(
            "INSERT INTO matches (incident_id, exposure_id, account_id, org_id, key, strength, ambiguous) "
            "VALUES (?,?,?,?,?,?,?)",
            rows3,
        )
    con.executemany(
        "INSERT INTO affected_orgs (incident_id, org_id, org_name, leaked_people, affected_users, "
        "org_only_people, admins, exposed_classes) VALUES (?,?,?,?,?,?,?,?)",
        [(iid, f"org{o:07d}", f"Org {o}", 180, 10, 0, 1, CLASSES) for o in range(n_orgs)],
    )
    con.executemany(
        "INSERT INTO timeline_events (incident_id, at, author, kind, message) VALUES (?,?,?,?,?)",
        [
            (iid, (T0 + timedelta(seconds=i * 7 + rnd.randint(0, 5))).strftime("%Y-%m-%d %H:%M:%S.%f"),
             "benchmark", "note", f"event {i}")
            for i in range(events)
        ],
    )  # fmt: skip
    con.execute("COMMIT")
    for sql in saved:
        con.execute(sql)
    con.execute("ANALYZE")
    con.close()
    return BuiltCase(url, iid, exposures, n_accounts, n_orgs, events, time.perf_counter() - started)


def add_users(db_url: str, incident_id: int, n: int) -> list[str]:
    """``n`` responders who are members of the incident; their emails (password :data:`PASSWORD`)."""
    engine = open_case_db(db_url)
    now = datetime.now(UTC)
    emails = []
    with session_scope(engine) as s:
        for i in range(n):
            email = f"bench{i}@team.example"
            new = accounts.create_user(
                s, email, "responder", PASSWORD, now=now, created_by="bench", totp=False, hasher=CHEAP
            )
            accounts.add_member(s, incident_id, new.user, by="bench", now=now)
            emails.append(email)
    engine.dispose()
    return emails


def _serve(db_url: str, port: int) -> None:
    import uvicorn

    from breachscope.web.app import create_app
    from breachscope.web.settings import ServerSettings

    app = create_app(ServerSettings(db_url=db_url, hasher=CHEAP))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def list_paths(built: BuiltCase) -> dict[str, list[str]]:
    """Per list endpoint: first pages and pages deep in the list (keyset keys near the end)."""
    base = f"/api/v1/incidents/{built.incident_id}"
    deep_acc = [str(built.accounts - k) for k in (50, 5_000, built.accounts // 2)]
    deep_exp = [str(built.exposures - k) for k in (100, 50_000, built.exposures // 2)]
    deep_org = [f"org{built.orgs - k:07d}" for k in (60, 1_000, built.orgs // 2) if built.orgs - k > 0]
    at = quote((T0 + timedelta(seconds=(built.events - 100) * 7)).isoformat())
    mid = quote((T0 + timedelta(seconds=(built.events // 2) * 7)).isoformat())
    return {
        "organizations": [f"{base}/scope/orgs"] + [f"{base}/scope/orgs?after={k}" for k in deep_org],
        "users": [f"{base}/scope/users"] + [f"{base}/scope/users?after={k}" for k in deep_acc],
        "unmatched": [f"{base}/scope/unmatched"] + [f"{base}/scope/unmatched?after={k}" for k in deep_exp],
        "timeline": [f"{base}/timeline", f"{base}/timeline?after={at}_1", f"{base}/timeline?after={mid}_1"],
    }


async def _sign_in(client: httpx.AsyncClient, email: str) -> None:
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    r.raise_for_status()


async def measure_lists(
    url: str, email: str, paths: dict[str, list[str]], rounds: int
) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in paths}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await _sign_in(client, email)
        for name, urls in paths.items():
            for u in urls:  # warm
                (await client.get(u)).raise_for_status()
            for _ in range(rounds):
                for u in urls:
                    t = time.perf_counter()
                    r = await client.get(u)
                    out[name].append((time.perf_counter() - t) * 1000)
                    r.raise_for_status()
    return out


async def load_test(
    url: str, emails: list[str], paths: dict[str, list[str]], seconds: float
) -> dict[str, Any]:
    every = [u for urls in paths.values() for u in urls]
    latencies: list[float] = []
    errors: list[str] = []
    clients = [httpx.AsyncClient(base_url=url, timeout=30) for _ in emails]
    try:
        await asyncio.gather(*(_sign_in(c, e) for c, e in zip(clients, emails, strict=True)))
        stop = time.perf_counter() + seconds

        async def user(client: httpx.AsyncClient, seed: int) -> None:
            rnd = random.Random(seed)
            while time.perf_counter() < stop:
                u = rnd.choice(every)
                t = time.perf_counter()
                try:
                    r = await client.get(u)
                    if r.status_code != 200:
                        errors.append(f"{r.status_code} {u}")
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__} {u}")
                latencies.append((time.perf_counter() - t) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(user(c, i) for i, c in enumerate(clients)))
        wall = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return {"latencies": latencies, "errors": errors, "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=Path("bench-out/work/server"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--exposures", type=int, default=None)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--reuse", action="store_true", help="measure a case built by an earlier run")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("BREACHSCOPE_KEY_DIR", str(args.work / "keys"))
    n = args.exposures or (200_000 if args.quick else 10_000_000)
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    path = args.work / f"case-{n}.db"
    if args.reuse and path.exists():  # a case this module built before (same shape for the same n)
        accounts_n = max(n // 10, 10)
        built = BuiltCase(f"sqlite:///{path}", 1, n, accounts_n, max(accounts_n // 20, 1), 100_000, 0.0)
        emails = [f"bench{i}@team.example" for i in range(args.users)]
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        for key in path.parent.glob(path.name + ".key"):
            key.unlink()
        built = build_case(path, n)
        emails = add_users(built.db_url, built.incident_id, args.users)
    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(built.db_url, port), daemon=True
    )
    server.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/v1/health").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.2)
    rows = [
        row(f"server: build a {n:,}-exposure case (bulk insert + indexes)", round(built.seconds, 1), "s",
            accounts=built.accounts, orgs=built.orgs, events=built.events),
    ] if built.seconds else []  # fmt: skip
    try:
        paths = list_paths(built)
        lists = asyncio.run(measure_lists(url, emails[0], paths, rounds=25))
        for name, values in lists.items():
            p95 = _pct(values, 95)
            rows.append(
                row(f"server: list {name} p95 ({n:,} exposures, first and deep keyset pages)", round(p95, 1),
                    "ms", target="< 100 ms", passed=p95 < 100, p50=round(_pct(values, 50), 1),
                    p99=round(_pct(values, 99), 1), requests=len(values))
            )  # fmt: skip
        load = asyncio.run(load_test(url, emails, paths, seconds))
        lat = load["latencies"]
        rows.append(
            row(f"server: load test, {len(emails)} signed-in users for {seconds:g} s: errors",
                len(load["errors"]), "errors", target="0 errors", passed=not load["errors"],
                requests=len(lat),
                requests_per_s=round(len(lat) / load["wall"], 1), p50_ms=round(_pct(lat, 50), 1),
                p95_ms=round(_pct(lat, 95), 1), p99_ms=round(_pct(lat, 99), 1),
                mean_ms=round(statistics.fmean(lat), 1), first_errors=load["errors"][:5])
        )  # fmt: skip
    finally:
        server.terminate()
        server.join(10)
    emit(rows)


if __name__ == "__main__":
    main()
