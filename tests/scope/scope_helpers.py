"""Building small cases by hand: a leak as an Arrow table, a directory as a CSV."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.case.extract import ExtractPlan, extract_batch
from breachscope.clock import Clock

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
DIRECTORY_COLUMNS = (
    "user_id",
    "email",
    "name",
    "org_id",
    "org_name",
    "role",
    "language",
    "country",
    "created",
)


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
