"""Data at rest: what field-level encryption costs, and how long a verified purge takes.

On a ``synth`` leak (200,000 rows; 20,000 with ``--quick``) and its directory, into fresh SQLite
cases, plain and with ``case new --encrypt`` (sealed email/city/region/country):

- ``case attach`` (hash + scan + extract + store) in rows/s;
- ``scope`` end to end (matching, storing, minimising);
- building the notice recipients (what ``notify`` reads from the case before rendering; the
  sealed values are opened here), in recipients/s;
- sealing and opening alone, in values/s (single thread);
- ``case purge``: exclusive lock, delete, VACUUM and the byte search of every deleted value.

Each measurement runs once per mode in this process; the machine is shared, so CPU time is
reported beside wall time.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import emit, parse_args, peak_rss_mb, row
from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.purge import purge
from breachscope.case.sealed import Sealer
from breachscope.exposures.attach import attach_file
from breachscope.hashing import new_key
from breachscope.scope.directory import DirectorySource
from breachscope.scope.recipients import recipients
from breachscope.scope.run import run_scope


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _timed(fn: Any) -> tuple[Any, float, float]:
    cpu, wall = _cpu(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - wall, _cpu() - cpu


def synth(work: Path, rows: int) -> Path:
    out = work / f"synth-{rows}"
    if not (out / "people.csv").exists():
        subprocess.run(
            [sys.executable, "-c", "from breachscope.cli import main; main()", "synth", "--out", str(out)]
            + ["--rows", str(rows), "--formats", "csv"],
            check=True,
        )
    return out


def one_mode(work: Path, leak: Path, directory: Path, encrypt: bool) -> list[dict[str, Any]]:
    label = "encrypted" if encrypt else "plain"
    db = work / f"case-{label}.db"
    for p in work.glob(db.name + "*"):
        p.unlink()
    engine = open_case_db(f"sqlite:///{db}", create=True)
    with session_scope(engine) as s:
        iid = api.create_incident(s, "bench", encrypt=encrypt).id
    result, attach_s, attach_cpu = _timed(lambda: attach_file(engine, iid, leak))
    _, scope_s, scope_cpu = _timed(lambda: run_scope(engine, iid, DirectorySource(str(directory))))

    def build() -> int:
        with session_scope(engine) as s:
            return len(recipients(s, iid))

    n_recipients, recip_s, recip_cpu = _timed(build)
    size = sum(p.stat().st_size for p in work.glob(db.name + "*"))
    purged, purge_s, purge_cpu = _timed(lambda: purge(engine, iid))
    engine.dispose()
    return [
        row(f"attach {result.records:,} rows ({label})", round(result.records / attach_s), "rows/s",
            seconds=round(attach_s, 2), cpu_s=round(attach_cpu, 2), people=result.exposures),
        row(f"scope ({label})", round(scope_s, 2), "s", cpu_s=round(scope_cpu, 2)),
        row(f"notice recipients from the case ({label})", round(n_recipients / recip_s), "recipients/s",
            recipients=n_recipients, seconds=round(recip_s, 3), cpu_s=round(recip_cpu, 3)),
        row(f"case file after scope ({label})", round(size / 2**20, 1), "MiB"),
        row(f"purge incl. byte check ({label})", round(purge_s, 2), "s", cpu_s=round(purge_cpu, 2),
            values_checked=purged.values_checked, verified=purged.verified, files=purged.files),
    ]  # fmt: skip


def seal_rate(n: int) -> list[dict[str, Any]]:
    sealer = Sealer(new_key(), 1)
    values = [f"person{i}@example.org" for i in range(n)]
    sealed, seal_s, _ = _timed(lambda: sealer.seal_all("email", values))
    _, open_s, _ = _timed(lambda: [sealer.open("email", v) for v in sealed])
    return [
        row("seal (AES-256-GCM) one value", round(n / seal_s), "values/s"),
        row("open one value", round(n / open_s), "values/s"),
    ]


def main() -> None:
    args = parse_args(__doc__ or "")
    rows = 20_000 if args.quick else 200_000
    work: Path = args.work
    shutil.rmtree(work / "cases", ignore_errors=True)
    (work / "cases").mkdir(parents=True)
    data = synth(work, rows)
    out: list[dict[str, Any]] = []
    for encrypt in (False, True):
        out += one_mode(work / "cases", data / "people.csv", data / "directory.csv", encrypt)
    out += seal_rate(200_000)
    out.append(row("peak RSS", round(peak_rss_mb(), 1), "MiB"))
    emit(out)


if __name__ == "__main__":
    main()
