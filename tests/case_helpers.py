"""Helpers for tests of code that uses a case database (ours and other stages').

- :func:`fresh_pg_database`: an empty PostgreSQL database per test.
- :func:`make_case`: an incident whose exposures come from hand-written Mixpanel-style rows.
- :func:`write_directory`: a directory CSV from hand-written account rows.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.clock import Clock
from breachscope.exposures.extractor import extract_batch
from breachscope.exposures.plan import ExtractPlan
from breachscope.scope.directory import FIELDS


@contextmanager
def fresh_pg_database(server_url: str, prefix: str = "bs_test") -> Iterator[str]:
    """Create an empty PostgreSQL database on the server at ``server_url``; drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


LEAK_COLUMNS = (
    "$distinct_id",
    "$email",
    "$name",
    "$city",
    "$region",
    "mp_country_code",
    "org_id",
    "user_id",
)
DIRECTORY_COLUMNS = FIELDS  # the directory's canonical fields


def leak_table(rows: Sequence[dict[str, Any]]) -> pa.RecordBatch:
    cols = {c: [r.get(c) for r in rows] for c in LEAK_COLUMNS}
    return pa.RecordBatch.from_pydict({c: pa.array(v, pa.string()) for c, v in cols.items()})


def write_directory(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=DIRECTORY_COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in DIRECTORY_COLUMNS})
    return path


def make_case(engine: Engine, clock: Clock, leaked: Sequence[dict[str, Any]]) -> int:
    """An incident with one dataset whose exposures come from ``leaked`` rows."""
    batch = leak_table(leaked)
    with session_scope(engine) as s:
        iid = api.create_incident(s, "test", vendor="Mixpanel", clock=clock).id
        ds = api.attach_dataset(
            s, iid, file_name="people.csv", sha256="a" * 64, size_bytes=1, format="csv", scan={}, clock=clock
        )
        key = api.case_key(s, iid)
        plan = ExtractPlan.build(batch.schema.names)
        api.store_exposures(s, iid, ds.id, extract_batch(key, plan, batch, row_key_prefix="t"))
    return iid
