"""Reading a proxy or web-server access log: the collection calls it shows, decoded like a HAR's.

Two formats, recognised from the content (never the file name):

- **Squid's native access.log** (``logformat squid``): ``time elapsed client code/status bytes
  method URL user hierarchy/peer type``, e.g. ``1733551200.123    87 10.0.0.7 TCP_MISS/200 43
  GET https://api-js.mixpanel.com/track/?data=eyJ... - HIER_DIRECT/203.0.113.5 image/gif``;
- the **Common and Combined Log Format** (Apache ``common``/``combined``, nginx ``combined``,
  Squid ``logformat common|combined``): ``host ident user [time] "METHOD URL PROTO" status
  bytes ["referer" "user-agent"]``. Only absolute URLs (a forward proxy's log) name a service;
  a web server's own paths (``GET /login``) are counted and skipped.

Each line becomes the same request a HAR entry is (:func:`breachscope.inventory.har.read_entry`):
the endpoint table (:mod:`.endpoints`, data) says which service a URL is, the query is decoded
(:mod:`.decode`: GA4 ``/g/collect`` parameters, Mixpanel's and Segment's base64 ``data=``,
pixels) and the scan's detectors run over every distinct value (:mod:`.observe`). The Combined
format's Referer is the page; Squid's native format has none (so no generic pixels are
recognised there: a pixel is a request to another site than the page's).

What a log cannot show is said, per line, as an issue (which marks the read incomplete): a
POST's body is never logged, Squid strips query strings unless ``strip_query_terms off``, and
HTTPS through a proxy is a ``CONNECT`` tunnel. The log is hostile input with the readers'
budgets (:class:`ProxyLogLimits`: line length, lines, and the payload decoder's depth, size and
layer budgets); a bad, binary or over-long line is an issue with its line number, never its
content (it can hold personal data), and never a traceback.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from breachscope.errors import InputError
from breachscope.inventory import endpoints
from breachscope.inventory.decode import DecodeLimits
from breachscope.inventory.har import Capture, HarLimits, read_entry
from breachscope.readers import Limits

#: Evidence kinds (``vendors evidence --format``) of the two formats.
SQUID = "squid-log"
ACCESS = "access-log"
FORMATS: tuple[str, ...] = (SQUID, ACCESS)

_SQUID = re.compile(
    r"(?P<time>\d{9,11}(?:\.\d{1,6})?)\s+(?P<elapsed>-?\d+)\s+(?P<client>\S+)\s+"
    r"(?P<code>[A-Za-z_]+|-)/(?P<status>\d{1,3}|-)\s+(?P<bytes>-?\d+|-)\s+(?P<method>[A-Za-z_-]+)\s+"
    r"(?P<url>\S+)\s+(?P<user>\S+)\s+(?P<hier>\S+)\s+(?P<type>\S+)"
)
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_CLF = re.compile(
    rf"(?P<host>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]{{1,64}})\] (?P<request>{_QUOTED}) "
    rf"(?P<status>\d{{3}}|-) (?P<bytes>\d+|-)(?: (?P<referer>{_QUOTED}) (?P<agent>{_QUOTED}))?"
)
_SNIFF_LINES = 20


@dataclass(frozen=True)
class ProxyLogLimits:
    """Budgets of one log; line length and payload budgets are the readers' (docs/readers.md)."""

    max_line_bytes: int = Limits().max_line_bytes
    max_lines: int = 10_000_000
    decode: DecodeLimits = field(default_factory=DecodeLimits)


def sniff(head: bytes) -> str | None:
    """``squid-log`` or ``access-log`` when most of the first lines of ``head`` are such lines."""
    if b"\x00" in head:
        return None
    pieces = head.split(b"\n")
    if len(head) >= 65536:
        pieces = pieces[:-1]  # the last line may be cut
    lines = [ln for ln in pieces if ln.strip() and not ln.startswith(b"#")][:_SNIFF_LINES]
    if not lines:
        return None
    text = [ln.decode("utf-8", "replace").strip() for ln in lines]
    for kind, pattern in ((SQUID, _SQUID), (ACCESS, _CLF)):
        hits = sum(1 for t in text if pattern.match(t))
        if hits and hits * 2 >= len(text):
            return kind
    return None


def _unquote(field_text: str | None) -> str:
    if not field_text or len(field_text) < 2:
        return ""
    return re.sub(r"\\(.)", r"\1", field_text[1:-1])


def _request(kind: str, text: str) -> dict[str, Any] | None:
    """The HAR-shaped request of one line, or None when it is not a line of ``kind``."""
    if kind == SQUID:
        m = _SQUID.match(text)
        if m is None:
            return None
        method, url, mime, size = m["method"], m["url"], m["type"], m["bytes"]
        referer = ""
    else:
        m = _CLF.match(text)
        if m is None:
            return None
        parts = _unquote(m["request"]).split()
        if len(parts) < 2:
            return {"method": parts[0] if parts else "", "url": ""}
        method, url, mime, size = parts[0], parts[1], "", m["bytes"]
        referer = _unquote(m["referer"])
    out: dict[str, Any] = {
        "method": method.upper(),
        "url": url,
        "mime": "" if mime == "-" else mime,
        "size": int(size) if size.isdigit() else None,
    }
    if referer and referer != "-":
        out["referer"] = referer
    return out


@dataclass
class LogRead:
    """What reading a log counted besides the capture (lines that name no service)."""

    lines: int = 0
    requests: int = 0  # lines read as requests
    relative: int = 0  # requests without a host (a web server's own paths): no service
    not_collection: int = 0  # requests that are no collection call (other hosts, SDK script loads)
    tunnelled: dict[str, int] = field(default_factory=dict)  # CONNECT host -> count


def _line(cap: Capture, read: LogRead, kind: str, n: int, raw: bytes, limits: HarLimits) -> None:
    if b"\x00" in raw:
        cap.issue("binary_line", f"line {n}: binary content: not read")
        return
    text = raw.decode("utf-8", "replace").strip()
    if not text or text.startswith("#"):
        return
    req = _request(kind, text)
    if req is None or not req["url"]:
        name = "a Squid access.log" if kind == SQUID else "a Common/Combined Log Format"
        cap.issue("bad_line", f"line {n}: not {name} line: not read")
        return
    read.requests += 1
    method, url = req["method"], req["url"]
    if method == "CONNECT" or "://" not in url:
        host = url.rsplit(":", 1)[0].lower() if method == "CONNECT" else ""
        if host and endpoints.collects_on(host):
            read.tunnelled[host] = read.tunnelled.get(host, 0) + 1
            cap.issue(
                "tunnelled",
                f"line {n}: HTTPS to {host} through a CONNECT tunnel: what it carried is not in the log",
            )
        elif method != "CONNECT":
            read.relative += 1
        else:
            read.not_collection += 1
        return
    try:
        parts = urlsplit(url)
    except ValueError:
        cap.issue("bad_line", f"line {n}: a URL that cannot be parsed: not read")
        return
    entry: dict[str, Any] = {
        "request": {
            "method": method,
            "url": url,
            "headers": [{"name": "Referer", "value": req["referer"]}] if "referer" in req else [],
        },
        "response": {"content": {"mimeType": req["mime"], "size": req["size"]}},
    }
    if read_entry(cap, entry, {}, endpoints.services(), limits, f"line {n}") != "request":
        read.not_collection += 1  # no collection call (an SDK script load is recorded, though)
        return
    service = (parts.hostname or "").lower()
    if method not in ("GET", "HEAD"):
        cap.issue(
            "body_not_logged",
            f"line {n}: {method} to {service}: a request body is never in an access log, "
            "only its URL was read",
        )
    elif not parts.query:
        cap.issue(
            "no_query",
            f"line {n}: GET to {service} logged without a query (Squid strips query terms unless "
            "strip_query_terms off): what it carried is not in the log",
        )


def _skip_rest(fh: BinaryIO, h: Any) -> None:
    """Read (and hash) the rest of an over-long line without keeping it."""
    while True:
        more = fh.readline(1 << 20)
        h.update(more)
        if not more or more.endswith(b"\n"):
            return


def read_proxy_log(
    path: Path, kind: str | None = None, limits: ProxyLogLimits | None = None
) -> tuple[Capture, LogRead]:
    """Read a Squid or Common/Combined access log into a :class:`~.har.Capture` (streamed;
    issues recorded, never raised for bad content) and the counts of lines that name no service."""
    limits = limits or ProxyLogLimits()
    har_limits = HarLimits(max_entries=limits.max_lines, decode=limits.decode)
    try:
        if not path.is_file():
            raise InputError(f"{path}: not a regular file")
        size = path.stat().st_size
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with fh:
        head = fh.read(65536)
        kind = kind or sniff(head)
        if kind not in FORMATS:
            raise InputError(
                f"{path}: not a Squid access.log or a Common/Combined Log Format file",
                "force the format with --format squid-log or --format access-log",
            )
        fh.seek(0)
        h = hashlib.sha256()
        cap = Capture(name=path.name, sha256="", size_bytes=size)
        read = LogRead()
        while True:
            try:
                raw = fh.readline(limits.max_line_bytes + 1)
            except OSError as exc:
                cap.issue(
                    "read_error", f"line {read.lines + 1}: {exc.strerror or exc}: the rest was not read"
                )
                break
            if not raw:
                break
            h.update(raw)
            read.lines += 1
            if len(raw) > limits.max_line_bytes and not raw.endswith(b"\n"):
                _skip_rest(fh, h)
                cap.issue("line_budget", f"line {read.lines}: over {limits.max_line_bytes:,} bytes: not read")
                continue
            if read.lines > limits.max_lines:
                cap.issue("line_budget", f"more than {limits.max_lines:,} lines: the rest was not read")
                while block := fh.read(1 << 20):
                    h.update(block)
                break
            _line(cap, read, kind, read.lines, raw, har_limits)
    cap.sha256 = h.hexdigest()
    cap.entries = read.lines
    cap.entries_read = read.requests
    return cap, read
