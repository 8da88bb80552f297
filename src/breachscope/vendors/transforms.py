"""Batch transforms vendor layouts apply before scanning; all vectorised, none fails a batch.

- :func:`key_value_columns`: GA4's repeated ``event_params`` / ``user_properties`` records
  (``[{key, value: {string_value, int_value, float_value, double_value}}]``) become one column
  per key, ``event_params.<key>``, holding the value as text.
- :func:`json_columns`: a column holding JSON object text (Mixpanel JSON pipelines, PostHog
  Parquet batch exports keep ``properties`` as a JSON string) becomes dotted columns
  ``properties.<key>``, parsed by Arrow's JSON reader in one pass per batch.

Nothing is silently lost. A transform that cannot make sense of a column's shape leaves it
unchanged (it is then value-scanned as it is). Otherwise every value lands somewhere scanned:
JSON text that is not an object (or not valid JSON) stays in the original column, for those
rows only; a key repeated in one row gets a second column (``event_params.a#2``); a record with
no key goes to ``event_params.(no key)``; a created name that clashes with an existing column is
suffixed (``properties.a#2``) instead of dropped. Rows whose JSON types change (``1`` then
``"x"``), which Arrow's reader refuses, are parsed one by one in Python with values as text;
there a key repeated in one object keeps every value (``properties.a#2``), and a lone surrogate
escape (``"\\ud800"``, which Arrow cannot hold: it failed the whole batch's transform) becomes
U+FFFD.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from breachscope.repair import free_name, replace_surrogates
from breachscope.vendors.layout import Transform

_VALUE_FIELDS = ("string_value", "int_value", "float_value", "double_value")
NO_KEY = "(no key)"
#: At most this many columns are created from one JSON column in the Python fallback; keys
#: beyond it keep the row's raw text in the original column (still scanned, never dropped).
MAX_JSON_KEYS = 2_000


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


def _unique(name: str, taken: set[str], last: dict[str, int] | None = None) -> str:
    """``name``, or ``name#2``, ``name#3`` ... when it is taken (:func:`free_name`; ``last``, one
    dict per ``taken``, keeps n repeats of one key at n look-ups: one row's properties with a key
    repeated 60,000 times took minutes)."""
    out = free_name(name, taken, {} if last is None else last, sep="#")
    taken.add(out)
    return out


def _replace(batch: pa.RecordBatch, column: str, new: list[tuple[str, pa.Array]]) -> pa.RecordBatch:
    """``column`` replaced by ``new`` columns; a clashing new name is suffixed, never dropped."""
    names = list(batch.schema.names)
    arrays = list(batch.columns)
    at = names.index(column)
    taken = set(names[:at] + names[at + 1 :])
    new = [(_unique(n, taken), a) for n, a in new]
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
    keys = pc.fill_null(keys, NO_KEY)
    n = len(arr)
    unique = pc.unique(keys).to_pylist()  # columns in the order keys first appear
    out: list[tuple[str, pa.Array]] = []
    for key, rows, vals in _groups(keys, parents, values, unique):
        if len(pc.unique(rows)) == len(rows):
            out.append((f"{prefix}.{key}", _scatter(vals, rows, n)))
            continue
        # the key repeats within a row (hostile or odd data): one column per occurrence
        seen: dict[int, int] = {}
        occ: list[tuple[list[int], list[str | None]]] = []
        for row, val in zip(rows.to_pylist(), vals.to_pylist(), strict=True):
            i = seen[row] = seen.get(row, -1) + 1
            if i == len(occ):
                occ.append(([], []))
            occ[i][0].append(row)
            occ[i][1].append(val)
        for i, (idx, vs) in enumerate(occ):
            name = f"{prefix}.{key}" + (f"#{i + 1}" if i else "")
            out.append((name, _scatter(pa.array(vs, pa.string()), pa.array(idx, pa.int64()), n)))
    return out


def _groups(
    keys: pa.Array, parents: pa.Array, values: pa.Array, unique: list[str]
) -> Iterator[tuple[str, pa.Array, pa.Array]]:
    """(key, parent rows, values) per distinct key, in ``unique`` order."""
    if len(unique) <= 64:  # few keys (GA4's usual 10-30): one mask per key is fastest
        for key in unique:
            mask = pc.equal(keys, key)
            yield key, pc.filter(parents, mask), pc.filter(values, mask)
        return
    # many keys (hostile or odd data): one stable sort, then one slice per key, O(N log N)
    order = pc.sort_indices(keys)
    rows, vals = pc.take(parents, order), pc.take(values, order)
    counts = pc.value_counts(pc.take(keys, order))  # first-appearance order = sorted order
    spans: dict[str, tuple[int, int]] = {}
    start = 0
    for key, count in zip(
        counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
    ):
        spans[key] = (start, count)
        start += count
    for key in unique:
        at, count = spans[key]
        yield key, rows.slice(at, count), vals.slice(at, count)


def _scatter(values: pa.Array, rows: pa.Array, n: int) -> pa.Array:
    """A length-``n`` array holding ``values`` at ``rows`` (distinct) and nulls elsewhere."""
    if n == 0:
        return pa.nulls(0, pa.string())
    return pc.scatter(values, rows, max_index=n - 1)


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
        # StructArray.flatten: every child at once, with the parent's nulls (struct_field per
        # child is quadratic on wide, sparse JSON objects)
        for i, child in enumerate(arr.flatten()):
            out.extend(_flatten(f"{prefix}.{arr.type.field(i).name}", child))
        return out
    return [(prefix, arr)]


def _is_object_text(text: pa.Array) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(text, r"^\s*\{"), False)


def _parse_objects(arr: pa.Array) -> pa.StructArray | None:
    """Arrow's JSON reader over the object rows (others read as ``{}``); raises if it refuses."""
    text = pc.cast(arr, pa.large_string())
    text = pc.replace_substring_regex(text, r"[\r\n]", " ")
    text = pc.if_else(_is_object_text(text), text, pa.scalar("{}", pa.large_string()))
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


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return replace_surrogates(text)[0]  # a lone surrogate (JSON "\\ud800"): Arrow cannot hold it


def _every_value(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """``object_pairs_hook``: a key repeated in one object keeps every value (``key#2`` ...);
    json's default kept the last one only."""
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    taken: set[str] = set()
    last: dict[str, int] = {}
    return {_unique(k, taken, last): v for k, v in pairs}


def _paths(
    obj: dict[str, object],
    prefix: str,
    out: dict[str, str | None],
    taken: set[str] | None = None,
    last: dict[str, int] | None = None,
) -> None:
    """Every leaf of ``obj`` into ``out`` by its dotted path (``taken``: the paths of ``out``;
    a copy of them per key made an object of 150,000 keys take minutes)."""
    if taken is None or last is None:
        taken, last = set(out), {}
    for k, v in obj.items():
        path = f"{prefix}.{_text(k)}"
        if isinstance(v, dict) and v:
            _paths(v, path, out, taken, last)
        else:
            out[_unique(path, taken, last)] = _text(v)


def _parse_rows(arr: pa.Array, column: str) -> list[tuple[str, pa.Array]]:
    """The Python fallback: each row parsed on its own; what is not an object stays raw."""
    n = len(arr)
    cols: dict[str, list[str | None]] = {}
    raw: list[str | None] = [None] * n
    for i, value in enumerate(arr.to_pylist()):
        if value is None or not value.strip():
            continue
        try:
            obj = json.loads(value, object_pairs_hook=_every_value)
        except (ValueError, RecursionError):
            obj = None
        if not isinstance(obj, dict):
            raw[i] = value
            continue
        found: dict[str, str | None] = {}
        _paths(obj, column, found)
        new = [p for p in found if p not in cols]
        if new and len(cols) + len(new) > MAX_JSON_KEYS:
            raw[i] = value  # too many distinct keys: this row is scanned as raw text
            continue
        for path in new:
            cols[path] = [None] * n
        for path, text in found.items():
            cols[path][i] = text
    out = [(column, pa.array(raw, pa.string()))] if any(r is not None for r in raw) else []
    return out + [(path, pa.array(values, pa.string())) for path, values in cols.items()]


def _raw_rest(arr: pa.Array) -> pa.Array | None:
    """The rows that are text but not a JSON object, as they are (null elsewhere); None if none."""
    text = pc.cast(arr, pa.large_string())
    rest = pc.and_(pc.invert(_is_object_text(text)), pc.not_equal(pc.utf8_trim_whitespace(text), ""))
    rest = pc.fill_null(rest, False)
    if not pc.any(rest).as_py():
        return None
    return pc.if_else(rest, arr, pa.nulls(len(arr), arr.type))


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
            new: list[tuple[str, pa.Array]]
            try:
                parsed = _parse_objects(arr)
                if parsed is None:
                    continue
                rest = _raw_rest(arr)
                new = [(column, rest)] if rest is not None else []
                new += _flatten(column, parsed)
            except (pa.ArrowException, ValueError, TypeError):
                # Arrow refused (a malformed row, types that change between rows): row by row
                new = _parse_rows(arr, column)
            if new and new != [(column, arr)]:
                batch = _replace(batch, column, new)
        return batch


def json_columns(columns: Sequence[str]) -> Transform:
    return JsonColumns(tuple(columns))
