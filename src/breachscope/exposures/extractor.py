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
from breachscope.exposures.person_key import KeyChain, Presence, key_chain, normalised_emails, row_keys
from breachscope.exposures.plan import (
    LIMITS,
    ROLE_CLASSES,
    ROLE_PATTERNS,
    ExtractPlan,
    clean,
    detected,
)
from breachscope.exposures.text import as_text, single_values
from breachscope.identity.emails import normalise_email, skeleton_email
from breachscope.identity.jurisdiction import country_name, resolve
from breachscope.identity.sql import create_hash_macro, email_loose_sql
from breachscope.taxonomy import BY_ID, Tier


class _Presence:
    """:meth:`ExtractPlan.present` remembered for one batch: a column's presence is asked for by
    its groups, its part and the person key; the same data (same buffers) is computed once.
    The arrays asked about are kept, so their buffers cannot be reused by another array."""

    def __init__(self, plan: ExtractPlan) -> None:
        self.plan = plan
        self._seen: dict[tuple[object, ...], tuple[pa.Array, pa.Array]] = {}

    def __call__(self, column: str, values: pa.Array | pa.ChunkedArray) -> pa.Array:
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        key = (
            column,
            str(values.type),
            values.offset,
            len(values),
            *(b.address if b else 0 for b in values.buffers()),
        )
        if key not in self._seen:
            self._seen[key] = (values, self.plan.present(column, values))
        return self._seen[key][1]


def _string_array(
    plan: ExtractPlan, batch: pa.RecordBatch, column: str | None, present: Presence | None = None
) -> pa.Array:
    """The column as text, null where no value is present (:func:`breachscope.exposures.plan.present`)."""
    n = batch.num_rows
    if column is None or column not in batch.schema.names:
        return pa.nulls(n, pa.string())
    arr = batch.column(column)
    if not pa.types.is_string(arr.type):
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        try:
            text = as_text(arr)  # a whole float in digits, a list of one value as that value
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # nested values: their text form
            return _nested_text(arr)
        if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):  # other lists as text
            text = pc.if_else(pc.or_(single_values(arr), pc.is_null(arr)), text, _nested_text(arr))
        arr = text
    return pc.if_else((present or plan.present)(column, arr), arr, pa.scalar(None, pa.string()))


def _nested_text(arr: pa.Array) -> pa.Array:
    return pa.array([None if v is None else str(v) for v in arr.to_pylist()], pa.string())


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
        present = _Presence(plan)
        groups = exposure_groups(plan, batch, present)
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
        v = {role: _string_array(plan, batch, plan.roles.get(role), present) for role in ROLE_PATTERNS}
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
        key_kinds, key_values = row_keys(batch, chain, present)
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
        """Hashes, places and class sets of the kept rows; a person's rows merged."""
        n = rows.num_rows
        ws = [f"m{i}" for i in range(n_words)]
        person_key = pc.if_else(
            pc.is_valid(rows["key_value"]),
            pc.binary_join_element_wise(rows["key_kind"], rows["key_value"], ":"),
            pc.binary_join_element_wise(
                pa.scalar(f"row:{prefix}"), pc.cast(rows["row_no"], pa.string()), ":"
            ),
        )
        norm, skel = _email_forms(rows["email_raw"].combine_chunks())
        forms = {"person_key": person_key, "did": rows["did"], "uid": rows["uid"], "norm": norm, "skel": skel}
        hashed = self._hashes(pa.table(forms))
        places = _places(rows["country_raw"].combine_chunks(), rows["region_raw"].combine_chunks())
        country = pc.if_else(rows["country_hidden"], pa.scalar(None, pa.string()), places["country"])
        cols: dict[str, Any] = {
            "row_no": rows["row_no"],
            **{w: rows[w] for w in ws},
            "person_key_hash": hashed["person_key_hash"],
            "person_key_kind": pc.fill_null(rows["key_kind"], "row"),
            "distinct_id_hash": hashed["distinct_id_hash"],
            "user_id_hash": hashed["user_id_hash"],
            "email_hash": hashed["email_hash"],
            "email_loose_hash": hashed["email_loose_hash"],
            "email_skeleton_hash": hashed["email_skeleton_hash"],
            "org_id_hash": self._org_hashes(rows["org"].combine_chunks()),
            **{c: places[c] for c in ("country_code", "region_code", "jurisdiction", "jurisdiction_source")},
            "email": rows["email"],
            "display_name": rows["display_name"],
            "city": rows["city"],
            "region": rows["region"],
            "country": country,
        }
        people = pa.table(cols)
        # a person with several rows: merge them (``unique`` then counting: a quarter of the
        # CPU of ``count_distinct``, which takes its aggregate kernel's slower hash path)
        if len(pc.drop_null(pc.unique(person_key))) < n:
            people = self._merged(people, ws)
        classes, fields = _class_sets(people, ws, groups)
        out = {c: people[c] for c in TABLE_COLUMNS if c not in ("exposed_classes", "exposed_fields")}
        out.update(exposed_classes=classes, exposed_fields=fields)
        return pa.table({c: out[c] for c in TABLE_COLUMNS})

    def _hashes(self, forms: pa.Table) -> pa.Table:
        """Each keyed hash exactly once (HMAC is the cost), in the rows' order: the person key,
        distinct id, user id and the email's normal form, plus its loose and skeleton forms
        where they differ from it."""
        con = self.con
        con.register("bs_forms", _parallel(forms))
        try:
            return con.sql(
                f"""
                SELECT person_key_hash, distinct_id_hash, user_id_hash, eh AS email_hash,
                       coalesce(lh, eh) AS email_loose_hash, coalesce(sh, eh) AS email_skeleton_hash
                FROM (
                    SELECT bs_h(person_key) AS person_key_hash, bs_h(did) AS distinct_id_hash,
                           bs_h(uid) AS user_id_hash, bs_h(norm) AS eh,
                           CASE WHEN loose <> norm THEN bs_h(loose) END AS lh,
                           CASE WHEN skel <> norm THEN bs_h(skel) END AS sh
                    FROM (SELECT *, {email_loose_sql("norm")} AS loose FROM bs_forms)
                )
                """
            ).to_arrow_table()
        finally:
            con.unregister("bs_forms")

    def _org_hashes(self, org: pa.Array) -> pa.Array:
        """The keyed hash of each row's organisation id, once per distinct id."""
        distinct = pc.drop_null(pc.unique(org))
        if len(distinct) == 0:
            return pa.nulls(len(org), pa.string())
        self.con.register("bs_orgs", _parallel(pa.table({"org": distinct})))
        try:
            hashes = self.con.sql("SELECT bs_h(org) AS h FROM bs_orgs").to_arrow_table()["h"]
        finally:
            self.con.unregister("bs_orgs")
        return pc.take(hashes.combine_chunks(), pc.index_in(org, value_set=distinct))

    def _merged(self, people: pa.Table, ws: list[str]) -> pa.Table:
        """One row per person key hash: masks ORed, the first row's number, otherwise the first
        non-null value (in file order) of each column."""
        con = self.con
        con.register("bs_people", people)
        try:
            firsts = ", ".join(
                f"first({c} ORDER BY row_no) FILTER (WHERE {c} IS NOT NULL) AS {c}" for c in _MERGED_FIRST
            )
            masks = ", ".join(f"bit_or({w}) AS {w}" for w in ws)
            return con.sql(
                f"SELECT min(row_no) AS row_no, {masks}, person_key_hash, {firsts} "
                "FROM bs_people GROUP BY person_key_hash ORDER BY row_no"
            ).to_arrow_table()
        finally:
            con.unregister("bs_people")


#: Rows per Arrow chunk handed to DuckDB: it scans one chunk with one thread, so a batch in one
#: chunk is hashed by one core (HMAC is most of the extraction's cost).
_DUCKDB_CHUNK = 8192


def _parallel(table: pa.Table) -> pa.Table:
    """``table`` in chunks of :data:`_DUCKDB_CHUNK` rows, for DuckDB to scan with all its threads
    (its results keep the rows' order: insertion order is preserved)."""
    return pa.Table.from_batches(table.to_batches(max_chunksize=_DUCKDB_CHUNK), table.schema)


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


def exposure_groups(
    plan: ExtractPlan, batch: pa.RecordBatch, present: Presence | None = None
) -> list[tuple[str, frozenset[str], pa.Array]]:
    """(column, classes, where a person exposes them): whole-column classes where a value is
    present, then each minority class where the row's value holds it. ``case attach`` and
    ``scan --people`` both decide a person's fields and classes from these."""
    names = batch.schema.names
    groups: list[tuple[str, frozenset[str], pa.Array]] = []
    for col, whole in plan.column_classes.items():
        if col in names:
            groups.append((col, whole, (present or plan.present)(col, batch.column(col))))
    for col, some in plan.row_checks.items():
        if col in names:
            arr = batch.column(col)
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            for class_id in sorted(some):
                groups.append((col, frozenset({class_id}), detected(arr, class_id)))
    return groups


_PRINTABLE_ASCII = r"^[ -~]*$"


def _email_forms(raw: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The normal form of each email (:func:`~breachscope.identity.emails.normalise_email`) and
    its skeleton (:func:`~breachscope.identity.emails.skeleton_email`: the normal form itself
    for printable ASCII; else computed once per distinct value)."""
    norm = normalised_emails(raw)
    ascii_ = pc.fill_null(pc.match_substring_regex(raw, _PRINTABLE_ASCII), False)
    others = pc.and_(pc.is_valid(raw), pc.invert(ascii_))
    if not pc.any(others).as_py():
        return norm, norm
    distinct = pc.unique(pc.filter(raw, others))
    skels = pa.array([skeleton_email(normalise_email(v)) for v in distinct.to_pylist()], pa.string())
    mapped = pc.take(skels, pc.index_in(raw, value_set=distinct))
    return norm, pc.if_else(others, mapped, norm)


def _codes(arr: pa.Array) -> tuple[np.ndarray, list[Any]]:
    """Dictionary codes of ``arr`` (null: the code after the last value) and the values."""
    encoded = pc.dictionary_encode(arr)
    values = encoded.dictionary.to_pylist()
    codes = pc.fill_null(encoded.indices, len(values)).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, [*values, None]


def _places(country_raw: pa.Array, region_raw: pa.Array) -> dict[str, pa.Array]:
    """Jurisdiction and display country of each row, resolved once per distinct (country, region)."""
    c_codes, c_values = _codes(country_raw)
    r_codes, r_values = _codes(region_raw)
    pair = c_codes * len(r_values) + r_codes
    distinct, inverse = np.unique(pair, return_inverse=True)
    out: dict[str, list[Any]] = {
        k: [] for k in ("country_code", "region_code", "jurisdiction", "jurisdiction_source", "country")
    }
    for code in distinct.tolist():
        country, region = c_values[code // len(r_values)], r_values[code % len(r_values)]
        try:
            where = resolve(country, region)
            display = country
            if where.country and country and len(country.strip()) <= 3:
                display = country_name(where.country) or country
        except Exception:  # a hostile place name is simply unresolved
            where, display = resolve(None, None), country
        for k, val in (
            ("country_code", where.country),
            ("region_code", where.region),
            ("jurisdiction", where.code),
            ("jurisdiction_source", where.source),
            ("country", clean(display, LIMITS["country"])),
        ):
            out[k].append(val)
    index = pa.array(inverse.reshape(-1))
    return {k: pc.take(pa.array(v, pa.string()), index) for k, v in out.items()}


def _class_sets(
    people: pa.Table, words: list[str], groups: list[tuple[str, frozenset[str], pa.Array]]
) -> tuple[pa.Array, pa.Array]:
    """Classes and fields (JSON, as stored) of each person, computed once per distinct mask."""
    if len(words) == 1:  # the usual case: one mask word, a plain (fast) unique
        first, inverse = np.unique(people[words[0]].to_numpy(), return_inverse=True)
        distinct = first.reshape(-1, 1)
    else:
        masks = np.column_stack([people[w].to_numpy() for w in words])
        distinct, inverse = np.unique(masks, axis=0, return_inverse=True)
    classes, fields = [], []
    for mask in distinct.tolist():
        chosen = [
            g
            for w, m in enumerate(mask)
            for b, g in enumerate(groups[w * _WORD_BITS : (w + 1) * _WORD_BITS])
            if m >> b & 1
        ]
        classes.append(json.dumps(sorted({k for g in chosen for k in g[1]})))
        fields.append(json.dumps(sorted({g[0] for g in chosen})))
    index = pa.array(inverse.reshape(-1))
    return pc.take(pa.array(classes, pa.string()), index), pc.take(pa.array(fields, pa.string()), index)


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
