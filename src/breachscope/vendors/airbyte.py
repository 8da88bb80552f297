"""Airbyte-wrapped records of any vendor: ``{"stream", "data": {...}, "emitted_at"}`` lines
(connector output, ``expected_records.jsonl``) and raw tables with an ``_airbyte_data`` column.

Airbyte wraps each record of a source (Mixpanel engage pages, Intercom admins, PostHog
persons ...) in a message: ``stream`` (the source's stream), ``data`` (the record) and
``emitted_at`` (the sync time); destinations' raw tables keep the record as JSON text in
``_airbyte_data`` next to ``_airbyte_ab_id``/``_airbyte_raw_id`` and ``_airbyte_emitted_at``/
``_airbyte_extracted_at`` (https://docs.airbyte.com/understanding-airbyte/airbyte-protocol,
https://docs.airbyte.com/understanding-airbyte/database-data-catalog).

:func:`unwrap` recognises the wrapper from the column paths, recognises the *inner* columns with
every vendor layout, and returns that vendor's match with a transform that first strips the
``data.`` / ``_airbyte_data.`` prefix: the record's fields are then classified exactly as the
vendor's own export. Where no vendor layout fits the inner columns, the match is
``airbyte/records`` (generic scanning of the unwrapped fields). ``stream``, ``emitted_at`` and
the ``_airbyte_*`` columns are bookkeeping. One file holding several streams is scanned with the
columns of all of them (the stream decides nothing per row).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import pyarrow as pa

from breachscope.vendors.base import VendorMatch
from breachscope.vendors.layout import PathPatterns
from breachscope.vendors.transforms import chain, json_columns

VENDOR = "airbyte"
DOC_REFS = (
    "https://docs.airbyte.com/understanding-airbyte/airbyte-protocol",
    "https://docs.airbyte.com/understanding-airbyte/database-data-catalog",
)
WRAPPED_PREFIX = "data."
RAW_COLUMN = "_airbyte_data"
_BOOKKEEPING = (r"^stream$", r"^emitted_at$", r"^namespace$", r"^_airbyte_(?!data(\.|$))")

Recognise = Callable[[Sequence[str], str], VendorMatch | None]


@dataclass(frozen=True)
class StripPrefix:
    """Rename ``<prefix><field>`` columns to ``<field>`` (a field already present keeps its name)."""

    prefix: str

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        names = batch.schema.names
        taken = set(names)
        out = []
        for name in names:
            if name.startswith(self.prefix) and len(name) > len(self.prefix):
                inner = name[len(self.prefix) :]
                if inner not in taken:
                    taken.add(inner)
                    out.append(inner)
                    continue
            out.append(name)
        return batch.rename_columns(out)


def wrapper(columns: Sequence[str]) -> str | None:
    """``"messages"`` for ``stream`` + ``emitted_at`` + ``data.*``, ``"raw"`` for ``_airbyte_data``."""
    cols = set(columns)
    if "stream" in cols and "emitted_at" in cols and any(c.startswith(WRAPPED_PREFIX) for c in columns):
        return "messages"
    if RAW_COLUMN in cols or any(c.startswith(RAW_COLUMN + ".") for c in columns):
        return "raw"
    return None


def unwrap(columns: Sequence[str], source_name: str, recognise: Recognise) -> VendorMatch | None:
    """The inner vendor's match (or ``airbyte/records``) for Airbyte-wrapped columns, else None."""
    kind = wrapper(columns)
    if kind is None:
        return None
    prefix = WRAPPED_PREFIX if kind == "messages" else RAW_COLUMN + "."
    inner_cols = [c[len(prefix) :] for c in columns if c.startswith(prefix)]
    strip: Callable[[pa.RecordBatch], pa.RecordBatch] = StripPrefix(prefix)
    if kind == "raw":
        strip = chain(json_columns((RAW_COLUMN,)), StripPrefix(prefix))
    inner = recognise(inner_cols, source_name) if inner_cols else None
    bookkeeping = PathPatterns(tuple(re.compile(p) for p in _BOOKKEEPING))
    what = (
        "Airbyte records (stream, data, emitted_at)"
        if kind == "messages"
        else "Airbyte raw table (_airbyte_data)"
    )
    if inner is None:
        return VendorMatch(
            vendor=VENDOR,
            layout="records" if kind == "messages" else "raw_table",
            reason=f"airbyte {what}: no vendor layout fits the inner fields; scanned generically",
            score=0.5,
            field_classes={},
            transform=strip,
            doc_refs=DOC_REFS,
            bookkeeping=bookkeeping,
        )
    transform = strip if inner.transform is None else chain(strip, inner.transform)
    return replace(
        inner,
        reason=f"{inner.reason}; each record wrapped in {what}",
        transform=transform,
        doc_refs=inner.doc_refs + DOC_REFS,
        bookkeeping=_Either(inner.bookkeeping, bookkeeping),
    )


@dataclass(frozen=True)
class _Either:
    """A column is bookkeeping if either container says so (picklable)."""

    a: object
    b: object

    def __contains__(self, path: object) -> bool:
        return path in self.a or path in self.b  # type: ignore[operator]


__all__ = ["DOC_REFS", "StripPrefix", "unwrap", "wrapper"]
