"""Per person: which people-level fields (and data classes) does this export expose?

The first question an incident responder asks. For every distinct person key (the vendor
layout's ``person_key``, else a column classified ``email`` or ``internal_id``), this finds which
classified fields are non-null for that person anywhere in the export, then summarises:

- how many people expose each field,
- the distribution of field *combinations* (how many people expose exactly which set),
- per-person rows (a keyed hash of the person key, never the raw key; the fields; the classes),
  written to CSV or JSON by DuckDB.

Everything is vectorised: each Arrow batch is reduced to one row per key with one boolean per
field (Arrow ``group_by(...).aggregate(any)``) and appended to a DuckDB table; DuckDB then ORs
them per person under a ``memory_limit`` (it spills to ``temp_directory`` beyond it). Vendor
placeholders (``$direct``, ``(not set)``) and empty strings count as absent.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from rich.markup import escape
from rich.table import Table

from breachscope.errors import InputError
from breachscope.hashing import KEY_BYTES
from breachscope.readers.base import BytesCallback, Source
from breachscope.vendors import recognise
from breachscope.vendors.base import VendorMatch

ColumnClasses = Mapping[str, Iterable[str]]
ScanClasses = Mapping[tuple[str, str], Iterable[str]]  # (source name, column) -> classes
_PERSONISH = re.compile(r"(user|distinct|person|customer|member|account|contact|identity|cio)", re.I)


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
    rows_without_key: int  # rows whose person key is null, empty or a placeholder
    key_columns: dict[str, str | None]  # source name -> person-key column (None: none found)
    fields: dict[str, tuple[str, ...]]  # field -> its classes
    field_people: dict[str, int]  # field -> people exposing it
    class_people: dict[str, int]  # data class -> people exposing it
    combinations: tuple[FieldSet, ...]  # most common first, at most ``max_combinations``
    distinct_combinations: int
    export: Path | None = None  # the per-person file, when asked for
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "people": self.people,
            "rows": self.rows,
            "rows_without_key": self.rows_without_key,
            "key_columns": self.key_columns,
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


def choose_person_key(classes: ColumnClasses, columns: Sequence[str]) -> str | None:
    """An email column first, then an id column named like a person's, then any id column."""
    present = [c for c in columns if c in classes]
    emails = [c for c in present if "email" in set(classes[c])]
    ids = [c for c in present if "internal_id" in set(classes[c])]
    personish = [c for c in ids if _PERSONISH.search(c)]
    for group in (emails, personish, ids):
        if group:
            return group[0]
    return None


def _hmac_sql(key: bytes, column: str) -> str:
    """HMAC-SHA256 in DuckDB SQL, equal to :func:`breachscope.hashing.keyed_hash`."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in key).hex()
    opad = bytes(b ^ 0x5C for b in key).hex()
    inner = f"unhex(sha256(unhex('{ipad}') || encode({column})))"
    return f"left(sha256(unhex('{opad}') || {inner}), 32)"


def _present(arr: pa.Array, placeholders: frozenset[str]) -> pa.Array:
    """True where a value is there: not null, not empty, not a vendor placeholder."""
    t = arr.type
    valid = pc.is_valid(arr)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        text = pc.utf8_trim_whitespace(arr)
        valid = pc.and_(valid, pc.not_equal(text, ""))
        if placeholders:
            valid = pc.and_(valid, pc.invert(pc.is_in(text, pa.array(sorted(placeholders), t))))
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        valid = pc.and_(valid, pc.greater(pc.list_value_length(arr), 0))
    return pc.fill_null(valid, False)


class _Collector:
    """The DuckDB side: a growing table of (key, f0, f1 ...) booleans, one row per key per batch."""

    def __init__(self, memory_limit: str, temp_dir: Path | None) -> None:
        self.con = duckdb.connect(":memory:")
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        tmp = temp_dir or Path(tempfile.gettempdir()) / "breachscope-duckdb"
        self.con.execute(f"SET temp_directory = '{tmp}'")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("CREATE TABLE seen (k VARCHAR)")
        self.fields: dict[str, str] = {}  # field name -> column id
        self.classes: dict[str, set[str]] = {}

    def column_for(self, name: str, classes: Iterable[str]) -> str:
        col = self.fields.get(name)
        if col is None:
            col = f"f{len(self.fields)}"
            self.fields[name] = col
            self.classes[name] = set()
            self.con.execute(f"ALTER TABLE seen ADD COLUMN {col} BOOLEAN")
        self.classes[name].update(classes)
        return col

    def add(self, table: pa.Table) -> None:
        self.con.register("batch_in", table)
        self.con.execute("INSERT INTO seen BY NAME SELECT * FROM batch_in")
        self.con.unregister("batch_in")


def _reduce(
    batch: pa.RecordBatch,
    key_col: str,
    fields: dict[str, frozenset[str]],
    placeholders: frozenset[str],
    sink: _Collector,
) -> int:
    """Append one batch's per-key presence; returns the number of rows without a usable key."""
    try:
        keys = pc.cast(batch.column(key_col), pa.large_string())
    except (pa.ArrowException, ValueError, TypeError):
        return int(batch.num_rows)
    ok = _present(keys, placeholders)
    names = ["k"]
    arrays: list[pa.Array] = [keys]
    for name, classes in fields.items():
        if name == key_col or name not in batch.schema.names:
            continue
        names.append(sink.column_for(name, classes))
        arrays.append(_present(batch.column(name), placeholders))
    table = pa.Table.from_arrays(arrays, names=names).filter(ok)
    missing = int(batch.num_rows - table.num_rows)
    if table.num_rows:
        flags = names[1:]
        if flags:
            grouped = table.group_by("k").aggregate([(f, "any") for f in flags])
            grouped = grouped.rename_columns(
                [f"{c[:-4]}" if c.endswith("_any") else c for c in grouped.column_names]
            )
        else:
            grouped = pa.table({"k": pc.unique(table.column("k"))})
        sink.add(grouped)
    return missing


def _classes_for(
    match: VendorMatch | None,
    given: ColumnClasses | None,
    scanned: ScanClasses | None,
    source: str,
    column: str,
) -> frozenset[str]:
    if scanned is not None and (source, column) in scanned:
        return frozenset(scanned[(source, column)])  # the scan's final word: values win
    if given is not None:
        return frozenset(given.get(column, ()))
    if match is not None:
        return frozenset(match.field_classes.get(column, ()))
    return frozenset()


def person_fields(
    sources: Sequence[Source],
    match_or_column_classes: VendorMatch | ColumnClasses | None = None,
    *,
    key: bytes,
    person_key: str | None = None,
    vendor: str | None = None,
    scan_classes: ScanClasses | None = None,
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
    (``vendor`` forces a vendor, as ``scan --vendor`` does). ``scan_classes`` (a scan report's
    ``column_classes()``) overrides per column: the scan's final classes, where values won over
    the schema and value detection classified customer-defined properties. ``out`` (``.csv``, ``.json`` or
    ``.jsonl``) receives one row per person: ``person`` (keyed hash), ``n_fields``, ``fields``,
    ``classes``.
    """
    if len(key) < 16:
        raise InputError(
            "the hashing key is too short", f"use breachscope.hashing.new_key() ({KEY_BYTES} bytes)"
        )
    if out is not None:
        check_export_path(out)
    given_match: VendorMatch | None = None
    given: ColumnClasses | None = None
    if isinstance(match_or_column_classes, VendorMatch):
        given_match = match_or_column_classes
    else:
        given = match_or_column_classes
    sink = _Collector(memory_limit, temp_dir)
    rows = without_key = 0
    key_columns: dict[str, str | None] = {}
    notes: list[str] = []
    for src in sources:
        match = given_match
        key_col: str | None = None
        placeholders: frozenset[str] = frozenset()
        fields: dict[str, frozenset[str]] = {}
        first = True
        try:
            for chunk in src.chunks(on_bytes):
                batch = chunk.batch
                if first:
                    first = False
                    if match is None and given is None:
                        match = recognise(batch.schema.names, source_name=src.name, forced=vendor)
                    placeholders = match.placeholders if match else frozenset()
                if match is not None and match.transform is not None:
                    try:
                        batch = match.transform(batch)
                    except Exception:  # as in the scan: an untransformed batch is still counted
                        note = f"{src.name}: the vendor transform failed on a batch; its columns used as read"
                        if note not in notes:
                            notes.append(note)
                for name in batch.schema.names:
                    if name not in fields:
                        fields[name] = _classes_for(match, given, scan_classes, src.name, name)
                classified = {n: c for n, c in fields.items() if c}
                if key_col is None:
                    key_col = person_key or (match.person_key if match else None)
                    if key_col is None:
                        key_col = choose_person_key(classified, batch.schema.names)
                    if key_col is None:
                        break
                rows += batch.num_rows
                if key_col not in batch.schema.names:
                    without_key += batch.num_rows
                    continue
                without_key += _reduce(batch, key_col, classified, placeholders, sink)
        except InputError:
            raise
        except Exception as exc:  # one unreadable source never stops the others (as in the scan)
            notes.append(f"{src.name}: reading stopped ({type(exc).__name__}); later rows not counted")
        key_columns[src.name] = key_col
        if key_col is None:
            notes.append(f"{src.name}: no person key (no vendor person key, email or id column)")
    return _summarise(sink, key, rows, without_key, key_columns, out, max_combinations, tuple(notes))


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
    names = list(sink.fields)
    cols = [sink.fields[n] for n in names]
    ors = ", ".join(f"bool_or({c}) AS {c}" for c in cols)
    con.execute(f"CREATE TABLE people AS SELECT k{', ' + ors if ors else ''} FROM seen GROUP BY k")
    con.execute("DROP TABLE seen")

    def quote(s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    if cols:
        field_items = ", ".join(
            f"CASE WHEN {c} THEN {quote(n)} END" for n, c in zip(names, cols, strict=True)
        )
        class_items = ", ".join(
            f"CASE WHEN {c} THEN [{', '.join(quote(x) for x in sorted(sink.classes[n]))}]::VARCHAR[] END"
            for n, c in zip(names, cols, strict=True)
        )
        fields_sql = f"list_filter([{field_items}], lambda x: x IS NOT NULL)"
        classes_sql = (
            f"list_sort(list_distinct(flatten(list_filter([{class_items}], lambda x: x IS NOT NULL))))"
        )
    else:
        fields_sql = classes_sql = "[]::VARCHAR[]"
    con.execute(
        f"CREATE TABLE per AS SELECT {_hmac_sql(key, 'k')} AS person, {fields_sql} AS fields, "
        f"{classes_sql} AS classes FROM people"
    )
    people = con.execute("SELECT count(*) FROM per").fetchone()[0]  # type: ignore[index]
    field_people: dict[str, int] = {}
    if cols:
        counts = con.execute(f"SELECT {', '.join(f'count_if({c})' for c in cols)} FROM people").fetchone()
        field_people = {n: int(v) for n, v in zip(names, counts or (), strict=True)}
    class_rows = con.execute(
        "SELECT c, count(*) FROM (SELECT unnest(classes) AS c FROM per) GROUP BY c ORDER BY 2 DESC, 1"
    ).fetchall()
    combos = con.execute(
        "SELECT fields, any_value(classes), count(*) AS n FROM per GROUP BY fields "
        f"ORDER BY n DESC, len(fields) DESC LIMIT {int(max_combinations)}"
    ).fetchall()
    distinct = con.execute("SELECT count(DISTINCT fields) FROM per").fetchone()[0]  # type: ignore[index]
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
        fields={n: tuple(sorted(sink.classes[n])) for n in names},
        field_people=field_people,
        class_people={c: int(n) for c, n in class_rows},
        combinations=tuple(FieldSet(tuple(f), tuple(c), int(n)) for f, c, n in combos),
        distinct_combinations=int(distinct),
        export=out,
        notes=notes,
    )


def _export(con: duckdb.DuckDBPyConnection, out: Path, quote: Callable[[str], str]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    query = "SELECT person, len(fields) AS n_fields, fields, classes FROM per ORDER BY person"
    target = quote(str(out))
    if out.suffix.lower() == ".csv":
        flat = (
            "SELECT person, n_fields, array_to_string(fields, ';') AS fields, "
            f"array_to_string(classes, ';') AS classes FROM ({query})"
        )
        con.execute(f"COPY ({flat}) TO {target} (HEADER, DELIMITER ',')")
    else:
        array = ", ARRAY true" if out.suffix.lower() == ".json" else ""
        con.execute(f"COPY ({query}) TO {target} (FORMAT JSON{array})")


def people_for_scan(
    paths: Sequence[str | Path],
    scan_classes: ScanClasses,
    *,
    key: bytes,
    format: str = "auto",
    vendor: str | None = None,
    out: Path | None = None,
) -> PeopleSummary:
    """``scan --people``: a second pass over the scanned files, with the scan's final classes."""
    from breachscope.readers import open_sources

    sources = [s for p in paths for s in open_sources(p, format)]
    return person_fields(sources, None, key=key, vendor=vendor, scan_classes=scan_classes, out=out)


def people_table(summary: PeopleSummary, limit: int = 10) -> Table:
    """The most common field sets as a rich table (field names are column paths, not values)."""
    table = Table(
        title=f"Fields exposed per person: {summary.people:,} people, "
        f"{summary.distinct_combinations:,} distinct field sets",
        title_justify="left",
    )
    for col in ("people", "data classes", "fields"):
        table.add_column(col, justify="right" if col == "people" else "left")
    for combo in summary.combinations[:limit]:
        fields = ", ".join(escape(f[:40]) for f in combo.fields[:8])
        if len(combo.fields) > 8:
            fields += f" (+{len(combo.fields) - 8})"
        table.add_row(f"{combo.people:,}", escape(", ".join(combo.classes)), fields or "(none)")
    return table
