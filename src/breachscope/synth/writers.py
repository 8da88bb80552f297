"""Chunked writers for CSV, JSONL and Parquet; each takes a stream of same-schema tables."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from breachscope.files import open_private, private_file

_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def json_lines(table: pa.Table) -> pa.Array:
    """One JSON object per row, built column-wise (null values are left out, like Mixpanel)."""
    pieces: list[Any] = []
    first = True
    for name in table.column_names:
        col = table.column(name).combine_chunks().cast(pa.string())
        for old, new in _ESCAPES:
            col = pc.replace_substring(col, old, new)
        sep = "" if first else ","
        key = sep + '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '":"'
        piece = pc.binary_join_element_wise(key, col, '"', "")
        pieces.append(pc.if_else(pc.is_null(col), "", piece))
        first = False
    return pc.binary_join_element_wise("{", *pieces, "}\n", "")


def _write_values(out: Any, arr: pa.Array) -> None:
    """Writes the concatenated values of a non-null string array without a Python loop."""
    arr = arr.cast(pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)
    first, last = int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])
    out.write(memoryview(arr.buffers()[2])[first:last])


class TableWriter:
    """Writes tables to ``path`` in ``fmt`` (csv, jsonl or parquet), one chunk at a time."""

    def __init__(self, path: Path, fmt: str, schema: pa.Schema) -> None:
        self.path = path
        self.fmt = fmt
        self._file: Any = None
        self._writer: Any = None
        private_file(path)  # 0600 before pyarrow fills it
        if fmt == "csv":
            options = pacsv.WriteOptions(quoting_style="needed")
            self._writer = pacsv.CSVWriter(str(path), schema, write_options=options)
        elif fmt == "parquet":
            self._writer = pq.ParquetWriter(str(path), schema, compression="zstd")
        elif fmt == "jsonl":
            self._file = open_private(path, "wb")
        else:
            raise ValueError(f"unknown output format {fmt!r}")

    def write(self, table: pa.Table) -> None:
        if self.fmt == "jsonl":
            _write_values(self._file, json_lines(table))
        else:
            self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
