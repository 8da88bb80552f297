"""Proxy logs (Squid native, Common/Combined): the written samples' vendors, classes and pages;
what a log cannot show said as issues; hostile logs (huge lines, bad base64, binary, deep JSON)
reported with their line numbers, never a traceback."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.errors import InputError
from breachscope.inventory import get_vendor, vendor_document
from breachscope.inventory.decode import DecodeLimits
from breachscope.inventory.evidence import import_evidence, sniff_kind
from breachscope.inventory.observe import ServiceFlows, classify
from breachscope.inventory.proxylog import ProxyLogLimits, read_proxy_log, sniff
from breachscope.inventory.registry import OBSERVED
from tests.inventory import log_samples
from tests.inventory.har_samples import SAMPLE as HAR
from tests.inventory.log_samples import COMBINED, PAGE, SQUID

MP = "https://api-js.mixpanel.com/track/?data="
SQUID_LINE = "1763626502.120     87 10.20.0.7 TCP_MISS/200 43 GET {url} - HIER_DIRECT/203.0.113.80 image/gif"


def _flows(path: Path, limits: ProxyLogLimits | None = None) -> dict[str, ServiceFlows]:
    cap, _ = read_proxy_log(path, limits=limits)
    return {f.vendor: f for f in classify(cap)}


def test_the_checked_in_samples_are_current() -> None:
    assert SQUID.read_text() == log_samples.squid_log()
    assert COMBINED.read_text() == log_samples.combined_log()


@pytest.mark.parametrize(
    ("sample", "vendor", "cls", "field", "pages"),
    [
        (SQUID, "Mixpanel", "email", "properties.$email", []),  # base64 data= in the URL
        (SQUID, "Mixpanel", "coarse_location", "properties.$city", []),
        (SQUID, "Google Analytics 4", "email", "ep.user_email", []),  # /g/collect parameters
        (SQUID, "Google Analytics 4", "internal_id", "uid", []),
        (SQUID, "Segment", "email", "properties.email", []),  # pixel API, base64 data=
        (SQUID, "Segment", "person_name", "properties.name", []),
        (COMBINED, "Mixpanel", "email", "properties.$email", [PAGE]),  # the Referer is the page
        (COMBINED, "Google Analytics 4", "email", "ep.user_email", [PAGE]),
        (COMBINED, "Segment", "internal_id", "userId", [PAGE]),
        (COMBINED, "px.tracker-net.example", "email", "uid", [PAGE]),  # a pixel not in the table
    ],
)
def test_what_is_sent_to_whom(sample: Path, vendor: str, cls: str, field: str, pages: list[str]) -> None:
    f = _flows(sample)[vendor]
    assert field in f.classes()[cls]
    [ff] = [x for x in f.fields if x.field == field]
    assert ff.pages == pages


def test_keys_scripts_and_what_a_log_cannot_show() -> None:
    cap, read = read_proxy_log(SQUID)
    flows = {f.vendor: f for f in classify(cap)}
    assert flows["Mixpanel"].keys == {"properties.token": ["3f6e****************5a6b"]}  # masked
    assert flows["Segment"].keys == {"writeKey": ["kT9**********B8n"]}
    assert [s["url"] for s in flows["Mixpanel"].scripts] == [
        "https://cdn.mxpnl.com/libs/mixpanel-2-latest.min.js"
    ]
    assert "Amplitude" not in flows  # only a CONNECT tunnel: no payload, no flow
    assert cap.issue_counts == {"tunnelled": 1, "body_not_logged": 1, "no_query": 1}
    assert not cap.complete
    assert (read.lines, read.requests, read.tunnelled) == (8, 8, {"api2.amplitude.com": 1})
    assert all("rina" not in m for ms in cap.issues.values() for m in ms)  # issues name lines, not content


def test_a_web_servers_own_paths_name_no_service() -> None:
    _, read = read_proxy_log(COMBINED)
    assert (read.relative, read.tunnelled) == (1, {"api.segment.io": 1})


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        ("access.txt", SQUID.read_bytes(), "squid-log"),
        ("x.csv", COMBINED.read_bytes(), "access-log"),
        (
            "one.log",
            b'10.0.0.1 - - [20/Nov/2025:08:15:02 +0000] "GET /x HTTP/1.1" 200 5',
            "access-log",
        ),  # no newline
        ("capture.log", HAR.read_bytes()[:65536], None),
        ("bin.log", b"\x00\x01\x02" * 100, None),
        ("notes.log", b"hello\nworld\n", None),
    ],
)
def test_format_from_content(name: str, head: bytes, kind: str | None) -> None:
    assert sniff(head) == kind


def _write(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "hostile.log"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _deep(depth: int) -> object:
    doc: object = "rina.wijaya@mail.example"
    for _ in range(depth):
        doc = {"a": doc}
    return doc


def _line(url: str) -> bytes:
    return SQUID_LINE.format(url=url).encode()


HOSTILE: dict[str, tuple[list[bytes], dict[str, int]]] = {
    "huge line": (
        [
            _line(MP + "A" * 5000),
            _line(
                MP
                + base64.b64encode(
                    b'{"event":"x","properties":{"$email":"rina.wijaya@mail.example"}}'
                ).decode()
            ),
        ],
        {"line_budget": 1},
    ),
    "bad base64": (
        [
            _line(MP + "!!not*base64!!"),
            _line("https://region1.google-analytics.com/g/collect?en=x&ep.email=rina.wijaya%40mail.example"),
        ],
        {"bad_base64": 1},
    ),
    "binary": (
        [
            b"\x00\xff\xfe\x00 binary",
            _line("https://region1.google-analytics.com/g/collect?en=x&ep.email=rina.wijaya%40mail.example"),
        ],
        {"binary_line": 1},
    ),
    "garbage": (
        [
            _line("https://region1.google-analytics.com/g/collect?en=x&ep.email=rina.wijaya%40mail.example"),
            b"not a log line at all",
            "\u202e\u00e9\ufffd".encode(),
        ],
        {"bad_line": 2},
    ),
    "deep JSON": (
        [
            _line(MP + base64.b64encode(json.dumps(_deep(200)).encode()).decode()),
            _line("https://region1.google-analytics.com/g/collect?en=x&ep.email=rina.wijaya%40mail.example"),
        ],
        {"too_deep": 1},
    ),
    "bad URL": (
        [
            _line("http://[::1/track?x=1"),
            _line("https://region1.google-analytics.com/g/collect?en=x&ep.email=rina.wijaya%40mail.example"),
        ],
        {"bad_line": 1},
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_logs_are_reported_not_raised(tmp_path: Path, case: str) -> None:
    lines, issues = HOSTILE[case]
    limits = ProxyLogLimits(max_line_bytes=4096, decode=DecodeLimits(max_depth=32))
    cap, read = read_proxy_log(_write(tmp_path, lines), "squid-log", limits)
    got = {k: v for k, v in cap.issue_counts.items() if k in issues}
    assert got == issues, cap.issues
    assert not cap.complete and read.lines == len(lines)
    flows = {f.vendor: f for f in classify(cap)}
    assert any("email" in f.classes() for f in flows.values())  # the good line is still read


def test_line_count_budget(tmp_path: Path) -> None:
    ga = _line("https://region1.google-analytics.com/g/collect?en=x&ep.email=rina.wijaya%40mail.example")
    cap, read = read_proxy_log(_write(tmp_path, [ga] * 5), "squid-log", ProxyLogLimits(max_lines=3))
    assert cap.issue_counts == {"line_budget": 1} and read.requests == 3
    whole, _ = read_proxy_log(_write(tmp_path, [ga] * 5), "squid-log")
    assert cap.sha256 == whole.sha256  # the whole file is hashed all the same


def test_not_a_log(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(InputError, match="--format squid-log"):
        read_proxy_log(path)


def test_observed_kinds() -> None:
    assert {"squid-log", "access-log"} <= OBSERVED


def test_import_stores_observed_flows(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    plain = tmp_path / "proxy.txt"  # the format comes from the content, not the name
    plain.write_bytes(SQUID.read_bytes())
    assert sniff_kind(plain) == "squid-log"
    with session_scope(engine) as s:
        res = import_evidence(s, plain, author="a", clock=clock)
        assert res.kind == "squid-log" and not res.complete
        assert {v.vendor for v in res.vendors} == {"Mixpanel", "Google Analytics 4", "Segment"}
        doc = vendor_document(s, get_vendor(s, "mixpanel"))
    assert doc["classes_sent"]["email"] == ["properties.$email"]
    assert {f["source"] for f in doc["flows"]} == {"squid-log"}
    [ev] = doc["evidence"]
    assert ev["summary"]["log"]["tunnelled"] == {"api2.amplitude.com": 1}


CLI = Callable[..., tuple[int, str]]


def test_cli_evidence_of_a_log(run: CLI) -> None:
    run("case", "new", "x")
    code, out = run("vendors", "evidence", str(COMBINED), "--json", "-")
    doc = json.loads(out)["evidence"][0]
    assert code == 4  # a tunnel's payload could not be read: incomplete
    assert doc["kind"] == "access-log" and doc["issues"] == {"tunnelled": 1}
    assert {v["vendor"] for v in doc["vendors"]} >= {"Mixpanel", "Segment", "px.tracker-net.example"}
