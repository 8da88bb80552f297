"""Realistic HAR captures, written for breachscope's tests (no real person, documentation IPs).

``signup_session()`` is one browser session on shop.example.com (a sign-up page, then the
dashboard) as Chrome's "Save all as HAR" exports it, with the collection calls of every service
in ``endpoints.yaml`` shaped as their SDKs send them (see the sources there): Mixpanel ``data=``
base64 and JSON, Segment ``/v1/batch``, Amplitude HTTP v2, PostHog gzip (``compression=gzip-js``),
GA4 ``/g/collect`` with a multi-line body, Heap ``/h``, Intercom ``user_data``, Customer.io CDP,
the Meta pixel and an unlisted tracking pixel. ``tests/data/inventory/signup-session.har`` is
this function's output (``python -m tests.inventory.har_samples`` rewrites it).
"""

# ruff: noqa: E501  (sample payload tables: one request or case per line)

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

SIGNUP = "https://shop.example.com/signup?ref=newsletter&email=rina%40mail.example"
DASHBOARD = "https://shop.example.com/dashboard"
EMAIL = "rina.wijaya@mail.example"
NAME = "Rina Wijaya"
IP = "203.0.113.7"
USER = "usr_8f2a61"


@dataclass(frozen=True)
class Person:
    """The synthetic person a session is about (the benchmark varies it)."""

    email: str = EMAIL
    name: str = NAME
    user: str = USER
    ip: str = IP


DEFAULT = Person()
MP_TOKEN = "3f6e1c9d2b7a4e8f9a0b1c2d3e4f5a6b"
SEGMENT_KEY = "kT9xQ2mZ7pL4vB8n"


def _entry(page: str, method: str, url: str, *, body: str | None = None, mime: str = "", resp_mime: str = "application/json", resp_size: int = 2, headers: list[dict[str, str]] | None = None, encoding: str | None = None) -> dict[str, Any]:  # fmt: skip
    req: dict[str, Any] = {
        "method": method,
        "url": url,
        "httpVersion": "http/2.0",
        "headers": headers or [{"name": "Referer", "value": "https://shop.example.com/"}],
        "queryString": [],
        "cookies": [],
        "headersSize": -1,
        "bodySize": len(body or ""),
    }
    if body is not None:
        req["postData"] = {"mimeType": mime, "text": body}
        if encoding:
            req["postData"]["encoding"] = encoding
    return {
        "pageref": page,
        "startedDateTime": "2025-11-20T08:15:02.120Z",
        "time": 41.2,
        "request": req,
        "response": {
            "status": 200,
            "statusText": "",
            "httpVersion": "http/2.0",
            "headers": [],
            "cookies": [],
            "content": {"size": resp_size, "mimeType": resp_mime},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": resp_size,
        },
        "cache": {},
        "timings": {"send": 0.1, "wait": 40.0, "receive": 1.1},
    }


def _mixpanel_track(p: Person = DEFAULT) -> str:
    events = [
        {
            "event": "Sign up completed",
            "properties": {
                "$os": "Mac OS X",
                "$browser": "Chrome",
                "$current_url": SIGNUP,
                "$browser_version": 131,
                "$screen_height": 982,
                "$screen_width": 1512,
                "mp_lib": "web",
                "$lib_version": "2.55.1",
                "$insert_id": "n4k2v8q1z7x3c5b9",
                "time": 1763626502.12,
                "distinct_id": p.user,
                "$device_id": "19a4f0c2b7e-0d1c2e3f4a5b6c-7d8e9f",
                "$initial_referrer": "$direct",
                "$user_id": p.user,
                "plan": "pro",
                "token": MP_TOKEN,
            },
        }
    ]
    return "data=" + quote(base64.b64encode(json.dumps(events).encode()).decode())


def _mixpanel_engage(p: Person = DEFAULT) -> str:
    update = [
        {
            "$token": MP_TOKEN,
            "$distinct_id": p.user,
            "$set": {
                "$email": p.email,
                "$name": p.name,
                "$city": "Jakarta",
                "$region": "Jakarta",
                "company": "Toko Maju",
            },
        }
    ]
    return "data=" + quote(json.dumps(update))


def _segment_batch(p: Person = DEFAULT) -> str:
    context = {
        "ip": p.ip,
        "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "locale": "id-ID",
        "page": {"path": "/signup", "referrer": "", "title": "Sign up", "url": SIGNUP},
        "library": {"name": "analytics.js", "version": "next-1.70.0"},
    }
    return json.dumps(
        {
            "batch": [
                {
                    "type": "identify",
                    "userId": p.user,
                    "anonymousId": "6f1d2c3b-4a59-4e8f-9d0c-1b2a3c4d5e6f",
                    "traits": {
                        "email": p.email,
                        "firstName": "Rina",
                        "lastName": "Wijaya",
                        "phone": "+62 812-3456-7890",
                    },
                    "context": context,
                    "messageId": "ajs-next-1763626502-1",
                    "timestamp": "2025-11-20T08:15:02.120Z",
                },
                {
                    "type": "track",
                    "event": "Order Completed",
                    "userId": p.user,
                    "properties": {"order_id": "ord_5512", "total": 249000, "currency": "IDR"},
                    "context": context,
                    "messageId": "ajs-next-1763626502-2",
                    "timestamp": "2025-11-20T08:15:02.220Z",
                },
            ],
            "sentAt": "2025-11-20T08:15:02.300Z",
            "writeKey": SEGMENT_KEY,
        }
    )


def _amplitude(p: Person = DEFAULT) -> str:
    return json.dumps(
        {
            "api_key": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "events": [
                {
                    "user_id": p.email,
                    "device_id": "c0ffee12-3456-4789-abcd-ef0123456789",
                    "event_type": "dashboard viewed",
                    "time": 1763626530000,
                    "platform": "Web",
                    "os_name": "Chrome",
                    "language": "id-ID",
                    "ip": "$remote",
                    "user_properties": {"name": p.name, "plan": "pro"},
                    "event_properties": {"page": DASHBOARD},
                    "insert_id": "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
                }
            ],
            "options": {},
        }
    )


def _posthog_gzip(p: Person = DEFAULT) -> bytes:
    events = [
        {
            "event": "$pageview",
            "properties": {
                "$current_url": DASHBOARD,
                "$host": "shop.example.com",
                "$pathname": "/dashboard",
                "$browser": "Chrome",
                "$os": "Mac OS X",
                "distinct_id": p.user,
                "$set": {"email": p.email},
                "token": "phc_Zk3mQ9x2Lp7Vb4Nc8Rt1Yw6Hs5Jd0Fg",
            },
            "timestamp": "2025-11-20T08:15:31.004Z",
        }
    ]
    return gzip.compress(json.dumps(events).encode(), mtime=0)


def _ga4_url(p: Person = DEFAULT) -> str:
    params = {
        "v": "2",
        "tid": "G-7QX2M4K9PZ",
        "gtm": "45je5bh0v9131234567za200",
        "cid": "1146540921.1763626501",
        "ul": "id-id",
        "sr": "1512x982",
        "uid": p.user,
        "dl": SIGNUP,
        "dt": "Sign up",
        "en": "page_view",
    }
    return "https://region1.google-analytics.com/g/collect?" + urlencode(params)


def _ga4_body(p: Person = DEFAULT) -> str:
    return "\n".join(
        [
            urlencode({"en": "sign_up", "ep.method": "email", "ep.user_email": p.email, "_et": "1520"}),
            urlencode({"en": "scroll", "epn.percent_scrolled": "90"}),
        ]
    )


def signup_session(p: Person = DEFAULT) -> dict[str, Any]:
    """The capture as a HAR document."""
    signup, dash = "page_1", "page_2"
    intercom = urlencode(
        {
            "app_id": "q7w8e9r0",
            "v": "3",
            "g": "2f0c1d",
            "s": "f7a1c2d3-e4b5-4c6d-8e9f-0a1b2c3d4e5f",
            "r": "",
            "platform": "web",
            "Idempotency-Key": "3a9c7e1f5b2d",
            "user_data": json.dumps(
                {"email": p.email, "user_id": p.user, "name": p.name, "user_hash": "d4c7" * 16}
            ),
            "referer": DASHBOARD,
        }
    )
    cio = json.dumps(
        {
            "type": "identify",
            "userId": p.user,
            "traits": {"email": p.email, "first_name": "Rina", "created_at": 1763626502},
            "context": {"ip": p.ip, "page": {"url": DASHBOARD}},
            "writeKey": "cio_wk_9d8c7b6a5f4e3d2c",
        }
    )
    entries = [
        _entry(signup, "GET", SIGNUP, resp_mime="text/html", resp_size=48211),
        _entry(signup, "GET", "https://cdn.mxpnl.com/libs/mixpanel-2-latest.min.js", resp_mime="text/javascript", resp_size=41992),
        _entry(signup, "GET", f"https://cdn.segment.com/analytics.js/v1/{SEGMENT_KEY}/analytics.min.js", resp_mime="text/javascript", resp_size=30112),
        _entry(signup, "GET", "https://www.googletagmanager.com/gtag/js?id=G-7QX2M4K9PZ", resp_mime="application/javascript", resp_size=120334),
        _entry(signup, "POST", "https://api-js.mixpanel.com/track/?verbose=1&ip=1&_=1763626502130", body=_mixpanel_track(p), mime="application/x-www-form-urlencoded"),
        _entry(signup, "POST", "https://api-js.mixpanel.com/engage/?verbose=1&ip=1&_=1763626502140", body=_mixpanel_engage(p), mime="application/x-www-form-urlencoded"),
        _entry(signup, "POST", "https://api.segment.io/v1/batch", body=_segment_batch(p), mime="text/plain"),
        _entry(signup, "POST", _ga4_url(p), body=_ga4_body(p), mime="text/plain;charset=UTF-8", resp_mime="text/plain", resp_size=0),
        _entry(signup, "GET", "https://www.facebook.com/tr/?id=918273645501234&ev=CompleteRegistration&dl=" + quote(SIGNUP) + "&ud[em]=" + "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", resp_mime="image/gif", resp_size=44),
        _entry(signup, "GET", "https://px.tracker-net.example/p.gif?uid=" + quote(p.email) + "&pg=signup", resp_mime="image/gif", resp_size=43),
        _entry(signup, "POST", "https://shop.example.com/api/signup", body=json.dumps({"email": p.email, "password": "not-sent-to-a-vendor"}), mime="application/json"),
        _entry(dash, "GET", DASHBOARD, resp_mime="text/html", resp_size=51002),
        _entry(dash, "GET", "https://widget.intercom.io/widget/q7w8e9r0", resp_mime="application/javascript", resp_size=9100),
        _entry(dash, "POST", "https://api2.amplitude.com/2/httpapi", body=_amplitude(p), mime="application/json"),
        _entry(dash, "POST", "https://us.i.posthog.com/e/?compression=gzip-js&ip=1&_=1763626531004&ver=1.194.0", body=base64.b64encode(_posthog_gzip(p)).decode(), mime="text/plain", encoding="base64"),
        _entry(dash, "GET", "https://heapanalytics.com/h?a=2084764307&u=" + p.user + "&v=4829104&s=6112034&b=web&tv=4.0&z=0&h=%2Fdashboard&d=shop.example.com&t=Dashboard&k=email&k=" + quote(p.email), resp_mime="image/gif", resp_size=35),
        _entry(dash, "POST", "https://api-iam.intercom.io/messenger/web/ping", body=intercom, mime="application/x-www-form-urlencoded"),
        _entry(dash, "POST", "https://cdp.customer.io/v1/i", body=cio, mime="application/json"),
    ]  # fmt: skip
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [
                {
                    "startedDateTime": "2025-11-20T08:15:01.900Z",
                    "id": signup,
                    "title": SIGNUP,
                    "pageTimings": {},
                },
                {
                    "startedDateTime": "2025-11-20T08:15:30.100Z",
                    "id": dash,
                    "title": DASHBOARD,
                    "pageTimings": {},
                },
            ],
            "entries": entries,
        }
    }


SAMPLE = Path(__file__).resolve().parent.parent / "data" / "inventory" / "signup-session.har"

if __name__ == "__main__":
    SAMPLE.write_text(json.dumps(signup_session(), indent=1) + "\n")
