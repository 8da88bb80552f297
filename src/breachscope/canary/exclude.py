"""Canary records left out of the people: a canary is a synthetic person, never an exposure.

``case attach`` passes every batch through :meth:`CanaryRows.blank` before extracting people:
the rows that are **canary records** come back blanked (every value null), so the extractor,
which skips rows without data, makes no exposure of them, and nothing downstream (counts, scope,
notices, the report, the console) ever sees them. Row numbers stay those of the file.

A row is a canary record when one of its values *is* a registered canary value (a canary's
address, user id, distinct id or honeytoken: the values :mod:`breachscope.canary.mint` makes
unique to a canary), as a whole value or an item of a list of text. An address that only occurs
inside a longer text (a note, a JSON blob) is still a hit of the check, but it does not make the
row a synthetic person: the row may well be a real person mentioning it.

Cost: ``case attach`` makes no :class:`CanaryRows` when no canary was ever issued in the
database (nothing at all is done). Otherwise, per batch, the matcher's one prefilter query (which
the check runs anyway), one registry lookup of the batch's few candidates not seen before (about
1 value in 10,000 passes the prefilter with 400,000 registered values) and, only in a batch that
holds a confirmed canary, one ``is_in`` per column it was found in and a ``take``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from breachscope.canary.matcher import Candidate, Matcher
from breachscope.canary.registry import Resolved

#: Prefilter passes found not to be canaries, remembered so each is looked up once (bounded).
_MISSES_MAX = 1_000_000


class CanaryRows:
    """Blank the canary records of each batch; count them per vendor.

    ``lookup`` resolves keyed hashes against the registry
    (:func:`breachscope.canary.registry.lookup` on the caller's session); :attr:`resolved`
    holds every canary value confirmed so far, for :func:`breachscope.canary.check.result_of`."""

    def __init__(self, matcher: Matcher, lookup: Callable[[Sequence[str]], Resolved]) -> None:
        self.matcher = matcher
        self._lookup = lookup
        self.resolved: Resolved = {}
        self._misses: set[str] = set()
        #: canary records left out (a row with canaries of two vendors counts once here)
        self.records = 0
        #: canary records left out per vendor (a row counts for each vendor whose canary it holds)
        self.by_vendor: Counter[str] = Counter()

    def blank(self, batch: pa.RecordBatch, source: str = "") -> pa.RecordBatch:
        """``batch`` with its canary records blanked (the same batch when it holds none)."""
        candidates = self.matcher.feed(batch, source)
        if not candidates:
            return batch
        self._resolve(candidates)
        hits = [c for c in candidates if c.hash in self.resolved]
        if not hits:
            return batch
        vendor_of = {b.id: b.vendor for b in self.matcher.registry.batches.values()}
        per_vendor: dict[str, dict[int, set[str]]] = {}
        for c in hits:
            vendor = vendor_of[self.resolved[c.hash][0]]
            per_vendor.setdefault(vendor, {}).setdefault(c.column, set()).add(c.value)
        n = batch.num_rows
        rows = np.zeros(n, dtype=bool)
        for vendor, columns in per_vendor.items():
            mine = np.zeros(n, dtype=bool)
            for index, values in columns.items():
                mine |= _whole_value_in(batch.column(index), values)
            if mine.any():
                self.by_vendor[vendor] += int(mine.sum())
                rows |= mine
        found = int(rows.sum())
        if not found:
            return batch  # the canary values occur only inside longer values
        self.records += found
        keep = pa.array(np.arange(n, dtype=np.int64), mask=rows)  # a null index takes a null row
        return batch.take(keep)

    def _resolve(self, candidates: list[Candidate]) -> None:
        new = sorted({c.hash for c in candidates} - self.resolved.keys() - self._misses)
        if not new:
            return
        found = self._lookup(new)
        self.resolved.update(found)
        if len(self._misses) < _MISSES_MAX:
            self._misses.update(h for h in new if h not in found)


def _whole_value_in(arr: pa.Array | pa.ChunkedArray, values: set[str]) -> np.ndarray:
    """Which rows of ``arr`` (text, dictionary of text, or list of text) hold one of ``values`` whole."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    wanted = pa.array(sorted(values), pa.string())
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.cast(pa.string())
        t = arr.type
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        items = pc.is_in(pc.list_flatten(arr), value_set=wanted).fill_null(False)
        parents = pc.list_parent_indices(arr).to_numpy(zero_copy_only=False)
        out = np.zeros(len(arr), dtype=bool)
        out[parents[items.to_numpy(zero_copy_only=False)]] = True
        return out
    if not pa.types.is_string(t):
        arr = arr.cast(pa.string())
    return np.asarray(pc.is_in(arr, value_set=wanted).fill_null(False).to_numpy(zero_copy_only=False))
