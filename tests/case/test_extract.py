from __future__ import annotations

import pyarrow as pa
import pytest

from breachscope.case.extract import (
    ExtractPlan,
    clean,
    column_roles,
    extract_batch,
    normalise_column,
    split_scan_classes,
)
from breachscope.hashing import keyed_hash

KEY = b"x" * 32


@pytest.mark.parametrize(
    ("column", "norm"),
    [("$distinct_id", "distinct_id"), ("properties.$Email", "email"), ("mp_country_code", "mp_country_code")],
)
def test_normalise_column(column: str, norm: str) -> None:
    assert normalise_column(column) == norm


def test_column_roles() -> None:
    roles = column_roles(
        ["$distinct_id", "$email", "$name", "$city", "$region", "mp_country_code", "org_id", "notes"]
    )
    assert roles == {
        "distinct_id": "$distinct_id",
        "email": "$email",
        "name": "$name",
        "city": "$city",
        "region": "$region",
        "country": "mp_country_code",
        "org_id": "org_id",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Rina  ", "Rina"),
        ("Ri\x00na\u202e", "Rina"),  # NUL and bidi override removed
        ("\u200b", None),
        (None, None),
        ("x" * 500, "x" * 300),
    ],
)
def test_clean(value: str | None, expected: str | None) -> None:
    assert clean(value, 300) == expected


def test_extract_keeps_hashes_classes_and_notice_values_only() -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            "$distinct_id": ["d1", None, None, None],
            "$email": ["Rina@Example.com", "sam@example.com", "(not set)", None],
            "$name": ["Rina", "Sam", None, None],
            "$os": ["Android", "  ", None, None],
            "notes": ["secret note", None, None, None],
            "mp_country_code": ["ID", "US", "CA", None],
            "$region": ["Jakarta", "Georgia", "Quebec", None],
        }
    )
    scanned = {"$os": frozenset({"device"}), "notes": frozenset({"chat_content"})}
    plan = ExtractPlan.build(batch.schema.names, scanned)
    records = list(extract_batch(KEY, plan, batch, row_key_prefix="f"))
    assert len(records) == 3  # the all-empty row is nobody
    rina, sam, third = records
    assert rina.person_key_kind == "distinct_id"
    assert rina.person_key_hash == keyed_hash(KEY, "distinct_id:d1")
    assert rina.email_hash == keyed_hash(KEY, "rina@example.com")
    assert rina.exposed_classes == [
        "chat_content",
        "coarse_location",
        "device",
        "email",
        "internal_id",
        "person_name",
    ]
    assert rina.exposed_fields == [
        "$distinct_id",
        "$email",
        "$name",
        "$os",
        "$region",
        "mp_country_code",
        "notes",
    ]
    assert (rina.jurisdiction, rina.country) == ("ID-JK", "Indonesia")
    assert "secret note" not in repr(rina) and "Android" not in repr(rina)
    assert sam.person_key_kind == "email" and "device" not in sam.exposed_classes  # blank $os
    assert sam.jurisdiction == "US-GA"
    assert third.person_key_kind == "row" and third.email is None and third.email_hash is None
    assert third.exposed_classes == ["coarse_location"] and third.jurisdiction == "CA-QC"


def test_minority_classes_are_detected_per_row_not_per_column() -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            "$distinct_id": ["d1", "d2", "d3"],
            "notes": ["card 4111 1111 1111 1111 exp 12/29", "call me later", None],
        }
    )
    plan = ExtractPlan.build(batch.schema.names, {}, {"notes": frozenset({"payment_card"})})
    first, second, third = extract_batch(KEY, plan, batch, row_key_prefix="f")
    assert "payment_card" in first.exposed_classes and "notes" in first.exposed_fields
    assert "payment_card" not in second.exposed_classes and "notes" not in second.exposed_fields
    assert "payment_card" not in third.exposed_classes


def test_split_scan_classes() -> None:
    report = {
        "sources": [
            {
                "name": "people.csv",
                "columns": [
                    {
                        "name": "$email",
                        "classes": [{"class": "email", "share": 1.0, "sources": ["schema", "value"]}],
                    },
                    {
                        "name": "notes",
                        "classes": [
                            {"class": "chat_content", "share": 0.9, "sources": ["value"]},
                            {"class": "payment_card", "share": 0.0002, "sources": ["value"]},
                        ],
                    },
                    {
                        "name": "$city",
                        "classes": [{"class": "government_id", "share": 0.001, "sources": ["value"]}],
                    },
                ],
            }
        ]
    }
    whole, per_row = split_scan_classes(report)
    assert whole == {
        ("people.csv", "$email"): frozenset({"email"}),
        ("people.csv", "notes"): frozenset({"chat_content"}),
    }
    assert per_row == {
        ("people.csv", "notes"): frozenset({"payment_card"}),
        ("people.csv", "$city"): frozenset({"government_id"}),
    }


@pytest.mark.parametrize("value", ["", "a", "Ana@Example.com", "日本語", "\udcff surrogate", "x" * 1000])
def test_fast_keyed_hash_equals_hashing_keyed_hash(value: str) -> None:
    from breachscope.case.extract import _h

    assert _h(KEY, value) == keyed_hash(KEY, value)
    assert _h(b"other key", value) == keyed_hash(b"other key", value)
