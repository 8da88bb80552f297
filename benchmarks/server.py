"""The team server on a case of 10M exposures: list endpoints' p95 and a 60 s load test.

:func:`build_case` makes the case in SQL (:func:`grow`: ``INSERT ... SELECT`` over a recursive
series, no row passes through Python; other benchmarks grow their own cases with it): one
incident with ``exposures`` leaked people (keyed hashes, classes, coarse location), one account
per ten of them (``accounts``, every second one affected), matches for nine of ten exposures (so
one in ten is unmatched), ``orgs`` affected organizations and ``events`` timeline events. The
indexes of the five tables are dropped for the insert and built again after it (a sorted build),
so the case has every index the migrations make. 10M exposures: about 100 s quiet (was 16 min
from Python tuples under load).

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
import resource
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


def _indexes(con: sqlite3.Connection, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the droppable indexes of ``tables`` (not the UNIQUE autoindexes)."""
    marks = ",".join("?" * len(tables))
    rows = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})",
        tables,
    )
    return [(r[0], r[1]) for r in rows]


#: ``WITH RECURSIVE`` over 1..? : SQLite's generate_series (the rows never pass through Python).
SERIES = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
HEAVY = ("exposures", "matches", "accounts", "timeline_events", "affected_orgs")


@dataclass(frozen=True)
class Grown:
    """What :func:`grow` added: the counts and the first new id of each table (ids are contiguous)."""

    exposures: int
    accounts: int
    orgs: int
    events: int
    first_exposure_id: int
    first_account_id: int


def grow(
    path: Path,
    incident_id: int,
    dataset_id: int,
    exposures: int,
    *,
    accounts: int | None = None,
    orgs: int | None = None,
    events: int = 100_000,
    org_prefix: str = "org",
) -> Grown:
    """Add ``exposures`` leaked people to an incident of the SQLite case at ``path``, in SQL.

    The rows are made by ``INSERT ... SELECT`` over a recursive series, never in Python: one
    account per ten people (``accounts``; every second one affected, every twentieth an admin),
    a match for nine people of ten (one in ten unmatched), ``orgs`` affected organizations
    (``{org_prefix}0000000``...) and ``events`` timeline events 7 s apart from 2025-11-01.
    The droppable indexes of the five tables are dropped first and built again after the
    inserts (a sorted build), then ``ANALYZE``. Works on a case that already has rows (ids
    continue after the largest). Reusable: the console and report benchmarks grow their cases
    with it. 10M people: about a minute of CPU on a quiet machine.
    """
    n_accounts = accounts if accounts is not None else max(exposures // 10, 10)
    n_orgs = orgs or max(n_accounts // 20, 1)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode = WAL", "synchronous = OFF", "cache_size = -262144"):
            con.execute(f"PRAGMA {pragma}")
        ebase = con.execute("SELECT coalesce(max(id), 0) FROM exposures").fetchone()[0]
        abase = con.execute("SELECT coalesce(max(id), 0) FROM accounts").fetchone()[0]
        saved = _indexes(con, HEAVY)
        con.execute("BEGIN")
        for name, _sql in saved:
            con.execute(f'DROP INDEX "{name}"')
        _insert_people(con, incident_id, dataset_id, exposures, ebase)
        _insert_directory(con, incident_id, exposures, n_accounts, n_orgs, ebase, abase, org_prefix)
        con.execute(
            SERIES + "INSERT INTO timeline_events (incident_id, at, author, kind, message) "
            "SELECT ?, strftime('%Y-%m-%d %H:%M:%f000', '2025-11-01 00:00:00', "
            "'+' || (i * 7 + i % 5) || ' seconds'), 'benchmark', 'note', 'event ' || i FROM s",
            (events, incident_id),
        )
        for _name, sql in saved:
            con.execute(sql)
        con.execute("COMMIT")
        con.execute("ANALYZE")
    finally:
        con.close()
    return Grown(exposures, n_accounts, n_orgs, events, ebase + 1, abase + 1)


def _insert_people(con: sqlite3.Connection, iid: int, dataset_id: int, n: int, ebase: int) -> None:
    countries = " ".join(f"WHEN {k} THEN '{c}'" for k, c in enumerate(COUNTRIES))
    con.execute(
        SERIES + "INSERT INTO exposures (id, incident_id, dataset_id, person_key_hash, person_key_kind, "
        "distinct_id_hash, email_hash, exposed_classes, exposed_fields, country_code, jurisdiction, email) "
        f"SELECT ? + i, ?, ?, printf('%032x', ? + i), 'distinct_id', printf('%032x', ? + i), "
        f"printf('%032x', ? + i), ?, ?, CASE i % {len(COUNTRIES)} {countries} END, "
        f"CASE i % {len(COUNTRIES)} {countries} END, 'p' || (? + i) || '@mail.example' FROM s",
        (n, ebase, iid, dataset_id, ebase, ebase, ebase, CLASSES, FIELDS, ebase),
    )


def _insert_directory(
    con: sqlite3.Connection, iid: int, people: int, n_accounts: int, n_orgs: int, ebase: int, abase: int,
    prefix: str,
) -> None:  # fmt: skip
    countries = " ".join(f"WHEN {k} THEN '{c}'" for k, c in enumerate(COUNTRIES))
    con.execute(
        SERIES + "INSERT INTO accounts (id, incident_id, user_id, email, name, org_id, org_name, role, "
        "language, country_code, is_admin, affected) "
        f"SELECT ? + i, ?, 'u' || (? + i), 'p' || ((? + i) * 10) || '@mail.example', 'Person ' || i, "
        f"printf('{prefix}%07d', i % ?), 'Org ' || (i % ?), "
        "CASE WHEN i % 20 = 0 THEN 'admin' ELSE 'member' END, "
        f"'en', CASE i % {len(COUNTRIES)} {countries} END, i % 20 = 0, i % 2 = 0 FROM s",
        (n_accounts, abase, iid, abase, abase, n_orgs, n_orgs),
    )
    # person e (1-based) -> account (e - 1) // 10 % n_accounts; every tenth person unmatched
    con.execute(
        SERIES + "INSERT INTO matches (incident_id, exposure_id, account_id, org_id, key, strength, "
        "ambiguous) "
        f"SELECT ?, ? + i, ? + 1 + (i - 1) / 10 % ?, printf('{prefix}%07d', ((i - 1) / 10 % ?) % ?), "
        "'email', 3, 0 FROM s WHERE i % 10 <> 0",
        (people, iid, ebase, abase, n_accounts, n_accounts, n_orgs),
    )
    con.execute(
        SERIES + "INSERT INTO affected_orgs (incident_id, org_id, org_name, leaked_people, affected_users, "
        "org_only_people, admins, exposed_classes) "
        f"SELECT ?, printf('{prefix}%07d', i - 1), 'Org ' || (i - 1), 180, 10, 0, 1, ? FROM s",
        (n_orgs, iid, CLASSES),
    )


def build_case(path: Path, exposures: int, *, orgs: int | None = None, events: int = 100_000) -> BuiltCase:
    """A new SQLite case at ``path``: one incident, one dataset, grown by :func:`grow`."""
    started = time.perf_counter()
    url = f"sqlite:///{path}"
    engine = open_case_db(url, create=True)
    with session_scope(engine) as s:
        incident = case_api.create_incident(s, "Benchmark leak (10M)", vendor="Mixpanel")
        iid = incident.id
        ds = case_api.attach_dataset(
            s, iid, file_name="people.csv", sha256="b" * 64, size_bytes=1, format="csv", scan={}
        )
        dataset_id = ds.id
    engine.dispose()
    grown = grow(path, iid, dataset_id, exposures, orgs=orgs, events=events)
    return BuiltCase(
        url, iid, exposures, grown.accounts, grown.orgs, grown.events, time.perf_counter() - started
    )


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure_lists(
    url: str, email: str, paths: dict[str, list[str]], rounds: int, server_pid: int
) -> dict[str, tuple[list[float], float]]:
    """Per endpoint: the request times (ms) and the server's CPU ms per request."""
    out: dict[str, tuple[list[float], float]] = {}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await _sign_in(client, email)
        for name, urls in paths.items():
            for u in urls:  # warm
                (await client.get(u)).raise_for_status()
            times: list[float] = []
            cpu0 = cpu_seconds(server_pid)
            for _ in range(rounds):
                for u in urls:
                    t = time.perf_counter()
                    r = await client.get(u)
                    times.append((time.perf_counter() - t) * 1000)
                    r.raise_for_status()
            out[name] = (times, (cpu_seconds(server_pid) - cpu0) * 1000 / len(times))
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


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    """The 1/5/15-minute load averages (2 cores shared: above 2 means the figures are under load)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


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
        build_cpu = 0.0
        emails = [f"bench{i}@team.example" for i in range(args.users)]
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        for key in path.parent.glob(path.name + ".key"):
            key.unlink()
        cpu0 = _own_cpu()
        built = build_case(path, n)
        build_cpu = _own_cpu() - cpu0
        emails = add_users(built.db_url, built.incident_id, args.users)
    load_before = _load()
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
        row(f"server: build a {n:,}-exposure case (SQL INSERT ... SELECT + indexes)", round(built.seconds, 1),
            "s", cpu_s=round(build_cpu, 1), accounts=built.accounts, orgs=built.orgs, events=built.events,
            load=load_before),
    ] if built.seconds else []  # fmt: skip
    try:
        paths = list_paths(built)
        assert server.pid is not None
        lists = asyncio.run(measure_lists(url, emails[0], paths, rounds=25, server_pid=server.pid))
        for name, (values, cpu_ms) in lists.items():
            p95 = _pct(values, 95)
            rows.append(
                row(f"server: list {name} p95 ({n:,} exposures, first and deep keyset pages)", round(p95, 1),
                    "ms", target="< 100 ms", passed=p95 < 100, p50=round(_pct(values, 50), 1),
                    p99=round(_pct(values, 99), 1), requests=len(values),
                    server_cpu_ms_per_request=round(cpu_ms, 1), load=_load())
            )  # fmt: skip
        cpu0 = cpu_seconds(server.pid)
        load = asyncio.run(load_test(url, emails, paths, seconds))
        load_cpu = cpu_seconds(server.pid) - cpu0
        lat = load["latencies"]
        rows.append(
            row(f"server: load test, {len(emails)} signed-in users for {seconds:g} s: errors",
                len(load["errors"]), "errors", target="0 errors", passed=not load["errors"],
                requests=len(lat),
                requests_per_s=round(len(lat) / load["wall"], 1), p50_ms=round(_pct(lat, 50), 1),
                p95_ms=round(_pct(lat, 95), 1), p99_ms=round(_pct(lat, 99), 1),
                mean_ms=round(statistics.fmean(lat), 1), first_errors=load["errors"][:5],
                server_cpu_s=round(load_cpu, 1), load=_load())
        )  # fmt: skip
    finally:
        server.terminate()
        server.join(10)
    emit(rows)


if __name__ == "__main__":
    main()
