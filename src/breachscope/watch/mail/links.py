"""Every link of a message, with its real target, shown defanged.

Links come from ``text/plain`` (URLs and ``www.`` names) and from HTML: ``href`` (a, area,
link, base), ``src``/``srcset`` (img, script, iframe, frame, embed, source, video, audio,
input), ``action`` (form), ``formaction`` (button, input), ``background``, ``poster``,
``<meta http-equiv="refresh">`` and ``url(...)`` in ``style`` attributes. A link inside an element
hidden by ``hidden``, ``display:none``, ``visibility:hidden``, ``opacity:0``, ``font-size:0`` or a
0-size box is marked ``hidden`` (hidden links are a sign, and a reader of the message cannot see
them).

The **real target** is the host a browser would connect to: the part after a ``user@`` prefix
(``https://example.com@evil.example/`` goes to ``evil.example``), IDN names shown as U-label and
A-label, IP literals kept as such. Where the visible text of an anchor names another domain
than its target, the link is **deceptive**. Everything shown is defanged
(:func:`breachscope.inert.defang_links`): no link in a report can be clicked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

import idna

from breachscope.inert import defang_links, terminal_text

MAX_URL = 2048

_TEXT_URL = re.compile(r"(?i)\b(?:(?:https?|ftp)://|www\.)[^\s<>\"'`{}|\\^\[\]]+")
_STYLE_URL = re.compile(r"(?i)url\(\s*['\"]?([^'\")\s]+)")
_HIDDEN_STYLE = re.compile(
    r"(?i)(display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?:\.0*)?\s*(?:;|$|!)|"
    r"font-size\s*:\s*0(?:px|pt|em|rem|%)?\s*(?:;|$|!)|(?:max-)?(?:height|width)\s*:\s*0(?:px)?\s*(?:;|$|!))"
)
_DOMAIN_IN_TEXT = re.compile(r"(?i)\b((?:[a-z0-9\u00a1-\uffff-]{1,63}\.)+[a-z\u00a1-\uffff]{2,63})\b")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr keygen".split())
_URL_ATTRS: dict[str, str] = {
    "href": "href",
    "src": "src",
    "action": "form action",
    "formaction": "form action",
    "background": "src",
    "poster": "src",
    "data": "src",
    "srcset": "src",
}


@dataclass(frozen=True, slots=True)
class Link:
    """One link: where it was, what it points to, and what makes it a sign."""

    url: str  # bounded, as written (never shown without defanging)
    source: str  # text | href | src | form action | refresh | style
    host: str | None  # the real target host (A-label, lowercase), None when there is none
    hidden: bool = False
    deceptive_text: str | None = None  # the other domain an anchor's text shows
    userinfo: bool = False  # "user@" before the host (hides the real target)
    ip_literal: bool = False

    @property
    def unicode_host(self) -> str | None:
        if self.host is None:
            return None
        try:
            return idna.decode(self.host)
        except (idna.IDNAError, UnicodeError, ValueError):
            return self.host

    def defanged(self) -> str:
        return defang_links(terminal_text(self.url, 300))

    def to_dict(self) -> dict[str, object]:
        return {
            "link": self.defanged(),
            "source": self.source,
            "target": None if self.host is None else defang_links(terminal_text(self.host, 260)),
            "target_unicode": None
            if self.unicode_host is None
            else defang_links(terminal_text(self.unicode_host, 260)),
            "hidden": self.hidden,
            "deceptive_text": None
            if self.deceptive_text is None
            else defang_links(terminal_text(self.deceptive_text, 260)),
            "userinfo": self.userinfo,
            "ip_literal": self.ip_literal,
        }


def host_of(url: str) -> tuple[str | None, bool, bool]:
    """(real host as a lowercase A-label, had user info, is an IP literal) of ``url``."""
    text = url.strip()
    if text.lower().startswith("www."):
        text = "http://" + text
    try:
        parts = urlsplit(text)
        netloc = parts.netloc
    except ValueError:
        return None, False, False
    if parts.scheme.lower() not in ("http", "https", "ftp", "") or not netloc:
        return None, False, False
    netloc = unquote(netloc)
    userinfo = "@" in netloc
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        return hostport[1:].partition("]")[0].lower() or None, userinfo, True
    host = hostport.partition(":")[0].rstrip(".").replace("\u3002", ".").replace("\uff0e", ".")
    if not host:
        return None, userinfo, False
    if re.fullmatch(r"[0-9.]+|0x[0-9a-f.x]+", host.lower()):
        return host.lower(), userinfo, True
    return to_alabel(host), userinfo, False


def to_alabel(host: str) -> str | None:
    """A host name as lowercase A-labels (UTS 46), or None when it is not a valid name."""
    try:
        return idna.encode(host, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError):
        try:  # the stdlib's IDNA 2003 codec (what many clients still use) as a second reading
            return host.encode("idna").decode("ascii").lower()
        except (UnicodeError, ValueError):
            return None


def text_links(text: str, limit: int) -> list[Link]:
    out: list[Link] = []
    for m in _TEXT_URL.finditer(text):
        if len(out) >= limit:
            break
        url = m.group(0).rstrip(".,;:!?)")[:MAX_URL]
        host, userinfo, ip = host_of(url)
        out.append(Link(url, "text", host, userinfo=userinfo, ip_literal=ip))
    return out


class _HtmlLinks(HTMLParser):
    """Collects URL attributes with a stack of open elements (hidden or not)."""

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.limit = limit
        self.links: list[Link] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden)
        self.anchor: tuple[int, list[str]] | None = None  # (index of the link, text seen)
        self.truncated = False
        self.visible_text: list[str] = []

    @property
    def hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def _add(self, url: str, source: str, hidden: bool) -> int | None:
        if len(self.links) >= self.limit:
            self.truncated = True
            return None
        url = url.strip()[:MAX_URL]
        if not url or url.startswith("#") or url.lower().startswith(("cid:", "data:", "mailto:", "tel:")):
            return None
        host, userinfo, ip = host_of(url)
        self.links.append(Link(url, source, host, hidden=hidden, userinfo=userinfo, ip_literal=ip))
        return len(self.links) - 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        style = a.get("style", "")
        hidden = (
            self.hidden
            or "hidden" in a
            or bool(_HIDDEN_STYLE.search(style))
            or (a.get("width", "").strip() in ("0", "0px") and tag != "img")
            or (a.get("height", "").strip() in ("0", "0px") and tag != "img")
        )
        if tag not in _VOID:
            if len(self.stack) < 2000:  # unclosed tags cannot grow memory without bound
                self.stack.append((tag, hidden))
        index = None
        for attr, value in a.items():
            source = _URL_ATTRS.get(attr)
            if source is None or not value:
                continue
            if attr == "srcset":
                for item in value.split(","):
                    self._add(item.strip().split(" ")[0], source, hidden)
                continue
            if attr == "data" and tag != "object":
                continue
            added = self._add(value, source, hidden)
            if tag == "a" and attr == "href":
                index = added
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            target = re.split(r"(?i)url\s*=", a.get("content", ""), maxsplit=1)
            if len(target) == 2:
                self._add(target[1].strip().strip("'\""), "refresh", hidden)
        for m in _STYLE_URL.finditer(style):
            self._add(m.group(1), "style", hidden)
        if tag == "a" and index is not None:
            self.anchor = (index, [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.anchor is not None:
            self._close_anchor()
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def _close_anchor(self) -> None:
        assert self.anchor is not None
        index, texts = self.anchor
        self.anchor = None
        link = self.links[index]
        shown = " ".join("".join(texts).split())[:1000]  # a domain shown to people is near the start
        m = _DOMAIN_IN_TEXT.search(shown)
        if m is None or link.host is None:
            return
        shown_host = to_alabel(m.group(1))
        if shown_host and shown_host != link.host and not link.host.endswith("." + shown_host):
            self.links[index] = Link(
                link.url,
                link.source,
                link.host,
                hidden=link.hidden,
                deceptive_text=m.group(1)[:253],
                userinfo=link.userinfo,
                ip_literal=link.ip_literal,
            )

    def handle_data(self, data: str) -> None:
        if self.anchor is not None and len(self.anchor[1]) < 50:
            self.anchor[1].append(data[:500])
        if not self.hidden and sum(len(t) for t in self.visible_text[-1:]) < 10**7:
            self.visible_text.append(data)


def html_links(html: str, limit: int) -> tuple[list[Link], str, bool]:
    """(links, visible text, truncated) of one HTML part; never raises on hostile markup."""
    parser = _HtmlLinks(limit)
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError, IndexError, RecursionError):  # html.parser on broken markup
        parser.truncated = True
    if parser.anchor is not None:
        parser._close_anchor()
    return parser.links, " ".join(parser.visible_text), parser.truncated
