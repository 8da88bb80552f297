"""Counter-based randomness: every attribute is a pure function of (seed, field, index).

That makes the generator vectorised (one numpy expression per column over a range of
indices), deterministic for a seed, and independent of how rows are chunked.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt
import pyarrow as pa

U64 = npt.NDArray[np.uint64]
_M64 = (1 << 64) - 1
ALNUM = np.frombuffer(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", dtype=np.uint8)
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


class Keyed:
    """Hash-based random streams for one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def salt(self, field: str) -> np.uint64:
        digest = hashlib.blake2b(f"{self.seed}:{field}".encode(), digest_size=8).digest()
        return np.uint64(int.from_bytes(digest, "little") & _M64)

    def bits(self, keys: U64, field: str) -> U64:
        """64 random bits per key (splitmix64 finaliser over key + salt)."""
        with np.errstate(over="ignore"):
            z = keys * np.uint64(0x9E3779B97F4A7C15) + self.salt(field)
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            return z ^ (z >> np.uint64(31))

    def uniform(self, keys: U64, field: str) -> npt.NDArray[np.float64]:
        return (self.bits(keys, field) >> np.uint64(11)).astype(np.float64) / float(1 << 53)

    def below(self, keys: U64, field: str, n: int) -> npt.NDArray[np.int64]:
        return (self.bits(keys, field) % np.uint64(n)).astype(np.int64)

    def weighted(self, keys: U64, field: str, weights: list[int] | tuple[int, ...]) -> npt.NDArray[np.int64]:
        cum = np.cumsum(np.asarray(weights, dtype=np.float64))
        u = self.uniform(keys, field) * cum[-1]
        out: npt.NDArray[np.int64] = np.searchsorted(cum, u, side="right").astype(np.int64)
        return out

    def alnum(self, keys: U64, field: str, width: int) -> npt.NDArray[np.uint8]:
        codes = np.empty((len(keys), width), dtype=np.uint8)
        for j in range(width):
            codes[:, j] = ALNUM[self.below(keys, f"{field}:{j}", len(ALNUM))]
        return codes

    def uuid4(self, keys: U64, field: str) -> pa.Array:
        nibbles = np.empty((len(keys), 32), dtype=np.uint8)
        for half in range(2):
            h = self.bits(keys, f"{field}:{half}")
            for j in range(16):
                nibbles[:, half * 16 + j] = ((h >> np.uint64(4 * j)) & np.uint64(15)).astype(np.uint8)
        nibbles[:, 12] = 4  # version 4
        nibbles[:, 16] = 8 + (nibbles[:, 16] & 3)  # RFC 4122 variant
        chars = HEX[nibbles]
        dash = np.full((len(keys), 1), ord("-"), dtype=np.uint8)
        parts = [
            chars[:, :8],
            dash,
            chars[:, 8:12],
            dash,
            chars[:, 12:16],
            dash,
            chars[:, 16:20],
            dash,
            chars[:, 20:],
        ]
        return fixed_strings("", np.hstack(parts))


def fixed_strings(prefix: str, codes: npt.NDArray[np.uint8]) -> pa.Array:
    """A string array whose values are ``prefix`` + one row of ASCII ``codes`` each (no copy per row)."""
    n, width = codes.shape
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    full = np.empty((n, len(head) + width), dtype=np.uint8)
    full[:, : len(head)] = head
    full[:, len(head) :] = codes
    step = full.shape[1]
    offsets = np.arange(0, (n + 1) * step, step, dtype=np.int64)
    return pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(full.tobytes())]
    ).cast(pa.string())
