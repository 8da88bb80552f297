"""Pure parts: defanging, the link guard, config checks, verification phrases, catalogues, overrides."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from breachscope import taxonomy
from breachscope.errors import BreachscopeError
from breachscope.notify import verification
from breachscope.notify.catalogue import BUILTIN_TEMPLATES, load_catalogue, normalise_language
from breachscope.notify.config import Secret, SmtpSettings, from_mapping
from breachscope.notify.render import NoticeError, NoticeFrom, Renderer
from breachscope.notify.safety import defang, find_html_links, find_links, one_line, show_domain

from .conftest import DkimKey, config_mapping, user_ctx


@pytest.mark.parametrize(
    ("value", "links_before"),
    [
        ("visit evil.com now", True),
        ("http://phish.example/login", True),
        ("mailto:x@y.z", True),
        ("www.evil.example", True),
        ("bob@evil.example", True),
        ("Jakarta, Indonesia", False),
        ("J. R. R. Tolkien", False),
        ("O'Brien & Sons <b>", False),
    ],
)
def test_defang_leaves_nothing_linkable(value: str, links_before: bool) -> None:
    assert bool(find_links(value)) is links_before
    assert find_links(defang(value)) == []


@pytest.mark.parametrize("value", ["a\r\nBcc: x", "a\nb", "a\x00b", "a\u2028b", "a\tb", "a\x1b[31mb"])
def test_one_line_removes_every_line_break_and_control(value: str) -> None:
    out = one_line(value)
    assert all(ch.isprintable() for ch in out) and "\n" not in out and "\r" not in out


@pytest.mark.parametrize(
    ("html", "clean"),
    [
        ("<p>example[.]com</p>", True),
        ("<p>&lt;a href=&quot;x&quot;&gt;</p>", True),
        ('<p><a href="x">y</a></p>', False),
        ('<img src="x">', False),
        ('<meta http-equiv="refresh" content="0">', False),
        ("<p>go to example.com</p>", False),
        ("<p>https[:]//x</p>", True),
    ],
)
def test_html_link_guard(html: str, clean: bool) -> None:
    assert (find_html_links(html) == []) is clean


@pytest.mark.parametrize(
    ("style", "shown"), [("brackets", "example[.]co[.]id"), ("words", "example dot co dot id")]
)
def test_official_domain_is_shown_unclickable(style: str, shown: str) -> None:
    assert show_domain("example.co.id", style) == shown and find_links(shown) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"from": "x@example.com.evil.org"}, "not on the official domain"),
        ({"from": "x@examp1e.com"}, "not on the official domain"),
        ({"reply_to": "x@gmail.com"}, "not on the official domain"),
        ({"drafts_to": "legal@other.org"}, "not on the official domain"),
        ({"from": "x@example.com\r\nBcc: y@z"}, "line break"),
        ({"company": ""}, "company is missing"),
    ],
)
def test_config_rejects_off_domain_and_broken_senders(
    dkim_key: DkimKey, change: dict[str, str], message: str
) -> None:
    mapping = config_mapping(dkim_key)
    mapping["notify"].update(change)
    with pytest.raises(BreachscopeError, match=message):
        from_mapping(mapping)


def test_config_accepts_subdomain_and_checks_dkim_alignment(dkim_key: DkimKey, tmp_path: Path) -> None:
    mapping = config_mapping(dkim_key)
    mapping["notify"]["from"] = "Security <notices@mail.example.com>"
    assert from_mapping(mapping).from_address.domain == "mail.example.com"
    mapping["notify"]["dkim"]["domain"] = "other.org"
    with pytest.raises(BreachscopeError, match="not aligned"):
        from_mapping(mapping)
    weak = tmp_path / "weak.pem"
    weak.write_text("not a key")
    mapping = config_mapping(dkim_key)
    mapping["notify"]["dkim"]["private_key_file"] = str(weak)
    with pytest.raises(BreachscopeError, match="not a PEM RSA private key"):
        from_mapping(mapping)


def test_secrets_are_masked() -> None:
    smtp = SmtpSettings(username="u", password=Secret("hunter2"))
    assert "hunter2" not in repr(smtp) and "hunter2" not in str(smtp)
    assert smtp.password is not None and smtp.password.reveal() == "hunter2"


def test_verification_is_stable_distinct_and_checkable() -> None:
    a = verification.phrase("k", 1, "user", "u1")
    assert a == verification.phrase("k", 1, "user", "u1")
    assert a != verification.phrase("k", 1, "user", "u2") != verification.phrase("k2", 1, "user", "u1")
    assert len(a.split()) == 4 and all(w in verification.WORDS for w in a.split())
    assert verification.check("k", 1, "user", "u1", "  " + a.upper() + " ")
    assert not verification.check("k", 1, "user", "u2", a)
    ref = verification.reference("k", 1, "user", "u1")
    assert len(ref) == 11 and ref[5] == "-"
    with pytest.raises(BreachscopeError, match="verification_key"):
        verification.phrase("", 1, "user", "u1")


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_data_class_has_words_in_every_shipped_language(language: str) -> None:
    raw = (BUILTIN_TEMPLATES / language / "fields.yaml").read_text()
    cat = load_catalogue(language)
    for dc in taxonomy.DATA_CLASSES:
        assert f"  {dc.id}:" in raw, f"{language}/fields.yaml lacks {dc.id}"
        assert cat.your_phrase(dc.id) and cat.name(dc.id)


@pytest.mark.parametrize(
    ("raw", "lang"),
    [("id-ID", "id"), ("in", "id"), ("Bahasa Indonesia", "id"), ("EN_us", "en"), ("", ""), ("fr-CA", "fr")],
)
def test_language_normalisation(raw: str, lang: str) -> None:
    assert normalise_language(raw) == lang


def test_template_override_folder_is_used_and_link_guard_refuses_edits(tmp_path: Path) -> None:
    over = tmp_path / "templates"
    shutil.copytree(BUILTIN_TEMPLATES / "en", over / "en")
    subject = over / "en" / "user.subject.j2"
    subject.write_text("Important: about your account ({{ reference }})\n")
    renderer = Renderer(NoticeFrom("Example Corp", "example.com"), over)
    out = renderer.render(user_ctx(1), phrase="a b c d", reference="R")
    assert out.subject == "Important: about your account (R)"
    (over / "en" / "user.txt.j2").write_text("Click https://example.com/reset to continue\n")
    with pytest.raises(NoticeError, match="link-like"):
        Renderer(NoticeFrom("Example Corp", "example.com"), over).render(
            user_ctx(1), phrase="a b c d", reference="R"
        )


def test_hostile_html_in_values_is_escaped() -> None:
    renderer = Renderer(NoticeFrom("Example Corp", "example.com"), None)
    out = renderer.render(
        user_ctx(1, name="<img src=x onerror=alert(1)>", location="<b>Jakarta</b>"), phrase="a", reference="R"
    )
    assert "<img" not in out.html and "&lt;img" in out.html and "&lt;b&gt;Jakarta" in out.html
    assert find_html_links(out.html) == []


def test_rendering_in_worker_processes_queues_the_same_rows(dkim_key: DkimKey, tmp_path: Path) -> None:
    from sqlalchemy import select

    from breachscope.case import api
    from breachscope.case.db import open_case_db, session_scope
    from breachscope.notify.outbox import OutboxMessage
    from breachscope.notify.queue import queue_notices
    from breachscope.notify.service import make_renderer

    config = from_mapping(config_mapping(dkim_key))
    contexts = [user_ctx(n, language="id" if n % 2 else "en") for n in range(12)]
    contexts.append(user_ctx(99, email="not an address"))
    bodies = []
    for workers in (0, 2):
        engine = open_case_db(f"sqlite:///{tmp_path / f'w{workers}.db'}", create=True)
        with session_scope(engine) as session:
            api.create_incident(session, "x")
        summary = queue_notices(
            engine, contexts, renderer=make_renderer(config), config=config, workers=workers
        )
        assert (summary.rendered, summary.invalid_address) == (12, 1)
        with session_scope(engine) as session:
            bodies.append(
                [
                    (r.idempotency_key, r.subject, r.body)
                    for r in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
                ]
            )
        engine.dispose()
    assert bodies[0] == bodies[1]


ASKS = {
    "en": [
        "click",
        "enter your password",
        "reply with your",
        "send us your",
        "confirm your password",
        "log in here",
        "verify your account",
    ],
    "id": [
        "klik",
        "masukkan kata sandi",
        "balas dengan kata sandi",
        "kirimkan kata sandi",
        "verifikasi akun anda",
    ],
}
NEVER = {"en": "We will never ask you", "id": "Kami tidak akan pernah meminta"}


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("kind", ["user", "admin"])
def test_notices_ask_for_nothing_and_say_so(language: str, kind: str) -> None:
    from dataclasses import replace

    from breachscope.notify.context import OrgInfo

    ctx = user_ctx(1, language=language)
    if kind == "admin":
        ctx = replace(ctx, kind="admin", org=OrgInfo("o1", "Acme", 3, ("email", "person_name")))
    out = Renderer(NoticeFrom("Example Corp", "example.com"), None).render(
        ctx, phrase="a b c d", reference="R"
    )
    for part in (out.subject, out.text, out.html):
        low = part.lower()
        assert not [a for a in ASKS[language] if a in low]
    assert NEVER[language] in out.text and NEVER[language] in out.html
    assert "a b c d" in out.text and "example[.]com" in out.text


@pytest.mark.parametrize(("language", "spelled"), [("en", "example dot com"), ("id", "example titik com")])
def test_domain_in_words_is_in_the_recipients_language(language: str, spelled: str) -> None:
    renderer = Renderer(NoticeFrom("Example Corp", "example.com", domain_style="words"), None)
    out = renderer.render(user_ctx(1, language=language), phrase="a", reference="R")
    assert spelled in out.text and spelled in out.html and find_links(out.text) == []
    assert "[.]" not in out.text


_HOSTILE = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from(list(".@:/\r\n<>\"'&wW[]-_"))), max_size=120
) | st.builds(
    lambda a, b: f"{a}.{b}",
    st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True),
    st.from_regex(r"[a-z]{2,6}", fullmatch=True),
)


@settings(max_examples=300, deadline=None)
@given(_HOSTILE)
def test_defang_property_no_links_no_line_breaks(value: str) -> None:
    out = defang(value)
    assert find_links(out) == []
    assert "\r" not in out and "\n" not in out and all(ch.isprintable() for ch in out)


@settings(max_examples=60, deadline=None)
@given(name=_HOSTILE, location=_HOSTILE)
def test_any_hostile_name_renders_link_free_and_builds_one_to_header(name: str, location: str) -> None:
    import email
    from datetime import UTC, datetime
    from email import policy
    from email.headerregistry import Address

    from breachscope.notify.message import build_message

    out = Renderer(NoticeFrom("Example Corp", "example.com"), None).render(
        user_ctx(1, name=name, location=location), phrase="a", reference="R"
    )
    assert find_links(out.text) == [] and find_html_links(out.html) == []
    data = build_message(
        subject=out.subject, text=out.text, html=out.html, to_addr="u@example.org", to_name=name,
        from_address=Address("Ex", "s", "example.com"), reply_to=None, message_id="<m@example.com>",
        date=datetime.now(UTC), language="en", reference="R",
    )  # fmt: skip
    msg = email.message_from_bytes(data, policy=policy.default)
    assert [k for k in msg.keys() if k.lower() in ("bcc", "cc", "x-injected")] == []
    assert len(msg.get_all("To", [])) == 1 and msg["To"].addresses[0].addr_spec == "u@example.org"
