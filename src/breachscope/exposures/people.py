"""Per person: which people-level fields (and data classes) does this export expose?

The first question an incident responder asks. For every distinct person key (chosen by
:mod:`breachscope.exposures.person_key`, the one choice ``case attach`` makes too: the vendor
layout's ``person_key`` and fallbacks, else the columns named for a person's ids and email, else
a column classified ``email`` or ``internal_id``), this finds which classified fields are
non-null for that person anywhere in the export, then summarises:

- how many people expose each field,
- the distribution of field *combinations* (how many people expose exactly which set),
- per-person rows (a keyed hash of the person key, never the raw key; the key's kind; the
  fields; the classes), written to CSV or JSON by DuckDB.

Anonymous people count too: where a row's person key is empty, the layout's ``fallback_keys``
(Segment ``anonymousId``, Amplitude ``device_id`` ...) identify it, and each person carries the
*kind* of key that identified it (``user_id``, ``anonymous_id``, ``device_id``). A fallback key
seen in rows beside exactly one person key (an anonymous visitor who later signed in) is merged
into that person; one seen beside several (a shared device) stays a person of its own. (``case
attach`` does not merge such keys: there the visitor's rows without the person key stay a
person of their own.)

Everything is vectorised: each Arrow batch is reduced to one row per key with one boolean per
field (Arrow ``group_by(...).aggregate(any)``) and appended to a DuckDB table; DuckDB then ORs
them per person under a ``memory_limit`` (it spills to ``temp_directory`` beyond it). Vendor
placeholders (``$direct``, ``(not set)``; Amplitude ``session_id = -1`` in that field only) and
empty strings count as absent.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from breachscope.errors import InputError
from breachscope.exposures.extractor import exposure_groups
from breachscope.exposures.person_key import KeyChain, column_keys, key_chain
from breachscope.exposures.plan import ExtractPlan, split_scan_classes
from breachscope.files import open_private, private_file
from breachscope.hashing import KEY_BYTES
from breachscope.identity.sql import hmac_sql
from breachscope.inert import csv_cell
from breachscope.readers import open_sources
from breachscope.readers.base import BytesCallback, Source
from breachscope.scan.vendor_stream import VendorBatches
from breachscope.vendors.base import VendorMatch

ColumnClasses = Mapping[str, Iterable[str]]
ScanClasses = Mapping[tuple[str, str], Iterable[str]]  # (source name, column) -> classes
Placeholders = Callable[[str], frozenset[str]]  # column -> its placeholder values
#: The text a person is identified by (then HMAC-ed): ``kind:value``, as ``case attach`` stores it.
PERSON = "kind || ':' || k"


@dataclass(frozen=True)
class FieldSet:
    """One combination of fields, and how many people expose exactly that combination."""

    fields: tuple[str, ...]
    classes: tuple[str, ...]
    people: int


@dataclass(frozen=True)
class PeopleSummary:
    people: int  # distinct person keys
    rows: int  # rows read (after vendor transforms)
    rows_without_key: int  # rows whose person key (and every fallback key) is null, empty or a placeholder
    key_columns: dict[str, str | None]  # source name -> person-key column (None: none found)
    fields: dict[str, tuple[str, ...]]  # field -> its classes
    field_people: dict[str, int]  # field -> people exposing it
    class_people: dict[str, int]  # data class -> people exposing it
    combinations: tuple[FieldSet, ...]  # most common first, at most ``max_combinations``
    distinct_combinations: int
    export: Path | None = None  # the per-person file, when asked for
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: source name -> fallback key columns used where the person key is empty (``anonymousId``)
    fallback_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    key_kinds: dict[str, int] = field(default_factory=dict)  # key kind -> people it identifies
    linked_keys: int = 0  # fallback keys merged into the one person key they were seen with

    def to_dict(self) -> dict[str, Any]:
        return {
            "people": self.people,
            "rows": self.rows,
            "rows_without_key": self.rows_without_key,
            "key_columns": self.key_columns,
            "fallback_columns": {k: list(v) for k, v in self.fallback_columns.items()},
            "key_kinds": self.key_kinds,
            "linked_keys": self.linked_keys,
            "fields": {k: list(v) for k, v in self.fields.items()},
            "field_people": self.field_people,
            "class_people": self.class_people,
            "combinations": [
                {"fields": list(c.fields), "classes": list(c.classes), "people": c.people}
                for c in self.combinations
            ],
            "distinct_combinations": self.distinct_combinations,
            "export": str(self.export) if self.export else None,
            "notes": list(self.notes),
        }


def check_export_path(out: Path) -> None:
    """Fail early (before a long scan) on a per-person file name the export cannot write."""
    if out.suffix.lower() not in (".csv", ".json", ".jsonl"):
        raise InputError(f"{out}: unknown export format", "name the file .csv, .json or .jsonl")
    if out.is_dir() or not out.resolve().parent.is_dir():
        raise InputError(f"{out}: not a writable file path", "give a file in an existing folder")


class _Collector:
    """The DuckDB side: a growing table of (key, f0, f1 ...) booleans, one row per key per batch."""

    def __init__(self, memory_limit: str, temp_dir: Path | None) -> None:
        self.con = duckdb.connect(":memory:")
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        tmp = temp_dir or Path(tempfile.gettempdir()) / "breachscope-duckdb"
        self.con.execute(f"SET temp_directory = '{tmp}'")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("CREATE TABLE seen (kind VARCHAR, k VARCHAR)")
        self.con.execute("CREATE TABLE links (kind VARCHAR, k VARCHAR, to_kind VARCHAR, to_k VARCHAR)")
        #: (field, classes) group -> flag column; a column exposes its whole-column classes in one
        #: group and each minority class (checked row by row) in a group of its own
        self.flags: dict[tuple[str, frozenset[str]], str] = {}

    def column_for(self, name: str, classes: frozenset[str]) -> str:
        col = self.flags.get((name, classes))
        if col is None:
            col = f"f{len(self.flags)}"
            self.flags[(name, classes)] = col
            self.con.execute(f"ALTER TABLE seen ADD COLUMN {col} BOOLEAN")
        return col

    def add(self, table: pa.Table, into: str = "seen") -> None:
        self.con.register("batch_in", table)
        self.con.execute(f"INSERT INTO {into} BY NAME SELECT * FROM batch_in")
        self.con.unregister("batch_in")


def _reduce(batch: pa.RecordBatch, chain: KeyChain, plan: ExtractPlan, sink: _Collector) -> int:
    """Append one batch's per-key presence; returns the number of rows without a usable key.

    A row's key is its first present chain column (kind and value,
    :mod:`~breachscope.exposures.person_key`); where the person key column is present, every
    other present key of the row is recorded as a link to it.
    """
    found = [
        (chain.columns[i], kv)
        for i in range(len(chain.columns))
        if (kv := column_keys(batch, chain, i, plan.present)) is not None
    ]
    if not found:
        return int(batch.num_rows)
    keys = pa.nulls(batch.num_rows, pa.string())
    kinds = pa.nulls(batch.num_rows, pa.string())
    ok = pa.repeat(pa.scalar(False), batch.num_rows)
    for _, (values, kind, has) in reversed(found):  # the first present column wins
        keys = pc.if_else(has, values, keys)
        kinds = pc.if_else(has, kind, kinds)
        ok = pc.or_(ok, has)
    if found[0][0] == chain.columns[0]:
        _links([f for f in found if f[0] in chain.columns[: 1 + chain.fallbacks]], sink)
    names = ["kind", "k"]
    arrays: list[pa.Array] = [kinds, keys]
    for name, classes, has in exposure_groups(plan, batch):  # the same groups case attach stores
        names.append(sink.column_for(name, classes))
        arrays.append(has)
    table = pa.Table.from_arrays(arrays, names=names).filter(ok)
    missing = int(batch.num_rows - table.num_rows)
    if table.num_rows:
        flags = names[2:]
        if flags:
            grouped = table.group_by(["kind", "k"]).aggregate([(f, "any") for f in flags])
            grouped = grouped.rename_columns(
                [f"{c[:-4]}" if c.endswith("_any") else c for c in grouped.column_names]
            )
        else:
            grouped = table.group_by(["kind", "k"]).aggregate([])
        sink.add(grouped)
    return missing


def _links(found: list[tuple[str, tuple[pa.Array, pa.Array, pa.Array]]], sink: _Collector) -> None:
    """Record (fallback key -> person key) for rows where both are present and differ."""
    _, (to_k, to_kind, to_ok) = found[0]
    for _, (k, kind, ok) in found[1:]:
        same = pc.and_(pc.equal(k, to_k), pc.equal(kind, to_kind))
        keep = pc.fill_null(pc.and_(pc.and_(to_ok, ok), pc.invert(same)), False)
        if not pc.any(keep).as_py():
            continue
        pairs = pa.table({"kind": kind, "k": k, "to_kind": to_kind, "to_k": to_k}).filter(keep)
        sink.add(pairs.group_by(["kind", "k", "to_kind", "to_k"]).aggregate([]), into="links")


def person_fields(
    sources: Sequence[Source],
    match_or_column_classes: VendorMatch | ColumnClasses | None = None,
    *,
    key: bytes,
    person_key: str | None = None,
    vendor: str | None = None,
    scan_classes: ScanClasses | None = None,
    row_checks: ScanClasses | None = None,
    out: Path | None = None,
    memory_limit: str = "1GB",
    temp_dir: Path | None = None,
    max_combinations: int = 50,
    on_bytes: BytesCallback | None = None,
) -> PeopleSummary:
    """Which classified fields each distinct person exposes, over every batch of ``sources``.

    ``match_or_column_classes`` is a :class:`VendorMatch` (its ``field_classes``, person key,
    placeholders and transform apply to every source), a column -> classes mapping (e.g. a
    scan's final classes), or ``None``: each source is then recognised on its own first batch
    (``vendor`` forces a vendor, as ``scan --vendor`` does). ``scan_classes`` and ``row_checks``
    (:func:`~breachscope.exposures.plan.split_scan_classes` of a scan report) are the scan's final
    word: classes a column exposes for everyone with a value in it, and minority classes (a card
    number in a ``notes`` column) that a person exposes only where their own value holds one;
    exactly as ``case attach`` stores them (:class:`~breachscope.exposures.plan.ExtractPlan`).
    ``out`` (``.csv``, ``.json`` or ``.jsonl``) receives one row per person: ``person`` (keyed
    hash), ``key_kind`` (``user_id``, ``anonymous_id`` ...: which key identified the person),
    ``n_fields``, ``fields``, ``classes``.
    """
    if len(key) < 16:
        raise InputError(
            "the hashing key is too short", f"use breachscope.hashing.new_key() ({KEY_BYTES} bytes)"
        )
    if out is not None:
        check_export_path(out)
    given_match: VendorMatch | None = None
    given: ColumnClasses | None = None
    scanned = {k: frozenset(v) for k, v in (scan_classes or {}).items()}
    per_row = {k: frozenset(v) for k, v in (row_checks or {}).items()}
    if isinstance(match_or_column_classes, VendorMatch):
        given_match = match_or_column_classes
    else:
        given = match_or_column_classes
    sink = _Collector(memory_limit, temp_dir)
    rows = without_key = 0
    key_columns: dict[str, str | None] = {}
    fallback_columns: dict[str, tuple[str, ...]] = {}
    notes: list[str] = []
    for src in sources:
        stream = VendorBatches(
            src.name, src.chunks(on_bytes), vendor=vendor, match=given_match, recognise=given is None
        )
        chain: KeyChain | None = None
        plan: ExtractPlan | None = None
        for chunk in stream:
            batch = chunk.batch
            match = stream.match
            if plan is None:
                names = batch.schema.names
                if given is not None:
                    plan = ExtractPlan.build(names, {c: frozenset(v) for c, v in given.items()})
                else:
                    plan = ExtractPlan.for_source(
                        src.name, names, scanned=scanned, row_checks=per_row, match=match
                    )
                chain = key_chain(names, plan.roles, plan.column_classes, match, person_key)
            assert chain is not None
            if not chain.columns:
                break
            rows += batch.num_rows
            without_key += _reduce(batch, chain, plan, sink)
            used = fallback_columns.get(src.name, ())
            new = [c for c in chain.columns[1:] if c in batch.schema.names and c not in used]
            if new:
                fallback_columns[src.name] = (*used, *new)
        for issue in stream.issues:
            if issue.kind == "vendor_transform":
                note = f"{src.name}: the vendor transform failed on a batch; its columns used as read"
            else:
                note = f"{src.name}: {issue.message}; later rows not counted"
            if note not in notes:
                notes.append(note)
        key_col = chain.columns[0] if chain is not None and chain.columns else None
        key_columns[src.name] = key_col
        if key_col is None:
            notes.append(f"{src.name}: no person key (no vendor person key, email or id column)")
    summary = _summarise(sink, key, rows, without_key, key_columns, out, max_combinations, tuple(notes))
    return replace(summary, fallback_columns=fallback_columns)


def _summarise(
    sink: _Collector,
    key: bytes,
    rows: int,
    without_key: int,
    key_columns: dict[str, str | None],
    out: Path | None,
    max_combinations: int,
    notes: tuple[str, ...],
) -> PeopleSummary:
    con = sink.con
    cols = list(sink.flags.values())
    by_field: dict[str, list[str]] = {}  # field -> its flag columns, fields in first-seen order
    field_classes: dict[str, set[str]] = {}
    for (name, classes), col in sink.flags.items():
        by_field.setdefault(name, []).append(col)
        field_classes.setdefault(name, set()).update(classes)
    names = list(by_field)
    anyof = {n: "(" + " OR ".join(by_field[n]) + ")" for n in names}
    ors = ", ".join(f"bool_or({c}) AS {c}" for c in cols)
    # a fallback key seen beside exactly one person key is that person (anonymous, then signed in)
    con.execute(
        "CREATE TABLE alias AS SELECT kind, k, any_value(to_kind) AS to_kind, any_value(to_k) AS to_k "
        "FROM (SELECT DISTINCT kind, k, to_kind, to_k FROM links) GROUP BY kind, k HAVING count(*) = 1"
    )
    linked = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT kind, k FROM seen) s JOIN alias a USING (kind, k)"
    ).fetchone()[0]  # type: ignore[index]
    con.execute(
        "CREATE TABLE people AS SELECT coalesce(a.to_kind, s.kind) AS kind, coalesce(a.to_k, s.k) AS k"
        f"{', ' + ors if ors else ''} FROM seen s LEFT JOIN alias a USING (kind, k) GROUP BY 1, 2"
    )
    con.execute("DROP TABLE seen")
    con.execute("DROP TABLE links")

    def quote(s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    if cols:
        field_items = ", ".join(f"CASE WHEN {anyof[n]} THEN {quote(n)} END" for n in names)
        class_items = ", ".join(
            f"CASE WHEN {c} THEN [{', '.join(quote(x) for x in sorted(classes))}]::VARCHAR[] END"
            for (_, classes), c in sink.flags.items()
        )
        fields_sql = f"list_filter([{field_items}], lambda x: x IS NOT NULL)"
        classes_sql = (
            f"list_sort(list_distinct(flatten(list_filter([{class_items}], lambda x: x IS NOT NULL))))"
        )
    else:
        fields_sql = classes_sql = "[]::VARCHAR[]"
    con.execute(
        f"CREATE TABLE per AS SELECT {hmac_sql(key, PERSON)} AS person, kind AS key_kind, "
        f"{fields_sql} AS fields, {classes_sql} AS classes FROM people"
    )
    people = con.execute("SELECT count(*) FROM per").fetchone()[0]  # type: ignore[index]
    field_people: dict[str, int] = {}
    if cols:
        counts = con.execute(
            f"SELECT {', '.join(f'count_if({anyof[n]})' for n in names)} FROM people"
        ).fetchone()
        field_people = {n: int(v) for n, v in zip(names, counts or (), strict=True)}
    class_rows = con.execute(
        "SELECT c, count(*) FROM (SELECT unnest(classes) AS c FROM per) GROUP BY c ORDER BY 2 DESC, 1"
    ).fetchall()
    combos = con.execute(
        "SELECT fields, any_value(classes), count(*) AS n FROM per GROUP BY fields "
        f"ORDER BY n DESC, len(fields) DESC LIMIT {int(max_combinations)}"
    ).fetchall()
    distinct = con.execute("SELECT count(DISTINCT fields) FROM per").fetchone()[0]  # type: ignore[index]
    kinds = con.execute("SELECT key_kind, count(*) FROM per GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    if out is not None:
        try:
            _export(con, out, quote)
        except (duckdb.Error, OSError) as exc:
            raise InputError(f"cannot write {out}: {type(exc).__name__}", "choose a writable path") from exc
    con.close()
    return PeopleSummary(
        people=int(people),
        rows=rows,
        rows_without_key=without_key,
        key_columns=key_columns,
        fields={n: tuple(sorted(field_classes[n])) for n in names},
        field_people=field_people,
        class_people={c: int(n) for c, n in class_rows},
        combinations=tuple(FieldSet(tuple(f), tuple(c), int(n)) for f, c, n in combos),
        distinct_combinations=int(distinct),
        export=out,
        notes=notes,
        key_kinds={str(k): int(n) for k, n in kinds},
        linked_keys=int(linked),
    )


_EXPORT_BATCH = 50_000


def _export(con: duckdb.DuckDBPyConnection, out: Path, quote: Callable[[str], str]) -> None:
    private_file(out)  # 0600; DuckDB fills it in place (USE_TMP_FILE false), so it stays 0600
    query = (
        "SELECT person, key_kind, len(fields) AS n_fields, fields, classes FROM per ORDER BY person, key_kind"
    )
    target = quote(str(out))
    if out.suffix.lower() == ".csv":
        # Field names are the leaked file's column names: attacker-chosen, so every cell goes
        # through csv_cell (no formula, no control character), written from DuckDB in batches.
        flat = (
            "SELECT person, key_kind, n_fields, array_to_string(fields, ';') AS fields, "
            f"array_to_string(classes, ';') AS classes FROM ({query})"
        )
        cursor = con.execute(flat)
        with open_private(out, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["person", "key_kind", "n_fields", "fields", "classes"])
            while rows := cursor.fetchmany(_EXPORT_BATCH):
                writer.writerows([csv_cell(v) for v in row] for row in rows)
    else:
        array = ", ARRAY true" if out.suffix.lower() == ".json" else ""
        con.execute(f"COPY ({query}) TO {target} (FORMAT JSON{array}, USE_TMP_FILE false)")


def people_for_scan(
    paths: Sequence[str | Path],
    scan_report: Mapping[str, Any],
    *,
    key: bytes,
    format: str = "auto",
    vendor: str | None = None,
    out: Path | None = None,
) -> PeopleSummary:
    """``scan --people``: a second pass over the scanned files, with the scan's final classes
    (``scan_report`` is the scan's JSON document, ``ScanReport.to_dict()``)."""
    whole, per_row = split_scan_classes(scan_report)
    sources = [s for p in paths for s in open_sources(p, format)]
    return person_fields(
        sources, None, key=key, vendor=vendor, scan_classes=whole, row_checks=per_row, out=out
    )
