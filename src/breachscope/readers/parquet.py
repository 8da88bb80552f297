"""Parquet: row batches straight from the file (``ParquetFile.iter_batches``), structs flattened.

A plain file is read in place; a Parquet file inside an archive is spooled first (see
:meth:`Input.seekable`), because Parquet keeps its schema at the end of the file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from breachscope.readers.archive import Input
from breachscope.readers.base import Source
from breachscope.readers.table import ReadContext, Reader, rows_for


def _batches(inp: Input, src: Source, ctx: ReadContext) -> Iterator[pa.RecordBatch]:
    import pyarrow.parquet as pq  # with its filesystems (S3, Azure, TLS): only for Parquet files

    with inp.seekable(None) as where:
        pf = pq.ParquetFile(where)
        total = max(1, pf.metadata.num_rows)
        reported = 0
        done = 0
        if pf.metadata.num_rows == 0:
            ctx.log.add("empty", "the file holds no rows")
            yield pa.RecordBatch.from_pylist([], schema=pf.schema_arrow)
        rows = rows_for(pf.metadata.num_columns, ctx.batch_rows, ctx.batch_cells)
        for batch in pf.iter_batches(batch_size=rows):
            done += batch.num_rows
            if ctx.on_bytes is not None:
                target = inp.size_bytes * done // total
                ctx.on_bytes(target - reported)
                reported = target
            yield batch


READER = Reader(formats=("parquet",), extensions=(".parquet", ".pq"), batches=_batches, needs_seek=True)
