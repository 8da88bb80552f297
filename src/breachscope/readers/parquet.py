"""Parquet: row batches straight from the file (``ParquetFile.iter_batches``), structs flattened.

A plain file is read in place; a Parquet file inside an archive is spooled first (see
:meth:`Input.seekable`), because Parquet keeps its schema at the end of the file.

With ``ReadContext.dictionaries`` (the scan), a top-level string column that every row group
stores dictionary-encoded in a few bytes a value (``city``, ``os``: indices into a short
dictionary) is read as a dictionary array: its dictionary page and indices as they are,
instead of every value decoded into a string and hashed into a dictionary again by the scan.
Such a column's reader ends a batch where a row group ends (its dictionary changes), so those
columns are read beside the others and joined to their batches (see ``_with_dictionaries``).

pyarrow does not check that a string column holds UTF-8: each batch is checked here, and an
invalid byte sequence is replaced by U+FFFD and reported ``invalid_utf8`` with its record, as
the text readers do (see :mod:`breachscope.readers.valid_utf8`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pyarrow as pa

from breachscope.readers.archive import Input
from breachscope.readers.base import Source
from breachscope.readers.table import ReadContext, Reader, rows_for
from breachscope.readers.valid_utf8 import repair_invalid_utf8

if TYPE_CHECKING:
    import pyarrow.parquet as pq

#: A column is read as a dictionary when each row group stores it in at most this many bytes a
#: value (uncompressed, dictionary page included): low-cardinality columns take about 0.1-2,
#: ids, emails and timestamps 20-40 (reading those as dictionaries would hash every value).
DICTIONARY_BYTES = 4


def dictionary_columns(pf: pq.ParquetFile) -> list[str]:
    """The string columns worth reading as dictionary arrays (see the module doc); none unless
    the schema is flat, with distinct names without dots (columns are selected by name)."""
    md, schema = pf.metadata, pf.schema_arrow
    names = schema.names
    if md.num_row_groups == 0 or md.num_columns != len(names) or len(set(names)) != len(names):
        return []
    if any("." in n or pa.types.is_nested(t) for n, t in zip(names, schema.types, strict=True)):
        return []
    out = []
    for j, field in enumerate(schema):
        if field.type != pa.string():
            continue
        chunks = [md.row_group(r).column(j) for r in range(md.num_row_groups)]
        if all(
            c.path_in_schema == field.name
            and c.has_dictionary_page
            and c.total_uncompressed_size <= DICTIONARY_BYTES * c.num_values
            for c in chunks
        ):
            out.append(field.name)
    return out


def _with_dictionaries(
    plain: pq.ParquetFile, encoded: pq.ParquetFile, wanted: list[str], rows: int
) -> Iterator[pa.RecordBatch]:
    """The file's batches of ``rows`` rows with the ``wanted`` columns as dictionary arrays.

    A dictionary column's reader ends a batch at each row group (each has its own dictionary),
    so those columns are read on their own and their pieces sliced and joined to the other
    columns' batches: only their indices are copied, never the other columns' values. Both
    readers are followed to their end, as the plain read is: the footer's row count is not
    trusted (a hostile file may claim fewer rows than its row groups hold, or more).
    """
    names = plain.schema_arrow.names
    others = [n for n in names if n not in wanted]
    pieces = encoded.iter_batches(batch_size=rows, columns=wanted)
    held: list[pa.RecordBatch] = []
    held_rows = done = 0
    batches = plain.iter_batches(batch_size=rows, columns=others) if others else None
    while True:
        batch = next(batches, None) if batches is not None else None
        if batches is not None and batch is None:
            if held_rows or any(p.num_rows for p in pieces):  # a damaged file
                raise ValueError(f"dictionary columns hold more rows than the others (past row {done})")
            return
        size = batch.num_rows if batch is not None else rows
        while held_rows < size and (piece := next(pieces, None)) is not None:
            held.append(piece)
            held_rows += piece.num_rows
        if held_rows < size:
            if batch is not None:  # a damaged file: its dictionary columns hold fewer rows
                raise ValueError(f"dictionary columns end before row {done + size}")
            if held_rows == 0:
                return
            size = held_rows
        joined = pa.Table.from_batches(held).slice(0, size)
        rest = held_rows - size
        held = [held[-1].slice(held[-1].num_rows - rest)] if rest else []
        held_rows = rest
        done += size
        columns = {n: joined.column(n).combine_chunks() for n in wanted}
        if batch is not None:
            columns.update(zip(others, batch.columns, strict=True))
        yield pa.RecordBatch.from_arrays([columns[n] for n in names], names=names)


def checked(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` once its dictionary columns' indices are known to lie within their dictionaries.

    pyarrow checks a hostile file's indices when it decodes them into values, not when it gives
    a column as a dictionary array (``read_dictionary``, or a file whose Arrow schema says
    dictionary): such an array is refused here as the decoding read refuses it (the same
    ``ArrowInvalid``), before anything reads a value through it.
    """
    import pyarrow.compute as pc

    for column in batch.columns:
        if isinstance(column, pa.DictionaryArray) and column.indices.null_count < len(column):
            low, high = pc.min_max(column.indices).values()
            if low.as_py() < 0 or high.as_py() >= len(column.dictionary):
                raise pa.ArrowInvalid("Index not in dictionary bounds")
    return batch


def stored_dictionaries(pf: pq.ParquetFile) -> dict[str, pa.DataType]:
    """The top-level text columns the file's stored Arrow schema says are dictionaries (a
    pandas ``category``), by name, with that type.

    pyarrow reads such a column by its dictionary pages and converts it to the stored type; when
    the stored indices are not int32 that conversion checks the values' UTF-8, and one invalid
    byte fails the whole read. Asked for by name (``read_dictionary``), the same column comes
    as dictionary<int32> unchecked: it is read so, repaired, and cast back (:func:`_restored`).
    """
    schema = pf.schema_arrow
    names = schema.names
    if len(set(names)) != len(names):
        return {}
    return {
        field.name: field.type
        for field in schema
        if pa.types.is_dictionary(field.type)
        and (pa.types.is_string(field.type.value_type) or pa.types.is_large_string(field.type.value_type))
        and "." not in field.name
    }


def _restored(batch: pa.RecordBatch, stored: dict[str, pa.DataType]) -> pa.RecordBatch:
    """``batch`` with the columns of :func:`stored_dictionaries` in their stored types again
    (kept as read when a hostile file's dictionary does not fit its stored index type)."""
    columns = list(batch.columns)
    changed = False
    for j, name in enumerate(batch.schema.names):
        want = stored.get(name)
        if want is not None and columns[j].type != want:
            try:
                columns[j] = columns[j].cast(want)
                changed = True
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names) if changed else batch


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
        wanted = dictionary_columns(pf) if ctx.dictionaries else []
        stored = stored_dictionaries(pf)
        plain = pq.ParquetFile(where, metadata=pf.metadata, read_dictionary=list(stored)) if stored else pf
        batches = (
            _with_dictionaries(
                plain, pq.ParquetFile(where, metadata=pf.metadata, read_dictionary=wanted), wanted, rows
            )
            if wanted
            else plain.iter_batches(batch_size=rows)
        )
        for batch in map(checked, batches):
            batch = repair_invalid_utf8(batch, done, ctx.log)
            if stored:
                batch = _restored(batch, stored)
            done += batch.num_rows
            if ctx.on_bytes is not None:
                target = inp.size_bytes * done // total
                ctx.on_bytes(target - reported)
                reported = target
            yield batch


READER = Reader(formats=("parquet",), extensions=(".parquet", ".pq"), batches=_batches, needs_seek=True)
