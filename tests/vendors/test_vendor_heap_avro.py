"""Heap Connect's S3 delivery is Avro: its tables are recognised and scanned through the vendor path.

The Avro files are written here from the hand-written Heap CSV fixtures (same columns, same
values), with Heap's S3 layout ``sync_<dump_id>/<table>/part-*.avro``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastavro
import pyarrow.csv as pacsv
import pytest

from breachscope.readers import open_sources
from breachscope.scan import scan_files
from breachscope.vendors import recognise

_LONGS = {"user_id", "event_id", "session_id", "from_user_id", "to_user_id"}
_TIMES = {"joindate", "last_modified", "time"}


def _heap_avro(csv_path: Path, out: Path) -> int:
    """The CSV fixture as a Heap Connect Avro file; returns the number of records."""
    table = pacsv.read_csv(csv_path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    fields: list[dict[str, Any]] = []
    for name in table.column_names:
        typ: Any = "string"
        if name in _LONGS:
            typ = "long"
        elif name in _TIMES:
            typ = {"type": "long", "logicalType": "timestamp-millis"}
        fields.append({"name": name, "type": ["null", typ]})
    schema = fastavro.parse_schema({"type": "record", "name": "row", "namespace": "heap", "fields": fields})
    records = []
    for row in table.to_pylist():
        records.append({k: (str(v) if isinstance(v, str | int | float) and k not in _LONGS else v)
                        for k, v in row.items()})  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        fastavro.writer(f, schema, records, codec="deflate")
    return len(records)


# (fixture, S3 path, layout, person key, {column: class})
CASES = [
    (
        "heap/users.csv",
        "sync_1001/users/part-00000-5b1f.avro",
        "users",
        "user_id",
        {
            "identity": "email",
            "email": "email",
            "initial_ip": "ip_address",
            "initial_city": "coarse_location",
        },
    ),
    (
        "heap/pageviews.csv",
        "sync_1001/pageviews/part-00000-9c2e.avro",
        "events",
        "user_id",
        {"referrer": "url", "landing_page": "url", "city": "coarse_location", "time": "timestamp"},
    ),
    (
        "heap/user_migrations.csv",
        "sync_1001/user_migrations/part-00000-0a7d.avro",
        "user_migrations",
        "to_user_id",
        {"from_user_id": "internal_id", "to_user_id": "internal_id"},
    ),
]


@pytest.mark.parametrize(("fixture", "s3_path", "layout", "key", "classes"), CASES, ids=[c[2] for c in CASES])
@pytest.mark.parametrize("packed", [False, True], ids=["file", "zip"])
def test_heap_avro_export_is_recognised_and_scanned(
    tmp_path: Path,
    fixture_path: Callable[[str], Path],
    fixture: str,
    s3_path: str,
    layout: str,
    key: str,
    classes: dict[str, str],
    packed: bool,
) -> None:
    avro = tmp_path / s3_path
    records = _heap_avro(fixture_path(fixture), avro)
    path = avro
    if packed:  # a downloaded dump folder, zipped
        path = tmp_path / "heap-dump.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.write(avro, s3_path)
    (src,) = open_sources(path)
    assert src.format == "avro"
    batch = next(iter(src.chunks())).batch
    match = recognise(batch.schema.names, source_name=src.name)
    assert match is not None and (match.vendor, match.layout) == ("heap", layout), match
    assert match.person_key == key

    report = scan_files([path]).to_dict()
    (source,) = report["sources"]
    assert source["vendor"]["vendor"] == "heap" and source["vendor"]["layout"] == layout
    assert source["rows"] == records  # every record was examined
    assert source["issues"] == []
    columns = {c["name"]: {k["class"] for k in c["classes"]} for c in source["columns"]}
    for column, cls in classes.items():
        assert cls in columns[column], (column, columns[column])
    assert all(c["non_null"] + c["nulls"] == records for c in source["columns"])
    assert source["values_examined"] == sum(c["non_null"] for c in source["columns"])
