"""The synthetic leak: deterministic, right shape, consistent directory, needles where truth says."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import phonenumbers
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from breachscope.cli import cli
from breachscope.errors import InputError
from breachscope.readers import open_sources
from breachscope.scope.directory import FIELDS
from breachscope.synth import DIRECTORY_COLUMNS, PEOPLE_COLUMNS, WRITERS, generate
from breachscope.synth.needles import iban_ok, luhn_ok

ROWS = 3_000


@pytest.fixture(scope="module")
def leak(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("leak")
    generate(ROWS, out, seed=7, needles=True)
    return out


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(ROWS, out, seed=7)
    return out


def _rows(path: Path) -> list[dict[str, Any]]:
    return [r for s in open_sources(path) for c in s.chunks() for r in c.batch.to_pylist()]


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(500, a, seed=1, needles=True)
    generate(500, b, seed=1, needles=True)
    generate(500, c, seed=2, needles=True)
    assert _digest(a) == _digest(b)
    assert _digest(a)["people.csv"] != _digest(c)["people.csv"]
    assert sorted(_digest(a)) == [
        "directory.csv",
        "directory.parquet",
        "people.csv",
        "people.jsonl",
        "people.parquet",
        "truth.json",
    ]


def test_chunking_does_not_change_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import breachscope.synth as synth

    generate(1_000, tmp_path / "one", seed=3, formats=("csv", "jsonl", "parquet"))
    monkeypatch.setattr(synth, "CHUNK_ROWS", 97)
    generate(1_000, tmp_path / "many", seed=3, formats=("csv", "jsonl", "parquet"))
    one, many = _digest(tmp_path / "one"), _digest(tmp_path / "many")
    for name in ("people.csv", "people.jsonl", "directory.csv"):
        assert one[name] == many[name]
    for name in ("people.parquet", "directory.parquet"):  # row groups differ, content does not
        assert pq.read_table(tmp_path / "one" / name).equals(pq.read_table(tmp_path / "many" / name))


def test_people_files_have_the_columns_and_rows(leak: Path) -> None:
    csv_rows = _rows(leak / "people.csv")
    parquet_rows = pq.read_table(leak / "people.parquet").to_pylist()
    jsonl_rows = _rows(leak / "people.jsonl")
    assert len(csv_rows) == len(parquet_rows) == len(jsonl_rows) == ROWS
    assert list(csv_rows[0]) == list(PEOPLE_COLUMNS)
    assert pq.read_schema(leak / "people.parquet").names == list(PEOPLE_COLUMNS)
    assert csv_rows == parquet_rows
    assert [{k: r.get(k) for k in PEOPLE_COLUMNS} for r in jsonl_rows] == parquet_rows


def test_realistic_mix(clean: Path) -> None:
    rows = pq.read_table(clean / "people.parquet").to_pylist()
    countries = Counter(r["mp_country_code"] for r in rows)
    assert {"ID", "US", "GB", "DE", "FR", "IN", "SG", "BR", "CA", "AU", "JP"} <= set(countries)
    assert countries.most_common(1)[0][0] in ("ID", "US")
    regions = {r["$region"] for r in rows}
    assert {
        "Jakarta",
        "East Java",
        "California",
        "New York",
        "Texas",
        "Georgia",
        "Quebec",
        "Ontario",
    } <= regions
    assert all(
        r["$email"].split("@")[1].endswith((".example", "example.com", "example.org", "example.net"))
        for r in rows
    )
    assert 0.3 < sum(r["$initial_referrer"] == "$direct" for r in rows) / ROWS < 0.6
    notes = [r["notes"] for r in rows if r["notes"] is not None]
    assert 0 < len(notes) < ROWS * 0.1  # mostly empty
    assert len({r["$email"] for r in rows}) == ROWS and len({r["$distinct_id"] for r in rows}) == ROWS


def test_directory_relations(leak: Path) -> None:
    directory = pq.read_table(leak / "directory.parquet").to_pylist()
    people = pq.read_table(leak / "people.parquet").to_pylist()
    assert pq.read_schema(leak / "directory.parquet").names == list(DIRECTORY_COLUMNS)
    roles = Counter(d["role"] for d in directory)
    assert set(roles) == {"admin", "member", "owner"}
    by_org: dict[str, set[str]] = {}
    for d in directory:
        by_org.setdefault(d["org_id"], set()).add(d["role"])
    assert all("admin" in r for r in by_org.values())  # every org has an admin
    leaked_users = {p["user_id"] for p in people}
    dir_users = {d["user_id"] for d in directory}
    assert any(d["role"] == "admin" and d["user_id"] not in leaked_users for d in directory)
    orphans = leaked_users - dir_users
    assert 0 < len(orphans) < ROWS * 0.05  # some leaked rows match no account
    leak_email = {p["user_id"]: p["$email"] for p in people}
    matched = [d for d in directory if d["user_id"] in leak_email]
    differing = [d for d in matched if d["email"] != leak_email[d["user_id"]]]
    assert differing and all(d["email"].strip().lower() == leak_email[d["user_id"]] for d in differing)
    indonesian = [d["language"] for d in directory if d["country"] == "ID"]
    assert Counter(indonesian)["id"] / len(indonesian) > 0.7
    for d in matched[:200]:
        person = next(p for p in people if p["user_id"] == d["user_id"])
        assert (d["name"], d["country"], d["org_id"]) == (
            person["$name"],
            person["mp_country_code"],
            person["org_id"],
        )


def test_needles_are_where_truth_says_in_every_format(leak: Path) -> None:
    truth = json.loads((leak / "truth.json").read_text(encoding="utf-8"))
    needles = truth["needles"]
    assert truth["rows"] == ROWS and len(needles) >= 20
    kinds = {n["kind"] for n in needles}
    assert {"openai_project_key", "aws_access_key_id", "github_token", "stripe_live_key", "jwt"} <= kinds
    assert {"pem_private_key", "visa", "mastercard_2_series", "amex", "card_mangled", "nik_female"} <= kinds
    assert {"us_ssn", "iban_de", "plaintext_password", "bcrypt", "phone_id_mobile", "chat_paragraph"} <= kinds
    assert {n["column"] for n in needles} > {"notes"}  # a few outside the notes column
    for fmt in ("csv", "jsonl", "parquet"):
        rows = _rows(leak / f"people.{fmt}")
        for n in needles:
            cell = rows[n["row"] - 1][n["column"]]
            assert cell == n["value"] and n["needle"] in cell, (fmt, n["kind"])


def test_needle_values_pass_their_validators(leak: Path) -> None:
    needles = json.loads((leak / "truth.json").read_text(encoding="utf-8"))["needles"]
    for n in needles:
        v, kind = n["needle"], n["kind"]
        if kind in ("visa", "mastercard_2_series", "amex") or kind.startswith("iban"):
            v = v.replace(" ", "").replace("-", "")
        if kind in ("visa", "mastercard_2_series", "amex"):
            assert luhn_ok(v) and len(v) == (15 if kind == "amex" else 16)
        if kind == "mastercard_2_series":
            assert 2221 <= int(v[:4]) <= 2720
        if kind.startswith("iban"):
            assert iban_ok(v)
        if kind.startswith("nik"):
            day = int(v[6:8])
            assert len(v) == 16 and (41 <= day <= 71 if kind == "nik_female" else 1 <= day <= 31)
        if kind == "us_ssn":
            area, group, serial = v.split("-")
            assert area not in ("000", "666") and int(area) < 900 and group != "00" and serial != "0000"
        if kind.startswith("openai"):
            assert "T3BlbkFJ" in v
        if kind.startswith("phone"):
            assert phonenumbers.is_valid_number(phonenumbers.parse(v, "ID"))
        if kind == "card_mangled":
            assert re.fullmatch(r"5\.\d{5}E\+15", v)


CRITICAL = re.compile(
    r"sk-|AKIA|ghp_|sk_live|eyJ|BEGIN|\$2[aby]\$|T3BlbkFJ|password|\b\d{3}-\d{2}-\d{4}\b|"
    r"\b[A-Z]{2}\d{2}[A-Z0-9]{10,30}\b|\b\d{13,19}\b|E\+1\d"
)


def test_clean_data_has_no_critical_values(clean: Path) -> None:
    assert not (clean / "truth.json").exists()
    table = pq.read_table(clean / "people.parquet")
    for name in table.column_names:
        hits = pc.sum(pc.match_substring_regex(table.column(name), CRITICAL.pattern)).as_py()
        assert not hits, name


def test_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="at least 100"):
        generate(10, tmp_path, needles=True)
    with pytest.raises(InputError, match="unknown vendor"):
        generate(10, tmp_path, vendor="nope")
    with pytest.raises(InputError, match="unknown format"):
        generate(10, tmp_path, formats=("xml",))


def test_vendor_writers_registry_is_used(tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []

    def writer(**kwargs: Any) -> list[Path]:
        calls.append(kwargs)
        path = kwargs["out"] / "vendor.txt"
        path.write_text("x")
        return [path]

    WRITERS["test-vendor"] = writer
    try:
        result = generate(120, tmp_path, seed=5, vendor="test-vendor", formats=("csv",))
    finally:
        del WRITERS["test-vendor"]
    assert calls == [{"out": tmp_path, "rows": 120, "seed": 5, "needles": False}]
    assert result.vendor_files == [tmp_path / "vendor.txt"]


def test_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(
        cli, ["synth", "--rows", "150", "--out", str(tmp_path), "--needles", "--formats", "csv"]
    )
    assert ok.exit_code == 0, ok.output
    assert "truth.json" in ok.output and (tmp_path / "people.csv").exists()
    assert not (tmp_path / "people.jsonl").exists()
    bad = runner.invoke(cli, ["synth", "--rows", "10", "--out", str(tmp_path), "--formats", "xml"])
    assert bad.exit_code == 2 and "csv, jsonl, parquet" in bad.output
    vendor = runner.invoke(cli, ["synth", "--rows", "10", "--out", str(tmp_path), "--vendor", "nope"])
    assert vendor.exit_code == 2 and "unknown vendor" in vendor.output
    few = runner.invoke(cli, ["synth", "--rows", "10", "--out", str(tmp_path), "--needles"])
    assert few.exit_code != 0 and "Traceback" not in few.output


def test_synth_writes_the_directory_columns_scope_reads_by_default() -> None:
    assert DIRECTORY_COLUMNS == FIELDS
