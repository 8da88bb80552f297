"""Scope matching: 10M leaked people against a 5M-account directory (quick: 1M vs 500k).

Targets (issue #4): under 60 s on this 2-core machine, peak RSS under 2 GB.

The inputs are generated with DuckDB straight into Parquet in the work folder: the leak side as
``scope`` reads it from the case (exposure id + keyed hashes, HMAC computed in SQL with the same
key the directory side uses), the directory as a customer would hand it over. The measured part
is exactly what ``breachscope scope`` runs in DuckDB: load the directory with its column
mapping, normalise and hash its identifiers, match strongest key first, roll up orgs, admins
and users, and count. Mix of leaked people: 55% carry the user id, 15% the distinct id, 15%
only an email (a third of them plus-tagged), 5% only an org id, 10% nobody we know.

A second measures the whole command (``run_scope``: exposures read from the case, the
directory loaded and hashed, matched, rolled up, matches, accounts and the roll-up written
back, the case minimised) on a case of 1M leaked people against 500k accounts (issue 13: under
15 s, peak RSS under 1 GiB; quick: 100k vs 50k), in a child process for its own wall time, CPU
seconds and peak RSS. The case is filled in bulk by another process (the exposures as ``case
attach`` stores them, hashed in DuckDB); on SQLite it is built once in the work folder and
copied for each run. Only this measurement, 1M vs 500k, SQLite and (with
``BREACHSCOPE_TEST_PG_URL``) PostgreSQL::

    BREACHSCOPE_BENCH_SKIP_MATCH=1 BREACHSCOPE_BENCH_SKIP_ATTACH=1 \
        python -m benchmarks.scope --work bench-out/work

(``BREACHSCOPE_BENCH_SCOPE_PEOPLE=N`` sets another size.)

A third measures ``case attach`` (hash, scan, extract and store the people of a ``synth`` leak
CSV into a fresh case; quick: 200k rows, full: 1M; issue 13: 150,000 rows/s or more, peak RSS
under 1 GiB) in a child process: rows per second and peak RSS. Set
``BREACHSCOPE_BENCH_SKIP_ATTACH=1`` (``..._SKIP_COMMAND=1``) to skip it.

Both run on SQLite, and on PostgreSQL too when ``BREACHSCOPE_TEST_PG_URL`` names a server (the
test suite's variable; ``bash scripts/pg-test-server start`` prints one): a fresh database is
created on it for each measurement and dropped afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import text

from benchmarks.common import case_url, emit, parse_args, peak_rss_mb, row
from breachscope.identity.sql import create_hash_macro
from breachscope.scope import matching
from breachscope.scope.directory import DEFAULT_ADMIN_ROLES, DirectorySource, load_directory
from breachscope.scope.run import ScopeSettings, connect_duckdb, run_scope

KEY = bytes(range(32))


def generate(work: Path, leaked: int, accounts: int) -> tuple[Path, Path]:
    """Write ``leak.parquet`` (hashed, as stored in a case) and ``directory.parquet``."""
    leak, directory = work / f"leak-{leaked}.parquet", work / f"directory-{accounts}.parquet"
    if leak.exists() and directory.exists():
        return leak, directory
    con = duckdb.connect()
    con.execute(f"SET temp_directory = '{work / 'tmp'}'")
    con.execute("SET memory_limit = '1GB'")
    create_hash_macro(con, KEY)
    con.execute(
        f"""
        COPY (
            SELECT 'user-' || i AS uid,
                   'U' || i || CASE WHEN i % 5 = 0 THEN '@gmail.com' ELSE '@corp.example' END AS mail,
                   'Person ' || i AS full_name,
                   'org-' || (i // 5) AS tenant,
                   'Org ' || (i // 5) AS tenant_name,
                   CASE WHEN i % 5 = 0 THEN 'admin' WHEN i % 17 = 0 THEN 'owner' ELSE 'member' END AS kind,
                   ['en', 'id', 'de', 'fr'][1 + i % 4] AS lang,
                   ['US', 'ID', 'DE', 'CA', 'GB', 'Indonesia'][1 + i % 6] AS country,
                   '2024-01-01' AS created
            FROM range({accounts}) t(i)
        ) TO '{directory}' (FORMAT parquet)
        """
    )
    # Person j of the leak is account j % (accounts * 1.4): about 70% are accounts we have.
    span = int(accounts * 1.4)
    con.execute(
        f"""
        COPY (
            SELECT i AS exposure_id,
                   CASE WHEN b BETWEEN 55 AND 69 THEN bs_h('user-' || a) END AS distinct_id_hash,
                   CASE WHEN b < 55 THEN bs_h('user-' || a) END AS user_id_hash,
                   CASE WHEN b BETWEEN 70 AND 84 THEN bs_h(lower(em)) END AS email_hash,
                   CASE WHEN b BETWEEN 70 AND 84 THEN bs_h(lower(loose)) END AS email_loose_hash,
                   CASE WHEN b BETWEEN 70 AND 84 THEN bs_h(lower(em)) END AS email_skeleton_hash,
                   CASE WHEN b BETWEEN 85 AND 89 THEN bs_h('org-' || (a // 5)) END AS org_id_hash
            FROM (
                SELECT i, i % {span} AS a, hash(i) % 100 AS b,
                       'U' || (i % {span}) || CASE WHEN i % 3 = 0 THEN '+news' ELSE '' END
                           || CASE WHEN (i % {span}) % 5 = 0 THEN '@gmail.com' ELSE '@corp.example' END AS em,
                       'U' || (i % {span}) || CASE WHEN (i % {span}) % 5 = 0 THEN '@gmail.com'
                           ELSE '@corp.example' END AS loose
                FROM range({leaked}) t(i)
            )
        ) TO '{leak}' (FORMAT parquet)
        """
    )
    con.close()
    return leak, directory


def measure(work: Path, leak: Path, directory: Path) -> tuple[float, dict[str, int]]:
    settings = ScopeSettings(memory_limit="1GB", threads=2, temp_directory=work / "tmp")
    cpu0 = _cpu()
    started = time.perf_counter()
    con = connect_duckdb(settings, work / "tmp")
    matching.create_leak_table(con)
    matching.insert_leak(con, f"read_parquet('{leak}')")
    mapping = {
        "user_id": "uid",
        "email": "mail",
        "name": "full_name",
        "org_id": "tenant",
        "org_name": "tenant_name",
        "role": "kind",
        "language": "lang",
    }
    load_directory(con, DirectorySource(str(directory), mapping))
    matching.prepare_directory(con, KEY, DEFAULT_ADMIN_ROLES)
    matching.match(con)
    matching.rollup(con)
    counts = matching.summary_counts(con)
    counts.update({f"by_{k}": v for k, v in matching.key_counts(con).items()})
    con.close()
    counts["cpu_s"] = round(_cpu() - cpu0, 1)  # type: ignore[assignment]
    return time.perf_counter() - started, counts


def _cpu() -> float:
    """CPU seconds (user + system) of this process: less sensitive than wall time to other load."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


#: The exposures as ``case attach`` stores them: person j is account j % (accounts * 1.4) (about
#: 70% are accounts we have); 55% carry the user id, 15% the distinct id, 15% only an email (a
#: third plus-tagged), 5% only an org id, 10% nobody we know. 60% have a leaked country.
_EXPOSURES_SQL = """
SELECT i + 1 AS id, {incident} AS incident_id, {dataset} AS dataset_id,
       'p' || i AS person_key_hash,
       CASE WHEN b < 55 THEN 'user_id' WHEN b < 70 THEN 'distinct_id' WHEN b < 85 THEN 'email'
            ELSE 'row' END AS person_key_kind,
       CASE WHEN b BETWEEN 55 AND 69 THEN bs_h('user-' || a) END AS distinct_id_hash,
       CASE WHEN b < 55 THEN bs_h('user-' || a) END AS user_id_hash,
       CASE WHEN b BETWEEN 70 AND 84 THEN bs_h(lower(em)) END AS email_hash,
       CASE WHEN b BETWEEN 70 AND 84 THEN bs_h(lower(loose)) END AS email_loose_hash,
       CASE WHEN b BETWEEN 70 AND 84 THEN bs_h(lower(em)) END AS email_skeleton_hash,
       CASE WHEN b BETWEEN 85 AND 89 THEN bs_h('org-' || (a // 5)) END AS org_id_hash,
       CASE WHEN b % 7 = 0 THEN '["email", "payment_card"]' ELSE '["email"]' END AS exposed_classes,
       '["$email"]' AS exposed_fields,
       CASE WHEN c < 60 THEN ['US', 'ID', 'DE', 'FR'][1 + c % 4] END AS country_code,
       CASE WHEN c < 60 AND c % 4 = 0 THEN 'US-CA' END AS region_code,
       CASE WHEN c < 60 AND c % 4 = 0 THEN 'US-CA' WHEN c < 60 THEN ['US', 'ID', 'DE', 'FR'][1 + c % 4]
            END AS jurisdiction,
       CASE WHEN c < 60 AND c % 4 = 0 THEN 'leak_region' WHEN c < 60 THEN 'leak_country'
            END AS jurisdiction_source,
       CAST(NULL AS VARCHAR) AS directory_jurisdiction,
       CASE WHEN b BETWEEN 70 AND 84 THEN em END AS email,
       CAST(NULL AS VARCHAR) AS display_name,
       CASE WHEN c < 60 THEN 'City ' || (c % 10) END AS city,
       CASE WHEN c < 60 AND c % 4 = 0 THEN 'California' END AS region,
       CASE WHEN c < 60 THEN ['United States', 'Indonesia', 'Germany', 'France'][1 + c % 4] END AS country
FROM (
    SELECT i, i % {span} AS a, CAST(hash(i) % 100 AS BIGINT) AS b,
           CAST(hash(i + 7) % 100 AS BIGINT) AS c,
           'U' || (i % {span}) || CASE WHEN i % 3 = 0 THEN '+news' ELSE '' END
               || CASE WHEN (i % {span}) % 5 = 0 THEN '@gmail.com' ELSE '@corp.example' END AS em,
           'U' || (i % {span}) || CASE WHEN (i % {span}) % 5 = 0 THEN '@gmail.com'
               ELSE '@corp.example' END AS loose
    FROM range({people}) t(i)
)
"""


def fill_case(url: str, people: int) -> int:
    """A case with one incident holding ``people`` exposures (as ``case attach`` stores them,
    hashed under the benchmark's key), written in bulk; returns the incident id."""
    from breachscope.case import api, keys
    from breachscope.case.bulk import dbapi
    from breachscope.case.db import open_case_db, session_scope
    from breachscope.case.models import Incident

    engine = open_case_db(url, create=True)
    with session_scope(engine) as s:
        iid = api.create_incident(s, "bench").id
        incident = s.get(Incident, iid)
        assert incident is not None
        incident.wrapped_key, incident.key_id = keys.new_case_key(s, iid, KEY)
        ds = api.attach_dataset(s, iid, file_name="x", sha256="0" * 64, size_bytes=0, format="csv", scan={})
        con = duckdb.connect()
        con.execute("SET threads = 2")
        create_hash_macro(con, KEY)
        sql = _EXPOSURES_SQL.format(incident=iid, dataset=ds.id, span=int(people // 2 * 1.4), people=people)
        result = con.execute(sql)
        names = [d[0] for d in result.description]
        raw = dbapi(s)
        if engine.dialect.name == "sqlite":
            insert = f"INSERT INTO exposures ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
            cur = raw.cursor()
            while rows := result.fetchmany(100_000):
                cur.executemany(insert, rows)
            cur.close()
        else:
            with raw.cursor().copy(f"COPY exposures ({', '.join(names)}) FROM STDIN") as copy:
                while rows := result.fetchmany(100_000):
                    for r in rows:
                        copy.write_row(r)
            s.execute(
                text("SELECT setval(pg_get_serial_sequence('exposures', 'id'), max(id)) FROM exposures")
            )
        con.close()
    engine.dispose()
    return iid


def run_command(url: str, incident: int, directory: str, tmp: str) -> dict[str, float]:
    """``run_scope`` on a filled case, in this (fresh) process: seconds, CPU seconds, peak RSS."""
    from breachscope.case.db import open_case_db

    engine = open_case_db(url)
    mapping = {
        "user_id": "uid",
        "email": "mail",
        "org_id": "tenant",
        "org_name": "tenant_name",
        "role": "kind",
    }
    before = peak_rss_mb()
    cpu0, t0 = _cpu(), time.perf_counter()
    summary = run_scope(
        engine,
        incident,
        DirectorySource(directory, mapping),
        settings=ScopeSettings(temp_directory=Path(tmp)),
    )
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    engine.dispose()
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "rss_mib": peak_rss_mb(),
        "rss_before_mib": before,
        "matched_people": summary["matched_people"],
        "affected_orgs": summary["affected_orgs"],
    }


def _child(code: str, *args: str) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter (its own peak RSS); the last stdout line is JSON."""
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _python(code: str, *args: str) -> Any:
    """Run ``code`` in a fresh interpreter from the repository root (its own peak RSS); the
    last stdout line is JSON."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False, cwd=root
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


_FILL = (
    "import json, sys; from benchmarks.scope import fill_case; "
    "print(json.dumps(fill_case(sys.argv[1], int(sys.argv[2]))))"
)
_RUN = (
    "import json, sys; from benchmarks.scope import run_command; "
    "print(json.dumps(run_command(sys.argv[1], int(sys.argv[2]), *sys.argv[3:])))"
)


def measure_command(work: Path, people: int, pg_server: str | None = None) -> dict[str, float]:
    """Whole ``run_scope`` (read the exposures from the case, load and hash the directory, match,
    roll up, write matches, accounts and the roll-up back, minimise) on a case holding
    ``people`` exposures against ``people // 2`` accounts, in a child process: its seconds, CPU
    seconds and peak RSS. The case is filled in bulk in another process first; on SQLite it is
    built once in the work folder and copied for each run."""
    _, directory = generate(work, people, people // 2)
    result: dict[str, float]
    tmp = str(work / "tmp")
    if pg_server is None:
        template = work / f"scope-case-{people}.db"
        if not template.with_suffix(".db.ready").exists():
            for p in work.glob(template.name + "*"):
                p.unlink()
            iid = _python(_FILL, f"sqlite:///{template}", str(people))
            template.with_suffix(".db.ready").write_text(str(iid))
        iid = int(template.with_suffix(".db.ready").read_text())
        with case_url(work, f"scope-{people}", None) as url:
            db = Path(url.removeprefix("sqlite:///"))
            shutil.copyfile(template, db)
            shutil.copyfile(str(template) + ".key", str(db) + ".key")
            os.chmod(str(db) + ".key", 0o600)
            result = _python(_RUN, url, str(iid), str(directory), tmp)
            return result
    with case_url(work, f"scope-{people}", pg_server) as url:
        iid = _python(_FILL, url, str(people))
        result = _python(_RUN, url, str(iid), str(directory), tmp)
        return result


_ATTACH_CHILD = """
import json, resource, sys, time
from breachscope.case import api
from breachscope.exposures.attach import attach_file
from breachscope.case.db import open_case_db, session_scope
engine = open_case_db(sys.argv[2], create=True)
with session_scope(engine) as s:
    iid = api.create_incident(s, "bench").id
t0 = time.perf_counter()
r = attach_file(engine, iid, sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - t0, "records": r.records, "people": r.exposures,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure_attach(work: Path, rows: int, pg_server: str | None = None) -> dict[str, float]:
    """``attach_file`` of a ``synth`` leak CSV of ``rows`` rows into a fresh case (child process)."""
    out = work / f"synth-{rows}"
    if not (out / "people.csv").exists():
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from breachscope.cli import main; main()",
                "synth",
                "--rows",
                str(rows),
                "--out",
                str(out),
                "--formats",
                "csv",
            ],
            check=True,
            capture_output=True,
        )
    with case_url(work, f"attach-{rows}", pg_server) as url:
        return _child(_ATTACH_CHILD, str(out / "people.csv"), url)


def backends() -> list[tuple[str, str | None]]:
    """SQLite always; PostgreSQL too when ``BREACHSCOPE_TEST_PG_URL`` names a server (the URL
    the test suite uses; ``bash scripts/pg-test-server start`` prints one)."""
    pg = os.environ.get("BREACHSCOPE_TEST_PG_URL")
    return [("SQLite", None), *([("PostgreSQL", pg)] if pg else [])]


def match_rows(work: Path, *, quick: bool) -> list[dict[str, Any]]:
    """The matching alone (DuckDB, inputs from Parquet): 10M leaked vs 5M accounts (quick: 1M vs 500k)."""
    leaked, accounts = (1_000_000, 500_000) if quick else (10_000_000, 5_000_000)
    t0 = time.perf_counter()
    leak, directory = generate(work, leaked, accounts)
    gen_s = time.perf_counter() - t0
    rss_before = peak_rss_mb()
    seconds, counts = measure(work, leak, directory)
    rss = peak_rss_mb()
    label = f"{leaked // 1_000_000}M leaked vs {accounts / 1_000_000:g}M accounts"
    # The target is for the full size; the quick run scales it (1/10 of the data).
    target_s = 6.0 if quick else 60.0
    return [
        row(
            f"match + roll-up, {label}",
            round(seconds, 1),
            "s",
            target=f"< {target_s:g} s" + (" (60 s scaled to 1/10)" if quick else ""),
            passed=seconds < target_s,
            **counts,
        ),
        row(
            "CPU time of match + roll-up (user + system, all threads)",
            counts.pop("cpu_s"),
            "s",
            note="wall time on an idle 2-CPU machine is at least CPU time / 2",
        ),
        row(
            "load average when done (other jobs on the same 2 CPUs)",
            round(os.getloadavg()[0], 1),
            "",
        ),
        row(
            "peak RSS (generation + match)",
            round(rss, 0),
            "MiB",
            target="< 2048 MiB",
            passed=rss < 2048,
            rss_after_generation_mib=round(rss_before, 0),
        ),
        row("matched people per second", round(counts["leaked_people"] / seconds), "people/s"),
        row("input generation (not measured against a target)", round(gen_s, 1), "s"),
    ]


def main() -> None:
    args = parse_args(__doc__ or "scope")
    work: Path = args.work
    (work / "tmp").mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    if os.environ.get("BREACHSCOPE_BENCH_SKIP_MATCH") != "1":
        rows += match_rows(work, quick=args.quick)
    # The target for the whole command: 1M leaked people vs 500k accounts, < 15 s and
    # peak RSS < 1 GiB (quick: 100k vs 50k, no target).
    command_people = int(
        os.environ.get("BREACHSCOPE_BENCH_SCOPE_PEOPLE") or (100_000 if args.quick else 1_000_000)
    )
    for backend, server in backends() if os.environ.get("BREACHSCOPE_BENCH_SKIP_COMMAND") != "1" else []:
        c = measure_command(work, command_people, server)
        full = command_people == 1_000_000
        rows.append(
            row(
                f"whole scope (run_scope), {command_people:,} leaked vs "
                f"{command_people // 2:,} accounts, {backend}",
                round(c["seconds"], 1),
                "s",
                target="< 15 s" if full else None,
                passed=c["seconds"] < 15 if full else None,
                cpu_s=round(c["cpu_s"], 1),
                load_average=round(os.getloadavg()[0], 1),
                matched_people=c["matched_people"],
                affected_orgs=c["affected_orgs"],
            )
        )
        rows.append(
            row(
                f"whole scope peak RSS (child process, case filled by another), {backend}",
                round(c["rss_mib"]),
                "MiB",
                target="< 1024 MiB" if full else None,
                passed=c["rss_mib"] < 1024 if full else None,
                rss_before_scope_mib=round(c["rss_before_mib"]),
            )
        )
    if os.environ.get("BREACHSCOPE_BENCH_SKIP_ATTACH") != "1":
        n = 200_000 if args.quick else 1_000_000
        for backend, server in backends():
            a = measure_attach(work, n, server)
            rate = a["records"] / a["seconds"]
            rows.append(
                row(
                    f"case attach (hash, scan, extract, store), {n:,}-row synth CSV, {backend}",
                    round(rate),
                    "rows/s",
                    target=">= 150,000 rows/s",
                    passed=rate >= 150_000,
                    seconds=round(a["seconds"], 1),
                    people=a["people"],
                )
            )
            rows.append(
                row(
                    f"case attach peak RSS, {backend}",
                    round(a["rss_mib"]),
                    "MiB",
                    target="< 1024 MiB",
                    passed=a["rss_mib"] < 1024,
                )
            )
    emit(rows)


if __name__ == "__main__":
    main()
