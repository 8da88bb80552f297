"""The incident report as a library call: gather from the case, draw the charts, render.

:func:`render_report` is what the CLI (``breachscope report``) and the console's button call:
it returns the HTML (str) or the PDF (bytes) of one incident in one language. :func:`write_report`
writes them to files (0600, like every file breachscope writes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine

from breachscope.clock import Clock
from breachscope.errors import InputError
from breachscope.files import write_private
from breachscope.identity.jurisdiction import UNKNOWN_CODE
from breachscope.notify.catalogue import load_catalogue
from breachscope.report import charts
from breachscope.report.model import ReportData, gather
from breachscope.report.render import check_language, html_to_pdf, render_page

#: Chart titles and legend words per language (the only words drawn inside a picture).
CHART_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "people": "Leaked people per country (top 15)",
        "classes": "Data classes by status",
        "notices": "Notices by state",
        "present": "present",
        "absent": "absent (checked)",
        "not_checked": "not checked",
        "unknown": "location unknown",
        "confirmed": "sent, confirmed",
        "unconfirmed": "sent, unconfirmed",
        "pending": "pending",
        "undelivered": "failed or bounced",
    },
    "id": {
        "people": "Orang yang datanya bocor per negara (15 teratas)",
        "classes": "Kelas data menurut status",
        "notices": "Pemberitahuan menurut status",
        "present": "ada",
        "absent": "tidak ada (diperiksa)",
        "not_checked": "tidak diperiksa",
        "unknown": "lokasi tidak diketahui",
        "confirmed": "terkirim, dikonfirmasi",
        "unconfirmed": "terkirim, belum dikonfirmasi",
        "pending": "menunggu",
        "undelivered": "gagal atau ditolak",
    },
}


@dataclass(frozen=True)
class ClassNames:
    """The names a reader sees per status, each once. Two classes can share a name (device and
    user_agent are both "browser and operating system details"): a name is said present if any
    class of that name is present, not checked if any is not checked (and none present), and
    absent only when every class of that name is absent, so no name is ever claimed absent while
    a class of that name was found or not checked."""

    present: tuple[str, ...]
    absent: tuple[str, ...]
    not_checked: tuple[str, ...]


def class_names(data: ReportData, language: str) -> ClassNames:
    cat = load_catalogue(language)
    status: dict[str, str] = {}
    rank = {"present": 0, "not_checked": 1, "not_checked_incomplete": 1, "absent": 2}
    for c in data.classes:
        name = cat.name(c.id)
        if name not in status or rank[c.status] < rank[status[name]]:
            status[name] = c.status

    def pick(*wanted: str) -> tuple[str, ...]:
        return tuple(sorted(n for n, st in status.items() if st in wanted))

    return ClassNames(pick("present"), pick("absent"), pick("not_checked", "not_checked_incomplete"))


def make_charts(data: ReportData, language: str) -> dict[str, str]:
    """``data:`` URIs of the charts that have something to show (none for an empty part)."""
    words = CHART_WORDS[language]
    out: dict[str, str] = {}
    if data.countries:
        bars = [
            charts.Bar(words["unknown"] if c.code == UNKNOWN_CODE else c.code, c.people)
            for c in sorted(data.countries, key=lambda c: -c.people)
        ]
        out["people"] = charts.bar_chart(bars, title=words["people"])
    if data.classes:
        n_present = len(data.classes_with("present"))
        n_absent = len(data.classes_with("absent"))
        n_not = len(data.classes) - n_present - n_absent
        out["classes"] = charts.bar_chart(
            [
                charts.Bar(words["present"], n_present, charts.PRESENT),
                charts.Bar(words["absent"], n_absent, charts.ABSENT),
                charts.Bar(words["not_checked"], n_not, charts.NOT_CHECKED),
            ],
            title=words["classes"],
        )
    n = data.notices
    if n.any:
        out["notices"] = charts.bar_chart(
            [
                charts.Bar(words["confirmed"], n.confirmed, charts.ABSENT),
                charts.Bar(words["unconfirmed"], n.unconfirmed, charts.NOT_CHECKED),
                charts.Bar(words["pending"], n.pending, charts.NEUTRAL),
                charts.Bar(words["undelivered"], n.undelivered, charts.PRESENT),
            ],
            title=words["notices"],
        )
    return out


def report_html(data: ReportData, language: str = "en") -> str:
    lang = check_language(language)
    variables: dict[str, Any] = {
        "r": data,
        "charts": make_charts(data, lang),
        "names": class_names(data, lang),
    }
    return render_page("report.html.j2", lang, variables)


def render_report(
    engine: Engine,
    incident_id: int,
    *,
    language: str = "en",
    fmt: Literal["html", "pdf"] = "html",
    clock: Clock | None = None,
) -> str | bytes:
    """The report of one incident: HTML text or PDF bytes (the console's button calls this)."""
    html = report_html(gather(engine, incident_id, clock=clock), language)
    return html_to_pdf(html) if fmt == "pdf" else html


@dataclass
class WrittenReport:
    incident_id: int
    language: str
    written: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "language": self.language,
            "written": [str(p) for p in self.written],
        }


def _write(path: Path, content: str | bytes) -> None:
    try:
        write_private(path, content, parents=False)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}", "choose a writable path") from exc


def write_report(
    engine: Engine,
    incident_id: int,
    *,
    html_path: Path | None = None,
    pdf_path: Path | None = None,
    language: str = "en",
    clock: Clock | None = None,
) -> WrittenReport:
    """Gather once and write the HTML and/or the PDF of the report."""
    lang = check_language(language)
    html = report_html(gather(engine, incident_id, clock=clock), lang)
    out = WrittenReport(incident_id, lang)
    if html_path is not None:
        _write(html_path, html)
        out.written.append(html_path)
    if pdf_path is not None:
        _write(pdf_path, html_to_pdf(html))
        out.written.append(pdf_path)
    return out


__all__ = ["WrittenReport", "make_charts", "render_report", "report_html", "write_report"]
