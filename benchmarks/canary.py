"""Canary check against the plain scan of the same file (issue 16: at most 1.2x the scan time).

Generates the Mixpanel-style leak (10M rows, about 2.9 GB CSV; 1M with --rows 1000000; 100k
with --quick), a SQLite case with a 100,000-canary registry (10,000 with --quick) whose first
10 canaries are planted into a copy of the leak, then measures, each in its own subprocess and
alternating scan / check for ``--rounds`` rounds (the machine is shared: the ratio of the
medians is the figure, wall and CPU seconds both reported):

- scan: ``breachscope.scan.scan_files([path])`` (all detectors, every value)
- check: load the registry + ``breachscope.canary.check.check_files`` (every text value)

    python -m benchmarks.canary --work bench-out/work/canary [--quick] [--rows N] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

RATIO_TARGET = 1.2
REGISTRY = 100_000


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _measure_child(kind: str, path: Path, db: str) -> dict[str, Any]:
    from benchmarks.common import peak_rss_mb

    started, cpu0 = time.perf_counter(), _cpu()
    if kind == "scan":
        from breachscope.scan import scan_files

        rows = scan_files([path]).rows_examined
        found = 0
    else:
        from breachscope.canary import registry
        from breachscope.canary.check import check_files
        from breachscope.case.db import open_case_db, session_scope

        engine = open_case_db(db)
        with session_scope(engine) as s:
            reg = registry.load(s)
        assert reg is not None
        result = check_files(engine, reg, [path])
        rows, found = result.records, len({(f.batch_id, f.canary_no) for f in result.found})
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": _cpu() - cpu0,
        "rows": rows,
        "found": found,
        "peak_rss_mb": peak_rss_mb(),
    }


def _child(kind: str, path: Path, db: str) -> dict[str, Any]:
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.canary", "--measure", kind, str(path), db],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _prepare(work: Path, rows: int, registry_size: int) -> tuple[Path, str, float]:
    """The leak with 10 planted canaries, the case URL and the seconds `canary issue` took."""
    from breachscope.canary.service import issue_canaries
    from breachscope.case.db import open_case_db
    from breachscope.synth import generate

    folder = work / f"people-{rows}"
    marker = folder / ".complete"
    if not marker.exists():
        generate(rows, folder, seed=0, formats=("csv",))
        marker.write_text("csv")
    db_path = work / f"registry-{registry_size}.db"
    leak = work / f"leak-{rows}-planted.csv"
    for stale in (db_path, db_path.with_name(db_path.name + ".key"), leak, work / "canaries.csv"):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{db_path}"
    engine = open_case_db(url, create=True)
    started = time.perf_counter()
    issue_canaries(
        engine, "Bench vendor", count=registry_size, domain="canary.example.com", with_token=True,
        layout="mixpanel", out=work / "canaries.csv", rng=random.Random(1),
    )  # fmt: skip
    issue_s = time.perf_counter() - started
    engine.dispose()
    shutil.copyfile(folder / "people.csv", leak)
    header = (folder / "people.csv").open().readline().strip().split(",")
    with (work / "canaries.csv").open() as fh, leak.open("a") as out:
        lines = fh.read().splitlines()[1:11]
        for line in lines:  # $distinct_id,$email,$first_name,$last_name,$name,user_id,api_key
            d, e, _f, _l, n, u, _t = line.split(",")
            values = {'"$distinct_id"': d, '"$email"': e, '"$name"': n, '"user_id"': u}
            out.write(",".join(f'"{values.get(h, "")}"' for h in header) + "\n")
    (work / "canaries.csv").unlink()
    return leak, url, issue_s


def main() -> None:
    from benchmarks.common import emit, row

    parser = argparse.ArgumentParser(description="canary benchmark")
    parser.add_argument("--work", type=Path, default=Path("bench-out/work/canary"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = args.rows or (100_000 if args.quick else 10_000_000)
    size = 10_000 if args.quick else REGISTRY
    leak, url, issue_s = _prepare(args.work, rows, size)
    scans, checks = [], []
    for _ in range(args.rounds):
        scans.append(_child("scan", leak, url))
        checks.append(_child("check", leak, url))
        print(f"scan {scans[-1]['seconds']:.1f} s, check {checks[-1]['seconds']:.1f} s", file=sys.stderr)
    scan_s = statistics.median(r["seconds"] for r in scans)
    check_s = statistics.median(r["seconds"] for r in checks)
    scan_cpu = statistics.median(r["cpu_seconds"] for r in scans)
    check_cpu = statistics.median(r["cpu_seconds"] for r in checks)
    ratio = check_s / scan_s
    label = f"csv {rows:,} rows, {size:,} canaries"
    emit(
        [
            row(f"canary issue {size:,} (mint, hash, store, export)", round(issue_s, 2), "s"),
            row(f"{label}: scan, median wall", round(scan_s, 2), "s", rounds=args.rounds),
            row(f"{label}: canary check, median wall", round(check_s, 2), "s", rounds=args.rounds),
            row(f"{label}: scan, median CPU", round(scan_cpu, 2), "s"),
            row(f"{label}: canary check, median CPU", round(check_cpu, 2), "s"),
            row(f"{label}: check peak RSS", round(max(r["peak_rss_mb"] for r in checks), 1), "MiB"),
            row(
                f"{label}: planted canaries found",
                checks[0]["found"],
                "canaries",
                target="10",
                passed=checks[0]["found"] == 10,
            ),
            row(
                f"{label}: check / scan (wall)",
                round(ratio, 2),
                "x",
                target=f"<= {RATIO_TARGET:g}x",
                passed=ratio <= RATIO_TARGET,
                cpu_ratio=round(check_cpu / scan_cpu, 2),
                cpus=os.cpu_count(),
            ),
        ]
    )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--measure":
        print(json.dumps(_measure_child(sys.argv[2], Path(sys.argv[3]), sys.argv[4])), flush=True)
    else:
        main()
