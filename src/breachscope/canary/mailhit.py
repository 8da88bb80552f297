"""What a mail to a canary address says about its sender: envelope, headers, DKIM, links; all inert.

The mail is hostile input (its author holds leaked data). It is parsed with the standard
library's ``compat32`` policy (raw header strings: nothing raises on access), walked iteratively
with budgets (parts, nesting, decoded bytes, links), and every string kept is made inert:
:func:`breachscope.inert.terminal_text` (one line, no control or bidi characters, bounded) and
links defanged with :func:`breachscope.inert.defang_links` (``http[:]//evil[.]com``) so no
viewer turns them into links. A problem is noted in ``issues``, never raised.

Canary addresses are never stored: any address at a catch-all domain in a kept string (a
``Received: ... for <addr>`` clause, a tracking link) is replaced by ``[canary address]``; the
hit itself names the canary by batch and number.

DKIM is verified with dkimpy against the configured resolver (``dnsfunc``); a key that cannot
be fetched is ``temperror`` (not verifiable), never ``fail``. SPF needs the SMTP client's IP,
HELO and MAIL FROM, which only the listener knows: it is evaluated there
(:mod:`breachscope.canary.spfcheck`); earlier hops' ``Received-SPF`` / ``Authentication-Results``
headers are kept as they are.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable
from email.header import decode_header, make_header
from email.message import Message
from html.parser import HTMLParser
from typing import Any

from breachscope.inert import defang_links, terminal_text

MAX_PARTS = 100
MAX_DEPTH = 20
MAX_DECODED = 1 << 20  # bytes of one part's decoded body looked at for links
MAX_LINKS = 50
MAX_HEADER_CHARS = 300
_URL = re.compile(r"(?i)\b(?:https?|ftp)://[^\s<>\"'`]{1,2000}")
DnsFunc = Callable[..., bytes | str | None]


def _header_text(raw: object) -> str:
    """A header value decoded (RFC 2047, best effort) and made one inert, bounded line."""
    text = str(raw)
    try:
        text = str(make_header(decode_header(text)))
    except Exception:  # hostile encoded-words: keep the raw text (it is made inert below)
        pass
    return terminal_text(text, MAX_HEADER_CHARS)


class _Links(HTMLParser):
    """``<a href>`` targets and their visible text (the target is what a click opens)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag.lower() == "a":
            self._href = next((v for k, v in attrs if k.lower() == "href" and v), None)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None and len(self._text) < 20:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag.lower() == "a" and self._href is not None:
            if len(self.links) < MAX_LINKS:
                self.links.append((self._href, "".join(self._text)))
            self._href = None


class MailFacts:
    """The facts kept about one canary mail (see module doc); :meth:`to_dict` is what is stored."""

    def __init__(self, mask: Callable[[str], str]) -> None:
        self.mask = mask
        self.headers: dict[str, str] = {}
        self.received: list[str] = []
        self.auth_results: list[str] = []
        self.links: list[dict[str, str]] = []
        self.issues: list[str] = []
        self.dkim: dict[str, str] = {"result": "none"}
        self.parts = 0

    def keep(self, text: str) -> str:
        return self.mask(text)

    def add_link(self, url: str, text: str = "") -> None:
        if len(self.links) >= MAX_LINKS:
            return
        shown = defang_links(self.keep(terminal_text(url, 300)))
        if any(link["url"] == shown for link in self.links):
            return
        host = re.sub(r"(?i)^[a-z][a-z0-9+.-]*://", "", url).split("/", 1)[0].split("?", 1)[0]
        host = host.rsplit("@", 1)[-1].split(":", 1)[0].lower()
        item = {"url": shown, "host": defang_links(terminal_text(host, 253))}
        if text.strip():
            item["text"] = defang_links(self.keep(terminal_text(text.strip(), 120)))
        self.links.append(item)

    def to_dict(self) -> dict[str, Any]:
        return {
            "headers": self.headers,
            "received": self.received,
            "authentication_results": self.auth_results,
            "dkim": self.dkim,
            "links": self.links,
            "parts": self.parts,
            "issues": self.issues,
        }


def _walk(msg: Message, facts: MailFacts) -> list[Message]:
    """The leaf parts, iteratively, within :data:`MAX_PARTS` and :data:`MAX_DEPTH`."""
    leaves: list[Message] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        facts.parts += 1
        if facts.parts > MAX_PARTS:
            facts.issues.append(f"more than {MAX_PARTS} MIME parts: the rest were not looked at")
            break
        if part.is_multipart():
            if depth >= MAX_DEPTH:
                facts.issues.append(f"MIME nesting deeper than {MAX_DEPTH}: inner parts not looked at")
                continue
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
            continue
        leaves.append(part)
    return leaves


def _links_of(part: Message, facts: MailFacts) -> None:
    ctype = part.get_content_type()
    if ctype not in ("text/plain", "text/html"):
        return
    try:
        raw = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: noted, the rest goes on
        facts.issues.append(f"undecodable {ctype} part")
        return
    if not isinstance(raw, bytes):
        return
    if len(raw) > MAX_DECODED:
        facts.issues.append(f"a {ctype} part over {MAX_DECODED:,} bytes: only its start was looked at")
        raw = raw[:MAX_DECODED]
    charset = part.get_content_charset() or "utf-8"
    try:
        text = raw.decode(charset, "replace")
    except LookupError:
        text = raw.decode("utf-8", "replace")
    if ctype == "text/html":
        parser = _Links()
        try:
            parser.feed(text)
        except Exception:  # HTMLParser on hostile markup: keep what was found
            facts.issues.append("malformed HTML part")
        for href, label in parser.links:
            facts.add_link(href, label)
    for m in _URL.finditer(text):
        facts.add_link(m.group(0))


def verify_dkim(data: bytes, dnsfunc: DnsFunc | None) -> dict[str, str]:
    """pass | fail | temperror (key not retrievable) | none (unsigned) | not checked (no resolver)."""
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    m = re.search(rb"(?im)^dkim-signature:(.*(?:\r?\n[ \t].*)*)", head)
    if m is None:
        return {"result": "none"}
    sig = re.sub(rb"\s+", b"", m.group(1)).decode("ascii", "replace")
    tags = dict(t.split("=", 1) for t in sig.split(";") if "=" in t)
    out = {"domain": terminal_text(tags.get("d", ""), 253), "selector": terminal_text(tags.get("s", ""), 63)}
    if dnsfunc is None:
        return {"result": "not checked", **out}
    import dkim

    fetched: list[bool] = []

    def lookup(name: bytes, timeout: int = 5) -> bytes | str | None:
        value = dnsfunc(name, timeout=timeout)
        fetched.append(bool(value))
        return value

    try:
        ok = dkim.verify(data, dnsfunc=lookup)
    except Exception as exc:  # dkimpy raises on some malformed signatures: that is a failure
        return {"result": "fail", "reason": terminal_text(exc, 200), **out}
    if ok:
        return {"result": "pass", **out}
    if not any(fetched):
        return {"result": "temperror", "reason": "the signing key could not be fetched", **out}
    return {"result": "fail", **out}


def analyse(data: bytes, *, mask: Callable[[str], str], dnsfunc: DnsFunc | None = None) -> MailFacts:
    """The facts of one message; never raises on a hostile message."""
    facts = MailFacts(mask)
    try:
        msg = email.message_from_bytes(data, policy=email.policy.compat32)
    except Exception as exc:  # the stdlib parser is lenient; this is a last resort
        facts.issues.append(f"unparseable message: {terminal_text(exc, 200)}")
        return facts
    for name in ("From", "Sender", "Reply-To", "Return-Path", "Subject", "Date", "Message-ID"):
        value = msg.get(name)
        if value is not None:
            facts.headers[name.lower()] = facts.keep(_header_text(value))
    facts.received = [facts.keep(_header_text(v)) for v in (msg.get_all("Received") or [])[:10]]
    for name in ("Authentication-Results", "ARC-Authentication-Results", "Received-SPF"):
        facts.auth_results += [
            f"{name}: {facts.keep(_header_text(v))}" for v in (msg.get_all(name) or [])[:5]
        ]
    for defect in (msg.defects or [])[:10]:
        facts.issues.append(f"MIME defect: {type(defect).__name__}")
    try:
        for part in _walk(msg, facts):
            _links_of(part, facts)
    except Exception as exc:  # a parser corner case must not lose the hit
        facts.issues.append(f"part walk stopped: {terminal_text(exc, 200)}")
    facts.dkim = verify_dkim(data, dnsfunc)
    return facts
