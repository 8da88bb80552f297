"""A reported message read with the standard library, inside budgets, hostile input reported.

A reported message is written by an attacker: it can be 2 GB, have 100,000 headers or one
header of 10 MB, nest multiparts 5,000 deep, declare charsets that do not exist, carry broken
base64, or hide its links in HTML. :func:`parse_message` reads it with ``email`` (``policy.default``)
inside :class:`MailLimits` and never raises on content: whatever is over a budget or broken
becomes an :class:`Issue` of the result (``incomplete`` when part of the message was not read),
so "not read" can never look like "clean".

What the checks need is kept: the top-level headers (bounded), the decoded text of the
``text/plain`` and ``text/html`` parts (bounded in total), and, for a report forwarded as an
attachment (``message/rfc822``), the attached message parsed the same way (the reported one).
The raw bytes stay with the caller for DKIM, which verifies exactly what was received.
"""

from __future__ import annotations

import email
import email.errors
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from breachscope.inert import terminal_text


@dataclass(frozen=True, slots=True)
class MailLimits:
    """Budgets of one message; each one crossed is an issue, never an exception."""

    max_message_bytes: int = 25 * 1024 * 1024
    max_headers: int = 1000  # header fields of the top-level header block
    max_header_bytes: int = 64 * 1024  # one header field (name, value, continuation lines)
    max_header_block_bytes: int = 512 * 1024  # the whole top-level header block
    max_depth: int = 12  # MIME nesting (multipart in multipart ..., attached messages)
    max_parts: int = 500
    max_decoded_bytes: int = 8 * 1024 * 1024  # decoded text of all text parts together
    max_links: int = 2000
    #: multipart containers in the whole message: the stdlib parser recurses once per nesting
    #: level, so a message with more is not handed to it (its headers are still read)
    max_multiparts: int = 100


@dataclass(frozen=True, slots=True)
class Issue:
    """Something hostile or broken about the message: a short ``code`` and a sentence."""

    code: str
    detail: str
    #: True when part of the message was not read because of it.
    incomplete: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "detail": self.detail, "incomplete": self.incomplete}


@dataclass(slots=True)
class TextPart:
    content_type: str  # text/plain | text/html
    text: str


@dataclass(slots=True)
class ParsedMail:
    """What the checks read. Header values are unfolded strings (bounded), never parsed twice."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    parts: list[TextPart] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)  # content types (names are not kept)
    #: The attached message of a report forwarded as an attachment (the reported message).
    attached: ParsedMail | None = None
    attached_raw: bytes | None = None
    part_count: int = 0

    @property
    def incomplete(self) -> bool:
        return any(i.incomplete for i in self.issues)

    def header(self, name: str) -> str | None:
        lower = name.lower()
        for k, v in self.headers:
            if k.lower() == lower:
                return v
        return None

    def all_headers(self, name: str) -> list[str]:
        lower = name.lower()
        return [v for k, v in self.headers if k.lower() == lower]

    def addresses(self, name: str) -> list[tuple[str, str]]:
        """(display name, address) pairs of an address header; unparsable ones are left out."""
        values = self.all_headers(name)
        try:
            return [(n, a) for n, a in getaddresses(values) if a]
        except (ValueError, IndexError):  # the stdlib's parser on hostile input
            return []

    def from_address(self) -> tuple[str, str]:
        value = self.header("From")
        if value is None:
            return "", ""
        try:
            return parseaddr(value)
        except (ValueError, IndexError):
            return "", ""

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.parts if p.content_type == "text/plain")

    @property
    def html(self) -> list[str]:
        return [p.text for p in self.parts if p.content_type == "text/html"]


_MULTIPART = re.compile(rb"(?im)^content-type:[ \t]*(?:\r?\n[ \t]+)?multipart/")


def split_header_block(raw: bytes) -> tuple[bytes, bytes]:
    """(header block, body) at the first empty line (CRLF or LF)."""
    m = re.search(rb"\r?\n\r?\n", raw)
    if m is None:
        return raw, b""
    return raw[: m.start()], raw[m.end() :]


def _header_fields(block: bytes) -> list[bytes]:
    """The header block as fields (a field with its continuation lines)."""
    fields: list[bytes] = []
    for line in block.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        else:
            fields.append(line)
    return fields


def _bounded_headers(raw: bytes, limits: MailLimits, issues: list[Issue]) -> bytes:
    """The message with its top-level header block cut to the budgets (an issue says so)."""
    block, body = split_header_block(raw)
    if len(block) <= limits.max_header_block_bytes and block.count(b"\n") < limits.max_headers:
        fields = _header_fields(block)
        if all(len(f) <= limits.max_header_bytes for f in fields):
            return raw
    else:
        fields = _header_fields(block[: limits.max_header_block_bytes * 2])
    kept: list[bytes] = []
    dropped_big = dropped_many = 0
    size = 0
    for f in fields:
        if len(f) > limits.max_header_bytes:
            dropped_big += 1
            continue
        if len(kept) >= limits.max_headers or size + len(f) > limits.max_header_block_bytes:
            dropped_many += 1
            continue
        kept.append(f)
        size += len(f)
    if dropped_big:
        issues.append(
            Issue(
                "huge-header",
                f"{dropped_big} header field(s) over {limits.max_header_bytes:,} bytes were not read",
                incomplete=True,
            )
        )
    if dropped_many or len(block) > limits.max_header_block_bytes * 2:
        issues.append(
            Issue(
                "too-many-headers",
                f"the header block is over {limits.max_headers:,} fields or "
                f"{limits.max_header_block_bytes:,} bytes; the rest was not read",
                incomplete=True,
            )
        )
    joined = b"".join(kept)
    if not joined.endswith(b"\n"):
        joined += b"\r\n"
    return joined + b"\r\n" + body


def _part_headers_ok(part: Message, limits: MailLimits) -> bool:
    """Nested parts' headers are read only when each is within the budget (checked raw)."""
    items = part.raw_items() if isinstance(part, EmailMessage) else part.items()
    count = 0
    for _name, value in items:
        count += 1
        if count > limits.max_headers or len(str(value)) > limits.max_header_bytes:
            return False
    return True


def _decode_text(part: Message, budget: int, issues: list[Issue]) -> tuple[str, int]:
    """A text part's content as str within ``budget`` bytes; (text, bytes used)."""
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError, LookupError) as exc:
        issues.append(Issue("bad-encoding", f"a text part could not be decoded: {terminal_text(exc, 80)}"))
        return "", 0
    if not isinstance(payload, bytes):
        return "", 0
    for defect in part.defects:
        issues.append(Issue("bad-encoding", f"transfer encoding: {terminal_text(type(defect).__name__, 60)}"))
    used = min(len(payload), budget)
    if len(payload) > budget:
        issues.append(
            Issue(
                "decoded-budget",
                "the decoded text is over the budget; the rest was not read",
                incomplete=True,
            )
        )
        payload = payload[:budget]
    charset = _param(part, "content-type", "charset") or "utf-8"
    try:
        text = payload.decode(charset, errors="replace")
    except (LookupError, ValueError):
        issues.append(Issue("bad-charset", f"unknown charset {terminal_text(charset, 40)!r}; read as UTF-8"))
        text = payload.decode("utf-8", errors="replace")
    return text, used


def parse_message(raw: bytes, limits: MailLimits | None = None, *, _depth: int = 0) -> ParsedMail:
    """Parse ``raw`` inside ``limits``; every problem is an issue of the result."""
    lim = limits or MailLimits()
    out = ParsedMail()
    if len(raw) > lim.max_message_bytes:
        out.issues.append(
            Issue(
                "too-large",
                f"{len(raw):,} bytes, over the {lim.max_message_bytes:,}-byte budget; only the first "
                "part was read",
                incomplete=True,
            )
        )
        raw = raw[: lim.max_message_bytes]
    if b"\x00" in raw[:65536]:
        out.issues.append(Issue("nul-bytes", "the message contains NUL bytes (not a mail message as sent)"))
    bounded = _bounded_headers(raw, lim, out.issues)
    try:
        containers = len(_MULTIPART.findall(bounded))
        if containers > lim.max_multiparts:
            raise RecursionError(f"{containers} multipart containers")
        msg = email.message_from_bytes(bounded, policy=policy.default)
    except (RecursionError, MemoryError, ValueError, TypeError, IndexError, email.errors.MessageError) as exc:
        if isinstance(exc, RecursionError):
            issue = Issue(
                "deep-nesting", "MIME nesting too deep to read at all; only the headers were read", True
            )
        else:
            issue = Issue(
                "unparsable", f"the MIME structure could not be read: {terminal_text(exc, 80)}", True
            )
        out.issues.append(issue)
        block, _body = split_header_block(bounded)
        try:  # the headers alone still say who it claims to be from
            msg = email.message_from_bytes(block + b"\r\n\r\n", policy=policy.default)
        except (RecursionError, MemoryError, ValueError, TypeError, IndexError, email.errors.MessageError):
            return out
        out.headers = [(str(k), " ".join(str(v).split())) for k, v in msg.raw_items()]
        return out
    for defect in msg.defects:
        out.issues.append(Issue("mime-defect", terminal_text(type(defect).__name__, 60)))
    for name, value in msg.raw_items():
        out.headers.append((str(name), " ".join(str(value).split())))
    _walk(msg, lim, out, _depth)
    return out


def _walk(msg: Message, lim: MailLimits, out: ParsedMail, depth0: int) -> None:
    """Iterative walk (no recursion: nesting depth is data) with the part and depth budgets."""
    stack: list[tuple[Message, int]] = [(msg, depth0)]
    budget = lim.max_decoded_bytes
    deep_reported = many_reported = False
    while stack:
        part, depth = stack.pop()
        out.part_count += 1
        if out.part_count > lim.max_parts:
            if not many_reported:
                out.issues.append(
                    Issue(
                        "too-many-parts", f"more than {lim.max_parts} MIME parts; the rest was not read", True
                    )
                )
                many_reported = True
            continue
        if depth > lim.max_depth:
            if not deep_reported:
                out.issues.append(
                    Issue(
                        "deep-nesting",
                        f"MIME nesting deeper than {lim.max_depth}; deeper parts not read",
                        True,
                    )
                )
                deep_reported = True
            continue
        if part is not msg and not _part_headers_ok(part, lim):
            out.issues.append(
                Issue("huge-header", "a MIME part's headers are over the budget; part not read", True)
            )
            continue
        ctype = _content_type(part)
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                inner = payload[0] if payload else None
                if (
                    ctype == "message/rfc822"
                    and isinstance(inner, Message)
                    and out.attached is None
                    and part is not msg
                ):
                    _attach(inner, lim, out, depth)
                    continue
                stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
            continue
        if ctype in ("text/plain", "text/html") and not _is_attachment(part):
            text, used = _decode_text(part, budget, out.issues)
            budget -= used
            out.parts.append(TextPart(ctype, text))
        else:
            out.attachments.append(terminal_text(ctype, 80))


def _is_attachment(part: Message) -> bool:
    return _raw(part, "content-disposition").split(";")[0].strip().lower() == "attachment"


def _raw(part: Message, name: str) -> str:
    """A header's raw value (no header-registry parse: that is most of the parsing time)."""
    items = part.raw_items() if isinstance(part, EmailMessage) else part.items()
    for k, v in items:
        if k.lower() == name:
            return " ".join(str(v).split())
    return ""


_PARAM = re.compile(r";\s*([A-Za-z0-9*_-]+)\s*=\s*(\"[^\"]*\"|[^;\s]*)")


def _param(part: Message, header: str, name: str) -> str | None:
    for m in _PARAM.finditer(_raw(part, header)):
        if m.group(1).lower() == name:
            return m.group(2).strip('"')[:100] or None
    return None


def _content_type(part: Message) -> str:
    """The part's type as the stdlib defaults it: text/plain, or message/rfc822 in a digest."""
    value = _raw(part, "content-type").split(";")[0].strip().lower()
    if value.count("/") == 1 and " " not in value:
        return value
    return part.get_default_type()


def _attach(inner: Message, lim: MailLimits, out: ParsedMail, depth: int) -> None:
    """A forwarded-as-attachment message: re-read from its bytes with the same budgets."""
    try:
        inner_raw = inner.as_bytes(policy=policy.compat32.clone(linesep="\r\n"))
    except (ValueError, TypeError, LookupError, UnicodeError, RecursionError, IndexError) as exc:
        out.issues.append(
            Issue("unparsable", f"the attached message could not be read: {terminal_text(exc, 80)}")
        )
        return
    out.attached_raw = inner_raw
    out.attached = parse_message(inner_raw, lim, _depth=depth + 1)
