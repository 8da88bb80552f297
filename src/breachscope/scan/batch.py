"""``scan_batch``: the pure map step. One Arrow record batch in, one :class:`Partial` out.

Columns are flattened (struct fields become dotted columns), list columns are scanned element
by element (each element mapped back to its record), and every other type is cast to string
(a whole float64 in digits, never in exponent form: :func:`float_text`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future

import pyarrow as pa
import pyarrow.compute as pc

from breachscope.readers.table import safe_error
from breachscope.scan.column import ColumnInput, scan_column
from breachscope.scan.context import ScanContext
from breachscope.scan.partial import ColumnPartial, Partial


def _flatten(name: str, arr: pa.Array) -> Iterator[tuple[str, pa.Array]]:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_struct(arr.type):
        for i in range(arr.type.num_fields):
            child = arr.type.field(i)
            yield from _flatten(
                f"{name}.{child.name}", arr.field(i) if arr.null_count == 0 else pc.struct_field(arr, [i])
            )
    else:
        yield name, arr


def _as_strings(arr: pa.Array) -> pa.Array:
    t = arr.type
    if pa.types.is_string(t):
        return arr
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return arr.cast(pa.string())
    if pa.types.is_dictionary(t):
        return _as_strings(arr.dictionary_decode())
    if pa.types.is_null(t):
        return pa.nulls(len(arr), pa.string())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        try:
            return arr.cast(pa.binary()).cast(pa.string())
        except pa.ArrowInvalid:
            # not UTF-8: keep what decodes, as Latin-1 never fails
            return pa.array(
                [None if v is None else v.decode("utf-8", "replace") for v in arr.to_pylist()], pa.string()
            )
    if pa.types.is_float64(t):
        return float_text(arr)
    return arr.cast(pa.string())


#: Every integer up to this magnitude is exact in a float64.
_EXACT = float(2**53)


def float_text(arr: pa.Array) -> pa.Array:
    """Float64 values as text, with a whole number Arrow would write in exponent form
    (``4.111111111111111e+15``) written out in digits instead (``4111111111111111``) when the
    float holds it exactly.

    A JSON column of card numbers is read as float64 once one value in it is fractional or past
    int64 (pyarrow infers one type per column and block): in exponent form no card number of
    the column was recognised, and payment_card was reported absent.
    """
    text = arr.cast(pa.string())
    whole = pc.and_(pc.equal(pc.floor(arr), arr), pc.less_equal(pc.abs(arr), _EXACT))
    spelled = pc.fill_null(pc.and_(whole, pc.match_substring(text, "e")), False)
    if not pc.any(spelled).as_py():
        return text
    digits = pc.cast(pc.cast(pc.if_else(spelled, arr, pa.scalar(0.0)), pa.int64()), pa.string())
    return pc.if_else(spelled, digits, text)


def _input(name: str, arr: pa.Array) -> ColumnInput:
    n = len(arr)
    t = arr.type
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        null_records = arr.null_count + (pc.sum(pc.equal(pc.list_value_length(arr), 0)).as_py() or 0)
        parents = pc.list_parent_indices(arr)
        flat = pc.list_flatten(arr)
        while pa.types.is_list(flat.type) or pa.types.is_large_list(flat.type):
            parents = pc.take(parents, pc.list_parent_indices(flat))
            flat = pc.list_flatten(flat)
        if pa.types.is_struct(flat.type) or pa.types.is_map(flat.type):
            flat = pa.array([None if v is None else str(v) for v in flat.to_pylist()], pa.string())
        return ColumnInput(name, _as_strings(flat), parents.cast(pa.int64()), n, null_records, is_list=True)
    if pa.types.is_map(t):
        values = pa.array([None if v is None else str(v) for v in arr.to_pylist()], pa.string())
        return ColumnInput(name, values, None, n, values.null_count)
    if (
        isinstance(arr, pa.DictionaryArray)
        and pa.types.is_string(arr.type.value_type)
        and arr.dictionary.null_count == 0
    ):
        return ColumnInput(name, arr, None, n, arr.null_count)  # decoded only where needed
    values = _as_strings(arr)
    return ColumnInput(name, values, None, n, values.null_count)


def _scan_one(
    name: str, arr: pa.Array, offset: int, position: int, ctx: ScanContext
) -> ColumnPartial | tuple[str, str]:
    hints = ctx.hints.setdefault(name, {})
    started = time.thread_time()
    try:
        return scan_column(
            _input(name, arr),
            ctx.plan(name),
            ctx.routing,
            offset=offset,
            order=(offset, position),
            key=ctx.key,
            placeholders=ctx.placeholder_array_for(name),
            hints=hints,
            max_findings=ctx.max_findings,
        )
    except Exception as exc:  # hostile data: one column never stops the scan
        return (
            "column_not_scanned",
            f"column {name!r} could not be scanned: {type(exc).__name__}: {safe_error(exc)}",
        )
    finally:
        hints["cost"] = time.thread_time() - started


def _cost(ctx: ScanContext, name: str) -> float:
    """CPU seconds the column took in the previous batch (0.0 before its first)."""
    cost = ctx.hints.get(name, {}).get("cost", 0.0)
    return cost if isinstance(cost, float) else 0.0


def scan_batch(
    batch: pa.RecordBatch, offset: int, ctx: ScanContext, *, pool: Executor | None = None
) -> Partial:
    """Scan every value of every column of ``batch``; ``offset`` is its first record's index.

    ``pool`` (optional) scans the columns concurrently; Arrow kernels release the GIL.
    """
    return submit_batch(batch, offset, ctx, pool=pool)()


def submit_batch(
    batch: pa.RecordBatch, offset: int, ctx: ScanContext, *, pool: Executor | None = None
) -> Callable[[], Partial]:
    """Start scanning ``batch`` (its columns as tasks on ``pool``); returns a function that
    waits for them and gives the batch's :class:`Partial`.

    The engine keeps two batches in flight, so the columns of the next batch keep the workers
    busy while the slowest column of this one finishes (no barrier per batch). Without a pool
    the work is done here and the function only hands the result over.
    """
    issues: list[tuple[str, str]] = []
    work: list[tuple[str, pa.Array, int]] = []
    seen: set[str] = set()
    for i, field in enumerate(batch.schema):
        for name, arr in _flatten(field.name, batch.column(i)):
            if name in seen:
                issues.append(("duplicate_column", f"column {name!r} appears twice; scanned once"))
                continue
            seen.add(name)
            work.append((name, arr, len(work) + 1))
    rows = batch.num_rows

    def finish(results: Iterable[ColumnPartial | tuple[str, str]]) -> Partial:
        columns: dict[str, ColumnPartial] = {}
        for res in results:
            if isinstance(res, ColumnPartial):
                columns[res.name] = res
            else:
                issues.append(res)
        return Partial(rows=rows, columns=columns, issues=tuple(issues))

    if pool is not None and len(work) > 1:
        # the costliest columns of the previous batch first, so that no worker is left alone
        # with a long column at the end of the last batch; results are taken in column order
        by_cost = sorted(range(len(work)), key=lambda i: -_cost(ctx, work[i][0]))
        futures: list[Future[ColumnPartial | tuple[str, str]] | None] = [None] * len(work)
        for i in by_cost:
            name, arr, pos = work[i]
            futures[i] = pool.submit(_scan_one, name, arr, offset, pos, ctx)
        return lambda: finish(f.result() for f in futures if f is not None)
    done = finish([_scan_one(name, arr, offset, pos, ctx) for name, arr, pos in work])
    return lambda: done
