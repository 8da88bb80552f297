"""What leaving canary records out costs ``case attach`` (issue 16): the same leak attached to a
case whose database never issued a canary (nothing runs) and to one with a 100,000-canary
registry (every batch is checked, canary rows blanked before extraction).

Uses :mod:`benchmarks.canary`'s leak with 10 planted canaries (``--rows``, default 100,000:
attach is the slow stage, see benchmarks/attach.py). Each attach runs in its own process,
alternating plain / registry for ``--rounds`` rounds; the figure is the ratio of the medians
(wall and CPU). Also checks that exactly the planted canaries are left out:
exposures(registry) = exposures(plain) - 10.

    python -m benchmarks.canary_attach --work bench-out/work/canary_attach [--rows N] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.canary import REGISTRY, _cpu, _prepare

PLANTED = 10


def _measure(db: str, path: Path) -> dict[str, Any]:
    from benchmarks.common import peak_rss_mb
    from breachscope.case import api
    from breachscope.case.db import open_case_db, session_scope
    from breachscope.exposures import attach_file

    engine = open_case_db(db, create=True)
    with session_scope(engine) as s:
        incident = api.create_incident(s, "bench").id
    started, cpu0 = time.perf_counter(), _cpu()
    r = attach_file(engine, incident, path)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": _cpu() - cpu0,
        "records": r.records,
        "exposures": r.exposures,
        "canary_records": r.canary_records,
        "peak_rss_mb": peak_rss_mb(),
    }


def _child(db: str, path: Path) -> dict[str, Any]:
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.canary_attach", "--measure", db, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"attach failed:\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    from benchmarks.common import emit, row

    parser = argparse.ArgumentParser(description="canary exclusion cost in case attach")
    parser.add_argument("--work", type=Path, default=Path("bench-out/work/canary_attach"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--registry", type=int, default=REGISTRY)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    leak, url, _ = _prepare(args.work, args.rows, args.registry)
    registry_db = Path(url.removeprefix("sqlite:///"))
    plain, with_registry = [], []
    for n in range(args.rounds):
        fresh = args.work / f"plain-{n}.db"
        for stale in (fresh, fresh.with_name(fresh.name + ".key")):
            stale.unlink(missing_ok=True)
        plain.append(_child(f"sqlite:///{fresh}", leak))
        copy = args.work / f"registry-copy-{n}.db"
        shutil.copyfile(registry_db, copy)
        shutil.copyfile(registry_db.with_name(registry_db.name + ".key"), copy.with_name(copy.name + ".key"))
        with_registry.append(_child(f"sqlite:///{copy}", leak))
        print(
            f"plain {plain[-1]['seconds']:.1f} s, with registry {with_registry[-1]['seconds']:.1f} s",
            file=sys.stderr,
        )
    p_s = statistics.median(r["seconds"] for r in plain)
    r_s = statistics.median(r["seconds"] for r in with_registry)
    p_cpu = statistics.median(r["cpu_seconds"] for r in plain)
    r_cpu = statistics.median(r["cpu_seconds"] for r in with_registry)
    label = f"attach csv {args.rows:,} rows"
    left_out = plain[0]["exposures"] - with_registry[0]["exposures"]
    emit(
        [
            row(f"{label}, no canary issued: median wall", round(p_s, 2), "s", rounds=args.rounds),
            row(f"{label}, {args.registry:,}-canary registry: median wall", round(r_s, 2), "s"),
            row(f"{label}, no canary issued: median CPU", round(p_cpu, 2), "s"),
            row(f"{label}, {args.registry:,}-canary registry: median CPU", round(r_cpu, 2), "s"),
            row(
                f"{label}: canary records left out of the exposures",
                left_out,
                "records",
                target=str(PLANTED),
                passed=left_out == PLANTED and with_registry[0]["canary_records"] == PLANTED,
            ),
            row(
                f"{label}: with registry / without (wall)",
                round(r_s / p_s, 2),
                "x",
                cpu_ratio=round(r_cpu / p_cpu, 2),
            ),
        ]
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(_measure(sys.argv[2], Path(sys.argv[3]))), flush=True)
    else:
        main()
