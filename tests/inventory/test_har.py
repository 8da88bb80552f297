"""HAR captures: the written sample's vendors, classes, pages, scripts and keys; hostile captures."""

# ruff: noqa: E501  (case tables: one case per line)

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from breachscope.errors import InputError
from breachscope.inventory.decode import DecodeLimits
from breachscope.inventory.har import HarLimits, page_of, read_har
from breachscope.inventory.observe import ServiceFlows, classify
from tests.inventory.har_samples import SAMPLE, signup_session

SIGNUP = "https://shop.example.com/signup"
DASH = "https://shop.example.com/dashboard"


@pytest.fixture(scope="module")
def flows() -> dict[str, ServiceFlows]:
    return {f.vendor: f for f in classify(read_har(SAMPLE))}


def test_the_checked_in_sample_is_current() -> None:
    assert json.loads(SAMPLE.read_text()) == signup_session()


@pytest.mark.parametrize(
    ("vendor", "cls", "field", "pages"),
    [
        ("Mixpanel", "email", "$set.$email", [SIGNUP]),
        ("Mixpanel", "person_name", "$set.$name", [SIGNUP]),
        ("Mixpanel", "coarse_location", "$set.$city", [SIGNUP]),
        ("Mixpanel", "email", "properties.$current_url", [SIGNUP]),  # the page URL carries ?email=
        ("Segment", "ip_address", "context.ip", [SIGNUP]),
        ("Segment", "phone", "traits.phone", [SIGNUP]),
        ("Segment", "person_name", "traits.firstName", [SIGNUP]),
        ("Amplitude", "email", "user_id", [DASH]),  # an email used as the user id
        ("PostHog", "email", "properties.$set.email", [DASH]),  # base64 + gzip body
        ("Google Analytics 4", "email", "ep.user_email", [SIGNUP]),  # second line of a batched body
        ("Google Analytics 4", "internal_id", "uid", [SIGNUP]),
        ("Heap", "email", "k", [DASH]),
        ("Intercom", "email", "user_data.email", [DASH]),  # JSON inside a form field
        ("Customer.io", "ip_address", "context.ip", [DASH]),
        ("Meta Pixel", "hashed_id", "ud[em]", [SIGNUP]),
        ("px.tracker-net.example", "email", "uid", [SIGNUP]),  # a pixel not in the table
    ],
)
def test_what_is_sent_to_whom_from_where(flows: dict[str, ServiceFlows], vendor: str, cls: str, field: str, pages: list[str]) -> None:  # fmt: skip
    f = flows[vendor]
    assert field in f.classes()[cls]
    [ff] = [x for x in f.fields if x.field == field]
    assert ff.pages == pages


def test_first_party_calls_and_keys_are_not_flows(flows: dict[str, ServiceFlows]) -> None:
    assert "shop.example.com" not in flows  # our own /api/signup is not a vendor
    assert all("password" not in x.field for f in flows.values() for x in f.fields)
    mp = flows["Mixpanel"]
    assert "properties.token" not in {x.field for x in mp.fields}
    assert mp.keys["properties.token"] == ["3f6e****************5a6b"]  # masked, never whole
    assert mp.requests == 2 and mp.messages == 4  # 2 payloads + 2 query strings (verbose, ip, _)


def test_cookies_sent_to_a_vendor_are_fields(tmp_path: Path) -> None:
    entry = _req("https://api-js.mixpanel.com/track/", "data=W10=")
    cookie = json.dumps({"distinct_id": "rina@mail.example", "$device_id": "19a4f0c2b7e"})
    entry["request"]["cookies"] = [{"name": "mp_3f6e_mixpanel", "value": quote(cookie)}, {"name": 3}]
    path = tmp_path / "c.har"
    path.write_text(json.dumps(_har([entry])))
    [mp] = classify(read_har(path))
    assert mp.classes()["email"] == ["cookie.mp_3f6e_mixpanel.distinct_id"]


def test_where_each_sdk_loads(flows: dict[str, ServiceFlows]) -> None:
    assert flows["Mixpanel"].scripts == [
        {"url": "https://cdn.mxpnl.com/libs/mixpanel-2-latest.min.js", "pages": [SIGNUP]}
    ]
    assert flows["Segment"].keys["script URL"] == flows["Segment"].keys["writeKey"]  # same key, masked
    assert flows["Intercom"].scripts[0]["pages"] == [DASH]


def test_no_value_is_stored_only_names_classes_and_pages(flows: dict[str, ServiceFlows]) -> None:
    text = json.dumps([f.to_dict() for f in flows.values()])
    assert "rina.wijaya@mail.example" not in text and "203.0.113.7" not in text
    assert "ref=newsletter" not in text  # page queries are dropped


@pytest.mark.parametrize(
    ("url", "page"),
    [
        ("https://shop.example.com/a/b?email=x%40y#frag", "https://shop.example.com/a/b"),
        ("https://user:pw@shop.example.com:8443/", "https://shop.example.com:8443/"),
        (
            "https://shop.example.com/users/rina%40mail.example/orders/12345678",
            "https://shop.example.com/users/:id/orders/:id",
        ),
        (
            "https://shop.example.com/u/6f1d2c3b-4a59-4e8f-9d0c-1b2a3c4d5e6f/",
            "https://shop.example.com/u/:id/",
        ),
        ("https://shop.example.com/checkout/step-2", "https://shop.example.com/checkout/step-2"),
        ("javascript:alert(1)", None),
        ("https://[::1", None),
    ],
)
def test_page_of(url: str, page: str | None) -> None:
    assert page_of(url) == page


def _har(entries: list[Any], pages: list[Any] | None = None) -> dict[str, Any]:
    return {"log": {"version": "1.2", "pages": pages or [], "entries": entries}}


def _req(url: str, text: str | None = None, **post: Any) -> dict[str, Any]:
    req: dict[str, Any] = {
        "method": "POST",
        "url": url,
        "headers": [{"name": "Referer", "value": "https://shop.example.com/x"}],
    }
    if text is not None:
        req["postData"] = {"mimeType": "text/plain", "text": text, **post}
    return {"request": req, "response": {"content": {"size": 2, "mimeType": "application/json"}}}


SEG = "https://api.segment.io/v1/t"
HOSTILE: list[tuple[str, dict[str, Any], HarLimits, str]] = [
    ("an entry that is not an object", _har([42, _req(SEG, '{"userId": "u"}')]), HarLimits(), "bad_entry"),
    ("a request with no URL", _har([{"request": {"method": "GET"}}]), HarLimits(), "bad_entry"),
    (
        "postData marked base64 that is not",
        _har([_req(SEG, "%%%%", encoding="base64")]),
        HarLimits(),
        "bad_base64",
    ),
    (
        "a Mixpanel data= that is not base64",
        _har([_req("https://api-js.mixpanel.com/track/", "data=@@@@")]),
        HarLimits(),
        "bad_base64",
    ),
    (
        "a huge body",
        _har([_req(SEG, '{"a": "' + "x" * 3000 + '"}')]),
        HarLimits(decode=DecodeLimits(max_body_bytes=1000)),
        "body_budget",
    ),
    ("deep JSON in a body", _har([_req(SEG, "[" * 5000 + "]" * 5000)]), HarLimits(), "too_deep"),
    ("too many entries", _har([_req(SEG, '{"userId": "u"}')] * 5), HarLimits(max_entries=3), "entry_budget"),
]


@pytest.mark.parametrize(("label", "doc", "limits", "kind"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_capture_is_reported_never_raised(tmp_path: Path, label: str, doc: dict[str, Any], limits: HarLimits, kind: str) -> None:  # fmt: skip
    path = tmp_path / "x.har"
    path.write_text(json.dumps(doc))
    cap = read_har(path, limits)
    assert kind in cap.issue_counts, cap.issues
    assert not cap.complete
    classify(cap)  # and detection still runs on what was read


@pytest.mark.parametrize(
    ("content", "limits", "message"),
    [
        (b"not json at all", HarLimits(), "not JSON"),
        (b'{"log": {}}', HarLimits(), "not a HAR file"),
        (b"[" * 100_000 + b"]" * 100_000, HarLimits(), "nested too deeply"),
        (b"{}" + b" " * 5000, HarLimits(max_file_bytes=1000), "over the HAR budget"),
    ],
)
def test_unusable_file_is_one_clear_error(
    tmp_path: Path, content: bytes, limits: HarLimits, message: str
) -> None:
    path = tmp_path / "bad.har"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_har(path, limits)
