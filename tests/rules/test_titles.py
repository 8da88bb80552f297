"""Every rule's duty title is written in English and Indonesian (rule data, ``titles:``); a rule
file without the Indonesian title is refused naming the file, rule and field; the Indonesian
report and the console's duties page show it, and a snapshot stored before titles were
translated gets them from the rule files."""

from __future__ import annotations

from pathlib import Path

import pytest

from breachscope.case.db import open_case_db, session_scope
from breachscope.rules import load_rules, store
from breachscope.rules.case_facts import run_assessment
from breachscope.rules.loader import RuleFileError, parse_jurisdiction, rule_titles
from breachscope.rules.schema import TITLE_LANGUAGES
from tests.rules.test_assessment_store import NOW, make_incident

RULES = [r for j in load_rules().jurisdictions for r in j.rules]


def test_every_rule_has_an_english_and_an_indonesian_title() -> None:
    assert len(RULES) > 90
    missing = [r.id for r in RULES for lang in TITLE_LANGUAGES if not r.titles.get(lang, "").strip()]
    assert missing == []
    untranslated = [r.id for r in RULES if r.titles["id"] == r.title]
    assert untranslated == []
    assert TITLE_LANGUAGES == ("id",)


MINIMAL = """
jurisdiction: XX
name: Test
codes: [XX]
timezone: UTC
law: Test law
rules:
  - id: xx-one
    title: Tell the people
{titles}
    recipient: individuals
    recipient_name: People
    statute: Test Act
    citation: s. 1
    trigger: {{always: true, words: always}}
    deadline: {{form: immediately, clock: awareness, words: at once}}
    content: [data_classes]
    effective_from: 2020-01-01
    confidence: confirmed
    sources: [https://example.org/act]
"""


@pytest.mark.parametrize(
    ("titles", "message"),
    [
        ("", "xx-one.*titles.*missing"),
        ("    titles: {id: ''}", "titles.id.*empty"),
        ("    titles: {fr: Dire aux gens}", "titles.fr.*unknown field"),
    ],
)
def test_a_rule_without_its_indonesian_title_is_refused(titles: str, message: str) -> None:
    with pytest.raises(RuleFileError, match=message):
        parse_jurisdiction("xx.yaml", MINIMAL.format(titles=titles))


def test_a_complete_rule_loads_with_both_titles() -> None:
    j = parse_jurisdiction("xx.yaml", MINIMAL.format(titles="    titles: {id: Memberi tahu orang-orang}"))
    assert j.rules[0].titles == {"id": "Memberi tahu orang-orang"}


def test_stored_duties_carry_both_titles_and_an_old_snapshot_gets_them(tmp_path: Path) -> None:
    engine = open_case_db(f"sqlite:///{tmp_path / 'case.db'}", create=True)
    incident = make_incident(engine)
    with session_scope(engine) as s:
        aid, a = run_assessment(s, incident, load_rules(), now=NOW)
    assert a.duty("id-subjects").title_in("id") == "Pemberitahuan tertulis kepada subjek data pribadi"
    assert a.duty("id-subjects").title_in("en") == "Written notice to the data subjects"
    with session_scope(engine) as s:  # as stored by a version before translated titles
        row = s.get(store.AssessmentRow, aid)
        assert row is not None
        duties = [{k: v for k, v in d.items() if k != "titles"} for d in row.duties_json["duties"]]
        row.duties_json = {**row.duties_json, "duties": duties}
    with session_scope(engine) as s:
        old = store.load_assessment(s, aid).assessment
    assert old == a and old.duty("eu-sa").title_in("id") == rule_titles()["eu-sa"]["id"]
    engine.dispose()
