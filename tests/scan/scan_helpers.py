"""Build in-memory sources for engine tests (no files, no readers)."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from breachscope.readers.base import Chunk, ReadIssue, Source

KEY = b"k" * 32
_BODY = "Zx81kPq2LmN7vB4cR9tYw3Hj6Ks5Dg0Fa2Qe8Ui4Op1Ly7Tr3Mn9Bc5Xv0Ws6Az2"
#: Secret-shaped test values, assembled so the repository holds no complete key string.
OPENAI_PROJECT = "sk-" + "proj-" + _BODY[:40] + "T3Blbk" + "FJ" + _BODY[:40]
GITHUB = "gh" + "p_" + _BODY[:36]


def source(
    batches: Sequence[pa.RecordBatch] | pa.Table,
    name: str = "mem.csv",
    fmt: str = "csv",
    issues: Sequence[ReadIssue] = (),
) -> Source:
    """A source streaming ``batches`` (a table is split into its record batches)."""
    if isinstance(batches, pa.Table):
        batches = batches.to_batches()
    chunks: list[Chunk] = []
    offset = 0
    for b in batches:
        chunks.append(Chunk(offset, b))
        offset += b.num_rows
    return Source(
        name=name,
        format=fmt,
        size_bytes=sum(b.num_rows for b in batches) * 100,
        open_chunks=lambda cb: iter(chunks),
        issues=list(issues),
    )


def clean_table(rows: int) -> pa.Table:
    """Analytics-like data with nothing critical in it."""
    cities = ["Jakarta", "Bandung", "London", "Berlin", "Austin"]
    return pa.table(
        {
            "$distinct_id": [f"{i:08x}-e346-4b67-ae32-77b139f01b8a" for i in range(rows)],
            "$email": [f"user{i}@example.com" for i in range(rows)],
            "$name": [["Budi Santoso", "Siti Rahma", "Jane Doe"][i % 3] for i in range(rows)],
            "$city": [cities[i % 5] for i in range(rows)],
            "mp_country_code": [["ID", "GB", "DE", "US"][i % 4] for i in range(rows)],
            "$created": [f"2024-0{1 + i % 9}-1{i % 10}T10:00:00" for i in range(rows)],
            "notes": [None if i % 50 else "asked about billing" for i in range(rows)],
        }
    )
