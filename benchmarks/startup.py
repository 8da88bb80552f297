"""Instant start (issue 13): whole-process ``breachscope --help`` / ``--version``, and the
whole-process scan of a CSV against a whole-process plain pyarrow read of the same file.

Each measurement starts a fresh interpreter (``python -m breachscope ...``), as a user's shell
does, and takes the median of several runs. Targets: ``--help`` and ``--version`` under 0.25 s;
the whole scan (start-up included) at most 3x the whole plain read (1M rows; --quick: 100k).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from benchmarks.common import emit, parse_args, row
from breachscope.synth import generate

START_TARGET_S = 0.25
RATIO_TARGET = 3.0
PLAIN_READ = "import sys, pyarrow.csv as c; t = c.read_csv(sys.argv[1]); print(t.num_rows)"


def _median_seconds(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    args = parse_args(__doc__ or "")
    cli = [sys.executable, "-m", "breachscope"]
    rows = []
    for flag in ("--help", "--version"):
        seconds = _median_seconds([*cli, flag], runs=9)
        rows.append(
            row(
                f"breachscope {flag} (whole process, median of 9)",
                round(seconds, 3),
                "s",
                target=f"< {START_TARGET_S:g} s",
                passed=seconds < START_TARGET_S,
            )
        )
    n = 100_000 if args.quick else 1_000_000
    leak = args.work / f"people-{n}.csv"
    if not leak.exists():
        generate(rows=n, out=args.work / "synth", formats=("csv",))
        (args.work / "synth" / "people.csv").rename(leak)
    plain = _median_seconds([sys.executable, "-c", PLAIN_READ, str(leak)], runs=3)
    scan = _median_seconds([*cli, "scan", str(leak), "-q"], runs=3)
    ratio = scan / plain
    rows += [
        row(f"csv {n:,} plain pyarrow read (whole process)", round(plain, 2), "s"),
        row(f"csv {n:,} breachscope scan (whole process)", round(scan, 2), "s"),
        row(
            f"csv {n:,} whole scan / whole plain read",
            round(ratio, 2),
            "x",
            target=f"<= {RATIO_TARGET:g}x",
            passed=ratio <= RATIO_TARGET,
        ),
    ]
    emit(rows)


if __name__ == "__main__":
    main()
