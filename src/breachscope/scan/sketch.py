"""Distinct-count sketch: K-minimum-values (KMV) over a vectorised 64-bit hash of values.

Why KMV and this hash: pyarrow exposes no hash kernel, and DuckDB's ``approx_count_distinct``
cannot be merged across batches. DuckDB's ``hash()`` per batch was measured 2.3x faster, but a
process that has used DuckDB hangs when a forked child uses it again, and the scan's core must
stay fork-safe (multiprocessing and Dask fork on Linux). So each
distinct value of a batch (the batch's dictionary) is hashed with Arrow kernels only: the
byte length and four 8-byte windows (the first 16 and the last 16 bytes) are read as
little-endian integers, combined polynomially and mixed with the murmur3 finalizer. Values
longer than 32 bytes that differ only in their middle collide, which can only *under*-count.
The sketch keeps the ``K`` smallest distinct hashes; merging is "union, keep the K smallest",
which is associative and commutative, so the estimate is the same however the batches are
split. With K = 1024 the standard error is about 3%; below K distinct values the count is
exact (up to collisions).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

K = 1024
_M1 = pa.scalar(0xFF51AFD7ED558CCD, pa.uint64())
_M2 = pa.scalar(0xC4CEB9FE1A85EC53, pa.uint64())
_GOLD = pa.scalar(0x9E3779B97F4A7C15, pa.uint64())
_S33 = pa.scalar(33, pa.uint64())
_WIDTH = 16  # bytes read from each end of a value
_WORDS = _WIDTH // 8
_STRIDES: dict[int, tuple[pa.Array, ...]] = {}


def _fmix(h: pa.Array) -> pa.Array:
    h = pc.bit_wise_xor(h, pc.shift_right(h, _S33))
    h = pc.multiply(h, _M1)
    h = pc.bit_wise_xor(h, pc.shift_right(h, _S33))
    h = pc.multiply(h, _M2)
    return pc.bit_wise_xor(h, pc.shift_right(h, _S33))


def _strides(n: int) -> tuple[pa.Array, ...]:
    """Index arrays picking word j of each value's words (cached per length)."""
    if n not in _STRIDES:
        if len(_STRIDES) > 8:
            _STRIDES.clear()
        _STRIDES[n] = tuple(pa.array(np.arange(j, _WORDS * n, _WORDS, dtype=np.int64)) for j in range(_WORDS))
    return _STRIDES[n]


def _words(padded: pa.Array, start: int) -> tuple[pa.Array, ...]:
    """The little-endian 64-bit words of bytes [start, start + _WIDTH) of each padded value."""
    part = pc.binary_slice(padded.cast(pa.binary()), start, start + _WIDTH if start >= 0 else None)
    fixed = part.cast(pa.binary(_WIDTH))
    flat = pa.Array.from_buffers(
        pa.uint64(), _WORDS * len(fixed), [None, fixed.buffers()[1]], offset=_WORDS * fixed.offset
    )
    return tuple(pc.take(flat, idx) for idx in _strides(len(fixed)))


def hash64(values: pa.Array) -> pa.Array:
    """A 64-bit hash of each string value: its byte length and its first and last 16 bytes."""
    s = values if pa.types.is_string(values.type) else values.cast(pa.string())
    h = pc.multiply(pc.binary_length(s).cast(pa.uint64()), _GOLD)
    words = _words(pc.ascii_rpad(s, _WIDTH, padding="\x00"), 0) + _words(
        pc.ascii_lpad(s, _WIDTH, padding="\x00"), -_WIDTH
    )
    for w in words:  # polynomial over the words mod 2**64, then a full avalanche
        h = pc.add(pc.multiply(h, _M1), w)
    return _fmix(h)


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
