"""``exposures.bulk.deferred_indexes``: on SQLite a big load into a small case builds the
exposures table's email-hash index after the load, in the same transaction; otherwise (and on
PostgreSQL) nothing changes. The indexes are always there once the block ends, error or not."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Engine, inspect

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.exposures.bulk import (
    COLUMNS,
    KEPT_LIVE,
    ScratchFiles,
    deferred_indexes,
    store_exposure_table,
)

INDEXES = {"ix_exposures_dataset_id", "ix_exposures_email_hash"}


def _people(prefix: str, n: int) -> pa.Table:
    cols: dict[str, list[str | None]] = {c: [None] * n for c in COLUMNS}
    cols["person_key_hash"] = [f"{prefix}{i:031d}" for i in range(n)]
    cols["person_key_kind"] = ["user_id"] * n
    cols["email_hash"] = [f"e{prefix}{i:030d}" for i in range(n)]
    cols["exposed_classes"] = ['["email"]'] * n
    cols["exposed_fields"] = ['["email"]'] * n
    return pa.table(
        {"row_no": pa.array(range(n), pa.int64()), **{c: pa.array(v, pa.string()) for c, v in cols.items()}}
    )


def _indexes(s: object) -> set[str]:
    return {str(ix["name"]) for ix in inspect(s.connection()).get_indexes("exposures")} & INDEXES  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("expected_rows", "minimum", "held", "dropped_on_sqlite"),
    [
        (10, 1, 0, True),  # a big load (for this minimum) into an empty case
        (10, 1, 4, True),  # ... into a case holding fewer people than it brings
        (10, 100, 0, False),  # a small load: indexes kept up to date as rows go in
        (3, 1, 4, False),  # a case holding more people than the load brings
    ],
)
def test_indexes_are_built_after_a_big_load(
    engine: Engine, expected_rows: int, minimum: int, held: int, dropped_on_sqlite: bool
) -> None:
    with session_scope(engine) as s:
        iid = api.create_incident(s, "bulk").id
    if held:
        with session_scope(engine) as s:
            first = api.attach_dataset(
                s, iid, file_name="a", sha256="a" * 64, size_bytes=0, format="csv", scan={}
            )
            store_exposure_table(s, iid, first.id, _people("a", held))
    with session_scope(engine) as s:
        ds = api.attach_dataset(s, iid, file_name="b", sha256="b" * 64, size_bytes=0, format="csv", scan={})
        with deferred_indexes(s, expected_rows, minimum):
            inside = _indexes(s)
            store_exposure_table(s, iid, ds.id, _people("b", 10))
        assert _indexes(s) == INDEXES
    dropped = dropped_on_sqlite and engine.dialect.name == "sqlite"
    assert inside == (KEPT_LIVE if dropped else INDEXES)  # the dataset index is kept up to date
    with session_scope(engine) as s:
        assert _indexes(s) == INDEXES
        assert api.count_exposures(s, iid) == held + 10


def test_an_error_during_the_load_leaves_the_indexes_and_no_people(engine: Engine) -> None:
    with session_scope(engine) as s:
        iid = api.create_incident(s, "bulk").id
    with pytest.raises(RuntimeError, match="reader died"), session_scope(engine) as s:
        ds = api.attach_dataset(s, iid, file_name="b", sha256="b" * 64, size_bytes=0, format="csv", scan={})
        with deferred_indexes(s, 10, 1):
            store_exposure_table(s, iid, ds.id, _people("b", 10))
            raise RuntimeError("reader died")
    with session_scope(engine) as s:
        assert _indexes(s) == INDEXES
        assert api.count_exposures(s, iid) == 0
        assert api.list_datasets(s, iid) == []


HOSTILE = ['a"b', "x,y", "line\nbreak", "\\.", "back\\slash", "", "tab\there", "ünï €"]


def test_values_are_stored_exactly_as_given(engine: Engine) -> None:
    """PostgreSQL loads through CSV: quotes, separators, newlines, backslashes, the end-of-data
    marker and an empty string come back exactly (NULL stays NULL)."""
    with session_scope(engine) as s:
        iid = api.create_incident(s, "bulk").id
    table = _people("h", len(HOSTILE) + 1)
    for name in ("city", "region"):
        table = table.set_column(
            table.schema.get_field_index(name), name, pa.array([*HOSTILE, None], pa.string())
        )
    with session_scope(engine) as s:
        ds = api.attach_dataset(s, iid, file_name="h", sha256="c" * 64, size_bytes=0, format="csv", scan={})
        store_exposure_table(s, iid, ds.id, table)
    with session_scope(engine) as s:
        got = [(e.person_key_hash, e.city, e.region) for e in api.get_exposures(s, iid)]
    keys = table.column("person_key_hash").to_pylist()
    assert sorted(got) == sorted(zip(keys, [*HOSTILE, None], [*HOSTILE, None], strict=True))


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o000])
def test_scratch_files_are_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    """The leaked people a one-transaction SQLite attach writes into scratch files are 0600,
    as every file breachscope writes (breachscope.files), not the SQLite driver's 0644 less the
    caller's umask (the library does not rely on the command line's umask 077)."""
    folder = tmp_path / "scratch"
    folder.mkdir(mode=0o700)
    previous = os.umask(umask)
    try:
        with ScratchFiles(folder, expected_rows=20, batch_rows=10, files=2) as scratch:
            written = [scratch.write(_people("a", 10)), scratch.write(_people("b", 10)), scratch.close()]
    finally:
        os.umask(previous)
    files = [p for p in written if p is not None]
    assert len(files) == 2
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in files)  # no journal
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {p.name: 0o600 for p in files}
