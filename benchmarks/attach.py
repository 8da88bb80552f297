"""``case attach`` of a generated leak: rows per second, CPU seconds and peak RSS.

Issue 13's target: ``case attach`` of the 1M-row ``synth`` CSV (hash, scan, extract and store
the people, everything ``breachscope case attach`` does) at 150,000 rows/s or more on SQLite,
peak RSS under 1 GiB, with the PostgreSQL figure beside it. The quick run attaches 200k rows
(the target is reported, judged on the full run only).

Each measurement runs in a fresh child process (its own peak RSS) into a fresh case: a new
SQLite file, and a new database on the PostgreSQL server that ``BREACHSCOPE_TEST_PG_URL`` names
(the test suite's variable; ``bash scripts/pg-test-server start`` prints one), dropped
afterwards. CPU seconds are user + system of the child, all threads: on a busy machine the
wall time grows, the CPU time much less; the load average is reported beside them.

    python -m benchmarks.attach --work bench-out/work/attach [--quick]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import case_url, emit, parse_args, row

TARGET_ROWS_S = 150_000
TARGET_RSS_MIB = 1024

_CHILD = """
import json, os, resource, sys, time
from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.exposures import attach_file
engine = open_case_db(sys.argv[2], create=True)
with session_scope(engine) as s:
    iid = api.create_incident(s, "bench").id
before = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
r = attach_file(engine, iid, sys.argv[1])
seconds = time.perf_counter() - t0
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
engine.dispose()
print(json.dumps({"seconds": seconds, "cpu_s": cpu, "records": r.records, "people": r.exposures,
                  "rss_mib": after.ru_maxrss / 1024, "load": os.getloadavg()[0]}))
"""


def leak(work: Path, rows: int) -> Path:
    """The ``synth`` people CSV of ``rows`` rows (made once, kept in the work folder)."""
    out = work / f"synth-{rows}"
    path = out / "people.csv"
    if not path.exists():
        from breachscope.synth import generate

        generate(rows=rows, out=out, formats=("csv",))
    return path


def measure(path: Path, url: str) -> dict[str, Any]:
    """``attach_file`` of ``path`` into the case at ``url``, in a child process."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), url], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"attach of {path.name} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def backends() -> list[tuple[str, str | None]]:
    """SQLite always; PostgreSQL too when ``BREACHSCOPE_TEST_PG_URL`` names a server."""
    pg = os.environ.get("BREACHSCOPE_TEST_PG_URL")
    return [("SQLite", None), *([("PostgreSQL", pg)] if pg else [])]


def main() -> None:
    args = parse_args(__doc__ or "attach")
    work: Path = args.work
    rows_n = 200_000 if args.quick else 1_000_000
    path = leak(work, rows_n)
    full = rows_n == 1_000_000
    rows = []
    for backend, server in backends():
        with case_url(work, f"attach-{rows_n}-{backend.lower()}", server) as url:
            m = measure(path, url)
        rate = m["records"] / m["seconds"]
        judged = {"passed": rate >= TARGET_ROWS_S} if full else {"passed": None}
        rows.append(
            row(
                f"case attach (hash, scan, extract, store), {rows_n:,}-row synth CSV, {backend}",
                round(rate),
                "rows/s",
                target=f">= {TARGET_ROWS_S:,} rows/s" + ("" if full else " (judged on the 1M run)"),
                seconds=round(m["seconds"], 1),
                cpu_s=round(m["cpu_s"], 1),
                people=m["people"],
                load_average=round(m["load"], 1),
                **judged,
            )
        )
        rows.append(
            row(f"case attach CPU time (user + system, all threads), {backend}", round(m["cpu_s"], 1), "s")
        )
        rows.append(
            row(
                f"case attach peak RSS, {backend}",
                round(m["rss_mib"]),
                "MiB",
                target=f"< {TARGET_RSS_MIB} MiB",
                passed=m["rss_mib"] < TARGET_RSS_MIB if full else None,
            )
        )
    rows.append(row("load average when done (other jobs on the same CPUs)", round(os.getloadavg()[0], 1), ""))
    emit(rows)


if __name__ == "__main__":
    main()
