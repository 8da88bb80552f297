"""'What you do not need to do' speaks the recipient's language and only lists their own steps."""

from __future__ import annotations

from dataclasses import replace

import pytest

from breachscope import taxonomy
from breachscope.notify.context import ActionItem
from breachscope.notify.render import NoticeFrom, Renderer
from breachscope.notify.sources import recipient_not_needed
from breachscope.rules import load_rules
from breachscope.rules.actions import recommend
from breachscope.rules.facts import Facts

from .conftest import user_ctx

MODEL_PRESENT = frozenset({"person_name", "email", "coarse_location", "device", "url", "internal_id"})


def _model_case_not_needed() -> tuple[ActionItem, ...]:
    absent = frozenset(dc.id for dc in taxonomy.DATA_CLASSES) - MODEL_PRESENT
    facts = Facts(
        present=MODEL_PRESENT,
        affected={"ID": 10},
        absent=absent,
        values_checked=282_647,
        records_checked=20_000,
        files_checked=1,
    )
    _, not_needed, _ = recommend(facts, load_rules().actions)
    assert {n.audience for n in not_needed} == {"recipients", "company"}
    return recipient_not_needed(not_needed)


@pytest.mark.parametrize(
    ("language", "must", "must_not"),
    [
        (
            "id",
            ["kata sandi", "atau", "seluruh 20.000 catatan"],
            ["passwords", "password hashes", "20,000", "nilai"],
        ),
        ("en", ["passwords", "we checked all 20,000 records"], ["kata sandi", "20.000", "values"]),
    ],
)
def test_not_needed_lines_name_classes_in_the_recipients_language(
    language: str, must: list[str], must_not: list[str]
) -> None:
    ctx = replace(user_ctx(1, language=language), not_needed=_model_case_not_needed())
    text = (
        Renderer(NoticeFrom("Example Corp", "example.com"))
        .render(ctx, phrase="a b c d", reference="R-1")
        .text
    )
    for words in must:
        assert words in text
    for words in must_not:
        assert words not in text


def test_company_steps_are_not_told_to_recipients() -> None:
    ids = {item.id for item in _model_case_not_needed()}
    assert "change_password" in ids and "rotate_keys" in ids
    assert not ids & {"force_password_reset", "revoke_keys", "fraud_monitoring"}
