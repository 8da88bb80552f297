"""Person names (column hint + value shape, in Latin and non-Latin scripts) and usernames
(column hint).

Names in free text are not detected: a dictionary of names (names-dataset 3.3.1 was measured,
see docs/detectors.md) flags most ordinary words ("May", "Will", "The", "hari") as names.
"""

from __future__ import annotations

from breachscope.detectors.base import Detector

#: Letters of the scripts names are written in: Latin (with Vietnamese), Greek, Cyrillic,
#: Armenian, Hebrew, Arabic (letters and marks, not its digits), Devanagari, Bengali, Tamil,
#: Thai, Lao, Georgian, Hangul, Hiragana, Katakana and CJK ideographs. Literal ranges, so the
#: same class works in RE2 and in Python ``re`` (which the engine uses for a few values).
LETTERS = "A-Za-zÀ-ɏḀ-ỿͰ-ϿЀ-ӿԀ-ԯԱ-֏א-תؠ-ٟٮ-ۿऀ-ॿঀ-৿஀-௿ก-๛ກ-ໝა-ჿᄀ-ᇿ가-힣ぁ-ゟ゠-ヿ㐀-䶿一-鿿"
_WORD = "[" + LETTERS + "][" + LETTERS + "'’.·・-]*"

PERSON_NAME = Detector(
    name="person_name",
    version=2,
    data_class="person_name",
    # 1-6 words of letters in any of LETTERS' scripts, separated by spaces, commas or the
    # ideographic space: 山田太郎, 山田 太郎, Дмитрий Иванов, สมชาย ใจดี, ヤマダ・タロウ.
    pattern=r"^\s*" + _WORD + "(?:[ ,\u3000]+" + _WORD + r"){0,5}\s*$",
    column_hints=(
        r"^name$",
        r"_name$",
        r"^name_",
        r"full_?name",
        r"first_?name",
        r"last_?name",
        r"surname",
        r"given",
        r"fname",
        r"lname",
        r"^nama",
        r"display_?name",
        r"contact",
    ),
    requires_hint=True,
    weak=True,
    anti_hints=(
        r"user_?name",
        r"file_?name",
        r"host_?name",
        r"domain",
        r"org",
        r"company",
        r"product",
        r"event",
        r"browser",
        r"os_",
        r"city",
        r"region",
        r"country",
        r"app",
        r"page",
        r"campaign",
        r"plan",
        # a kind, a state or a type is no name (``first_contact_reply_type``, ``name_status``)
        r"_type$",
        r"_status$",
        r"_state$",
        r"_kind$",
    ),
    description=(
        "Letters-only words (1-6, Latin or non-Latin scripts) in a column named like a person's name."
    ),
)

USERNAME = Detector(
    name="username",
    version=1,
    data_class="username",
    pattern=r"^\s*@?[\w.-]{2,64}\s*$",
    column_hints=(r"user_?name", r"login", r"handle", r"screen_?name", r"nickname"),
    requires_hint=True,
    weak=True,
    description="Handles in a column named username/login/handle.",
)

DETECTORS: tuple[Detector, ...] = (PERSON_NAME, USERNAME)
