"""Helpers shared by benchmark modules: argument parsing, peak RSS, result rows."""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--work", type=Path, default=Path("bench-out/work"))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    return args


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident set size in MiB of this process (or of its waited-for children)."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def row(
    name: str, value: float, unit: str, target: str | None = None, passed: bool | None = None, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "value": value, "unit": unit}
    if target is not None:
        out["target"] = target
        out["passed"] = passed
    out.update(extra)
    return out


def emit(rows: list[dict[str, Any]]) -> None:
    """Print the rows as the module's last stdout line (what benchmarks.run reads)."""
    print(json.dumps(rows), flush=True)


def measure_in_child(module: str, kind: str, path: Path) -> dict[str, Any]:
    """Run ``python -m <module> --measure <kind> <path>`` (a fresh process, so peak RSS is the
    measurement's own) and return the JSON dict it prints last."""
    proc = subprocess.run(
        [sys.executable, "-m", module, "--measure", kind, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} of {path.name} failed:\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@contextmanager
def case_url(work: Path, name: str, pg_server: str | None) -> Iterator[str]:
    """A fresh case database: a new SQLite file in ``work`` (an older one and its WAL, shared
    memory and key files removed first), or a new database on ``pg_server`` (dropped after)."""
    if pg_server is None:
        db = work / f"{name}.db"
        for p in work.glob(db.name + "*"):
            p.unlink()
        yield f"sqlite:///{db}"
        return
    from sqlalchemy import create_engine, make_url, text

    database = f"bs_bench_{name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        try:
            yield make_url(pg_server).set(database=database).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        admin.dispose()
