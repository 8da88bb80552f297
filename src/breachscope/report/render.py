"""Rendering: the report data through per-language Jinja2 templates to HTML, then PDF.

Templates live in ``report/templates/<lang>/`` (``report.html.j2``, ``public.html.j2``: every
sentence a reader sees, once per language) over ``report/templates/common/`` (layout, CSS,
tables that hold no words of their own). Data-class names come from the notice catalogue
(``notify/templates/<lang>/fields.yaml``), so a class is called the same in a notice and a report.

Hostile values (anything that came from the leak or was typed: file and column names, incident
name, timeline messages, recorded facts, reasons) pass the ``leak`` filter before autoescaping:
one line, control and bidi characters shown as ``?``, URLs, domains and emails defanged
(``evil[.]com``), so no PDF viewer or mail client turns them into links. Autoescaping (on for
every ``.html.j2``) makes markup inert. The HTML carries a Content-Security-Policy that allows no
script, no network request and only the page's own stylesheet (by hash) and ``data:`` images.

The PDF is made by WeasyPrint from the same HTML with a URL fetcher that refuses every scheme but
``data:`` (the charts), so rendering a report never touches the network or the file system.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from breachscope.errors import BreachscopeError
from breachscope.inert import defang_links, terminal_text
from breachscope.notify.catalogue import Catalogue, load_catalogue

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("en", "id")
CSS_FILE = TEMPLATES / "common" / "report.css"


def leak(value: object, limit: int | None = 300) -> str:
    """Untrusted text made inert for display: one line, no controls/bidi, no link-like text."""
    if value is None:
        return ""
    return defang_links(terminal_text(value, limit))


def check_language(language: str) -> str:
    lang = (language or "en").strip().lower()
    if lang not in LANGUAGES:
        raise BreachscopeError(f"no report templates for language {language!r}", "use --lang en or --lang id")
    return lang


def when(value: datetime | None, zone: str = "") -> str:
    """``2025-11-27 09:00 UTC`` (or in ``zone``, an IANA name, with its abbreviation); "" if None."""
    if value is None:
        return ""
    tz: Any = UTC
    if zone:
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            tz = UTC
    local = value.astimezone(tz)
    name = local.tzname() or "UTC"
    return local.strftime("%Y-%m-%d %H:%M ") + name


def day(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d") if value else ""


def csp_for(css: str) -> str:
    """The page's policy: nothing may load or run except its own stylesheet and data: images."""
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; form-action 'none'"
    )


def environment(language: str) -> jinja2.Environment:
    lang = check_language(language)
    cat = load_catalogue(lang)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(TEMPLATES / lang), str(TEMPLATES / "common")]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["leak"] = leak
    env.filters["n"] = cat.number
    env.filters["when"] = when
    env.filters["day"] = day
    env.globals["cls"] = env.filters["cls"] = _class_namer(cat)
    env.globals["lang"] = lang
    return env


def _class_namer(cat: Catalogue) -> Callable[[str], str]:
    def name(class_id: str) -> str:
        return cat.name(class_id)

    return name


def render_page(template: str, language: str, variables: Mapping[str, Any], css_file: Path = CSS_FILE) -> str:
    """One template of ``language`` rendered with the stylesheet and its policy."""
    css = css_file.read_text(encoding="utf-8")
    env = environment(language)
    try:
        return env.get_template(template).render(**variables, css=css, csp=csp_for(css))
    except jinja2.TemplateError as exc:
        raise BreachscopeError(f"report template {template} ({language}) failed: {exc}") from exc


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html`` (WeasyPrint); only ``data:`` URLs are fetched, never a file or network."""
    import weasyprint
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    doc = weasyprint.HTML(string=html, base_url="about:blank", url_fetcher=fetcher)
    pdf = doc.write_pdf()
    assert pdf is not None
    return bytes(pdf)


__all__ = [
    "LANGUAGES",
    "check_language",
    "csp_for",
    "day",
    "environment",
    "html_to_pdf",
    "leak",
    "render_page",
    "when",
]
