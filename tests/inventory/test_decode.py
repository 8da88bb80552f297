"""Payload decoding, table-driven: every wrapping the SDKs use, and hostile payloads."""

# ruff: noqa: E501  (sample payload tables: one request or case per line)

from __future__ import annotations

import base64
import gzip
import json

import pytest

from breachscope.inventory.decode import DecodeLimits, decode_request, iter_pairs

EVENT = {"event": "Signed up", "properties": {"$email": "a@mail.example", "distinct_id": "u1"}}
B64 = base64.b64encode(json.dumps([EVENT]).encode()).decode()


@pytest.mark.parametrize(
    ("query", "body", "mime", "expected"),
    [
        # Mixpanel: form body data=<base64 JSON array>
        ([], f"data={B64}".encode(), "application/x-www-form-urlencoded", {("properties.$email", "a@mail.example")}),
        # Mixpanel: URL-safe base64 without padding in the query string
        ([("data", B64.replace("+", "-").replace("/", "_").rstrip("="))], None, "", {("event", "Signed up")}),
        # Segment batch: envelope is its own message, elements split
        ([], json.dumps({"batch": [{"traits": {"email": "b@mail.example"}}], "writeKey": "k"}).encode(), "text/plain",
         {("traits.email", "b@mail.example"), ("writeKey", "k")}),
        # Amplitude HTTP v2: events[]
        ([], json.dumps({"api_key": "x", "events": [{"user_id": "c@mail.example"}]}).encode(), "application/json",
         {("user_id", "c@mail.example")}),
        # PostHog: gzip body
        ([("compression", "gzip-js")], gzip.compress(json.dumps([EVENT]).encode(), mtime=0), "text/plain", {("properties.distinct_id", "u1")}),
        # gzip inside base64 inside a form field
        ([], b"data=" + base64.b64encode(gzip.compress(json.dumps(EVENT).encode(), mtime=0)), "", {("properties.$email", "a@mail.example")}),
        # GA4 /g/collect: one event per body line
        ([("en", "page_view")], b"en=sign_up&ep.user_email=d%40mail.example\nen=scroll", "text/plain",
         {("en", "page_view"), ("ep.user_email", "d@mail.example"), ("en", "scroll")}),
        # Intercom: a JSON string inside a form field is decoded in place
        ([], b"app_id=a1&user_data=" + json.dumps({"email": "e@mail.example"}).encode(), "application/x-www-form-urlencoded",
         {("user_data.email", "e@mail.example"), ("app_id", "a1")}),
        # lists inside a message get [] in their path
        ([], json.dumps({"items": [{"name": "shoe"}, {"name": "hat"}]}).encode(), "application/json",
         {("items[].name", "shoe"), ("items[].name", "hat")}),
        # numbers and booleans become text; null and "" are no value
        ([], json.dumps({"n": 3, "b": True, "z": None, "e": ""}).encode(), "application/json", {("n", "3"), ("b", "true")}),
        # an opaque text body is one value
        ([], b"just some text", "text/plain", {("body", "just some text")}),
    ],
)  # fmt: skip
def test_decodes(
    query: list[tuple[str, str]], body: bytes | None, mime: str, expected: set[tuple[str, str]]
) -> None:
    out = decode_request(query, body, mime)
    pairs = set(iter_pairs(out))
    assert expected <= pairs, pairs
    assert out.issues == []


@pytest.mark.parametrize(
    ("body", "limits", "kind"),
    [
        (b"data=!!!!not-base64!!!!", DecodeLimits(), "bad_base64"),
        (b"\x1f\x8b\x08\x00garbage-not-deflate", DecodeLimits(), "bad_gzip"),
        (gzip.compress(b"{" + b" " * 5_000_000 + b"}", mtime=0), DecodeLimits(max_ratio=10, max_inflated_bytes=1 << 20), "inflate_budget"),
        (b"[" * 200_000 + b"]" * 200_000, DecodeLimits(), "too_deep"),
        (json.dumps({"a": {"b": {"c": {"d": 1}}}}).encode(), DecodeLimits(max_depth=2), "too_deep"),
        (json.dumps({f"k{i}": i for i in range(50)}).encode(), DecodeLimits(max_fields=10), "too_many_fields"),
        (json.dumps([{"a": i} for i in range(30)]).encode(), DecodeLimits(max_messages=10), "too_many_messages"),
        (b"x" * 2000, DecodeLimits(max_body_bytes=1000), "body_budget"),
    ],
)  # fmt: skip
def test_hostile_payloads_are_reported(body: bytes, limits: DecodeLimits, kind: str) -> None:
    out = decode_request([], body, "application/x-www-form-urlencoded", limits)
    assert kind in {k for k, _ in out.issues}


def test_json_in_json_stops_at_the_layer_budget() -> None:
    inner: object = {"email": "f@mail.example"}
    for _ in range(10):
        inner = {"wrapped": json.dumps(inner)}
    out = decode_request([], json.dumps(inner).encode(), "application/json", DecodeLimits(max_layers=3))
    assert all(v != "f@mail.example" for _, v in iter_pairs(out))  # left as a JSON string at layer 3
    assert out.messages
