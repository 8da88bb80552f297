"""Realistic proxy logs, written for breachscope's tests (no real person, documentation IPs).

The same browser session as :mod:`tests.inventory.har_samples` (sign-up on shop.example.com)
seen through a forward proxy, as its access log records it:

- ``squid_log()``: Squid's native ``logformat squid`` (``time elapsed client code/status bytes
  method URL user hierarchy/peer type``; the layout of squid-cache.org's "Squid native
  access.log format" page, with ``strip_query_terms off`` so queries are kept), written to
  ``tests/data/inventory/squid-access.log``;
- ``combined_log()``: the Combined Log Format (``host ident user [time] "request" status bytes
  "referer" "user-agent"``; Apache's ``LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\"
  \\"%{User-agent}i\\""``), written to ``tests/data/inventory/combined-access.log``.

Payloads are shaped as the SDKs send them in a URL (see the sources in endpoints.yaml): GA4
``/g/collect`` parameters, Mixpanel ``/track?data=`` base64, Segment's pixel API
``/v1/pixel/track?data=`` base64, a third-party tracking pixel. The proxy also logs what it
cannot show: HTTPS tunnels (``CONNECT``), POST bodies, a query stripped.
``python -m tests.inventory.log_samples`` rewrites the files.
"""

# ruff: noqa: E501  (log lines: one per line)

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote, urlencode

from tests.inventory.har_samples import EMAIL, IP, MP_TOKEN, NAME, SEGMENT_KEY, USER

DATA = Path(__file__).resolve().parent.parent / "data" / "inventory"
SQUID = DATA / "squid-access.log"
COMBINED = DATA / "combined-access.log"
PAGE = "https://shop.example.com/signup"
UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


def b64(doc: object) -> str:
    return base64.b64encode(json.dumps(doc).encode()).decode()


def mixpanel_track() -> str:
    event = {
        "event": "Sign up completed",
        "properties": {
            "token": MP_TOKEN,
            "distinct_id": USER,
            "$email": EMAIL,
            "$city": "Jakarta",
            "mp_lib": "web",
        },
    }
    return "https://api-js.mixpanel.com/track/?" + urlencode(
        {"data": b64(event), "ip": "1", "_": "1763626502120"}
    )


def segment_pixel() -> str:
    call = {
        "writeKey": SEGMENT_KEY,
        "userId": USER,
        "event": "Order Completed",
        "properties": {"email": EMAIL, "name": NAME},
    }
    return "https://api.segment.io/v1/pixel/track?data=" + quote(b64(call))


def ga4_collect() -> str:
    query = urlencode({"v": "2", "tid": "G-8K2Q4X7ZPL", "cid": "1843729581.1763626490", "en": "sign_up",
                       "dl": PAGE, "uid": USER, "ep.user_email": EMAIL, "_p": "1763626501934"})  # fmt: skip
    return "https://region1.google-analytics.com/g/collect?" + query


def pixel() -> str:
    return "https://px.tracker-net.example/px.gif?" + urlencode({"uid": EMAIL, "ev": "signup"})


def squid_log() -> str:
    t = 1763626502.120
    lines = [
        f"{t:.3f}     87 10.20.0.7 TCP_MISS/200 1043 GET {mixpanel_track()} - HIER_DIRECT/203.0.113.80 application/json",
        f"{t + 0.2:.3f}     41 10.20.0.7 TCP_MISS/204 312 GET {ga4_collect()} - HIER_DIRECT/203.0.113.81 text/plain",
        f"{t + 0.4:.3f}     63 10.20.0.7 TCP_MISS/200 43 GET {segment_pixel()} - HIER_DIRECT/203.0.113.82 image/gif",
        f"{t + 0.5:.3f}    212 10.20.0.7 TCP_TUNNEL/200 5120 CONNECT api2.amplitude.com:443 - HIER_DIRECT/203.0.113.83 -",
        f"{t + 0.6:.3f}     55 10.20.0.7 TCP_MISS/200 25 POST https://api-js.mixpanel.com/engage/ - HIER_DIRECT/203.0.113.80 application/json",
        f"{t + 0.7:.3f}     12 10.20.0.7 TCP_MISS/200 25 GET https://api-js.mixpanel.com/decide - HIER_DIRECT/203.0.113.80 application/json",
        f"{t + 0.9:.3f}    120 10.20.0.7 TCP_MISS/200 88211 GET https://cdn.mxpnl.com/libs/mixpanel-2-latest.min.js - HIER_DIRECT/203.0.113.84 application/javascript",
        f"{t + 1.1:.3f}      3 10.20.0.7 TCP_MEM_HIT/200 5120 GET https://shop.example.com/static/app.css - HIER_NONE/- text/css",
    ]
    return "\n".join(lines) + "\n"


def combined_log() -> str:
    when = "[20/Nov/2025:08:15:02 +0000]"
    lines = [
        f'10.20.0.7 - - {when} "GET {mixpanel_track()} HTTP/1.1" 200 1043 "{PAGE}" "{UA}"',
        f'10.20.0.7 - - {when} "GET {ga4_collect()} HTTP/1.1" 204 0 "{PAGE}" "{UA}"',
        f'10.20.0.7 - - {when} "GET {pixel()} HTTP/1.1" 200 43 "{PAGE}" "{UA}"',
        f'10.20.0.7 - - {when} "GET {segment_pixel()} HTTP/1.1" 200 43 "{PAGE}" "{UA}"',
        f'10.20.0.7 - - {when} "CONNECT api.segment.io:443 HTTP/1.1" 200 0 "-" "{UA}"',
        f'{IP} - - {when} "GET /signup?ref=newsletter HTTP/1.1" 200 5120 "-" "{UA}"',  # our own site: no host
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    SQUID.write_text(squid_log(), encoding="utf-8")
    COMBINED.write_text(combined_log(), encoding="utf-8")
