"""Batch transforms vendor layouts apply before scanning; all vectorised, none fails a batch.

- :func:`key_value_columns`: GA4's repeated ``event_params`` / ``user_properties`` records
  (``[{key, value: {string_value, int_value, float_value, double_value}}]``) become one column
  per key, ``event_params.<key>``, holding the value as text.
- :func:`json_columns`: a column holding JSON object text (Mixpanel JSON pipelines, PostHog
  Parquet batch exports keep ``properties`` as a JSON string) becomes dotted columns
  ``properties.<key>``, parsed by Arrow's JSON reader in one pass per batch.

A transform that cannot make sense of a batch (unexpected types, malformed JSON) returns the
batch unchanged: the columns are then value-scanned as they are, and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from breachscope.vendors.layout import Transform

_VALUE_FIELDS = ("string_value", "int_value", "float_value", "double_value")


@dataclass(frozen=True)
class Chain:
    """Several transforms in order (picklable, like every transform here)."""

    transforms: tuple[Transform, ...]

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        for t in self.transforms:
            batch = t(batch)
        return batch


def chain(*transforms: Transform) -> Transform:
    return Chain(tuple(transforms))


def _replace(batch: pa.RecordBatch, column: str, new: list[tuple[str, pa.Array]]) -> pa.RecordBatch:
    names = list(batch.schema.names)
    arrays = list(batch.columns)
    at = names.index(column)
    taken = set(names)
    new = [(n, a) for n, a in new if n not in taken or n == column]
    names[at : at + 1] = [n for n, _ in new]
    arrays[at : at + 1] = [a for _, a in new]
    return pa.RecordBatch.from_arrays(arrays, names=names)


def _kv_to_columns(arr: pa.Array, prefix: str) -> list[tuple[str, pa.Array]] | None:
    t = arr.type
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)) or not pa.types.is_struct(t.value_type):
        return None
    item = t.value_type
    if item.get_field_index("key") < 0 or item.get_field_index("value") < 0:
        return None
    flat = pc.list_flatten(arr)
    parents = pc.list_parent_indices(arr)
    keys = pc.cast(pc.struct_field(flat, "key"), pa.string())
    value = pc.struct_field(flat, "value")
    if pa.types.is_struct(value.type):
        parts = [
            pc.cast(pc.struct_field(value, name), pa.string())
            for name in _VALUE_FIELDS
            if value.type.get_field_index(name) >= 0
        ]
        if not parts:
            return None
        values = pc.coalesce(*parts) if len(parts) > 1 else parts[0]
    else:
        values = pc.cast(value, pa.string())
    n = len(arr)
    out = []
    for key in pc.unique(pc.drop_null(keys)).to_pylist():
        mask = pc.equal(keys, key)
        rows = pc.filter(parents, mask)
        col = pc.scatter(pc.filter(values, mask), rows, max_index=n - 1)
        out.append((f"{prefix}.{key}", col))
    return out


@dataclass(frozen=True)
class KeyValueColumns:
    """Turn each named list-of-{key, value} column into one ``<column>.<key>`` column per key."""

    columns: tuple[str, ...]

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        for column in self.columns:
            if column not in batch.schema.names:
                continue
            try:
                new = _kv_to_columns(batch.column(column), column)
            except (pa.ArrowException, ValueError, TypeError):
                new = None
            if new is not None:
                batch = _replace(batch, column, new)
        return batch


def key_value_columns(columns: Sequence[str]) -> Transform:
    return KeyValueColumns(tuple(columns))


def _flatten(prefix: str, arr: pa.Array) -> list[tuple[str, pa.Array]]:
    if pa.types.is_struct(arr.type):
        out: list[tuple[str, pa.Array]] = []
        for i in range(arr.type.num_fields):
            name = arr.type.field(i).name
            out.extend(_flatten(f"{prefix}.{name}", pc.struct_field(arr, name)))
        return out
    return [(prefix, arr)]


def _parse_objects(arr: pa.Array) -> pa.StructArray | None:
    text = pc.cast(arr, pa.large_string())
    text = pc.replace_substring_regex(text, r"[\r\n]", " ")
    text = pc.if_else(pc.match_substring_regex(text, r"^\s*\{"), text, pa.scalar("{}"))
    text = pc.fill_null(text, "{}")
    lines = pc.binary_join_element_wise(
        text, pa.scalar("", pa.large_string()), pa.scalar("\n", pa.large_string())
    )
    if len(lines) == 0:
        return None
    offsets = pa.Array.from_buffers(
        pa.int64(), len(lines) + 1, [None, lines.buffers()[1]], offset=lines.offset
    )
    start, end = offsets[0].as_py(), offsets[-1].as_py()
    data = lines.buffers()[2][start:end]
    options = pa_json.ReadOptions(block_size=max(1 << 20, end - start + 1), use_threads=False)
    table = pa_json.read_json(pa.BufferReader(data), read_options=options)
    if table.num_rows != len(arr):
        return None
    struct = pa.StructArray.from_arrays([c.combine_chunks() for c in table.columns], names=table.column_names)
    return struct


@dataclass(frozen=True)
class JsonColumns:
    """Parse each named column of JSON-object text into ``<column>.<key>`` columns."""

    columns: tuple[str, ...]

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        for column in self.columns:
            if column not in batch.schema.names:
                continue
            arr = batch.column(column)
            if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
                continue
            try:
                parsed = _parse_objects(arr)
            except (pa.ArrowException, ValueError, TypeError):
                parsed = None
            if parsed is None or parsed.type.num_fields == 0:
                continue
            batch = _replace(batch, column, _flatten(column, parsed))
        return batch


def json_columns(columns: Sequence[str]) -> Transform:
    return JsonColumns(tuple(columns))
