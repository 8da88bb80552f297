"""Notices state only recorded incident facts: every template x language x fact state.

Each claim below is a sentence a notice may make about the incident. It must appear when (and,
for the statements the notice owes the reader, only when) the fact behind it is recorded; an
unknown fact gets neutral wording. The old hard-coded assertions must never come back.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable
from dataclasses import replace

import pytest

from breachscope.notify.context import DutyInfo, IncidentInfo, Kind, NoticeContext, OrgInfo
from breachscope.notify.render import NoticeFrom, Renderer

from .conftest import ACTIONS, INCIDENT

State = dict[str, str]

KEYS = ("cause", "our_systems_affected", "vendor_relationship", "working_with_vendor", "breached_party")
CAUSES = ("outside-attacker", "insider", "misdirected-export", "misconfigured-export", "unknown")
STATES: list[State] = [
    dict(zip(KEYS, values, strict=True))
    for values in itertools.product(
        CAUSES, ("yes", "no", "unknown"), ("stopped-sending", "removed", "continuing", "unknown"),
        ("yes", "no", "unknown"), ("vendor", "us", "unknown"),
    )
]  # fmt: skip


def _vendor_side(s: State) -> bool:
    return s["breached_party"] != "us"


#: (words per language, when the notice must say them). A claim found when its condition is
#: false is an unbacked assertion; a claim missing when true is a recorded fact left out.
CLAIMS: list[tuple[dict[str, str], Callable[[State], bool]]] = [
    ({"en": "Our own systems were not breached", "id": "Sistem kami sendiri tidak dibobol"},
     lambda s: s["our_systems_affected"] == "no" and _vendor_side(s)),
    ({"en": "Some of our own systems were also affected", "id": "Sebagian sistem kami sendiri juga"},
     lambda s: s["our_systems_affected"] == "yes" and _vendor_side(s)),
    ({"en": "an attacker from outside", "id": "penyerang dari luar"},
     lambda s: s["cause"] == "outside-attacker"),
    ({"en": "exported a dataset without authorisation", "id": "mengekspor sebuah dataset tanpa izin"},
     lambda s: s["cause"] == "insider"),
    ({"en": "sent to the wrong recipient", "id": "penerima yang salah"},
     lambda s: s["cause"] == "misdirected-export"),
    ({"en": "misconfigured export", "id": "salah konfigurasi"},
     lambda s: s["cause"] == "misconfigured-export"),
    ({"en": "We are still investigating how this happened", "id": "Kami masih menyelidiki bagaimana"},
     lambda s: s["cause"] == "unknown"),
    ({"en": "Mixpanel told us that", "id": "Mixpanel memberi tahu kami bahwa"}, _vendor_side),
    ({"en": "We found that", "id": "Kami menemukan bahwa"}, lambda s: not _vendor_side(s)),
    ({"en": "We stopped sending data to Mixpanel", "id": "Kami telah berhenti mengirim data"},
     lambda s: s["vendor_relationship"] == "stopped-sending" and _vendor_side(s)),
    ({"en": "We removed Mixpanel from our systems", "id": "Kami telah menghapus Mixpanel"},
     lambda s: s["vendor_relationship"] == "removed" and _vendor_side(s)),
    ({"en": "We are working with Mixpanel", "id": "Kami bekerja sama dengan Mixpanel"},
     lambda s: s["working_with_vendor"] == "yes" and _vendor_side(s)),
]  # fmt: skip
#: Words the templates used to hard-code, now never said.
NEVER = (
    "attacker had exported",
    "penyerang telah mengekspor",
    "when the provider notified it",
    "ketika penyedia memberi tahu",
    "a service provider Example used",
    "yang digunakan Example",
)

DUTY = DutyInfo(
    id="id-pdp-authority",
    jurisdiction="ID",
    recipient="Kementerian Komunikasi dan Digital",
    citation="UU 27/2022 Pasal 46",
    required_content=("entity_name", "nature", "cause", "time_of_breach", "how_discovered", "measures_taken"),
    affected_people=4,
)


def _ctx(kind: Kind, language: str, incident: IncidentInfo) -> NoticeContext:
    extra: dict[str, object] = {}
    if kind == "admin":
        extra["org"] = OrgInfo("o1", "Acme", 3, ("email", "person_name"))
    if kind == "regulator":
        extra["duty"] = DUTY
    return NoticeContext(
        kind=kind,
        recipient_key="r1",
        email="" if kind == "regulator" else "rina@example.org",
        name="Rina",
        language=language,
        incident=incident,
        exposed_classes=("email", "person_name"),
        actions=ACTIONS,
        **extra,  # type: ignore[arg-type]
    )


def _texts(renderer: Renderer, ctx: NoticeContext) -> list[str]:
    notice = renderer.render(ctx, phrase="amber-otter-violet", reference="R-1")
    body = html.unescape(re.sub(r"<[^>]+>", " ", notice.html))
    return [" ".join(notice.text.split()), " ".join(body.split())]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(NoticeFrom(company="Example", domain="example.com"))


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("kind", ["user", "admin", "regulator"])
def test_every_sentence_about_the_incident_is_backed_by_a_recorded_fact(
    renderer: Renderer, kind: Kind, language: str
) -> None:
    for state in STATES:
        ctx = _ctx(kind, language, replace(INCIDENT, **state))
        for text in _texts(renderer, ctx):
            for words, backed in CLAIMS:
                said = words[language] in text
                assert said == backed(state), (words[language], state, text)
            assert not [w for w in NEVER if w in text], (state, text)


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("kind", ["user", "admin"])
@pytest.mark.parametrize(
    ("recorded", "configured"),
    [
        ("", ""),
        ("Settings > Security notices", ""),
        ("", "Help > Notices"),
        ("Account > Alerts", "Help > Notices"),
    ],
)
def test_a_help_page_is_named_only_when_configured_or_recorded(
    kind: Kind, language: str, recorded: str, configured: str
) -> None:
    renderer = Renderer(NoticeFrom(company="Example", domain="example.com", help_page=configured))
    for text in _texts(renderer, _ctx(kind, language, replace(INCIDENT, help_page=recorded))):
        page = recorded or configured
        assert ("Security notices" in text) == (recorded == "Settings > Security notices")
        assert "Pemberitahuan keamanan" not in text
        if page:
            assert f'"{page}"' in text and "Help > Notices" not in text.replace(f'"{page}"', "")
        else:
            assert ("If you contact us about this notice" in text) or ("Bila Anda menghubungi kami" in text)


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("kind", ["user", "admin", "regulator"])
@pytest.mark.parametrize(
    ("recorded", "configured"), [("", ""), ("+62 21 5550 1000", ""), ("", "+1 555 0100")]
)
def test_a_phone_number_is_given_only_when_configured_or_recorded(
    kind: Kind, language: str, recorded: str, configured: str
) -> None:
    renderer = Renderer(NoticeFrom(company="Example", domain="example.com", support_phone=configured))
    for text in _texts(renderer, _ctx(kind, language, replace(INCIDENT, support_phone=recorded))):
        phone = recorded or configured
        said = any(w in text for w in ("call us on", "or telephone", "menelepon kami", "atau telepon"))
        assert said == bool(phone) and (not phone or phone in text)


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("kind", ["user", "admin", "regulator"])
def test_recorded_measures_are_quoted_and_nothing_else_is_claimed(kind: Kind, language: str) -> None:
    renderer = Renderer(NoticeFrom(company="Example", domain="example.com"))
    statement = "We reset every API token issued before 27 November."
    with_it = _texts(renderer, _ctx(kind, language, replace(INCIDENT, measures=statement)))
    without = _texts(renderer, _ctx(kind, language, INCIDENT))
    assert all(statement in t for t in with_it) and not any(statement in t for t in without)


@pytest.mark.parametrize(
    ("language", "claim", "said"),
    [
        ("en", "We are telling everyone affected", "We are telling the people affected."),
        (
            "id",
            "Kami memberi tahu setiap orang yang terdampak.",
            "Kami memberi tahu orang-orang yang terdampak.",
        ),
    ],
)
def test_a_user_notice_does_not_claim_everyone_is_told(language: str, claim: str, said: str) -> None:
    # notify --required-only / --jurisdiction tell only some of the people affected
    renderer = Renderer(NoticeFrom(company="Example", domain="example.com"))
    texts = _texts(renderer, _ctx("user", language, INCIDENT))
    assert all(said in t and claim not in t for t in texts), texts[0]


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("kind", ["user", "admin", "regulator"])
@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        ("We rotated all API keys", "We rotated all API keys. "),  # no full stop: one is added
        ("We rotated all API keys.", "We rotated all API keys. "),
        ("Did we? Yes!", "Did we? Yes! "),
    ],
)
def test_a_recorded_measure_is_a_closed_sentence(
    kind: Kind, language: str, recorded: str, shown: str
) -> None:
    renderer = Renderer(NoticeFrom(company="Example", domain="example.com"))
    texts = _texts(renderer, _ctx(kind, language, replace(INCIDENT, measures=recorded)))
    assert all(shown in t for t in texts), texts[0]


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_regulator_draft_asks_for_what_is_not_recorded(renderer: Renderer, language: str) -> None:
    todo = "[TO COMPLETE" if language == "en" else "[LENGKAPI"
    unknown = _texts(renderer, _ctx("regulator", language, INCIDENT))[0]
    known = replace(
        INCIDENT, cause="outside-attacker", vendor_relationship="stopped-sending", occurred_on="2025-11-08"
    )
    recorded = _texts(renderer, _ctx("regulator", language, known))[0]
    assert "--set cause=" in unknown and unknown.count(todo) >= 2
    assert "--set cause=" not in recorded and "2025-11-08" in recorded


def test_the_case_facts_and_dates_reach_the_notice(tmp_path: object) -> None:
    """load_case reads the recorded facts and the occurrence/vendor-told-us dates from the case."""
    from datetime import UTC, datetime

    from breachscope.case import api
    from breachscope.case import facts as case_facts
    from breachscope.case.db import open_case_db, session_scope
    from breachscope.notify.sources import load_case

    engine = open_case_db("sqlite://", create=True)
    try:
        with session_scope(engine) as s:
            incident_id = api.create_incident(
                s,
                "Leak",
                vendor="Mixpanel",
                occurred_at=datetime(2025, 11, 8, tzinfo=UTC),
                vendor_notified_us_at=datetime(2025, 11, 25, tzinfo=UTC),
            ).id
            before = load_case(s, incident_id).incident
            case_facts.set_facts(
                s,
                incident_id,
                {"cause": "insider", "our-systems-affected": "no", "support-phone": "+62 21 5550 1000",
                 "help-page": "Settings > Security", "measures": "We revoked the export key."},
                by="Dana",
            )  # fmt: skip
            after = load_case(s, incident_id).incident
    finally:
        engine.dispose()
    assert (before.cause, before.our_systems_affected, before.help_page, before.support_phone) == (
        "unknown", "unknown", "", "",
    )  # fmt: skip
    assert (after.occurred_on, after.notified_on) == ("2025-11-08", "2025-11-25")
    assert (after.cause, after.our_systems_affected, after.vendor_relationship) == (
        "insider",
        "no",
        "unknown",
    )
    assert (after.support_phone, after.help_page) == ("+62 21 5550 1000", "Settings > Security")
    assert after.measures == "We revoked the export key."


def test_help_page_is_read_from_notify_toml(dkim_key: object) -> None:
    from breachscope.notify.config import from_mapping
    from breachscope.notify.service import make_renderer

    from .conftest import config_mapping

    data = config_mapping(dkim_key)  # type: ignore[arg-type]
    assert make_renderer(from_mapping(data)).sender.help_page == ""
    data["notify"]["help_page"] = " Help > Notices "
    assert make_renderer(from_mapping(data)).sender.help_page == "Help > Notices"


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize(
    ("told", "said"),
    [
        (3, {"en": "We are telling each of them directly.", "id": "setiap orang tersebut secara langsung"}),
        (2, {"en": "We are telling 2 of them directly.", "id": "memberi tahu 2 orang di antara mereka"}),
        (0, {"en": "", "id": ""}),
    ],
)
def test_an_admin_notice_says_who_is_told_only_as_far_as_it_is_true(
    renderer: Renderer, language: str, told: int, said: dict[str, str]
) -> None:
    # --audience admins, --required-only and --jurisdiction runs tell only some (or none) of the
    # organization's people; the admin notice says so only for those whose notice is queued or sent
    ctx = _ctx("admin", language, INCIDENT)
    assert ctx.org is not None
    ctx = replace(ctx, org=replace(ctx.org, users_told=told))
    for text in _texts(renderer, ctx):
        assert said[language] in text, text
        assert "in their own language" not in text and "dalam bahasa mereka sendiri" not in text
        if told == 0:
            assert "telling each" not in text and "We are telling" not in text
            assert "Kami memberi tahu" not in text


def test_users_told_counts_this_run_and_the_outbox_per_organization() -> None:
    from breachscope.notify import sources
    from breachscope.scope.recipients import Recipient

    def person(user_id: str, org: str, role: str = "user") -> Recipient:
        return Recipient(
            role, 1, user_id, f"{user_id}@example.org", user_id, "en", org, org, "ID", None, "ID",
            "leak_country", role == "user", exposed_classes=("email",) if role == "user" else (),
            org_affected_users=2 if role == "admin" else 0,
        )  # fmt: skip

    people = (
        person("a1", "o1", "admin"),
        person("u1", "o1"),
        person("u2", "o1"),
        person("a2", "o2", "admin"),
    )
    people += (person("u3", "o2"),)
    case = sources.CaseNotices(INCIDENT, people, (), (), (), (), True)
    admins_only = list(sources.contexts(case, ("admin",)))
    everyone = list(sources.contexts(case, ("user", "admin")))

    def told(chosen: list[NoticeContext], outbox: set[str]) -> dict[str, int]:
        out = sources.with_users_told(case, chosen, outbox)
        return {c.org.id: c.org.users_told for c in out if c.org is not None}

    assert told(admins_only, set()) == {"o1": 0, "o2": 0}  # --audience admins, nothing queued
    assert told(admins_only, {"u1"}) == {"o1": 1, "o2": 0}  # one user notice in the outbox
    assert told(everyone, set()) == {"o1": 2, "o2": 1}
    only_o1 = [c for c in everyone if c.recipient_key != "u3"]  # e.g. --jurisdiction left u3 out
    assert told(only_o1, set()) == {"o1": 2, "o2": 0}
