"""Excel .xlsx: each worksheet is its own source (``book.xlsx[Sheet1]``), read with openpyxl's
read-only (streaming) mode. The first row is the header; every cell becomes a string (integral
numbers without ``.0``, so a 16-digit number stored as a number still reads as 16 digits;
dates in ISO 8601). Formulas are read as their cached values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from breachscope.readers.archive import Input
from breachscope.readers.base import Source
from breachscope.readers.table import ReadContext, Reader, unique_names


def cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def sheet_names(inp: Input) -> list[str]:
    from openpyxl import load_workbook

    with inp.seekable(None) as where:
        wb = load_workbook(where, read_only=True, data_only=True)
        try:
            return list(wb.sheetnames)
        finally:
            wb.close()


def sheet_of(src: Source) -> str | None:
    """The sheet a source stands for (``book.xlsx[Sheet1]`` -> ``Sheet1``)."""
    if src.name.endswith("]") and "[" in src.name:
        return src.name[src.name.rindex("[") + 1 : -1]
    return None


def _batches(inp: Input, src: Source, ctx: ReadContext) -> Iterator[pa.RecordBatch]:
    from openpyxl import load_workbook

    with inp.seekable(None) as where:
        wb = load_workbook(where, read_only=True, data_only=True)
        try:
            name = sheet_of(src)
            ws = wb[name] if name in wb.sheetnames else wb.worksheets[0]
            rows = ws.iter_rows(values_only=True)
            header = next(rows, None)
            if header is None:
                ctx.log.add("empty", "the worksheet holds no rows")
                return
            cells = list(header)
            while cells and cell_text(cells[-1]) is None:
                cells.pop()  # read-only mode pads rows to the sheet's widest row
            names = unique_names([cell_text(v) or "" for v in cells])
            width = len(names)
            columns: list[list[str | None]] = [[] for _ in names]
            line = 1
            for row in rows:
                line += 1
                if len(row) > width and any(v is not None for v in row[width:]):
                    ctx.log.add(
                        "ragged_row",
                        f"row has {len(row)} cells, header {width}; extra cells kept in extra_* columns",
                        line=line,
                    )
                    for extra in range(width, len(row)):
                        names.append(f"extra_{extra + 1}")
                        columns.append([None] * len(columns[0]))
                    width = len(names)
                for i in range(width):
                    columns[i].append(cell_text(row[i]) if i < len(row) else None)
                if len(columns[0]) >= ctx.batch_rows:
                    yield _batch(names, columns)
                    columns = [[] for _ in names]
            if columns[0] or line == 1:
                yield _batch(names, columns)
        finally:
            wb.close()
            if ctx.on_bytes is not None:
                ctx.on_bytes(src.size_bytes or 0)


def _batch(names: list[str], columns: list[list[str | None]]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array(c, type=pa.string()) for c in columns], names=list(names))


READER = Reader(formats=("xlsx",), extensions=(".xlsx", ".xlsm"), batches=_batches, needs_seek=True)
