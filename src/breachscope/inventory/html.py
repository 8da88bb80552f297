"""The vendor audit as one self-contained HTML page (no scripts, no external resources).

Every value (vendor names, field names from captures) is HTML-escaped by Jinja2's autoescape and
nothing becomes a link; a Content-Security-Policy of ``default-src 'none'`` stops the page from
loading anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def audit_html(doc: dict[str, Any]) -> str:
    """The page for an audit document (``AuditReport.to_dict()``)."""
    return _ENV.get_template("audit.html.j2").render(doc=doc, s=doc["summary"])
