from __future__ import annotations

import dataclasses

import pyarrow as pa
import pytest

from breachscope.exposures.extractor import Extractor, extract_batch, records
from breachscope.exposures.plan import (
    ExtractPlan,
    clean,
    column_roles,
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


@pytest.mark.parametrize("value", ["a", " Ana@Example.com", "日本語", "x" * 1000, "o'brien; --"])
def test_keyed_hashes_equal_hashing_keyed_hash(value: str) -> None:
    batch = pa.RecordBatch.from_pydict({"user_id": [value]})
    (rec,) = extract_batch(KEY, ExtractPlan.build(["user_id"]), batch, row_key_prefix="f")
    assert rec.user_id_hash == keyed_hash(KEY, value.strip())
    assert rec.person_key_hash == keyed_hash(KEY, f"user_id:{value.strip()}")


HOSTILE = {
    "$distinct_id": ["d1", None, " d1 ", None, "\u00a0", "d2", None, None, "(not set)", None, "d1", "x"],
    "user_id": [None, "u1", None, "u1", None, "u2", None, None, None, None, None, None],
    "$email": [
        "Rina@Example.com",
        "ｓａｍ@example.com",
        " sam+news@GMAIL.com ",
        "s.a.m@googlemail.com",
        "аdmin@example.com",  # Cyrillic a
        "no-at-sign",
        "@x.com",
        "x@",
        "a@b@c.com",
        "\u200bzero@width.com",
        None,
        "e\x00vil@x.com",
    ],
    "$name": ["Rina", None, "  ", "\u202eevil", None, "x" * 400, None, None, "(none)", None, "Rina 2", None],
    "first_name": [None, "Sam", "Ann", None, None, None, "Li", None, None, None, None, None],
    "last_name": [None, "Lee", None, "Bo", None, None, None, None, None, None, None, None],
    "org_id": ["o1", " o1", None, "o2", None, None, None, None, None, "o3", "o4", None],
    "$city": ["Jakarta", None, "Tbilisi", None, None, None, None, None, None, "undefined", "Bandung", None],
    "$region": ["Jakarta", "Georgia", None, "CA", "Georgia", "Quebec", "CA", None, None, None, "Bali", None],
    "mp_country_code": ["ID", "US", "Georgia", "US", None, "CA", None, "ca", "n/a", None, "ID", "UK"],
    "notes": [
        "card 4111 1111 1111 1111",
        "hello",
        None,
        "4111111111111111",
        None,
        None,
        None,
        None,
        None,
        None,
        "ok",
        None,
    ],
    "n": [1, 2, None, 4, None, None, None, None, None, None, None, None],
}


#: The people of :data:`HOSTILE` (plan: ``n`` is a device column, ``notes`` holds payment cards
#: on some rows), hashes given by what was hashed: a person's rows are merged (classes and
#: fields united, otherwise the first value wins); blanks, placeholders and an NBSP are absent;
#: a look-alike address keeps its own hash and gets a skeleton; hidden characters are hashed
#: but never shown; a row without any key is a person of its own (kind ``row``).
PEOPLE = [
    {
        "person_key_hash": "distinct_id:d1",
        "person_key_kind": "distinct_id",
        "distinct_id_hash": "d1",
        "user_id_hash": None,
        "email_hash": "rina@example.com",
        "email_loose_hash": "rina@example.com",
        "email_skeleton_hash": "rina@example.com",
        "org_id_hash": "o1",
        "exposed_classes": [
            "coarse_location",
            "device",
            "email",
            "internal_id",
            "payment_card",
            "person_name",
        ],
        "exposed_fields": [
            "$city",
            "$distinct_id",
            "$email",
            "$name",
            "$region",
            "first_name",
            "mp_country_code",
            "n",
            "notes",
            "org_id",
        ],
        "country_code": "ID",
        "region_code": "ID-JK",
        "jurisdiction": "ID-JK",
        "jurisdiction_source": "leak_region",
        "email": "Rina@Example.com",
        "display_name": "Rina",
        "city": "Jakarta",
        "region": "Jakarta",
        "country": "Indonesia",
    },
    {
        "person_key_hash": "user_id:u1",
        "person_key_kind": "user_id",
        "distinct_id_hash": None,
        "user_id_hash": "u1",
        "email_hash": "sam@example.com",
        "email_loose_hash": "sam@example.com",
        "email_skeleton_hash": "sam@example.com",
        "org_id_hash": "o1",
        "exposed_classes": [
            "coarse_location",
            "device",
            "email",
            "internal_id",
            "payment_card",
            "person_name",
        ],
        "exposed_fields": [
            "$email",
            "$name",
            "$region",
            "first_name",
            "last_name",
            "mp_country_code",
            "n",
            "notes",
            "org_id",
            "user_id",
        ],
        "country_code": "US",
        "region_code": "US-GA",
        "jurisdiction": "US-GA",
        "jurisdiction_source": "leak_region",
        "email": "ｓａｍ@example.com",
        "display_name": "Sam Lee",
        "city": None,
        "region": "Georgia",
        "country": "United States",
    },
    {
        "person_key_hash": "email:аdmin@example.com",
        "person_key_kind": "email",
        "distinct_id_hash": None,
        "user_id_hash": None,
        "email_hash": "аdmin@example.com",
        "email_loose_hash": "аdmin@example.com",
        "email_skeleton_hash": "admin@example.com",
        "org_id_hash": None,
        "exposed_classes": ["coarse_location", "email"],
        "exposed_fields": ["$email", "$region"],
        "country_code": None,
        "region_code": None,
        "jurisdiction": None,
        "jurisdiction_source": None,
        "email": "аdmin@example.com",
        "display_name": None,
        "city": None,
        "region": "Georgia",
        "country": None,
    },
    {
        "person_key_hash": "distinct_id:d2",
        "person_key_kind": "distinct_id",
        "distinct_id_hash": "d2",
        "user_id_hash": "u2",
        "email_hash": None,
        "email_loose_hash": None,
        "email_skeleton_hash": None,
        "org_id_hash": None,
        "exposed_classes": ["coarse_location", "email", "internal_id", "person_name"],
        "exposed_fields": ["$distinct_id", "$email", "$name", "$region", "mp_country_code", "user_id"],
        "country_code": "CA",
        "region_code": "CA-QC",
        "jurisdiction": "CA-QC",
        "jurisdiction_source": "leak_region",
        "email": "no-at-sign",
        "display_name": "x" * 300,
        "city": None,
        "region": "Quebec",
        "country": "Canada",
    },
    {
        "person_key_hash": "row:sha:people.csv:6",
        "person_key_kind": "row",
        "distinct_id_hash": None,
        "user_id_hash": None,
        "email_hash": None,
        "email_loose_hash": None,
        "email_skeleton_hash": None,
        "org_id_hash": None,
        "exposed_classes": ["coarse_location", "email", "person_name"],
        "exposed_fields": ["$email", "$region", "first_name"],
        "country_code": None,
        "region_code": None,
        "jurisdiction": None,
        "jurisdiction_source": None,
        "email": "@x.com",
        "display_name": "Li",
        "city": None,
        "region": "CA",
        "country": None,
    },
    {
        "person_key_hash": "row:sha:people.csv:7",
        "person_key_kind": "row",
        "distinct_id_hash": None,
        "user_id_hash": None,
        "email_hash": None,
        "email_loose_hash": None,
        "email_skeleton_hash": None,
        "org_id_hash": None,
        "exposed_classes": ["coarse_location", "email"],
        "exposed_fields": ["$email", "mp_country_code"],
        "country_code": "CA",
        "region_code": None,
        "jurisdiction": "CA",
        "jurisdiction_source": "leak_country",
        "email": "x@",
        "display_name": None,
        "city": None,
        "region": None,
        "country": "Canada",
    },
    {
        "person_key_hash": "email:a@b@c.com",
        "person_key_kind": "email",
        "distinct_id_hash": None,
        "user_id_hash": None,
        "email_hash": "a@b@c.com",
        "email_loose_hash": "a@b@c.com",
        "email_skeleton_hash": "a@b@c.com",
        "org_id_hash": None,
        "exposed_classes": ["email"],
        "exposed_fields": ["$email"],
        "country_code": None,
        "region_code": None,
        "jurisdiction": None,
        "jurisdiction_source": None,
        "email": "a@b@c.com",
        "display_name": None,
        "city": None,
        "region": None,
        "country": None,
    },
    {
        "person_key_hash": "email:\u200bzero@width.com",
        "person_key_kind": "email",
        "distinct_id_hash": None,
        "user_id_hash": None,
        "email_hash": "\u200bzero@width.com",
        "email_loose_hash": "\u200bzero@width.com",
        "email_skeleton_hash": "zero@width.com",
        "org_id_hash": "o3",
        "exposed_classes": ["email", "internal_id"],
        "exposed_fields": ["$email", "org_id"],
        "country_code": None,
        "region_code": None,
        "jurisdiction": None,
        "jurisdiction_source": None,
        "email": "zero@width.com",
        "display_name": None,
        "city": None,
        "region": None,
        "country": None,
    },
    {
        "person_key_hash": "distinct_id:x",
        "person_key_kind": "distinct_id",
        "distinct_id_hash": "x",
        "user_id_hash": None,
        "email_hash": "e\x00vil@x.com",
        "email_loose_hash": "e\x00vil@x.com",
        "email_skeleton_hash": "e\x00vil@x.com",
        "org_id_hash": None,
        "exposed_classes": ["coarse_location", "email", "internal_id"],
        "exposed_fields": ["$distinct_id", "$email", "mp_country_code"],
        "country_code": "GB",
        "region_code": None,
        "jurisdiction": "GB",
        "jurisdiction_source": "leak_country",
        "email": "evil@x.com",
        "display_name": None,
        "city": None,
        "region": None,
        "country": "United Kingdom",
    },
]


@pytest.mark.parametrize("offset", [0, 1000])
def test_a_hostile_batch_gives_these_people(offset: int) -> None:
    batch = pa.RecordBatch.from_pydict(HOSTILE)
    plan = ExtractPlan.build(
        batch.schema.names, {"n": frozenset({"device"})}, {"notes": frozenset({"payment_card"})}
    )
    expected = []
    for person in PEOPLE:
        row = dict(person)
        for name, value in person.items():
            if name.endswith("_hash") and value is not None:
                if value.startswith("row:"):  # a row's key names its file and its row number
                    n = int(value.rsplit(":", 1)[1])
                    value = f"row:sha:people.csv:{offset + n}"
                row[name] = keyed_hash(KEY, value)
        expected.append(row)
    with Extractor(KEY) as ex:
        table = ex.table(plan, batch, row_key_prefix="sha:people.csv", offset=offset)
    assert [dataclasses.asdict(r) for r in records(table)] == expected


def test_more_than_62_classed_columns() -> None:
    cols = {f"c{i}": ["v" if i % 7 == 0 else None, "w"] for i in range(150)}
    batch = pa.RecordBatch.from_pydict(cols)
    plan = ExtractPlan.build(batch.schema.names, {c: frozenset({f"class_{c}"}) for c in cols})
    first, second = extract_batch(KEY, plan, batch, row_key_prefix="f")
    assert first.exposed_fields == sorted(f"c{i}" for i in range(0, 150, 7))
    assert len(second.exposed_classes) == 150


def test_a_sensitive_value_in_a_notice_column_is_not_stored() -> None:
    """A national id typed into ``$city``, a card number into ``$name``: the class is exposed,
    the value stays out of the case; a column the scan classed as secrets is never stored."""
    batch = pa.RecordBatch.from_pydict(
        {
            "$distinct_id": ["d1", "d2"],
            "$name": ["4646194444190493", "Rina"],
            "$city": ["3171090903877851", "Bandung"],
            "$region": ["sk_live_3v2Kqj5MWxRfgY6Z3rCHOIpk", "sk_live_4v2Kqj5MWxRfgY6Z3rCHOIpk"],
        }
    )
    plan = ExtractPlan.build(
        batch.schema.names,
        {"$region": frozenset({"secret"})},
        {"$name": frozenset({"payment_card"}), "$city": frozenset({"government_id"})},
    )
    first, second = extract_batch(KEY, plan, batch, row_key_prefix="f")
    assert (first.display_name, first.city, first.region) == (None, None, None)
    assert {"payment_card", "government_id", "secret"} <= set(first.exposed_classes)
    assert (second.display_name, second.city, second.region) == ("Rina", "Bandung", None)
    assert "sk_live" not in repr(first) + repr(second)


@pytest.mark.parametrize("anon_column", ["anonymousId", "anonymous_id", "context.device_id", "$device_id"])
def test_anonymous_visitors_are_one_person_each_not_one_per_row(anon_column: str) -> None:
    """Segment/Mixpanel events of a visitor who never signed in: the anonymous or device id is
    the person key (after distinct id, user id and email), so three events are one person."""
    batch = pa.RecordBatch.from_pydict(
        {
            "userId": [None, None, None, None, "u9", None],
            anon_column: ["a1", "a1", " a1 ", "a2", "a3", None],
            "email": [None, None, None, "ann@example.org", None, None],
            "city": ["Jakarta", "Jakarta", "Bandung", "Berlin", "Austin", "Paris"],
        }
    )
    records = list(extract_batch(KEY, ExtractPlan.build(batch.schema.names), batch, row_key_prefix="f"))
    by_kind = sorted((r.person_key_kind, r.person_key_hash) for r in records)
    assert by_kind == sorted(
        [
            ("anonymous_id", keyed_hash(KEY, "anonymous_id:a1")),  # three events, one person
            ("email", keyed_hash(KEY, "email:ann@example.org")),  # an email outranks the anon id
            ("user_id", keyed_hash(KEY, "user_id:u9")),
            ("row", keyed_hash(KEY, "row:f:5")),  # nothing to key on
        ]
    )
    visitor = next(r for r in records if r.person_key_kind == "anonymous_id")
    assert "internal_id" in visitor.exposed_classes and anon_column in visitor.exposed_fields
