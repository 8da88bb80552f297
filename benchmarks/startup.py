"""Instant start (issue 13): whole-process ``breachscope --help`` / ``--version``, and the
whole-process scan of the generated 1M-row leak (CSV and Parquet) against a whole-process plain
pyarrow read of the same file.

Each measurement starts a fresh interpreter (``python -m breachscope ...``), as a user's shell
does, and takes the median of several runs. Beside wall time it records the CPU time (user +
system) of the child and the load average, since wall times on a shared machine are not
comparable. Targets: ``--help`` and ``--version`` under 0.25 s; the whole scan (start-up
included) at most 3x the whole plain read (wall). The ratio is reported both ways (scan / plain
and plain / scan) for wall and CPU time. 1M rows take about a minute in all, 100k with --quick.

    python -m benchmarks.startup --work bench-out/work/startup [--quick]
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import emit, parse_args, row

START_TARGET_S = 0.25
RATIO_TARGET = 3.0
PLAIN_READ = {
    "csv": "import sys, pyarrow.csv as c; t = c.read_csv(sys.argv[1]); print(t.num_rows)",
    "parquet": "import sys, pyarrow.parquet as p; t = p.read_table(sys.argv[1]); print(t.num_rows)",
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _median_run(cmd: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (user + system) of ``runs`` fresh processes."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu, started = _children_cpu(), time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
        cpus.append(_children_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _leak(work: Path, rows: int) -> Path:
    """The generated leak (CSV and Parquet), made once and reused."""
    folder = work / f"people-{rows}"
    marker = folder / ".complete"
    if not marker.exists():
        from breachscope.synth import generate

        generate(rows=rows, out=folder, formats=("csv", "parquet"))
        marker.write_text("csv,parquet")
    return folder


def _compare(fmt: str, path: Path, rows: int, runs: int) -> list[dict[str, Any]]:
    cli = [sys.executable, "-m", "breachscope", "scan", str(path), "-q"]
    load = os.getloadavg()[0]
    plain_wall, plain_cpu = _median_run([sys.executable, "-c", PLAIN_READ[fmt], str(path)], runs)
    scan_wall, scan_cpu = _median_run(cli, runs)
    ratio = scan_wall / plain_wall
    print(
        f"{fmt}: plain {plain_wall:.2f} s ({plain_cpu:.2f} CPU-s), scan {scan_wall:.2f} s "
        f"({scan_cpu:.2f} CPU-s): {ratio:.2f}x wall, {scan_cpu / plain_cpu:.2f}x CPU "
        f"(load {load:.1f})",
        file=sys.stderr,
    )
    label = f"{fmt} {rows:,}"
    return [
        row(
            f"{label} plain pyarrow read (whole process)",
            round(plain_wall, 2),
            "s",
            cpu_s=round(plain_cpu, 2),
        ),
        row(
            f"{label} breachscope scan -q (whole process)",
            round(scan_wall, 2),
            "s",
            cpu_s=round(scan_cpu, 2),
        ),
        row(
            f"{label} whole scan / whole plain read (wall)",
            round(ratio, 2),
            "x",
            target=f"<= {RATIO_TARGET:g}x",
            passed=ratio <= RATIO_TARGET,
            load_average=round(load, 1),
        ),
        row(f"{label} whole plain read / whole scan (wall)", round(1 / ratio, 3), "x"),
        row(f"{label} whole scan / whole plain read (CPU)", round(scan_cpu / plain_cpu, 2), "x"),
        row(f"{label} whole plain read / whole scan (CPU)", round(plain_cpu / scan_cpu, 3), "x"),
    ]


def main() -> None:
    args = parse_args(__doc__ or "")
    cli = [sys.executable, "-m", "breachscope"]
    rows = []
    for flag in ("--help", "--version"):
        seconds, cpu = _median_run([*cli, flag], runs=9)
        rows.append(
            row(
                f"breachscope {flag} (whole process, median of 9)",
                round(seconds, 3),
                "s",
                target=f"< {START_TARGET_S:g} s",
                passed=seconds < START_TARGET_S,
                cpu_s=round(cpu, 3),
            )
        )
    n = 100_000 if args.quick else 1_000_000
    folder = _leak(args.work, n)
    for fmt in ("csv", "parquet"):
        rows += _compare(fmt, folder / f"people.{fmt}", n, runs=3)
    emit(rows)


if __name__ == "__main__":
    main()
