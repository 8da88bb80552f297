"""Leaked text made inert wherever breachscope shows it: the terminal, CSV files, Markdown.

The leaked file is written by whoever leaked it, so a column name or value can be a spreadsheet
formula (``=2+5+cmd|' /C calc'!A0``), a terminal escape sequence (ESC, BEL, bidi overrides), a
Markdown link or a URL that a renderer turns into a link. Every writer of human output calls one
of these three functions (one place to get it right, one table of tests):

* :func:`terminal_text` - one line, control/format/bidi characters shown as ``?``, bounded;
* :func:`csv_cell` - the same, and a cell that a spreadsheet would read as a formula (first
  non-blank character ``= + - @``, or a leading tab/CR) is prefixed with ``'`` (OWASP "CSV
  Injection");
* :func:`md_text` - the same, URLs and domains defanged (``http[:]//evil[.]com``, so no renderer
  autolinks them), ``< > &`` as entities and every Markdown special character backslash-escaped
  (``| \\ ` * _ { } [ ] ( ) # + ! ~ = -``).
"""

from __future__ import annotations

import re

#: C0/C1 controls (ESC, BEL, CR, LF, TAB...), zero-width and bidi controls, BOM, line separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~=<>-])")
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,20}):(//|[^\s])")
_WWW = re.compile(r"(?i)\bwww\.")
#: A dot between a label and something that looks like a TLD/next label: autolinkers' trigger.
_DOMAIN_DOT = re.compile(r"(?i)(?<=[\w-])\.(?=[a-z\u00a0-\uffff][\w-])")
_AT = re.compile(r"(?<=[\w.+-])@(?=[\w-])")
#: What makes a spreadsheet (Excel, LibreOffice, Google Sheets) evaluate a cell.
FORMULA_START = ("=", "+", "-", "@")


def terminal_text(value: object, limit: int | None = 120) -> str:
    """One line of inert text: control and bidi characters shown as ``?``; at most ``limit`` chars."""
    text = _CONTROL.sub("?", str(value))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def defang_links(text: str) -> str:
    """``http://evil.com`` -> ``http[:]//evil[.]com``, ``www.`` -> ``www[.]``, ``a@b.c`` ->
    ``a[at]b[.]c``: nothing a mail client or Markdown renderer turns into a link."""
    text = _SCHEME.sub(lambda m: f"{m.group(1)}[:]{m.group(2)}", text)
    text = _WWW.sub("www[.]", text)
    text = _DOMAIN_DOT.sub("[.]", text)
    return _AT.sub("[at]", text)


def csv_cell(value: object) -> str:
    """A CSV cell no spreadsheet evaluates and no terminal interprets (``None`` -> ``""``)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    raw = str(value)
    if raw[:1] in ("\t", "\r"):
        return "'" + terminal_text(raw, None)
    text = terminal_text(raw, None)
    return "'" + text if text.lstrip(" ?")[:1] in FORMULA_START else text


def md_text(value: object, limit: int | None = 120) -> str:
    """Inert inside Markdown (tables included): no link, no markup, no HTML, one line."""
    text = defang_links(terminal_text(value, limit))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)
