"""Decoding one collection request's payload into (field path, value) pairs, under budgets.

Analytics SDKs send the same data in many wrappings; one generic decoder handles them all, so
a service in ``endpoints.yaml`` needs no code:

- the query string and a form-encoded body (``data=...&ip=1``; Intercom's ``user_data=`` JSON);
- JSON bodies (Segment, Amplitude HTTP v2, PostHog, GA4 Measurement Protocol, Heap);
- base64 (Mixpanel's ``data=``, PostHog's ``data=``), URL-safe or standard, padded or not;
- gzip (PostHog ``compression=gzip-js``; any body or base64 value starting with the gzip magic);
- batches: a JSON array, or an object with ``batch`` / ``events`` / ``data`` arrays, are split
  into one message per element (the envelope's own fields are one more message);
- GA4's ``/g/collect`` body: one event per line, each line a query string.

Field paths join keys with ``.`` and mark list elements with ``[]`` (``properties.$email``,
``traits.address.city``, ``items[].item_name``). A JSON string inside a value (Intercom's
``user_data``) is decoded in place, up to :attr:`DecodeLimits.max_layers` wrappings deep.

Payloads are hostile: every budget that is hit becomes an issue (kind + message) and decoding
goes on with the rest; nothing here raises on bad input.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from breachscope.readers import Limits

_READER = Limits()
_GZIP = b"\x1f\x8b"
_B64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")
#: Parameters whose value is the payload itself (its batch is split; its paths start inside it).
PAYLOAD_PARAMS = frozenset({"data", "e", "batch", "events", "event"})
#: Parameters that are always base64 (a value that does not decode is a reported issue).
BASE64_PARAMS = frozenset({"data"})
_BATCH_KEYS = ("batch", "events", "data")


@dataclass(frozen=True)
class DecodeLimits:
    """Budgets for one request; the defaults are the readers' (docs/readers.md, "Budgets")."""

    max_body_bytes: int = _READER.max_line_bytes  # one request body as captured
    max_inflated_bytes: int = _READER.max_line_bytes  # one gzip/deflate body after inflating
    max_ratio: float = _READER.max_ratio  # inflated / compressed, past 1 MiB of output
    max_depth: int = _READER.max_depth  # nesting of one JSON payload
    max_fields: int = _READER.max_columns  # (path, value) pairs of one message
    max_messages: int = 100_000  # messages (batch elements) of one request
    max_layers: int = 4  # wrappings (JSON in base64 in a form field ...) decoded inside each other


@dataclass
class Decoded:
    """What one request carried: messages of (path, value) pairs, and the issues met."""

    messages: list[list[tuple[str, str]]] = field(default_factory=list)
    issues: list[tuple[str, str]] = field(default_factory=list)

    def issue(self, kind: str, message: str) -> None:
        self.issues.append((kind, message))


def inflate(data: bytes, limits: DecodeLimits, out: Decoded) -> bytes | None:
    """A gzip (or zlib) body inflated within the budgets; ``None`` (and an issue) if it cannot be."""
    d = zlib.decompressobj(47)  # 32 + 15: gzip or zlib header, detected
    cap = min(limits.max_inflated_bytes, max(1 << 20, int(len(data) * limits.max_ratio)))
    try:
        chunk = d.decompress(data, cap + 1)
    except zlib.error as exc:
        out.issue("bad_gzip", f"a gzip body does not inflate: {exc}")
        return None
    if len(chunk) > cap:
        out.issue(
            "inflate_budget",
            f"a gzip body inflates past {cap:,} bytes ({len(data):,} compressed): not decoded",
        )
        return None
    return chunk


def _b64(text: str) -> bytes | None:
    t = text.strip()
    if len(t) < 4 or not _B64.match(t):
        return None
    t = t.replace("-", "+").replace("_", "/")
    t += "=" * (-len(t) % 4)
    try:
        return base64.b64decode(t, validate=True)
    except (binascii.Error, ValueError):
        return None


def _scalar(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


class _Walker:
    def __init__(self, limits: DecodeLimits, out: Decoded) -> None:
        self.limits = limits
        self.out = out

    def message(self, pairs: list[tuple[str, str]]) -> None:
        if not pairs:
            return
        if len(self.out.messages) >= self.limits.max_messages:
            if len(self.out.messages) == self.limits.max_messages:
                self.out.issue(
                    "too_many_messages", f"more than {self.limits.max_messages:,} messages in one request"
                )
                self.out.messages.append([])  # marker: reported once
            return
        self.out.messages.append(pairs)

    def flatten(self, obj: object, prefix: str, layer: int) -> list[tuple[str, str]]:
        """(path, value) pairs of ``obj``, iteratively (no recursion on hostile depth)."""
        pairs: list[tuple[str, str]] = []
        stack: list[tuple[object, str, int]] = [(obj, prefix, 0)]
        while stack:
            item, path, depth = stack.pop()
            if depth > self.limits.max_depth:
                self.out.issue(
                    "too_deep",
                    f"{path or 'payload'}: nested deeper than {self.limits.max_depth} levels: skipped",
                )
                continue
            if isinstance(item, dict):
                for k, v in reversed(list(item.items())):
                    stack.append((v, f"{path}.{k}" if path else str(k), depth + 1))
            elif isinstance(item, list):
                for v in reversed(item):
                    stack.append((v, f"{path}[]", depth + 1))
            else:
                text = _scalar(item)
                if text is None or text == "":
                    continue
                if len(pairs) >= self.limits.max_fields:
                    self.out.issue(
                        "too_many_fields", f"more than {self.limits.max_fields:,} fields in one message"
                    )
                    break
                nested = self.nested(text, path, layer)
                if nested is not None:
                    pairs.extend(nested)
                else:
                    pairs.append((path, text))
        return pairs

    def nested(self, text: str, path: str, layer: int) -> list[tuple[str, str]] | None:
        """A JSON object/array written as a string inside a value, flattened under ``path``."""
        t = text.lstrip()
        if layer >= self.limits.max_layers or not t or t[0] not in "{[":
            return None
        try:
            obj = json.loads(t)
        except (ValueError, RecursionError):
            return None
        if not isinstance(obj, dict | list):
            return None
        return self.flatten(obj, path, layer + 1)

    def payload(self, obj: object, layer: int) -> None:
        """A decoded payload: split a batch into messages, else one message."""
        if isinstance(obj, list):
            for element in obj:
                self.message(self.flatten(element, "", layer))
            return
        if isinstance(obj, dict):
            for key in _BATCH_KEYS:
                inner = obj.get(key)
                if isinstance(inner, list) and inner and all(isinstance(e, dict) for e in inner):
                    envelope = {k: v for k, v in obj.items() if k != key}
                    self.message(self.flatten(envelope, "", layer))
                    for element in inner:
                        self.message(self.flatten(element, "", layer))
                    return
        self.message(self.flatten(obj, "", layer))

    def text_payload(self, raw: bytes, mime: str, layer: int, *, must_decode: bool = False) -> bool:
        """Decode a body (or a payload parameter's value); True if it was understood."""
        if raw[:2] == _GZIP:
            inflated = inflate(raw, self.limits, self.out)
            if inflated is None:
                return True  # reported
            raw = inflated
        text = raw.decode("utf-8", "replace")
        stripped = text.strip()
        if not stripped:
            return True
        if stripped[0] in "{[":
            try:
                obj = json.loads(stripped)
            except RecursionError:
                self.out.issue("too_deep", "a JSON payload nests deeper than the parser allows: skipped")
                return True
            except ValueError:
                obj = None
            if obj is not None:
                self.payload(obj, layer)
                return True
        if layer < self.limits.max_layers:
            decoded = _b64(stripped)
            if decoded is not None and (decoded[:2] == _GZIP or decoded.lstrip()[:1] in (b"{", b"[")):
                return self.text_payload(decoded, "", layer + 1)
        if must_decode:
            self.out.issue("bad_base64", "a base64 payload does not decode to JSON: kept as one value")
            return False
        if "=" in stripped and ("form" in mime or "text/plain" in mime or not mime or "&" in stripped):
            lines = stripped.splitlines()
            for line in lines:  # GA4 /g/collect: one event per line
                self.params(parse_qsl(line, keep_blank_values=False), layer)
            return True
        return False

    def params(self, pairs: list[tuple[str, str]], layer: int) -> None:
        """Query or form parameters: payload parameters are decoded as bodies, the rest are fields."""
        plain: list[tuple[str, str]] = []
        for name, value in pairs:
            if name in PAYLOAD_PARAMS and value.strip():
                ok = self.text_payload(
                    value.encode("utf-8", "replace"), "", layer + 1, must_decode=name in BASE64_PARAMS
                )
                if ok:
                    continue
            if not value:
                continue
            nested = self.nested(value, name, layer)
            plain.extend(nested if nested is not None else [(name, value)])
            if len(plain) > self.limits.max_fields:
                self.out.issue(
                    "too_many_fields", f"more than {self.limits.max_fields:,} parameters in one request"
                )
                plain = plain[: self.limits.max_fields]
                break
        self.message(plain)


def decode_request(
    query: list[tuple[str, str]], body: bytes | None, mime: str, limits: DecodeLimits | None = None
) -> Decoded:
    """Every message one request carried (query string and body), with the issues met."""
    limits = limits or DecodeLimits()
    out = Decoded()
    walker = _Walker(limits, out)
    try:
        walker.params(query, 0)
        if body:
            if len(body) > limits.max_body_bytes:
                out.issue(
                    "body_budget",
                    f"a request body of {len(body):,} bytes is over {limits.max_body_bytes:,}: not decoded",
                )
            elif not walker.text_payload(body, mime.lower(), 0):
                text = body.decode("utf-8", "replace").strip()
                walker.message([("body", text)] if text else [])
    except MemoryError:  # a payload this process cannot hold: reported, the capture goes on
        out.issue("memory", "a request payload could not be held in memory: skipped")
    return out


def iter_pairs(decoded: Decoded) -> Iterator[tuple[str, str]]:
    for message in decoded.messages:
        yield from message
