"""Scanning one column of one batch: every value checked, each distinct value once.

Low-cardinality columns (``city``, ``os``: decided on a probe of the first values) are
dictionary-encoded, so each distinct value is examined once and the counts are multiplied back
through the dictionary indices; high-cardinality columns are examined as they are. Detection
itself is :func:`breachscope.scan.detect.detect`. The result is a :class:`ColumnPartial`:
counts per detector and class, the first findings (keyed hash + masked preview, never the
value), a distinct-count sketch and a masked example.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import unquote

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from breachscope.hashing import keyed_hash, mask
from breachscope.scan import sketch
from breachscope.scan.detect import detect, matched_text, run_detector
from breachscope.scan.partial import MAX_FINDINGS, ColumnPartial, Finding
from breachscope.scan.plan import ColumnPlan, Routing

CARD_PROBE = 2048  # values probed to decide on dictionary encoding
CARD_SHARE = 0.85  # dictionary-encode when at most this share of the probe is distinct
SMALL = 48  # columns with at most this many values are never dictionary-encoded
CACHE_VALUES = 20_000  # distinct values per column whose detection results are remembered

__all__ = ["ColumnInput", "run_detector", "scan_column"]  # run_detector: also used by case.extract


@dataclass(frozen=True)
class ColumnInput:
    """A column's values in one batch; ``rows`` maps each value to its record (list columns).

    ``given`` is a string array, or a dictionary array of strings (a Parquet column read as
    one): a low-cardinality column then uses its dictionary and indices as they are, and only
    the first batch (which decides whether the column is low-cardinality) decodes it.
    """

    name: str
    given: pa.Array  # string, or dictionary<string>
    rows: pa.Array | None  # int64 record index within the batch, per value; None = identity
    batch_rows: int
    null_records: int
    is_list: bool = False

    @cached_property
    def values(self) -> pa.Array:
        """The values as a string array."""
        if isinstance(self.given, pa.DictionaryArray):
            return self.given.dictionary_decode()
        return self.given


def _preview(text: str) -> str:
    """``hashing.mask`` of a value, bounded in cost for huge values (same shape)."""
    return mask(text if len(text) <= 256 else text[:128] + text[-128:])


def _detect_cached(
    distinct: pa.Array, plan: ColumnPlan, routing: Routing, hints: dict[str, object]
) -> dict[str, pa.Array]:
    """``detect`` for a low-cardinality column, remembering each distinct value's result.

    Detection is a pure function of the value (for a given column plan), so values already
    seen in earlier batches of the column are looked up instead of re-detected; only new
    distinct values are examined. The cache is per column and bounded (``CACHE_VALUES``).
    """
    cache = hints.get("cache")
    if cache is False:
        return detect(distinct, plan, routing, hints)
    if not isinstance(cache, tuple):
        masks = detect(distinct, plan, routing, hints)
        hints["cache"] = (distinct, masks) if len(distinct) <= CACHE_VALUES else False
        return masks
    known_values, known_masks = cache
    positions = pc.index_in(distinct, value_set=known_values)
    new = pc.invert(pc.is_valid(positions))
    if pc.any(new).as_py():
        fresh = pc.filter(distinct, new)
        fresh_masks = detect(fresh, plan, routing, hints)
        all_values = pa.concat_arrays([known_values, fresh])
        no_known = pc.is_null(pc.utf8_length(known_values))
        no_fresh = pc.is_null(pc.utf8_length(fresh))
        known_masks = {
            name: pa.concat_arrays([known_masks.get(name, no_known), fresh_masks.get(name, no_fresh)])
            for name in known_masks.keys() | fresh_masks.keys()
        }
        hints["cache"] = (all_values, known_masks) if len(all_values) <= CACHE_VALUES else False
        known_values = all_values
        positions = pc.index_in(distinct, value_set=known_values)
    out = {}
    for name, m in known_masks.items():
        here = pc.take(m, positions)
        if pc.any(here).as_py():
            out[name] = here
    return out


_PERCENT = r"%[0-9A-Fa-f]{2}"


def _unquote(value: str) -> str:
    """Percent-decode (twice at most: ``%2540`` -> ``%40`` -> ``@``); ``+`` is kept (an email's)."""
    for _ in range(2):
        decoded = unquote(value, errors="replace")
        if decoded == value:
            break
        value = decoded
    return value


def _may_hold(values: pa.Array, needle: bytes) -> bool:
    """False only if no value holds ``needle``: one search of the column's character data
    (several times faster than a per-value substring kernel). Bytes under null slots are
    searched too, so True may be a false alarm: callers then check per value. A one-byte needle
    is compared by numpy in place, which releases the GIL (a ``bytes`` copy and search held it
    for a sixth of the scan threads' GIL time)."""
    if not pa.types.is_string(values.type):
        return bool(pc.any(pc.match_substring(values, needle.decode())).as_py())
    _, offsets, data = values.buffers()
    if data is None:
        return False
    first, last = np.frombuffer(offsets, np.int32, len(values) + 1, offset=4 * values.offset)[[0, -1]]
    if len(needle) == 1:
        chars = np.frombuffer(data, np.uint8, int(last) - int(first), offset=int(first))
        return bool((chars == needle[0]).any())
    return needle in memoryview(data)[int(first) : int(last)].tobytes()


def _may_equal(values: pa.Array, words: pa.Array) -> bool:
    """False only if no value can equal one of ``words``: every value is longer (in bytes)
    than the longest word. One length pass instead of hashing every value (emails, ids and
    timestamps are never a vendor's placeholder)."""
    shortest = pc.min(pc.binary_length(values)).as_py()
    longest = pc.max(pc.binary_length(words)).as_py()
    return shortest is None or longest is None or shortest <= longest


def percent_decoded(values: pa.Array) -> pa.Array:
    """``values`` with percent-encoded ones decoded (``rina%40example.co.id`` -> ``rina@...``).

    URLs and query strings carry emails, names and ids percent-encoded; every detector sees the
    decoded text, and a finding's keyed hash is the decoded value's (the same as where it was
    written plainly). Only values holding a ``%XX`` sequence are touched.
    """
    if len(values) == 0:
        return values
    # a plain byte search over the whole column first; the regex runs only where a "%" is
    if not _may_hold(values, b"%"):
        return values
    encoded = pc.fill_null(pc.match_substring_regex(values, _PERCENT), False)
    if not pc.any(encoded).as_py():
        return values
    positions = pc.indices_nonzero(encoded)
    decoded = pa.array([_unquote(v) for v in pc.take(values, positions).to_pylist()], pa.string())
    return pc.replace_with_mask(values, encoded, decoded)


def _first_true(mask: pa.Array, count: int) -> list[int]:
    """The first ``count`` positions where ``mask`` is true (nulls are not), looked for in
    growing windows: a column matched everywhere needs one small window, not an index array
    of every row."""
    found: list[int] = []
    start, width = 0, 4096
    while start < len(mask) and len(found) < count:
        window = pc.indices_nonzero(mask.slice(start, width)).slice(0, count - len(found))
        found.extend(start + p for p in window.to_pylist())
        start += width
        width *= 16
    return found


@dataclass(frozen=True)
class _Kept:
    """A column's values that are neither null nor a placeholder, percent-decoded: value ``i``
    is ``distinct[indices[i]]`` (``indices`` None: ``distinct`` holds the values themselves)
    and belongs to the batch's record ``rows[i]`` (``rows`` None: record ``i``)."""

    placeholders: int
    count: int
    distinct: pa.Array
    indices: pa.Array | None
    rows: pa.Array | None


def _without_placeholders(values: pa.Array, placeholders: pa.Array | None) -> tuple[pa.Array, int]:
    """``values`` with the placeholders made null, and how many there were."""
    if placeholders is None or not len(placeholders) or not len(values):
        return values, 0
    if not _may_equal(values, placeholders):
        return values, 0
    # ``placeholders`` holds each placeholder as written, in lower, UPPER and Title case
    # (``N/A``, ``NULL``, ``(Not Set)``): one exact ``is_in`` pass, no per-value lower-casing
    is_ph = pc.fill_null(pc.is_in(values, value_set=placeholders), False)
    count = pc.sum(is_ph).as_py() or 0
    if count:
        values = pc.if_else(is_ph, pa.scalar(None, pa.string()), values)
    return values, count


def _kept_plain(col: ColumnInput, placeholders: pa.Array | None, hints: dict[str, object]) -> _Kept:
    """The first batch of a column, and every batch of a high-cardinality one: placeholders,
    nulls and percent-decoding over the values; a low-cardinality column's decoded values
    are then dictionary-encoded (the probe of the first batch decides which it is)."""
    values, placeholder_count = _without_placeholders(col.values, placeholders)
    non_null = len(values) - values.null_count
    if non_null == 0:
        return _Kept(placeholder_count, 0, values, None, None)
    rows = col.rows
    if values.null_count:
        valid = pc.is_valid(values)
        values = pc.filter(values, valid)
        rows = pc.filter(rows, valid) if rows is not None else pc.indices_nonzero(valid)
    values = percent_decoded(values)
    if "low_cardinality" not in hints:
        card_probe = values.slice(0, CARD_PROBE)
        distinct_share = (pc.count_distinct(card_probe).as_py() or 0) / max(1, len(card_probe))
        hints["low_cardinality"] = distinct_share <= CARD_SHARE
    if len(values) > SMALL and hints["low_cardinality"]:
        encoded = pc.dictionary_encode(values)
        return _Kept(placeholder_count, non_null, encoded.dictionary, encoded.indices, rows)
    return _Kept(placeholder_count, non_null, values, None, rows)


def _kept_encoded(col: ColumnInput, placeholders: pa.Array | None) -> _Kept:
    """A low-cardinality column after its first batch: dictionary-encoded first, so the
    placeholder look-up and percent-decoding touch each distinct value once instead of every
    value. The same values, records and distinct set as :func:`_kept_plain` (the dictionary's
    order may differ, which nothing reads)."""
    words, indices = _encoded(col)
    nulls = indices.null_count
    words, is_ph = _placeholder_words(words, placeholders)
    if is_ph is not None:  # a placeholder's records become nulls; the others are renumbered
        kept_before = pc.cumulative_sum(pc.cast(pc.invert(is_ph), pa.int32()))
        renumber = pc.if_else(is_ph, pa.scalar(None, pa.int32()), pc.subtract(kept_before, 1))
        indices = pc.take(renumber, indices)
    placeholder_count = indices.null_count - nulls
    count = len(indices) - indices.null_count
    if count == 0:
        return _Kept(placeholder_count, 0, words, None, None)
    rows = col.rows
    if indices.null_count:
        valid = pc.is_valid(indices)
        indices = pc.filter(indices, valid)
        rows = pc.filter(rows, valid) if rows is not None else pc.indices_nonzero(valid)
    decoded = percent_decoded(words)
    if decoded is not words:  # two encodings of one value become one distinct value
        again = pc.dictionary_encode(decoded)
        words, indices = again.dictionary, pc.take(again.indices, indices)
    if count <= SMALL:
        return _Kept(placeholder_count, count, pc.take(words, indices), None, rows)
    return _Kept(placeholder_count, count, words, indices, rows)


def _kept_first_encoded(col: ColumnInput, placeholders: pa.Array | None, hints: dict[str, object]) -> _Kept:
    """The first batch of a column given as a dictionary array: :func:`_kept_encoded`, with the
    probe of :func:`_kept_plain` taken on its first kept values (the same values, so the same
    decision); a column that is not low-cardinality after all is decoded and kept plainly."""
    kept = _kept_encoded(col, placeholders)
    if kept.count == 0:
        return kept  # nothing kept: the probe waits for a later batch, as in _kept_plain
    probe = (kept.indices if kept.indices is not None else kept.distinct).slice(0, CARD_PROBE)
    distinct_share = (pc.count_distinct(probe).as_py() or 0) / max(1, len(probe))
    hints["low_cardinality"] = distinct_share <= CARD_SHARE
    return kept if hints["low_cardinality"] else _kept_plain(col, placeholders, hints)


def _encoded(col: ColumnInput) -> tuple[pa.Array, pa.Array]:
    """The column's distinct values and each value's index into them (null for a null):
    a dictionary array as given when its words are distinct and all used in this batch (a
    Parquet row group's dictionary may hold words of other batches), else encoded here."""
    given = col.given
    if isinstance(given, pa.DictionaryArray) and given.dictionary.null_count == 0:
        words, indices = given.dictionary, given.indices
        used = np.bincount(indices.drop_null().to_numpy(), minlength=len(words)) > 0
        if len(used) == len(words):  # every index within the dictionary
            if not used.all():  # drop the unused words, renumber the others
                words = words.filter(pa.array(used))
                renumber = pa.array(np.cumsum(used, dtype=np.int32) - 1)
                indices = pc.take(renumber, indices)
            if pc.count_distinct(words).as_py() == len(words):
                return words, indices
    encoded = pc.dictionary_encode(col.values)
    return encoded.dictionary, encoded.indices


def _placeholder_words(words: pa.Array, placeholders: pa.Array | None) -> tuple[pa.Array, pa.Array | None]:
    """The dictionary less its placeholders, and which words were placeholders (None: none)."""
    if placeholders is None or not len(placeholders) or not len(words):
        return words, None
    if not _may_equal(words, placeholders):
        return words, None
    is_ph = pc.fill_null(pc.is_in(words, value_set=placeholders), False)
    if not pc.any(is_ph).as_py():
        return words, None
    return pc.filter(words, pc.invert(is_ph)), is_ph


def scan_column(
    col: ColumnInput,
    plan: ColumnPlan,
    routing: Routing,
    *,
    offset: int,
    order: tuple[int, int],
    key: bytes,
    placeholders: pa.Array | None = None,
    hash_fn: Callable[[bytes, str], str] = keyed_hash,
    hints: dict[str, object] | None = None,
    max_findings: int = MAX_FINDINGS,
) -> ColumnPartial:
    hints = {} if hints is None else hints
    low = hints.get("low_cardinality")
    if low is None and isinstance(col.given, pa.DictionaryArray) and len(col.given) > SMALL:
        kept = _kept_first_encoded(col, placeholders, hints)
    elif low is True and len(col.given) > SMALL:
        kept = _kept_encoded(col, placeholders)
    else:
        kept = _kept_plain(col, placeholders, hints)
    part = ColumnPartial(
        name=col.name,
        order=order,
        rows=col.batch_rows,
        nulls=col.null_records,
        values=kept.count,
        placeholders=kept.placeholders,
        is_list=col.is_list,
        detectors_run=frozenset(d.name for d in plan.detectors),
        limit=max_findings,
    )
    if kept.count == 0:
        if not col.is_list:
            part.nulls = col.batch_rows
        return part
    if not col.is_list and kept.placeholders:
        part.nulls = col.null_records + kept.placeholders
    distinct, indices, rows = kept.distinct, kept.indices, kept.rows
    if indices is not None:
        masks = _detect_cached(distinct, plan, routing, hints)
    else:
        masks = detect(distinct, plan, routing, hints)
    part.sketch = sketch.sketch(distinct)
    first_record = (rows[0].as_py() if rows is not None else 0) + offset + 1
    first = indices[0].as_py() if indices is not None else 0
    part.example = (first_record, _preview(str(distinct[first].as_py())))
    by_name = {d.name: d for d in plan.detectors}
    class_masks: dict[str, pa.Array] = {}
    for name, m in masks.items():
        if not pc.any(m).as_py():
            continue
        row_mask = pc.take(m, indices) if indices is not None else m
        part.detector_matches[name] = pc.sum(row_mask).as_py() or 0
        cls = by_name[name].data_class
        class_masks[cls] = row_mask if cls not in class_masks else pc.or_(class_masks[cls], row_mask)
    for cls, row_mask in class_masks.items():
        part.class_matches[cls] = pc.sum(row_mask).as_py() or 0
        positions = _first_true(row_mask, max_findings)
        found = []
        dets = [by_name[n] for n in masks if n in part.detector_matches and by_name[n].data_class == cls]
        dets.sort(key=lambda d: "generic" in d.tags)  # a vendor-specific match names the finding
        for pos in positions:
            record = (rows[pos].as_py() if rows is not None else pos) + offset + 1
            at = indices[pos].as_py() if indices is not None else pos
            value = str(distinct[at].as_py())
            for det in dets:
                if not masks[det.name][at].as_py():  # this detector did not count this value
                    continue
                text = matched_text(det, value, token=True) if det.pattern else value
                if text is None:
                    continue
                text = text.strip()
                if det.canonical is not None:
                    text = det.canonical(text) or text
                found.append(
                    Finding(record, col.name, det.ref, hash_fn(key, text), _preview(text), det.label)
                )
                break
        part.findings[cls] = found
    return part
