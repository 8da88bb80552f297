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

import html as htmllib
import re
import unicodedata

from breachscope.inert import defang_links

_ALWAYS_SCHEMES = ("http:", "https:", "ftp:", "mailto:")
_GLUED_SCHEMES = ("tel:", "sms:", "data:", "javascript:", "file:")  # links only when glued to a value


def _label_char(ch: str) -> bool:
    return ch.isalnum() or ch in "-_"


def _positions(text: str, needle: str) -> list[int]:
    out, i = [], text.find(needle)
    while i != -1:
        out.append(i)
        i = text.find(needle, i + 1)
    return out


def one_line(value: str, limit: int = 200) -> str:
    """The value on one line: control and format characters become spaces, runs collapse."""
    out = []
    for ch in value:
        cat = unicodedata.category(ch)
        out.append(" " if cat[0] == "C" or cat in ("Zl", "Zp") else ch)
    return " ".join("".join(out).split())[:limit]


def defang(value: str, limit: int = 200) -> str:
    """One safe line of untrusted text that no mail client will turn into a link."""
    return defang_links(one_line(value, limit))


def show_domain(domain: str, style: str = "brackets", dot_word: str = "dot") -> str:
    """The official domain as plain text clients do not autolink: ``example[.]com`` or words."""
    labels = domain.strip().rstrip(".").split(".")
    if style == "words":
        return f" {dot_word} ".join(labels)
    return "[.]".join(labels)


def find_links(text: str) -> list[str]:
    """Every link-like thing in ``text``, as ``"<what>: <context>"``; empty when the text is clean.

    Flags URL schemes, ``www.``, email addresses (``x@y``) and bare domains (a dot glued between
    a label character and a letter, e.g. ``evil.com``; ``example[.]com`` is fine). Written as
    substring scans rather than regexes: it runs on every part of every notice.
    """
    low = text.lower()
    found: list[str] = []

    def hit(what: str, i: int) -> None:
        found.append(f"{what}: {text[max(0, i - 20) : i + 30]}")

    for scheme in _ALWAYS_SCHEMES:
        for i in _positions(low, scheme):
            if i == 0 or not low[i - 1].isalpha():
                hit("URL", i)
    for scheme in _GLUED_SCHEMES:
        for i in _positions(low, scheme):
            end = i + len(scheme)
            if (i == 0 or not low[i - 1].isalpha()) and end < len(low) and not low[end].isspace():
                hit("URL", i)
    for i in _positions(low, "www."):
        if i == 0 or not _label_char(low[i - 1]):
            hit("www address", i)
    n = len(low)
    for i in _positions(low, "@"):
        if 0 < i < n - 1 and (_label_char(low[i - 1]) or low[i - 1] in ".+") and _label_char(low[i + 1]):
            hit("email address", i)
    for i in _positions(low, "."):
        if 0 < i < n - 2 and _label_char(low[i - 1]) and low[i + 1].isalpha() and _label_char(low[i + 2]):
            hit("bare domain", i)
    return found


_LINK_TAGS = ("a", "area", "link", "img", "form", "iframe", "script", "base", "object", "embed")
_LINK_ATTRS = (
    "href",
    "src",
    "action",
    "formaction",
    "background",
    "srcset",
    "poster",
    "xlink:href",
    "http-equiv",
)
#: In HTML that went through autoescaping, data cannot hold a raw "<", so "<..." is a real tag.
_TAG = re.compile(r"(?i)<\s*(" + "|".join(_LINK_TAGS) + r")\b")
_ATTR = re.compile(r"(?i)<[^>]*?[\s\"'/](" + "|".join(re.escape(a) for a in _LINK_ATTRS) + r")\s*=")
_ANY_TAG = re.compile(r"<[^>]*>")


def find_html_links(html: str) -> list[str]:
    """Link-like tags and attributes in ``html`` plus links in its text; empty when clean.

    Regex-based (fast enough for 100,000 notices): tags and attributes are found in the markup,
    then the markup is stripped and the unescaped text is checked like a plain-text part.
    """
    found = [f"<{m.group(1).lower()}> tag" for m in _TAG.finditer(html)]
    found += [f"{m.group(1).lower()} attribute" for m in _ATTR.finditer(html)]
    text = htmllib.unescape(_ANY_TAG.sub(" ", html))
    return found + find_links(text)
