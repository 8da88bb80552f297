"""Keeping hostile values harmless and notices link-free.

* :func:`defang` turns anything a mail client could autolink (``http://``, ``www.x``,
  ``evil.com``, ``a@b.co``) into plain text (``evil[.]com``). Every untrusted value passes
  through it before a template sees it, so a name like ``visit evil.com`` cannot become a link.
* :func:`one_line` strips control characters (CR, LF, tabs, NUL...) so a value can never start
  a new header line; headers are then built with :mod:`email.headerregistry`, which encodes.
* :func:`find_links` (text) and :func:`find_html_links` (HTML: tags and attributes too) are the
  guard run on every rendered notice: a template edit that adds a link (``<a``, ``href``, a URL,
  a bare domain, an email address) is refused, not sent.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,20}):(//|[^\s])")
_WWW = re.compile(r"(?i)\bwww\.")
#: A dot between a label and something that looks like a TLD/next label: autolinkers' trigger.
_DOMAIN_DOT = re.compile(r"(?i)(?<=[\w-])\.(?=[a-z\u00a0-\uffff][\w-])")
_AT = re.compile(r"(?<=[\w.+-])@(?=[\w-])")

_LINK_CHECKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("URL", re.compile(r"(?i)\b((https?|ftp|mailto):|(tel|sms|data|javascript|file):(?=\S))")),
    ("www address", re.compile(r"(?i)\bwww\.")),
    ("email address", re.compile(r"(?i)[\w.+-]+@[\w-]+(\.[\w-]+)+")),
    (
        "bare domain",
        re.compile(r"(?i)(?<![\[\w.-])[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9-]{1,63})*\.[a-z]{2,24}\b"),
    ),
)


def one_line(value: str, limit: int = 200) -> str:
    """The value on one line: control and format characters become spaces, runs collapse."""
    out = []
    for ch in value:
        cat = unicodedata.category(ch)
        out.append(" " if cat[0] == "C" or cat in ("Zl", "Zp") else ch)
    return " ".join("".join(out).split())[:limit]


def defang(value: str, limit: int = 200) -> str:
    """One safe line of untrusted text that no mail client will turn into a link."""
    text = one_line(value, limit)
    text = _SCHEME.sub(lambda m: f"{m.group(1)}[:]{m.group(2)}", text)
    text = _WWW.sub("www[.]", text)
    text = _DOMAIN_DOT.sub("[.]", text)
    return _AT.sub("[at]", text)


def show_domain(domain: str, style: str = "brackets") -> str:
    """The official domain as plain text clients do not autolink: ``example[.]com`` or words."""
    labels = domain.strip().rstrip(".").split(".")
    if style == "words":
        return " dot ".join(labels)
    return "[.]".join(labels)


def find_links(text: str) -> list[str]:
    """Every link-like thing in ``text``, as ``"<what>: <match>"``; empty when the text is clean."""
    found = []
    for what, pattern in _LINK_CHECKS:
        for m in pattern.finditer(text):
            found.append(f"{what}: {m.group(0)[:60]}")
    return found


_LINK_TAGS = frozenset({"a", "area", "link", "img", "form", "iframe", "script", "base", "object", "embed"})
_LINK_ATTRS = frozenset(
    {"href", "src", "action", "formaction", "background", "srcset", "poster", "xlink:href"}
)


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _LINK_TAGS:
            self.found.append(f"<{tag}> tag")
        for name, value in attrs:
            if name in _LINK_ATTRS:
                self.found.append(f"{name} attribute")
            elif value and name != "style":
                self.found.extend(find_links(value))

    def handle_data(self, data: str) -> None:
        self.found.extend(find_links(data))


def find_html_links(html: str) -> list[str]:
    """Link-like tags and attributes in ``html`` plus links in its text; empty when clean."""
    finder = _LinkFinder()
    finder.feed(html)
    finder.close()
    return finder.found
