"""The bundled rule files load, cover the 26 jurisdictions, and bad files fail naming file, rule, field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from breachscope.rules.content import CONTENT_ITEMS
from breachscope.rules.loader import DATA_DIR, RuleFileError, load_rules, parse_actions, parse_jurisdiction
from breachscope.rules.schema import RuleSet

JURISDICTIONS = {
    "EU", "GB", "ID", "SG", "MY", "PH", "TH", "VN", "IN", "JP", "KR", "CN", "AU", "NZ", "CA", "CA-QC",
    "BR", "ZA", "US-CA", "US-NY", "US-TX", "US-FL", "US-MA", "US-IL", "US-WA", "US-HIPAA",
}  # fmt: skip


def _all_rules(rules: RuleSet) -> list[tuple[str, object]]:
    return [(r.id, r) for j in rules.jurisdictions for r in j.rules]


def test_all_26_jurisdictions_have_a_rule_file(rules: RuleSet) -> None:
    assert {j.code for j in rules.jurisdictions} == JURISDICTIONS
    assert len(rules.files) == 26


def test_every_rule_has_citation_confidence_sources_and_content(rules: RuleSet) -> None:
    for j in rules.jurisdictions:
        assert j.rules, j.code
        for r in j.rules:
            assert r.statute.strip() and r.citation.strip(), r.id
            assert r.confidence in ("confirmed", "unconfirmed"), r.id
            assert r.sources and all(re.match(r"https?://", s) for s in r.sources), r.id
            assert r.content and all(c.id in CONTENT_ITEMS for c in r.content), r.id
            if r.confidence == "unconfirmed":
                assert len(r.confidence_reason) > 20, r.id


def test_rule_ids_are_unique_and_prefixed_by_jurisdiction(rules: RuleSet) -> None:
    ids = [r.id for j in rules.jurisdictions for r in j.rules]
    assert len(ids) == len(set(ids))
    prefixes = {"GB": "uk-", "CA-QC": "qc-"}
    for j in rules.jurisdictions:
        prefix = prefixes.get(j.code, j.code.lower() + "-")
        assert all(r.id.startswith(prefix) for r in j.rules), j.code


@pytest.mark.parametrize(
    ("rule_id", "effective_from", "until"),
    [
        ("us-ca-residents", "2026-01-01", None),  # SB 446: 30 days
        ("us-ny-residents", "2024-12-21", None),
        ("my-commissioner", "2025-06-01", None),
        ("kr-individuals", "2026-09-11", None),
        ("cn-cac-major", "2025-11-01", None),
        ("vn-a05-decree13", "2023-07-01", "2025-12-31"),
        ("vn-law91-authority", "2026-01-01", None),
        ("in-dpdp-board", "2027-05-13", None),
        ("br-anpd", "2024-04-26", None),
    ],
)
def test_2024_2026_changes_are_dated(
    rules: RuleSet, rule_id: str, effective_from: str, until: str | None
) -> None:
    _, rule = rules.rule(rule_id)
    assert str(rule.effective_from) == effective_from
    assert (str(rule.until) if rule.until else None) == until


@pytest.mark.parametrize(
    "rule_id",
    ["id-subjects", "id-agency", "vn-law91-authority", "in-dpdp-board", "ph-processor", "th-processor"],
)
def test_weak_spots_are_unconfirmed(rules: RuleSet, rule_id: str) -> None:
    assert rules.rule(rule_id)[1].confidence == "unconfirmed"


GOOD_RULE = """
  - id: xx-a
    title: T
    titles: {id: J}
    recipient: authority
    recipient_name: R
    statute: S
    citation: Art. 1
    trigger: {always: true}
    deadline: {form: fixed, amount: 72, unit: hours, clock: awareness, words: w}
    content: [nature]
    effective_from: 2020-01-01
    confidence: confirmed
    sources: [https://example.org]
"""
HEAD = "jurisdiction: XX\nname: X\ncodes: [XX]\ntimezone: UTC\nlaw: L\nrules:\n"


@pytest.mark.parametrize(
    ("old", "new", "rule", "field", "problem"),
    [
        ("unit: hours", "unit: weeks", "xx-a", "rules[0].deadline.unit", "not one of"),
        ("clock: awareness", "clock: whenever", "xx-a", "rules[0].deadline.clock", "not one of"),
        ("    citation: Art. 1\n", "", "xx-a", "rules[0].citation", "missing"),
        (
            "confidence: confirmed",
            "confidence: unconfirmed",
            "xx-a",
            "rules[0].confidence_reason",
            "must say why",
        ),
        (
            "{always: true}",
            '{classes: ["email + pasword"]}',
            "xx-a",
            "rules[0].trigger.classes[0]",
            "pasword",
        ),
        ("{always: true}", "{always: true, risk: high}", "xx-a", "rules[0].trigger", "exactly one"),
        ("content: [nature]", "content: [gossip]", "xx-a", "rules[0].content[0]", "gossip"),
        ("amount: 72", "amount: -1", "xx-a", "rules[0].deadline.amount", "positive"),
        (
            "form: fixed, amount: 72, unit: hours,",
            "form: fixed,",
            "xx-a",
            "rules[0].deadline.amount",
            "fixed",
        ),
        ("effective_from: 2020-01-01", "effective_from: soon", "xx-a", "rules[0].effective_from", "date"),
        ("sources: [https://example.org]", "sources: []", "xx-a", "rules[0].sources", "source"),
        ("recipient: authority", "recipient: everyone", "xx-a", "rules[0].recipient", "not one of"),
        ("title: T", "title: T\n    colour: red", "xx-a", "rules[0].colour", "unknown field"),
    ],
)
def test_invalid_rule_names_file_rule_and_field(
    old: str, new: str, rule: str, field: str, problem: str
) -> None:
    text = HEAD + GOOD_RULE.replace(old, new, 1)
    with pytest.raises(RuleFileError) as err:
        parse_jurisdiction("xx.yaml", text)
    e = err.value
    assert (e.file, e.rule, e.field) == ("xx.yaml", rule, field)
    assert problem in e.problem
    assert "xx.yaml" in str(e) and field in str(e) and rule in str(e)


def test_the_good_rule_parses() -> None:
    j = parse_jurisdiction("xx.yaml", HEAD + GOOD_RULE)
    assert j.rules[0].deadline.bound is not None and j.rules[0].deadline.bound.amount == 72


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        (HEAD.replace("timezone: UTC", "timezone: Mars/Olympus") + GOOD_RULE, "timezone", "time zone"),
        (HEAD.replace("codes: [XX]\n", "") + GOOD_RULE, "codes", "missing"),
        ("rules: [\n", "(top)", "YAML"),
        (HEAD + GOOD_RULE + GOOD_RULE, "id", "duplicate"),
        (
            HEAD + GOOD_RULE.replace("effective_from: 2020-01-01", "effective_from: 2021-02-31"),
            "(top)",
            "YAML",
        ),
    ],
)
def test_invalid_file_level_errors(text: str, field: str, problem: str) -> None:
    with pytest.raises(RuleFileError) as err:
        parse_jurisdiction("xx.yaml", text)
    assert err.value.field == field and problem in err.value.problem


def test_actions_file_needs_both_languages() -> None:
    bad = (
        "actions:\n  - id: a\n    audience: recipients\n    when_any: [email]\n"
        "    text: {en: hi}\n    not_needed: {en: x, id: y}\n"
    )
    with pytest.raises(RuleFileError) as err:
        parse_actions("actions.yaml", bad)
    assert (err.value.rule, err.value.field) == ("a", "actions[0].text.id")


def test_rule_set_version_changes_with_any_rule_file(tmp_path: Path) -> None:
    for p in DATA_DIR.glob("*.yaml"):
        (tmp_path / p.name).write_text(p.read_text())
    before = load_rules(tmp_path).version
    assert before == load_rules(DATA_DIR).version
    f = tmp_path / "sg.yaml"
    f.write_text(f.read_text().replace("amount: 3\n", "amount: 4\n", 1))
    assert load_rules(tmp_path).version != before


def test_an_invalid_file_in_a_folder_fails_the_whole_load(tmp_path: Path) -> None:
    (tmp_path / "xx.yaml").write_text(HEAD + GOOD_RULE.replace("unit: hours", "unit: fortnights"))
    with pytest.raises(RuleFileError, match=r"xx.yaml: rule 'xx-a': field 'rules\[0\].deadline.unit'"):
        load_rules(tmp_path)


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"\xff\xfe\x00not text", "not UTF-8"), (b"jurisdiction: XX\neffective_from: 2021-02-31\n", "YAML")],
)
def test_an_unreadable_rule_file_is_a_clean_error(tmp_path: Path, content: bytes, problem: str) -> None:
    (tmp_path / "xx.yaml").write_bytes(content)
    with pytest.raises(RuleFileError) as err:
        load_rules(tmp_path)
    assert err.value.file == "xx.yaml" and problem in err.value.problem
