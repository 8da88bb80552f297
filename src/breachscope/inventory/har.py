"""Reading a HAR capture: which requests went to which collection service, and what they carried.

A HAR file (HTTP Archive 1.2, exported by a browser's developer tools or a proxy) is one JSON
document: ``log.pages`` and ``log.entries`` (each with ``request.url``, ``request.postData``,
``response.content``). For every entry:

- a request to a known collection endpoint (:mod:`.endpoints`) or a generic third-party pixel
  is decoded (:mod:`.decode`) and its (field, value) pairs are kept per service, each distinct
  value once with the pages that sent it;
- a script loaded from a known SDK host is recorded with the page that loaded it (where to
  remove it when offboarding), with the key in its URL if the service puts one there;
- cookies sent with a collection request are fields too (``cookie.NAME``, decoded like any
  value: a vendor's own cookie often holds the person's id);
- payload fields that hold a project key or token are kept apart (masked on output:
  :mod:`.observe` never lets a whole key out of this process).

The page of an entry is its HAR page's title when that is a URL, else the ``Referer`` or
``Origin`` header; pages are stored as ``scheme://host/path`` (the query can hold personal data).

The capture is hostile input, with the readers' budgets (:class:`HarLimits`): file size, entry
count, body size, inflation, depth, fields. A budget that is hit, a bad entry, bad base64 or
gzip becomes an issue (kind, count, first examples) and marks the read incomplete; the rest of
the capture is still read. Nothing here raises on a bad capture except a file that cannot be
used at all (:class:`~breachscope.errors.InputError`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from breachscope.errors import InputError
from breachscope.inventory import endpoints
from breachscope.inventory.decode import DecodeLimits, decode_request

MAX_EXAMPLES = 5  # example messages kept per issue kind
MAX_PAGES_STORED = 50  # pages kept per field


@dataclass(frozen=True)
class HarLimits:
    max_file_bytes: int = 512 << 20  # the whole capture is parsed in memory
    max_entries: int = 1_000_000
    decode: DecodeLimits = field(default_factory=DecodeLimits)


@dataclass
class FieldSeen:
    """One field sent to one service: each distinct value with the pages that sent it."""

    values: dict[str, set[int]] = field(default_factory=dict)  # value -> page indexes
    count: int = 0  # values seen, repeats included


@dataclass
class ServiceSeen:
    service: str
    vendor: str
    requests: int = 0
    messages: int = 0
    fields: dict[str, FieldSeen] = field(default_factory=dict)
    keys: dict[str, set[str]] = field(default_factory=dict)  # field -> keys (masked on output)
    pages: set[int] = field(default_factory=set)
    scripts: dict[str, set[int]] = field(default_factory=dict)  # script URL (no query) -> pages
    hosts: set[str] = field(default_factory=set)


@dataclass
class Capture:
    """What a HAR capture showed, per service, before detection."""

    name: str
    sha256: str
    size_bytes: int
    entries: int = 0
    entries_read: int = 0
    pages: list[str] = field(default_factory=list)
    services: dict[str, ServiceSeen] = field(default_factory=dict)
    issues: dict[str, list[str]] = field(default_factory=dict)  # kind -> first examples
    issue_counts: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.issue_counts

    def issue(self, kind: str, message: str) -> None:
        self.issue_counts[kind] = self.issue_counts.get(kind, 0) + 1
        examples = self.issues.setdefault(kind, [])
        if len(examples) < MAX_EXAMPLES:
            examples.append(message[:300])

    def page_index(self, page: str) -> int:
        try:
            return self._index[page]
        except AttributeError:
            self._index: dict[str, int] = {p: i for i, p in enumerate(self.pages)}
        except KeyError:
            pass
        if page not in self._index:
            self._index[page] = len(self.pages)
            self.pages.append(page)
        return self._index[page]


#: A path segment that can name a person (an email, a long number, a UUID or hex/base64 id).
_PERSONAL_SEGMENT = re.compile(
    r"@|%40|^\d{6,}$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    r"|^[0-9a-fA-F]{16,}$|^[A-Za-z0-9_-]{24,}$"
)


def _path(path: str) -> str:
    """The path with segments that can name a person replaced by ``:id`` (``/u/1234567`` ->
    ``/u/:id``): a page is stored to say *where* data is sent from, never *whose*."""
    return (
        "/".join(":id" if _PERSONAL_SEGMENT.search(seg) else seg for seg in (path or "/").split("/")) or "/"
    )


@lru_cache(maxsize=65536)
def page_of(url: str) -> str | None:
    """``scheme://host/path`` of a page URL (no query, no fragment, no credentials, personal
    path segments replaced by ``:id``), or None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    port = f":{parts.port}" if _port(parts) else ""
    return f"{parts.scheme}://{parts.hostname}{port}{_path(parts.path)}"


@lru_cache(maxsize=65536)
def _host_of(page: str) -> str | None:
    return urlsplit(page).hostname


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


def _headers(obj: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(obj, list):
        for h in obj:
            if isinstance(h, dict) and isinstance(h.get("name"), str) and isinstance(h.get("value"), str):
                out[h["name"].lower()] = h["value"]
    return out


def _body(post: Any, cap: Capture, where: str, max_bytes: int) -> tuple[bytes | None, str]:
    """The request body as bytes and its MIME type (HAR ``postData``); a body over ``max_bytes``
    is reported and not copied or decoded at all."""
    if not isinstance(post, dict):
        return None, ""
    mime_raw = post.get("mimeType")
    mime: str = mime_raw if isinstance(mime_raw, str) else ""
    text = post.get("text")
    if isinstance(text, str) and len(text) > max_bytes * 4 // 3 + 4:
        cap.issue(
            "body_budget",
            f"{where}: a request body of {len(text):,} characters is over {max_bytes:,} bytes: not decoded",
        )
        return None, mime
    if isinstance(text, str) and text:
        if str(post.get("encoding") or post.get("_encoding") or "").lower() == "base64":
            try:
                return base64.b64decode("".join(text.split()), validate=True), mime
            except (binascii.Error, ValueError):
                cap.issue("bad_base64", f"{where}: postData.text is marked base64 but does not decode")
                return None, mime
        if text[:2] == "\x1f\x8b":  # binary (gzip) bodies are exported as Latin-1 text
            try:
                return text.encode("latin-1"), mime
            except UnicodeEncodeError:
                pass
        return text.encode("utf-8", "surrogatepass"), mime
    params = post.get("params")
    if isinstance(params, list):
        pairs = [
            f"{p['name']}={p.get('value') or ''}"
            for p in params
            if isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("value", ""), str)
        ]
        return "&".join(pairs).encode("utf-8", "replace"), mime or "application/x-www-form-urlencoded"
    return None, mime


def _cookies(obj: Any) -> list[tuple[str, str]]:
    """Cookies sent with a request, as ``cookie.NAME`` parameters (a vendor's own cookie often
    holds its user id, e.g. Mixpanel's ``mp_<token>_mixpanel`` JSON with the distinct id)."""
    if not isinstance(obj, list):
        return []
    return [
        (f"cookie.{c['name']}", unquote(c["value"]))
        for c in obj
        if isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("value"), str)
    ]


def _entry_page(entry: dict[str, Any], pages: dict[str, str], headers: dict[str, str]) -> str | None:
    ref = entry.get("pageref")
    if isinstance(ref, str) and ref in pages:
        page = page_of(pages[ref])
        if page:
            return page
    for h in ("referer", "origin"):
        if h in headers:
            page = page_of(headers[h])
            if page:
                return page
    return None


def _record_keys(
    seen: ServiceSeen, pairs: Iterable[tuple[str, str]], keys: frozenset[str]
) -> list[tuple[str, str]]:
    """Key/token fields go to ``seen.keys`` (masked); the other pairs are returned."""
    rest = []
    for path, value in pairs:
        if path in keys or path.rsplit(".", 1)[-1] in keys:
            seen.keys.setdefault(path, set()).add(value)
        else:
            rest.append((path, value))
    return rest


def _service(cap: Capture, sid: str, vendor: str) -> ServiceSeen:
    key = sid if sid != endpoints.GENERIC else f"{sid}:{vendor}"
    if key not in cap.services:
        cap.services[key] = ServiceSeen(service=sid, vendor=vendor)
    return cap.services[key]


def read_entries(cap: Capture, doc: Any, limits: HarLimits) -> None:
    """Walk ``log.entries`` of a parsed HAR document into ``cap``."""
    log = doc.get("log") if isinstance(doc, dict) else None
    if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
        raise InputError(
            f"{cap.name}: not a HAR file (no log.entries)",
            "export it from the browser: Network > Save all as HAR",
        )
    raw_pages = log.get("pages")
    if raw_pages is not None and not isinstance(raw_pages, list):
        cap.issue("bad_pages", "log.pages is not a list: pages taken from Referer headers")
        raw_pages = []
    pages = {
        p["id"]: p.get("title") or ""
        for p in raw_pages or []
        if isinstance(p, dict) and isinstance(p.get("id"), str) and isinstance(p.get("title", ""), str)
    }
    entries = log["entries"]
    cap.entries = len(entries)
    if len(entries) > limits.max_entries:
        cap.issue(
            "entry_budget", f"{len(entries):,} entries; only the first {limits.max_entries:,} were read"
        )
        entries = entries[: limits.max_entries]
    services = endpoints.services()
    for i, entry in enumerate(entries, 1):
        where = f"entry {i}"
        try:
            read_entry(cap, entry, pages, services, limits, where)
        except (TypeError, AttributeError, ValueError, KeyError) as exc:  # a malformed entry: reported, next
            cap.issue("bad_entry", f"{where}: {type(exc).__name__}: {exc}")


def read_entry(
    cap: Capture,
    entry: Any,
    pages: dict[str, str],
    services: dict[str, endpoints.Service],
    limits: HarLimits,
    where: str,
) -> str | None:
    """One HAR entry (or a proxy log's line shaped like one, :mod:`.proxylog`) into ``cap``:
    ``"request"`` for a collection call, ``"script"`` for an SDK load, else None."""
    if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
        cap.issue("bad_entry", f"{where}: no request")
        return None
    req = entry["request"]
    raw_url = req.get("url")
    if not isinstance(raw_url, str):
        cap.issue("bad_entry", f"{where}: no request URL")
        return None
    try:
        url = urlsplit(raw_url)
    except ValueError as exc:
        cap.issue("bad_entry", f"{where}: bad URL: {exc}")
        return None
    cap.entries_read += 1
    headers = _headers(req.get("headers"))
    page = _entry_page(entry, pages, headers)
    page_host = _host_of(page) if page else None
    script = endpoints.script(url)
    if script is not None:
        sid, key = script
        seen = _service(cap, sid, services[sid].vendor)
        src = page_of(raw_url) or raw_url[:200]
        seen.scripts.setdefault(src, set()).update([cap.page_index(page)] if page else [])
        if key:
            seen.keys.setdefault("script URL", set()).add(key)
        return "script"
    resp_raw = entry.get("response")
    resp: dict[str, Any] = resp_raw if isinstance(resp_raw, dict) else {}
    content_raw = resp.get("content")
    content: dict[str, Any] = content_raw if isinstance(content_raw, dict) else {}
    size = content.get("size")
    hit = endpoints.match(
        url,
        page_host=page_host,
        response_mime=str(content.get("mimeType") or ""),
        response_bytes=size if isinstance(size, int) else None,
    )
    if hit is None:
        return None
    sid, vendor = hit
    seen = _service(cap, sid, vendor)
    seen.requests += 1
    seen.hosts.add((url.hostname or "").lower())
    page_i = cap.page_index(page) if page else None
    if page_i is not None:
        seen.pages.add(page_i)
    body, mime = _body(req.get("postData"), cap, where, limits.decode.max_body_bytes)
    params = parse_qsl(url.query, keep_blank_values=False) + _cookies(req.get("cookies"))
    decoded = decode_request(params, body, mime, limits.decode)
    for kind, message in decoded.issues:
        cap.issue(kind, f"{where} ({vendor}): {message}")
    key_fields = services[sid].keys if sid in services else frozenset()
    transport = services[sid].transport if sid in services else frozenset()
    for pairs in decoded.messages:
        if not pairs:
            continue
        seen.messages += 1
        for path, value in _record_keys(seen, pairs, key_fields):
            if path in transport:
                continue
            f = seen.fields.get(path)
            if f is None:
                f = seen.fields[path] = FieldSeen()
            f.count += 1
            pages_of_value = f.values.get(value)
            if pages_of_value is None:
                pages_of_value = f.values[value] = set()
            if page_i is not None:
                pages_of_value.add(page_i)
    return "request"


def read_har(path: Path, limits: HarLimits | None = None) -> Capture:
    """Read a HAR file into a :class:`Capture` (issues recorded, never raised for bad content)."""
    limits = limits or HarLimits()
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError(f"{path}: not a regular file")
        if size > limits.max_file_bytes:
            raise InputError(
                f"{path}: {size:,} bytes is over the HAR budget of {limits.max_file_bytes:,}",
                "export a shorter session (one page flow per file)",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    cap = Capture(name=path.name, sha256=hashlib.sha256(data).hexdigest(), size_bytes=size)
    try:
        doc = json.loads(data.decode("utf-8-sig", "replace"))
    except RecursionError:
        raise InputError(f"{path}: nested too deeply to be a HAR file") from None
    except ValueError as exc:
        raise InputError(f"{path}: not JSON: {exc}", "a HAR file is the JSON a browser exports") from None
    del data
    read_entries(cap, doc, limits)
    return cap
