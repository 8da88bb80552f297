"""The vectorised exposure extractor: record batches to exposure tables (see :mod:`.extract`).

Per Arrow batch: Arrow computes which (column, classes) groups each row has a value in (62-bit
mask words), the notice values (cleaned, sensitive ones hidden) and trimmed identifiers; DuckDB
normalises emails (:mod:`breachscope.identity.sql`), computes the keyed
hashes with the ``bs_h`` macro scope matching uses, and merges a person's rows; Python runs once
per distinct location, class set and non-ASCII email. Memory is bounded by the batch size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from breachscope.case.api import ExposureRecord
from breachscope.exposures.person_key import KeyChain, key_chain, row_keys
from breachscope.exposures.plan import (
    LIMITS,
    ROLE_CLASSES,
    ROLE_PATTERNS,
    ExtractPlan,
    clean,
    detected,
)
from breachscope.identity.jurisdiction import country_name, resolve
from breachscope.identity.sql import create_hash_macro, email_loose_sql, email_map, email_norm_sql
from breachscope.taxonomy import BY_ID, Tier


def _string_array(plan: ExtractPlan, batch: pa.RecordBatch, column: str | None) -> pa.Array:
    """The column as text, null where no value is present (:func:`breachscope.exposures.plan.present`)."""
    n = batch.num_rows
    if column is None or column not in batch.schema.names:
        return pa.nulls(n, pa.string())
    arr = batch.column(column)
    if not pa.types.is_string(arr.type):
        try:
            arr = pc.cast(arr, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # nested values: their text form
            return pa.array([None if v is None else str(v) for v in arr.to_pylist()], pa.string())
    return pc.if_else(plan.present(column, arr), arr, pa.scalar(None, pa.string()))


_CONTROL_RE2 = r"[\x00-\x1f\x7f-\x9f\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{feff}]"


def _clean_array(arr: pa.Array, limit: int) -> pa.Array:
    """:func:`clean` over a whole array (Arrow's whitespace trim is Python's ``str.strip``)."""
    text = pc.utf8_slice_codeunits(
        pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, _CONTROL_RE2, "")), 0, limit
    )
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _trimmed(arr: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(arr)


#: Bits per mask word: which (column, classes) groups a person has a value in.
_WORD_BITS = 62

#: Output columns, in :class:`~breachscope.case.api.ExposureRecord` order (classes and fields
#: as JSON text, as the case stores them), plus ``row_no`` (first row of the person in the file).
TABLE_COLUMNS: tuple[str, ...] = (*ExposureRecord.__dataclass_fields__, "row_no")


class Extractor:
    """Leaked record batches to exposure tables, vectorised: Arrow for presence, classes and
    cleaning; DuckDB for email forms, keyed hashes (the ``bs_h`` macro that scope matching uses)
    and merging a person's rows; Python only once per distinct location, class set and
    non-ASCII email. Memory is bounded by the batch size."""

    def __init__(self, key: bytes) -> None:
        self.con = duckdb.connect(config={"memory_limit": "128MB", "threads": 2})  # a batch needs less
        create_hash_macro(self.con, key)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Extractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def table(
        self,
        plan: ExtractPlan,
        batch: pa.RecordBatch,
        *,
        row_key_prefix: str,
        offset: int = 0,
        chain: KeyChain | None = None,
    ) -> pa.Table:
        """One row per person in ``batch`` (rows with no data at all are skipped; a person's
        rows are merged: classes and fields united, otherwise the first value wins).

        ``chain`` is the source's person-key chain (:func:`~.person_key.key_chain`; default:
        the one of a source without a vendor layout); a row without a key is a person of its
        own (kind ``row``)."""
        if chain is None:
            chain = key_chain(batch.schema.names, plan.roles, plan.column_classes)
        groups = exposure_groups(plan, batch)
        n = batch.num_rows
        if not groups or n == 0:
            return _empty()
        words: list[pa.Array] = []
        for w in range(0, len(groups), _WORD_BITS):
            mask = pa.array(np.zeros(n, dtype=np.int64))
            for bit, (_, _, has) in enumerate(groups[w : w + _WORD_BITS]):
                on = pc.if_else(has, pa.scalar(1 << bit, pa.int64()), pa.scalar(0, pa.int64()))
                mask = pc.bit_wise_or(mask, on)
            words.append(mask)
        keep = pc.not_equal(words[0], 0)
        for word in words[1:]:
            keep = pc.or_(keep, pc.not_equal(word, 0))
        v = {role: _string_array(plan, batch, plan.roles.get(role)) for role in ROLE_PATTERNS}
        hidden = _hidden_notice_values(plan, groups, n)
        shown = {role: _hide(v[role], hidden.get(role)) for role in NOTICE_ROLES}
        name = pc.if_else(
            pc.is_valid(shown["name"]),
            shown["name"],
            # "first last" ("skip" drops all-null rows in pyarrow 26; the blanks go in cleaning)
            pc.binary_join_element_wise(
                shown["first_name"], shown["last_name"], " ", null_handling="replace", null_replacement=""
            ),
        )
        key_kinds, key_values = row_keys(batch, chain, plan.present)
        cols: dict[str, pa.Array] = {
            "row_no": pa.array(np.arange(offset, offset + n, dtype=np.int64)),
            "key_kind": key_kinds,
            "key_value": key_values,
            **{f"m{i}": word for i, word in enumerate(words)},
            "did": _trimmed(v["distinct_id"]),
            "uid": _trimmed(v["user_id"]),
            "anon": _trimmed(v["anonymous_id"]),
            "org": _trimmed(v["org_id"]),
            "email_raw": v["email"],
            "email": _clean_array(shown["email"], LIMITS["email"]),
            "display_name": _clean_array(name, LIMITS["display_name"]),
            "city": _clean_array(shown["city"], LIMITS["city"]),
            "region": _clean_array(shown["region"], LIMITS["region"]),
            "country_raw": v["country"],
            "region_raw": v["region"],
            "country_hidden": hidden.get("country", pa.array(np.zeros(n, dtype=bool))),
        }
        rows = pa.table(cols).filter(keep)
        if rows.num_rows == 0:
            return _empty()
        return self._query(rows, len(words), groups, row_key_prefix)

    def _query(
        self,
        rows: pa.Table,
        n_words: int,
        groups: list[tuple[str, frozenset[str], pa.Array]],
        prefix: str,
    ) -> pa.Table:
        con = self.con
        con.register("bs_rows", rows)
        try:
            email_map(con, "bs_rows", "email_raw")
            con.register("bs_places", _places(con))
            ws = [f"m{i}" for i in range(n_words)]
            # Text forms first (materialised), then each keyed hash exactly once: HMAC is the cost.
            con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE bs_keyed AS
                WITH forms AS (
                    SELECT r.*, {email_norm_sql("r.email_raw", "e.norm")} AS norm,
                           CASE WHEN e.raw IS NULL THEN {email_norm_sql("r.email_raw", "NULL")}
                                ELSE e.skel END AS skel
                    FROM bs_rows r LEFT JOIN email_map e ON r.email_raw = e.raw
                )
                SELECT *, {email_loose_sql("norm")} AS loose,
                       coalesce(key_kind, 'row') AS person_key_kind,
                       CASE WHEN key_value IS NOT NULL THEN key_kind || ':' || key_value
                            ELSE 'row:' || $prefix || ':' || row_no END AS person_key
                FROM forms
                """,
                {"prefix": prefix},
            )
            con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE bs_people AS
                WITH hashed AS (
                    SELECT *, bs_h(norm) AS eh,
                           CASE WHEN loose <> norm THEN bs_h(loose) END AS lh,
                           CASE WHEN skel <> norm THEN bs_h(skel) END AS sh
                    FROM bs_keyed
                ), orgs AS (
                    SELECT org, bs_h(org) AS org_id_hash
                    FROM (SELECT DISTINCT org FROM bs_keyed WHERE org IS NOT NULL)
                )
                SELECT k.row_no, {", ".join(f"k.{w}" for w in ws)},
                       bs_h(k.person_key) AS person_key_hash, k.person_key_kind,
                       bs_h(k.did) AS distinct_id_hash, bs_h(k.uid) AS user_id_hash,
                       k.eh AS email_hash, coalesce(k.lh, k.eh) AS email_loose_hash,
                       coalesce(k.sh, k.eh) AS email_skeleton_hash,
                       o.org_id_hash,
                       p.country_code, p.region_code, p.jurisdiction, p.jurisdiction_source,
                       k.email, k.display_name, k.city, k.region,
                       CASE WHEN k.country_hidden THEN NULL ELSE p.country END AS country
                FROM hashed k
                LEFT JOIN orgs o ON k.org = o.org
                LEFT JOIN bs_places p
                    ON k.country_raw IS NOT DISTINCT FROM p.country_raw
                   AND k.region_raw IS NOT DISTINCT FROM p.region_raw
                """
            )
            people = "bs_people"
            dup = con.execute("SELECT count(*) - count(DISTINCT person_key_hash) FROM bs_people").fetchone()
            if dup and dup[0]:
                people = "bs_merged"
                firsts = ", ".join(
                    f"first({c} ORDER BY row_no) FILTER (WHERE {c} IS NOT NULL) AS {c}" for c in _MERGED_FIRST
                )
                masks = ", ".join(f"bit_or({w}) AS {w}" for w in ws)
                con.execute(
                    f"CREATE OR REPLACE TEMP TABLE bs_merged AS SELECT min(row_no) AS row_no, {masks}, "
                    f"person_key_hash, {firsts} FROM bs_people GROUP BY person_key_hash"
                )
            con.register("bs_sets", _class_sets(con, people, ws, groups))
            out = ", ".join(
                f"s.{c}" if c in ("exposed_classes", "exposed_fields") else f"x.{c}" for c in TABLE_COLUMNS
            )
            on = " AND ".join(f"x.{w} = s.{w}" for w in ws)
            query = f"SELECT {out} FROM {people} x JOIN bs_sets s ON {on} ORDER BY x.row_no"
            return con.sql(query).to_arrow_table()
        finally:
            for view in ("bs_rows", "bs_places", "bs_sets"):
                con.unregister(view)
            for table in ("bs_keyed", "bs_people", "bs_merged"):
                con.execute(f"DROP TABLE IF EXISTS {table}")


#: Columns merged "first non-null value wins" when one person has several rows.
_MERGED_FIRST = tuple(
    c
    for c in ExposureRecord.__dataclass_fields__
    if c not in ("person_key_hash", "exposed_classes", "exposed_fields")
)


#: Parts whose values a notice quotes, and so are stored (see :func:`_hidden_notice_values`).
NOTICE_ROLES = ("email", "name", "first_name", "last_name", "city", "region", "country")
#: A notice column whose scan classes include one of these tiers (other than the part's own
#: class) holds sensitive data: its values are not stored.
_HIDDEN_TIERS = frozenset({Tier.CRITICAL, Tier.HIGH})


def _hidden_notice_values(
    plan: ExtractPlan, groups: list[tuple[str, frozenset[str], pa.Array]], n: int
) -> dict[str, pa.Array]:
    """Per notice part, the rows whose value must not be stored: a card number in ``$name``, a
    national id in ``$city`` (found per row by the minority-class checks), or every row when
    the scan classed the whole column as something sensitive. The person still exposes the
    class; only the raw value stays out of the case."""
    hidden: dict[str, pa.Array] = {}
    for role in NOTICE_ROLES:
        col = plan.roles.get(role)
        if col is None:
            continue
        own = ROLE_CLASSES[role]
        whole = plan.column_classes.get(col, frozenset())
        if any(c != own and c in BY_ID and BY_ID[c].tier in _HIDDEN_TIERS for c in whole):
            hidden[role] = pa.array(np.ones(n, dtype=bool))
            continue
        hits = [
            has
            for c, classes, has in groups
            if c == col and col in plan.row_checks and classes <= plan.row_checks[col] and own not in classes
        ]
        if hits:
            mask = hits[0]
            for h in hits[1:]:
                mask = pc.or_(mask, h)
            hidden[role] = pc.fill_null(mask, False)
    return hidden


def _hide(arr: pa.Array, hidden: pa.Array | None) -> pa.Array:
    if hidden is None:
        return arr
    return pc.if_else(hidden, pa.scalar(None, pa.string()), arr)


def exposure_groups(plan: ExtractPlan, batch: pa.RecordBatch) -> list[tuple[str, frozenset[str], pa.Array]]:
    """(column, classes, where a person exposes them): whole-column classes where a value is
    present, then each minority class where the row's value holds it. ``case attach`` and
    ``scan --people`` both decide a person's fields and classes from these."""
    names = batch.schema.names
    groups: list[tuple[str, frozenset[str], pa.Array]] = []
    for col, whole in plan.column_classes.items():
        if col in names:
            groups.append((col, whole, plan.present(col, batch.column(col))))
    for col, some in plan.row_checks.items():
        if col in names:
            arr = batch.column(col)
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            for class_id in sorted(some):
                groups.append((col, frozenset({class_id}), detected(arr, class_id)))
    return groups


def _places(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Jurisdiction and display country of each distinct (country, region) in ``bs_rows``."""
    pairs = con.execute("SELECT DISTINCT country_raw, region_raw FROM bs_rows").fetchall()
    out: dict[str, list[Any]] = {
        k: []
        for k in (
            "country_raw",
            "region_raw",
            "country_code",
            "region_code",
            "jurisdiction",
            "jurisdiction_source",
            "country",
        )
    }
    for country, region in pairs:
        try:
            where = resolve(country, region)
            display = country
            if where.country and country and len(country.strip()) <= 3:
                display = country_name(where.country) or country
        except Exception:  # a hostile place name is simply unresolved
            where, display = resolve(None, None), country
        for k, val in (
            ("country_raw", country),
            ("region_raw", region),
            ("country_code", where.country),
            ("region_code", where.region),
            ("jurisdiction", where.code),
            ("jurisdiction_source", where.source),
            ("country", clean(display, LIMITS["country"])),
        ):
            out[k].append(val)
    return pa.table({k: pa.array(v, pa.string()) for k, v in out.items()})


def _class_sets(
    con: duckdb.DuckDBPyConnection,
    people: str,
    words: list[str],
    groups: list[tuple[str, frozenset[str], pa.Array]],
) -> pa.Table:
    """Classes and fields (JSON, as stored) of each distinct mask in ``people``."""
    masks = con.execute(f"SELECT DISTINCT {', '.join(words)} FROM {people}").fetchall()
    cols: dict[str, list[Any]] = {w: [] for w in words}
    classes, fields = [], []
    for mask in masks:
        chosen = [
            g
            for w, m in enumerate(mask)
            for b, g in enumerate(groups[w * _WORD_BITS : (w + 1) * _WORD_BITS])
            if m >> b & 1
        ]
        for w, m in zip(words, mask, strict=True):
            cols[w].append(m)
        classes.append(json.dumps(sorted({k for g in chosen for k in g[1]})))
        fields.append(json.dumps(sorted({g[0] for g in chosen})))
    table = {w: pa.array(v, pa.int64()) for w, v in cols.items()}
    table.update(exposed_classes=pa.array(classes, pa.string()), exposed_fields=pa.array(fields, pa.string()))
    return pa.table(table)


def _empty() -> pa.Table:
    return pa.table({c: pa.array([], pa.int64() if c == "row_no" else pa.string()) for c in TABLE_COLUMNS})


def records(table: pa.Table) -> Iterator[ExposureRecord]:
    """The rows of an exposure table as :class:`ExposureRecord` objects."""
    for row in table.to_pylist():
        row.pop("row_no", None)
        row["exposed_classes"] = json.loads(row["exposed_classes"])
        row["exposed_fields"] = json.loads(row["exposed_fields"])
        yield ExposureRecord(**row)


def extract_batch(
    key: bytes,
    plan: ExtractPlan,
    batch: pa.RecordBatch,
    *,
    row_key_prefix: str,
    offset: int = 0,
    chain: KeyChain | None = None,
) -> Iterator[ExposureRecord]:
    """One :class:`ExposureRecord` per person in ``batch``; for small inputs and tests (a whole
    file goes through one :class:`Extractor` and :func:`~breachscope.case.api.store_exposure_table`)."""
    with Extractor(key) as ex:
        table = ex.table(plan, batch, row_key_prefix=row_key_prefix, offset=offset, chain=chain)
    yield from records(table)
