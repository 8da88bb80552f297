"""Distinct-count sketch: K-minimum-values (KMV) over a 64-bit hash of values.

Why KMV and this hash: pyarrow exposes no hash kernel, and DuckDB's ``approx_count_distinct``
cannot be merged across batches. So each distinct value of a batch (the batch's dictionary) is
hashed by DuckDB's ``hash()`` (the whole value; one in-memory, single-threaded connection per
scanning thread, about 1 ms a call plus 25 ns a value: 2.3x faster than the earlier hash built
from Arrow kernels over each value's first and last 16 bytes, which also collided on values
that differ only in the middle). The sketch keeps the ``K`` smallest distinct hashes; merging
is "union, keep the K smallest", which is associative and commutative, so the estimate is the
same however the batches are split. With 1,024 hashes kept the standard error is about 3%;
below that many distinct values the count is exact (up to 64-bit collisions).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

K = 1024
_LOCAL = threading.local()


def _connection() -> duckdb.DuckDBPyConnection:
    con: duckdb.DuckDBPyConnection | None = getattr(_LOCAL, "con", None)
    if con is None:
        con = _LOCAL.con = duckdb.connect(":memory:", config={"threads": 1})
    return con


def hash64(values: pa.Array) -> pa.Array:
    """A 64-bit hash (uint64) of each string value, by DuckDB's ``hash()``."""
    s = values if pa.types.is_string(values.type) else values.cast(pa.string())
    con = _connection()
    con.register("bs_sketch_values", pa.table({"v": s}))
    try:
        return pa.array(con.sql("SELECT hash(v) AS h FROM bs_sketch_values").fetchnumpy()["h"])
    finally:
        con.unregister("bs_sketch_values")


def sketch(values: pa.Array) -> tuple[int, ...]:
    """The K smallest distinct hashes of ``values`` (nulls ignored), ascending."""
    values = values.drop_null()
    if len(values) == 0:
        return ()
    hashes = hash64(values)
    if len(hashes) > K:
        smallest = set(pc.take(hashes, pc.bottom_k_unstable(hashes, min(len(hashes), 2 * K))).to_pylist())
        if len(smallest) < K and len(hashes) > 2 * K:  # many repeats among the smallest
            hashes = pc.unique(hashes)
            smallest = set(pc.take(hashes, pc.bottom_k_unstable(hashes, min(K, len(hashes)))).to_pylist())
        return tuple(sorted(smallest)[:K])
    return tuple(sorted(set(hashes.to_pylist())))


def merge(a: Iterable[int], b: Iterable[int]) -> tuple[int, ...]:
    """Union of two sketches, keeping the K smallest."""
    return tuple(sorted(set(a) | set(b))[:K])


def estimate(s: tuple[int, ...]) -> int:
    """Approximate number of distinct values."""
    if len(s) < K:
        return len(s)
    kth = s[K - 1]
    return round((K - 1) / ((kth + 1) / 2**64))
