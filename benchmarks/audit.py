"""The audit chain (issue 14; no target set): appends per second, one committed transaction
each as the CLI and the server make them, and verify throughput over a long chain.

SQLite file in the work folder; 2,000 committed appends and a 50,000-entry chain verified
(--quick: 500 and 5,000). Measured on whatever else the machine is doing: say so with the figures.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from benchmarks.common import emit, parse_args, row
from breachscope.case import audit
from breachscope.case.db import open_case_db, session_scope


def main() -> None:
    args = parse_args(__doc__ or "")
    committed, chain = (500, 5_000) if args.quick else (2_000, 50_000)
    path = args.work / "audit.db"
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        part.unlink(missing_ok=True)
    engine = open_case_db(f"sqlite:///{path}", create=True)
    details = {
        "reason": "benchmark",
        "changed": [{"key": "cause", "old": "unknown", "new": "outside-attacker"}],
    }
    started = time.perf_counter()
    for i in range(committed):
        with session_scope(engine) as s:
            audit.append(
                s,
                actor="bench",
                action="incident.facts",
                object_type="incident",
                object_id=i,
                details=details,
            )
    per_s = committed / (time.perf_counter() - started)
    at = datetime.now(UTC)
    with session_scope(engine) as s:
        for i in range(chain - committed):
            audit.append(
                s,
                actor="bench",
                action="task.update",
                object_type="task",
                object_id=i,
                details=details,
                at=at,
            )
    started = time.perf_counter()
    with session_scope(engine) as s:
        result = audit.verify(s)
    verify_s = time.perf_counter() - started
    assert result.ok and result.entries == chain, result.problems[:3]
    engine.dispose()
    emit(
        [
            row("audit append, one transaction each (SQLite)", round(per_s), "entries/s", entries=committed),
            row(
                "audit verify (SQLite)",
                round(chain / verify_s),
                "entries/s",
                entries=chain,
                seconds=round(verify_s, 2),
            ),
        ]
    )


if __name__ == "__main__":
    main()
