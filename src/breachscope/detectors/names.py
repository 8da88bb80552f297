"""Person names (column hint + value shape) and usernames (column hint)."""

from __future__ import annotations

from breachscope.detectors.base import Detector

PERSON_NAME = Detector(
    name="person_name",
    version=1,
    data_class="person_name",
    pattern=r"^\s*[A-Za-zÀ-ɏ][A-Za-zÀ-ɏ'’.-]*(?:[ ,]+[A-Za-zÀ-ɏ][A-Za-zÀ-ɏ'’.-]*){0,5}\s*$",
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
    description="Letters-only words (1-6) in a column named like a person's name.",
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
