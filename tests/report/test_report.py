"""The incident report of a real pipeline-built case: what it says (both languages), in the HTML
and in the text of the PDF; unknown stays unknown; leaked values stay inert."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.clock import FixedClock
from breachscope.report import gather, render_report, report_html
from breachscope.report.build import class_names
from breachscope.report.render import leak

from .conftest import (
    HOSTILE_COLUMN,
    HOSTILE_NAME,
    HOSTILE_NOTE,
    HOSTILE_WHY,
    SENT,
    BuiltCase,
)


def _text(html: str) -> str:
    """The words of an HTML page, as a reader sees them (tags dropped, entities decoded)."""
    import html as htmllib

    body = re.sub(r"(?s)<(style|title)>.*?</\1>", " ", html)
    body = re.sub(r"</?(span|strong|code)\b[^>]*>", "", body)  # inline: no word break
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _pdf_pages(pdf: bytes) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def html(built_case: BuiltCase) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def get(lang: str) -> str:
        if lang not in cache:
            out = render_report(
                built_case.engine, built_case.incident_id, language=lang, clock=built_case.clock
            )
            assert isinstance(out, str)
            cache[lang] = out
        return cache[lang]

    return get


@pytest.fixture(scope="module")
def pdf_pages(built_case: BuiltCase) -> Callable[[str], list[str]]:
    cache: dict[str, list[str]] = {}

    def get(lang: str) -> list[str]:
        if lang not in cache:
            pdf = render_report(
                built_case.engine, built_case.incident_id, language=lang, fmt="pdf", clock=built_case.clock
            )
            assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF-")
            assert b"/URI" not in pdf, "a link annotation in the PDF"
            cache[lang] = _pdf_pages(pdf)
        return cache[lang]

    return get


def _expected(built_case: BuiltCase, lang: str) -> list[str]:
    """Sentences the report must contain, with the figures read from the case itself."""
    data = gather(built_case.engine, built_case.incident_id, clock=built_case.clock)
    assert data.scope is not None and data.assessment is not None
    num = (lambda n: f"{n:,}") if lang == "en" else (lambda n: f"{n:,}".replace(",", "."))
    a, s, n = data.assessment, data.scope, data.notices
    if lang == "en":
        return [
            "The recorded cause is an outside attacker.",
            "Our own systems were recorded as not affected.",
            "Whose systems were breached is not recorded.",
            f"{num(s.leaked_people)} leaked people",
            f"{num(a.counts.required)} notification duties required, "
            f"{num(a.counts.pending)} need a risk decision",
            f"{num(n.total('sent'))} sent ({num(n.confirmed)} accepted by the mail server, "
            f"{num(n.unconfirmed)} unconfirmed), {num(n.pending)} pending",
            "3 open tasks (1 in progress), 1 overdue; 1 done, 0 not applicable.",
            "Nothing is claimed about these classes: they may or may not be in the data.",
            f"{num(s.leaked_people)} leaked people, of whom {num(s.matched_people)} "
            "were matched to our accounts",
        ]
    return [
        "Penyebab yang dicatat: penyerang dari luar.",
        "Sistem kami sendiri dicatat tidak terdampak.",
        "Sistem siapa yang dibobol tidak dicatat.",
        f"{num(s.leaked_people)} orang yang datanya bocor",
        f"{num(a.counts.required)} kewajiban pemberitahuan wajib, "
        f"{num(a.counts.pending)} perlu keputusan risiko",
        f"{num(n.total('sent'))} terkirim ({num(n.confirmed)} diterima server surel, "
        f"{num(n.unconfirmed)} belum dikonfirmasi), {num(n.pending)} menunggu",
        "3 tugas terbuka (1 sedang dikerjakan), 1 terlambat; 1 selesai, 0 tidak berlaku.",
        "Tidak ada klaim tentang kelas-kelas ini: mungkin ada atau tidak ada dalam data.",
        f"{num(s.leaked_people)} orang yang datanya bocor, {num(s.matched_people)} "
        "di antaranya cocok dengan akun kami",
    ]


@pytest.mark.parametrize("lang", ["en", "id"])
def test_report_states_what_the_case_stores(
    built_case: BuiltCase, html: Callable[[str], str], lang: str
) -> None:
    text = _text(html(lang))
    for sentence in _expected(built_case, lang):
        assert sentence in text, sentence
    assert built_case.received == SENT  # the notices really went through SMTP


@pytest.mark.parametrize("lang", ["en", "id"])
def test_pdf_has_the_same_sentences_and_a_one_page_summary(
    built_case: BuiltCase, pdf_pages: Callable[[str], list[str]], lang: str
) -> None:
    pages = pdf_pages(lang)
    whole = " ".join(pages)
    for sentence in _expected(built_case, lang):
        assert sentence in whole, sentence
    # duty titles in the report's language (rule data), citations as the statute names them
    title = "Written notice to the data subjects" if lang == "en" else "Pemberitahuan tertulis kepada subjek"
    assert title in whole and "Art. 46(1)(a)" in whole
    summary, timeline = ("Summary", "1. Timeline") if lang == "en" else ("Ringkasan", "1. Kronologi")
    assert summary in pages[0] and timeline not in pages[0]
    assert pages[1].startswith(timeline)  # the summary is exactly the first page
    assert len(pages) >= 4


@pytest.mark.parametrize(
    ("status", "heading_en"),
    [("present", "Present:"), ("absent", "Not in the data"), ("not_checked", "Not checked")],
)
def test_each_class_is_said_under_its_own_status_only(
    built_case: BuiltCase, html: Callable[[str], str], status: str, heading_en: str
) -> None:
    data = gather(built_case.engine, built_case.incident_id)
    names = class_names(data, "en")
    said = {"present": names.present, "absent": names.absent, "not_checked": names.not_checked}
    assert said[status], f"the test case has no {status} class"
    others = [n for k, v in said.items() if k != status for n in v]
    assert not set(said[status]) & set(others)
    text = _text(html("en"))
    start = text.index(heading_en)
    assert said[status][0] in text[start : start + 2000]


def test_a_class_nobody_checked_is_never_called_absent(built_case: BuiltCase) -> None:
    data = gather(built_case.engine, built_case.incident_id)
    not_checked = {c.id for c in data.classes if c.status.startswith("not_checked")}
    assert not_checked, "the synthetic leak has classes no detector examined (usernames)"
    names = class_names(data, "en")
    from breachscope.notify.catalogue import load_catalogue

    cat = load_catalogue("en")
    assert not {cat.name(c) for c in not_checked} & set(names.absent)


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize(
    "hostile",
    [HOSTILE_NAME, HOSTILE_COLUMN, HOSTILE_NOTE, HOSTILE_WHY],
    ids=["name", "column", "note", "why"],
)
def test_leaked_and_typed_values_are_inert(html: Callable[[str], str], lang: str, hostile: str) -> None:
    page = html(lang)
    assert leak(hostile, 600)[:40] in _text(page)  # shown, as inert text
    for raw in ("<script", "<img", "<svg", "<iframe", "http://", "https://", "www.evil"):
        assert raw not in page.lower().replace('<img class="chart"', ""), raw
    assert "\u202e" not in page and "evil.example" not in page  # bidi shown as ?, domains defanged
    assert "<a " not in page  # no link at all in the report


@pytest.mark.parametrize("lang", ["en", "id"])
def test_page_policy_allows_no_script_and_no_request(html: Callable[[str], str], lang: str) -> None:
    page = html(lang)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    import html as htmllib

    policy = htmllib.unescape(csp.group(1))
    assert "default-src 'none'" in policy and "script-src" not in policy and "unsafe" not in policy
    assert re.findall(r'src="([^"]+)"', page) and all(
        s.startswith("data:image/svg+xml;base64,") for s in re.findall(r'src="([^"]+)"', page)
    )
    for uri in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page):
        svg = base64.b64decode(uri).decode()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<script" not in svg


def _empty_case(tmp_path: Path) -> tuple[object, int]:
    engine = open_case_db(f"sqlite:///{tmp_path / 'empty.db'}", create=True)
    with session_scope(engine) as s:
        incident = api.create_incident(s, "Just opened").id
    return engine, incident


@pytest.mark.parametrize(
    ("lang", "sentences"),
    [
        (
            "en",
            [
                "Scope has not been run yet: no figures of affected people, organizations or "
                "countries are stored.",
                "No dataset is attached yet: no data class has been checked.",
                "No assessment has been run yet: no duty is determined.",
                "No notice has been queued or sent yet.",
                "No open task (0 done, 0 not applicable).",
                "The cause of the breach is not recorded.",
                "Whose systems were breached is not recorded.",
            ],
        ),
        (
            "id",
            [
                "Cakupan belum dijalankan: belum ada angka orang, organisasi atau negara yang terdampak.",
                "Belum ada dataset yang dilampirkan: belum ada kelas data yang diperiksa.",
                "Belum ada penilaian: belum ada kewajiban yang ditentukan.",
                "Belum ada pemberitahuan yang diantrekan atau dikirim.",
                "Penyebab pelanggaran tidak dicatat.",
            ],
        ),
    ],
)
def test_unknown_reads_as_unknown(tmp_path: Path, lang: str, sentences: list[str]) -> None:
    engine, incident = _empty_case(tmp_path)
    clock = FixedClock(datetime(2025, 11, 27, tzinfo=UTC))
    text = _text(report_html(gather(engine, incident, clock=clock), lang))  # type: ignore[arg-type]
    for sentence in sentences:
        assert sentence in text, sentence
    for claim in ("Present:", "Not in the data", "Ada:", "Tidak ada dalam data"):
        assert f"{claim} " not in text.split("Data.")[1][:200]
    engine.dispose()  # type: ignore[attr-defined]


def test_every_naughty_string_is_inert_in_report_and_public_page(tmp_path: Path) -> None:
    """The whole naughty-strings table as timeline events and as the incident's description."""
    from breachscope.notify.config import from_mapping
    from breachscope.report.public import public_html
    from tests.readers.naughty_strings import NAUGHTY

    engine = open_case_db(f"sqlite:///{tmp_path / 'naughty.db'}", create=True)
    with session_scope(engine) as s:
        incident = api.create_incident(s, "naughty", description=" | ".join(NAUGHTY)).id
        for value in NAUGHTY:
            api.add_timeline_event(s, incident, value or "-", author=value[:50] or "-")
    data = gather(engine, incident)
    config = from_mapping(
        {"notify": {"company": "Example Corp", "official_domain": "example.com", "from": "s@example.com"}},
        check_key=False,
    )
    pages = [(report_html(data, "en"), 0), (report_html(data, "id"), 0), (public_html(data, config, "en"), 1)]
    for page, links in pages:  # the public page's one link is to its other language
        assert not re.search(r"<(script|img|svg|iframe|object|embed|link|base|form)\b", page)
        assert len(re.findall(r"<a\b", page)) == links
        assert not re.search(r"<[^>]+\son\w+=", page)  # no event-handler attribute on a real tag
        assert "\u202e" not in page and "\u200b" not in page
        assert "{{7*7}}" in page or "{{7*7}}".replace("{", "&#123;") in page  # never evaluated
        assert "https://" not in page and "javascript:alert" not in page
    assert len([e for e in data.timeline if e.kind == "note"]) == len(NAUGHTY)
    engine.dispose()


@pytest.mark.parametrize("scheme", ["file", "http"])
def test_pdf_rendering_fetches_no_file_and_no_url(tmp_path: Path, scheme: str) -> None:
    """Even markup that slipped through could not make WeasyPrint read a file or the network."""
    from breachscope.report.render import html_to_pdf

    png = tmp_path / "secret.png"
    png.write_bytes(base64.b64decode(_PNG))
    src = png.as_uri() if scheme == "file" else "http://127.0.0.1:9/secret.png"
    pdf = html_to_pdf(f'<p>x</p><img src="{src}"><img src="data:image/png;base64,{_PNG}">')
    images = [
        name
        for page in PdfReader(io.BytesIO(pdf)).pages
        for name in (page["/Resources"].get("/XObject") or {})  # type: ignore[union-attr]
    ]
    assert len(images) == 1  # the data: image only


_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
