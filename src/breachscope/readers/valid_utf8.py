"""Invalid UTF-8 in the string columns of Arrow batches read from a file (Parquet): found per
batch by a vectorised check, replaced by U+FFFD and reported as ``invalid_utf8``, as the text
readers do (:func:`breachscope.readers.table.invalid_utf8`).

pyarrow does not check a Parquet file's strings when it reads them: a string column may hold
bytes that are not UTF-8, and the first kernel or ``to_pylist`` that meets one refuses the whole
column (the scan then reported the column ``column_not_scanned``: one hostile byte hid every
other value of it). Here each batch's string arrays (plain, ``large_string``, a dictionary's
values, the strings inside struct, list and map columns) are checked first, cheaply: an all-ASCII
data buffer is valid; otherwise the whole buffer is checked as one string and each value must
start on a character. Only an array that fails is decoded value by value (in Python, bounded by
the batch) with the invalid sequences replaced. Binary columns are left as they are.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from breachscope.readers.table import IssueLog

#: Bad rows of one array: row index -> invalid byte sequences replaced in it.
BadRows = dict[int, int]


def repair_invalid_utf8(batch: pa.RecordBatch, first_record: int, log: IssueLog) -> pa.RecordBatch:
    """``batch`` with every invalid UTF-8 sequence in its strings replaced by U+FFFD.

    One ``invalid_utf8`` issue per row that had any, naming its record (``first_record`` is the
    0-based index of the batch's first row in the file); the log caps how many are listed.
    """
    columns = list(batch.columns)
    bad_rows: dict[int, list[tuple[str, int]]] = {}
    changed = False
    for j, (name, column) in enumerate(zip(batch.schema.names, batch.columns, strict=True)):
        fixed = _repaired(column)
        if fixed is None:
            continue
        columns[j], bad = fixed
        changed = True
        for row, count in bad.items():
            bad_rows.setdefault(row, []).append((name, count))
    if not changed:
        return batch
    for row in sorted(bad_rows):
        found = bad_rows[row]
        count = sum(n for _, n in found)
        where = ("columns " if len(found) > 1 else "column ") + ", ".join(repr(name) for name, _ in found)
        log.add(
            "invalid_utf8",
            f"{count} invalid byte sequence(s) replaced by U+FFFD ({where})",
            record=first_record + row + 1,
        )
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)


def _repaired(arr: pa.Array) -> tuple[pa.Array, BadRows] | None:
    """``arr`` repaired and its bad rows, or None when all its strings are valid UTF-8 (or it
    holds no strings this module reads: a union, a fixed-size list are left as they are)."""
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return None if _valid(arr) else _decoded(arr)
    if pa.types.is_dictionary(t):
        assert isinstance(arr, pa.DictionaryArray)
        fixed = _repaired(arr.dictionary)
        if fixed is None:
            return None
        dictionary, bad_entries = fixed
        repaired = pa.DictionaryArray.from_arrays(arr.indices, dictionary)
        indices = arr.indices.to_numpy(zero_copy_only=False)
        entries = np.fromiter(bad_entries, dtype=np.int64, count=len(bad_entries))
        valid = arr.indices.is_valid().to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(valid & np.isin(indices, entries))
        return repaired, {int(r): bad_entries[int(indices[r])] for r in rows}
    if pa.types.is_struct(t):
        assert isinstance(arr, pa.StructArray)
        children = [arr.field(i) for i in range(t.num_fields)]
        bad: BadRows = {}
        changed = False
        for i, child in enumerate(children):
            fixed = _repaired(child)
            if fixed is not None:
                children[i], child_bad = fixed
                changed = True
                for row, count in child_bad.items():
                    bad[row] = bad.get(row, 0) + count
        if not changed:
            return None
        mask = arr.is_null() if arr.null_count else None
        return pa.StructArray.from_arrays(children, fields=list(t), mask=mask), bad
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_map(t):
        assert isinstance(arr, pa.ListArray | pa.LargeListArray)  # a MapArray is a ListArray
        fixed = _repaired(arr.values)  # all of the child (a map's: its key/value entries)
        if fixed is None:
            return None
        values, value_bad = fixed
        # the same validity and offsets buffers over the repaired child, which has its length
        rebuilt = pa.Array.from_buffers(t, len(arr), arr.buffers()[:2], offset=arr.offset, children=[values])
        bounds = arr.offsets.to_numpy()
        bad = {}
        for index, count in value_bad.items():
            row = int(np.searchsorted(bounds, index, side="right")) - 1
            if 0 <= row < len(arr) and bounds[row] <= index < bounds[row + 1] and arr[row].is_valid:
                bad[row] = bad.get(row, 0) + count
        return rebuilt, bad
    return None


def _valid(arr: pa.Array) -> bool:
    """True when every value of the string array ``arr`` is valid UTF-8 (vectorised).

    The bytes of all values, end to end, are one valid UTF-8 string and no value starts inside
    a character: then each value is whole characters. An all-ASCII buffer needs neither check.
    Bytes under a null (which the decoder never writes) may make this say False: the slow path
    then finds nothing to report.
    """
    if len(arr) == 0:
        return True
    _, offsets_buffer, data_buffer = arr.buffers()[:3]
    if data_buffer is None or offsets_buffer is None:
        return True
    width = np.dtype(np.int64 if pa.types.is_large_string(arr.type) else np.int32)
    offsets = np.frombuffer(
        offsets_buffer, dtype=width, count=len(arr) + 1, offset=arr.offset * width.itemsize
    )
    start, end = int(offsets[0]), int(offsets[-1])
    if end <= start:
        return True
    data = np.frombuffer(data_buffer, dtype=np.uint8, count=end - start, offset=start)
    if int(data.max()) < 0x80:
        return True
    whole = pa.Array.from_buffers(
        pa.large_binary(),
        1,
        [
            None,
            pa.py_buffer(np.array([0, end - start], dtype=np.int64)),
            data_buffer.slice(start, end - start),
        ],
    )
    try:
        whole.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    starts = offsets - start
    starts = starts[starts < end - start]
    return not bool(np.any((data[starts] & 0xC0) == 0x80))  # a continuation byte opens a value


def _decoded(arr: pa.Array) -> tuple[pa.Array, BadRows]:
    """The slow path: each value decoded, invalid sequences replaced, the bad rows counted."""
    raw = arr.view(pa.large_binary() if pa.types.is_large_string(arr.type) else pa.binary())
    values: list[str | None] = []
    bad: BadRows = {}
    for row, data in enumerate(raw.to_pylist()):
        if data is None:
            values.append(None)
            continue
        try:
            values.append(data.decode("utf-8"))
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="replace")
            bad[row] = text.count("\ufffd") - data.count("\ufffd".encode())
            values.append(text)
    return pa.array(values, arr.type), bad
