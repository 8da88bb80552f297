"""The public incident page: static HTML (English and Indonesian) for the company's own site.

Generated from what the case records and nothing else (the same :func:`gather` as the report):
what happened (the recorded cause, dates and vendor), what was included (classes present), what
was not (classes absent with the records checked; classes nobody checked are listed as not
checked, never as not included), what to do (the assessment's actions for people), how to
recognise our messages (the official domain and sender from the notify settings, the notice
reference and verification phrase, what we never ask for) and dated updates, each derived from
a stored date (we became aware, a dataset was checked, notices started going out).

The pages load nothing: no script, no font, no image, no analytics; a Content-Security-Policy
meta says so to the browser (``default-src 'none'`` and the page's own stylesheet by hash).
The only link is to the same page in the other language, next to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from breachscope.clock import Clock
from breachscope.errors import InputError
from breachscope.files import private_dir, write_private
from breachscope.notify.catalogue import load_catalogue
from breachscope.notify.config import NotifyConfig
from breachscope.report.build import class_names
from breachscope.report.model import ReportData, gather
from breachscope.report.render import TEMPLATES, render_page
from breachscope.rules.actions import records_phrase

PUBLIC_CSS = TEMPLATES / "common" / "public.css"
#: file name of each language's page, in the output folder.
PAGES = {"en": "index.html", "id": "id.html"}


@dataclass(frozen=True)
class Update:
    """One dated line of the page's "Updates": a stored date and what it marks (a template key)."""

    at: datetime
    what: str  # aware | dataset | notices | recorded
    records: int = 0
    #: for ``recorded``: the words a person wrote, by language
    text: Mapping[str, str] = field(default_factory=dict)


def updates(data: ReportData) -> list[Update]:
    """Dated updates, newest first, each from a date the case stores."""
    out: list[Update] = []
    if data.dates.get("aware_at"):
        aware = data.dates["aware_at"]
        assert aware is not None
        out.append(Update(aware, "aware"))
    for d in data.datasets:
        out.append(Update(d.scanned_at, "dataset", d.records))
    if data.notices.first_sent_at is not None:
        out.append(Update(data.notices.first_sent_at, "notices"))
    for u in data.public_updates:
        out.append(Update(u.at, "recorded", text=u.text))
    return sorted(out, key=lambda u: u.at, reverse=True)


@dataclass
class WrittenPage:
    incident_id: int
    written: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"incident_id": self.incident_id, "written": [str(p) for p in self.written]}


def not_needed_texts(data: ReportData, language: str) -> list[str]:
    """Each not-needed action in ``language``, naming its classes in that language (as notices
    do); the stored English rendering when the rule has no words for the language."""
    cat = load_catalogue(language)
    out: list[str] = []
    for item in data.not_needed:
        template = item.template.get(language)
        text = item.text.get(language) or item.text.get("en", "")
        if template and item.checked and (item.values_checked or item.records_checked):
            records = records_phrase(
                item.records_checked,
                item.absence_complete,
                language,
                cat.number(item.records_checked) if item.records_checked else None,
            )
            try:
                text = template.format(
                    classes=cat.join_or([cat.name(c) for c in cat.sort(item.checked)]),
                    values=cat.number(item.values_checked),
                    records=records,
                )
            except (KeyError, IndexError, ValueError):
                pass  # a malformed edited rule text keeps the stored words
        out.append(text)
    return out


def public_html(data: ReportData, config: NotifyConfig, language: str) -> str:
    variables: dict[str, Any] = {
        "r": data,
        "company": config.company,
        "domain": config.official_domain,
        "sender": config.from_address.addr_spec,
        "help_page": data.fact("help-page") if data.fact("help-page") != "unknown" else config.help_page,
        "support_phone": (
            data.fact("support-phone") if data.fact("support-phone") != "unknown" else config.support_phone
        ),
        "updates": updates(data),
        "names": class_names(data, language),
        "not_needed": not_needed_texts(data, language),
        "pages": PAGES,
    }
    return render_page("public.html.j2", language, variables, css_file=PUBLIC_CSS)


def write_public_page(
    engine: Engine, incident_id: int, config: NotifyConfig, out_dir: Path, *, clock: Clock | None = None
) -> WrittenPage:
    """Write ``index.html`` (English) and ``id.html`` (Indonesian) into ``out_dir``."""
    data = gather(engine, incident_id, clock=clock)
    try:
        private_dir(out_dir)
    except OSError as exc:
        raise InputError(
            f"cannot create {out_dir}: {exc.strerror or exc}", "choose a writable --out folder"
        ) from exc
    out = WrittenPage(incident_id)
    for language, name in PAGES.items():
        path = out_dir / name
        write_private(path, public_html(data, config, language), parents=False)
        out.written.append(path)
    return out


__all__ = ["PAGES", "Update", "WrittenPage", "public_html", "updates", "write_public_page"]
