"""Helpers for reader tests: write tables in every format and compression, read them back."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import zipfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from breachscope.readers import Source, open_sources

COMPRESSIONS = ("none", "gz", "bz2", "xz", "zip", "zip+gz")


def encode(rows: list[dict[str, Any]], fmt: str) -> bytes:
    if fmt in ("csv", "tsv"):
        buf = io.StringIO(newline="")
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter="\t" if fmt == "tsv" else ",")
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue().encode("utf-8")
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1).encode("utf-8")
    if fmt == "parquet":
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows), sink)
        return sink.getvalue()
    if fmt == "avro":
        import fastavro

        fields = [{"name": k, "type": ["null", "string"]} for k in rows[0]]
        sink = io.BytesIO()
        fastavro.writer(
            sink, fastavro.parse_schema({"type": "record", "name": "row", "fields": fields}), rows
        )
        return sink.getvalue()
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "people"
        ws.append(list(rows[0]))
        for r in rows:
            ws.append(list(r.values()))
        sink = io.BytesIO()
        wb.save(sink)
        return sink.getvalue()
    raise ValueError(fmt)


def compress(data: bytes, name: str, compression: str, folder: Path) -> Path:
    """Writes ``data`` named ``name`` under ``folder`` with the given compression."""
    if compression == "none":
        path = folder / name
        path.write_bytes(data)
    elif compression == "gz":
        path = folder / f"{name}.gz"
        path.write_bytes(gzip.compress(data))
    elif compression == "bz2":
        path = folder / f"{name}.bz2"
        path.write_bytes(bz2.compress(data))
    elif compression == "xz":
        path = folder / f"{name}.xz"
        path.write_bytes(lzma.compress(data))
    elif compression in ("zip", "zip+gz"):
        path = folder / "leak.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
            if compression == "zip":
                z.writestr(f"export/{name}", data)
            else:
                z.writestr(f"export/{name}.gz", gzip.compress(data))
    else:
        raise ValueError(compression)
    return path


def read_rows(path: Path, **kwargs: Any) -> tuple[list[dict[str, Any]], list[Source]]:
    sources = open_sources(path, **kwargs)
    rows: list[dict[str, Any]] = []
    for src in sources:
        expected = 0
        for chunk in src.chunks():
            assert chunk.offset == expected
            expected += chunk.batch.num_rows
            rows.extend(chunk.batch.to_pylist())
    return rows, sources


def kinds(sources: list[Source]) -> list[str]:
    return [i.kind for s in sources for i in s.issues]
