"""The per-row exposure extraction that ``case.extract`` replaced (kept to check the vectorised
path gives the same records). Not used by breachscope itself."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from breachscope.case.api import ExposureRecord
from breachscope.exposures.plan import LIMITS, ROLE_PATTERNS, ExtractPlan, clean, detected
from breachscope.exposures.plan import present as value_present
from breachscope.identity.emails import loose_email, normalise_email, skeleton_email
from breachscope.identity.jurisdiction import country_name, resolve


def _strings(batch: pa.RecordBatch, column: str | None) -> list[str | None]:
    if column is None or column not in batch.schema.names:
        return [None] * batch.num_rows
    arr = batch.column(column)
    if not pa.types.is_string(arr.type):
        try:
            arr = pc.cast(arr, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return [None if v is None else str(v) for v in arr.to_pylist()]
    present = value_present(arr)
    out: list[str | None] = pc.if_else(present, arr, pa.scalar(None, pa.string())).to_pylist()
    return out


def extract_batch(
    key: bytes, plan: ExtractPlan, batch: pa.RecordBatch, *, row_key_prefix: str, offset: int = 0
) -> Iterator[ExposureRecord]:
    """One :class:`ExposureRecord` per row of ``batch`` (rows with no data at all are skipped)."""
    names = batch.schema.names
    # One bit per (column, classes) group: whole-column classes, then per-row detected ones.
    groups: list[tuple[str, frozenset[str], pa.Array]] = []
    for col, whole in plan.column_classes.items():
        if col in names:
            groups.append((col, whole, value_present(batch.column(col))))
    for col, some in plan.row_checks.items():
        if col in names:
            arr = batch.column(col)
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            for class_id in sorted(some):
                groups.append((col, frozenset({class_id}), detected(arr, class_id)))
    masks: pa.Array = pa.array([0] * batch.num_rows, pa.int64())
    for bit, (_, _, present) in enumerate(groups):
        masks = pc.bit_wise_or(masks, pc.if_else(present, 1 << bit, 0))
    mask_list = masks.to_pylist()
    values = {role: _strings(batch, plan.roles.get(role)) for role in ROLE_PATTERNS}
    decoded: dict[int, tuple[list[str], list[str]]] = {}
    for i, mask in enumerate(mask_list):
        if not mask:
            continue
        if mask not in decoded:
            chosen = [g for b, g in enumerate(groups) if mask >> b & 1]
            decoded[mask] = (sorted({k for g in chosen for k in g[1]}), sorted({g[0] for g in chosen}))
        classes, fields = decoded[mask]
        try:
            yield _record(
                key,
                {role: vals[i] for role, vals in values.items()},
                classes,
                fields,
                f"{row_key_prefix}:{offset + i}",
            )
        except Exception:  # one hostile record never stops an attach; it is simply not stored
            continue


@lru_cache(maxsize=8)
def _hmac_base(key: bytes) -> Any:
    return hmac.new(key, digestmod=hashlib.sha256)


def _h(key: bytes, value: str | None) -> str | None:
    """``hashing.keyed_hash(key, value)``, reusing the keyed HMAC state (the tests check equality)."""
    if value is None:
        return None
    mac = _hmac_base(key).copy()
    mac.update(value.encode("utf-8", "surrogatepass"))
    return str(mac.hexdigest()[:32])


def _record(
    key: bytes, v: Mapping[str, str | None], classes: list[str], fields: list[str], row_key: str
) -> ExposureRecord:
    distinct_id = v["distinct_id"].strip() if v["distinct_id"] else None
    user_id = v["user_id"].strip() if v["user_id"] else None
    norm = normalise_email(v["email"])
    if distinct_id:
        kind, ident = "distinct_id", distinct_id
    elif user_id:
        kind, ident = "user_id", user_id
    elif norm:
        kind, ident = "email", norm
    elif v["anonymous_id"] and v["anonymous_id"].strip():
        kind, ident = "anonymous_id", v["anonymous_id"].strip()
    else:
        kind, ident = "row", row_key
    where = resolve(v["country"], v["region"])
    name = v["name"] or " ".join(p for p in (v["first_name"], v["last_name"]) if p) or None
    country_display = v["country"]
    if where.country and v["country"] and len(v["country"].strip()) <= 3:
        country_display = country_name(where.country) or v["country"]
    return ExposureRecord(
        person_key_hash=_h(key, f"{kind}:{ident}") or "",
        person_key_kind=kind,
        distinct_id_hash=_h(key, distinct_id),
        user_id_hash=_h(key, user_id),
        email_hash=_h(key, norm),
        email_loose_hash=_h(key, loose_email(norm)),
        email_skeleton_hash=_h(key, skeleton_email(norm)),
        org_id_hash=_h(key, v["org_id"].strip() if v["org_id"] else None),
        exposed_classes=classes,
        exposed_fields=fields,
        country_code=where.country,
        region_code=where.region,
        jurisdiction=where.code,
        jurisdiction_source=where.source,
        email=clean(v["email"], LIMITS["email"]),
        display_name=clean(name, LIMITS["display_name"]),
        city=clean(v["city"], LIMITS["city"]),
        region=clean(v["region"], LIMITS["region"]),
        country=clean(country_display, LIMITS["country"]),
    )
