"""Recommended actions: each caused by an exposed class; the not-needed ones say why."""

from __future__ import annotations

import pytest

from breachscope import taxonomy
from breachscope.rules.actions import recommend
from breachscope.rules.facts import Facts
from breachscope.rules.schema import RuleSet

ALL = frozenset(dc.id for dc in taxonomy.DATA_CLASSES)
CONTACT_ACTIONS = {"phishing_warning", "official_sending_domain", "enable_mfa", "never_share_secrets"}
NAME_ONLY = CONTACT_ACTIONS - {"official_sending_domain"}  # a name alone: no sending-domain warning


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        ({"person_name", "email", "coarse_location", "device", "internal_id"}, CONTACT_ACTIONS),
        ({"email", "password"}, CONTACT_ACTIONS | {"force_password_reset", "change_password"}),
        ({"email", "password_hash"}, CONTACT_ACTIONS | {"force_password_reset", "change_password"}),
        ({"internal_id", "secret"}, {"revoke_keys", "rotate_keys"}),
        ({"private_key"}, {"revoke_keys", "rotate_keys"}),
        ({"person_name", "payment_card"}, {"card_reissue", "fraud_monitoring", *NAME_ONLY}),
        ({"card_security_code"}, {"card_reissue", "fraud_monitoring"}),
        ({"government_id"}, {"identity_theft_guidance"}),
        ({"bank_account"}, {"contact_bank"}),
        ({"phone"}, CONTACT_ACTIONS),
        ({"device", "coarse_location"}, set()),
    ],
)  # fmt: skip
def test_actions_follow_the_classes(rules: RuleSet, present: set[str], expected: set[str]) -> None:
    f = Facts(present=frozenset(present), absent=ALL - present, affected={}, values_checked=1_234)
    actions, not_needed, undetermined = recommend(f, rules.actions)
    assert {a.id for a in actions} == expected
    for a in actions:
        assert a.caused_by and set(a.caused_by) <= present
        assert a.text["en"].strip() and a.text["id"].strip()
    assert {n.id for n in not_needed} == {s.id for s in rules.actions} - expected
    assert undetermined == ()


@pytest.mark.parametrize(
    ("records", "complete", "en", "id_words"),
    [
        (20_000, True, "(we checked all 20,000 records in the dataset).", "seluruh 20,000 catatan"),
        (
            19_500,
            False,
            "(we checked the 19,500 records that could be read in the dataset).",
            "19,500 catatan yang",
        ),
        (0, True, "(we checked every record in the dataset).", "setiap catatan"),
    ],
)
def test_no_need_to_change_your_password(
    rules: RuleSet, records: int, complete: bool, en: str, id_words: str
) -> None:
    present = frozenset({"person_name", "email", "coarse_location"})
    f = Facts(
        present=present,
        absent=ALL - present,
        affected={},
        values_checked=2_000_000,
        records_checked=records,
        files_checked=1,
        absence_complete=complete,
    )
    _, not_needed, _ = recommend(f, rules.actions)
    text = {n.id: n.text for n in not_needed}["change_password"]
    assert text["en"] == (
        "No need to change your password: no plaintext passwords or password hashes were in the dataset " + en
    )
    assert "values" not in text["en"] and "2,000,000" not in text["en"]
    assert "tidak perlu mengganti kata sandi" in text["id"] and id_words in text["id"]


def test_unchecked_classes_are_undetermined_not_dismissed(rules: RuleSet) -> None:
    f = Facts(present=frozenset({"email"}), absent=frozenset({"password"}), affected={})
    _, not_needed, undetermined = recommend(f, rules.actions)
    assert "change_password" in undetermined  # password_hash was not checked
    assert "change_password" not in {n.id for n in not_needed}


def test_every_action_has_both_languages(rules: RuleSet) -> None:
    for spec in rules.actions:
        assert set(spec.text) == {"en", "id"} and set(spec.not_needed) == {"en", "id"}


def test_unknown_record_count_reads_as_every_record(rules: RuleSet) -> None:
    f = Facts(present=frozenset({"email"}), absent=ALL - {"email"}, affected={})
    _, not_needed, _ = recommend(f, rules.actions)
    text = {n.id: n.text for n in not_needed}["change_password"]
    assert "(we checked every record in the dataset)" in text["en"]
    assert "kami memeriksa setiap catatan dalam dataset" in text["id"]


def test_action_texts_have_no_placeholders(rules: RuleSet) -> None:
    for spec in rules.actions:
        for words in spec.text.values():
            assert "{" not in words and "}" not in words, spec.id
