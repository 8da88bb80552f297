"""Stored assessments on SQLite and PostgreSQL: snapshots, decisions, facts from the case."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from breachscope.case import api
from breachscope.case import facts as case_facts
from breachscope.case.db import open_case_db, session_scope
from breachscope.rules import store
from breachscope.rules.case_facts import classes_from_scans, facts_from_case, run_assessment
from breachscope.rules.loader import DATA_DIR, load_rules
from breachscope.rules.schema import RuleSet

DETECTED = datetime(2025, 11, 9, 0, 0, tzinfo=UTC)
TOLD = datetime(2025, 11, 25, 0, 0, tzinfo=UTC)
NOW = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
PRESENT = ["person_name", "email", "coarse_location", "device", "internal_id"]
ABSENT = ["password", "password_hash", "secret", "private_key", "payment_card", "card_security_code",
          "bank_account", "government_id", "chat_content"]  # fmt: skip
SCAN = {
    "classes": {**{c: {"status": "present"} for c in PRESENT}, **{c: {"status": "absent"} for c in ABSENT}},
    "totals": {"values_checked": 90_000},
}
PEOPLE = [("ID", 6), ("US-CA", 3), ("DE", 2), (None, 1)]


@pytest.fixture
def engine(db_url: str) -> Engine:
    eng = open_case_db(db_url, create=True)
    yield eng  # type: ignore[misc]
    eng.dispose()


def make_incident(engine: Engine) -> int:
    """One incident, one scanned dataset and 12 people in ID, US-CA, DE and unknown (tests/tasks too)."""
    with session_scope(engine) as s:
        inc = api.create_incident(
            s, "Mixpanel leak", vendor="Mixpanel", vendor_detected_at=DETECTED, vendor_notified_us_at=TOLD
        )
        ds = api.attach_dataset(
            s, inc.id, file_name="people.csv", sha256="0" * 64, size_bytes=1, format="csv", scan=SCAN
        )
        n = 0
        records = []
        for code, count in PEOPLE:
            for _ in range(count):
                n += 1
                records.append(
                    api.ExposureRecord(
                        person_key_hash=f"{n:032x}",
                        person_key_kind="row",
                        exposed_classes=PRESENT,
                        jurisdiction=code,
                    )  # fmt: skip
                )
        api.store_exposures(s, inc.id, ds.id, records)
        return inc.id


def test_migration_creates_the_tables(engine: Engine) -> None:
    assert {"assessments", "risk_decisions"} <= set(inspect(engine).get_table_names())


def test_facts_from_case(engine: Engine) -> None:
    incident_id = make_incident(engine)
    with session_scope(engine) as s:
        f = facts_from_case(s, incident_id)
    assert f.present == frozenset(PRESENT) and f.absent == frozenset(ABSENT)
    assert f.values_checked == 90_000
    assert f.affected == {"ID": 6, "US": 3, "US-CA": 3, "DE": 2, "ZZ": 1}
    assert f.vendor_notified_us_at == TOLD and f.role == "controller" and f.vendor_breach


def test_run_store_and_reload(engine: Engine, rules: RuleSet) -> None:
    incident_id = make_incident(engine)
    with session_scope(engine) as s:
        aid, a = run_assessment(s, incident_id, rules, now=NOW)
    with session_scope(engine) as s:
        stored = store.load_assessment(s, aid)
        assert stored.assessment == a
        assert store.latest_assessment(s, incident_id) == stored
        assert any(e.kind == "assess" for e in api.timeline(s, incident_id))
    assert a.duty("id-subjects").verdict == "required"
    assert a.duty("eu-sa").verdict == "assessment_required"


def test_a_decision_is_stored_and_settles_the_next_assessment(engine: Engine, rules: RuleSet) -> None:
    incident_id = make_incident(engine)
    with session_scope(engine) as s:
        store.record_decision(
            s, incident_id, "eu-sa", "not_required", by="Dana", why="contact data only", at=NOW
        )
        _, a = run_assessment(s, incident_id, rules, now=NOW + timedelta(minutes=1))
    duty = a.duty("eu-sa")
    assert duty.verdict == "not_required" and duty.decision is not None and duty.decision.by == "Dana"
    with session_scope(engine) as s:
        assert [d.verdict for d in store.decisions(s, incident_id)] == ["not_required"]


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ({}, {"malicious": None, "encrypted": False, "vendor_breach": True, "role": "controller"}),
        ({"cause": "outside-attacker"}, {"malicious": True}),
        ({"cause": "insider"}, {"malicious": None, "cause": "insider"}),
        ({"cause": "misdirected-export"}, {"malicious": False}),
        ({"cause": "misconfigured-export"}, {"malicious": False}),
        ({"encrypted": "yes", "key-exposed": "no"}, {"encrypted": True, "key_exposed": False}),
        ({"breached-party": "us", "role": "processor"}, {"vendor_breach": False, "role": "processor"}),
        ({"sectors": "hipaa"}, {"sectors": frozenset({"hipaa"})}),
        ({"sectors": "none"}, {"sectors": frozenset()}),
    ],
)
def test_the_engine_reads_the_recorded_facts(
    engine: Engine, rules: RuleSet, recorded: dict[str, str], expected: dict[str, object]
) -> None:
    incident_id = make_incident(engine)
    with session_scope(engine) as s:
        case_facts.set_facts(s, incident_id, recorded, by="Dana")
        f = facts_from_case(s, incident_id)
    assert {k: getattr(f, k) for k in expected} == expected


def test_a_rule_change_never_rewrites_a_past_assessment(
    engine: Engine, rules: RuleSet, tmp_path: Path
) -> None:
    incident_id = make_incident(engine)
    with session_scope(engine) as s:
        first_id, first = run_assessment(s, incident_id, rules, now=NOW)
    changed = tmp_path / "rules"
    shutil.copytree(DATA_DIR, changed)
    idf = changed / "id.yaml"
    idf.write_text(idf.read_text().replace("amount: 72", "amount: 96"))
    new_rules = load_rules(changed)
    assert new_rules.version != rules.version
    with session_scope(engine) as s:
        _, second = run_assessment(s, incident_id, new_rules, now=NOW)
    assert second.duty("id-subjects").due != first.duty("id-subjects").due
    with session_scope(engine) as s:
        again = store.load_assessment(s, first_id)
        assert again.assessment == first
        assert again.assessment.rule_set_version == rules.version
        assert [x.assessment.rule_set_version for x in store.list_assessments(s, incident_id)] == [
            rules.version,
            new_rules.version,
        ]


@pytest.mark.parametrize(
    ("scans", "present", "absent", "values"),
    [
        ([SCAN], set(PRESENT), set(ABSENT), 90_000),
        # present anywhere wins; absent only where every dataset says so
        ([SCAN, {"classes": {"password": {"status": "present"}, "secret": {"status": "absent"}},
                 "totals": {"values_checked": 10}}],
         set(PRESENT) | {"password"}, {"secret"}, 90_010),
        ([None, {"oops": 1}, {"classes": "garbage"}], set(), set(), 0),
        ([{"classes": {"email": {"status": "present"}}, "purged": True}], {"email"}, set(), 0),
        # the scan report's own shape: top-level values_examined
        ([{"classes": {"email": {"status": "present"}}, "values_examined": 77}], {"email"}, set(), 77),
    ],
)  # fmt: skip
def test_classes_from_scans(scans: list[object], present: set[str], absent: set[str], values: int) -> None:
    assert classes_from_scans(scans) == (present, absent, values)  # type: ignore[arg-type]


def test_record_decision_needs_who_and_why(engine: Engine) -> None:
    from breachscope.errors import BreachscopeError

    incident_id = make_incident(engine)
    with session_scope(engine) as s, pytest.raises(BreachscopeError, match="who decided"):
        store.record_decision(s, incident_id, "eu-sa", "required", by=" ", why="x", at=NOW)


def test_migration_0002_matches_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from breachscope.case.base import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diff if "assessments" in repr(d) or "risk_decisions" in repr(d)]
    assert mine == []


@pytest.mark.parametrize(
    ("complete", "accepted", "absent"),
    [
        (True, False, frozenset(ABSENT)),
        # an incomplete read says nothing is absent until a person accepts the unread part
        (False, False, frozenset()),
        (False, True, frozenset(ABSENT)),
    ],
)
def test_incomplete_dataset_absences_need_acceptance(
    engine: Engine, complete: bool, accepted: bool, absent: frozenset[str]
) -> None:
    scan = {**SCAN, "complete": complete, "rows_examined": 20_000,
            "unread": {"records": 0 if complete else 12, "bytes": 0, "notes": []}}  # fmt: skip
    with session_scope(engine) as s:
        inc = api.create_incident(s, "leak", vendor_detected_at=DETECTED, vendor_notified_us_at=TOLD)
        ds = api.attach_dataset(
            s, inc.id, file_name="p.csv", sha256="1" * 64, size_bytes=1, format="csv", scan=scan
        )
        assert ds.complete is complete and ds.unread_records == (0 if complete else 12)
        if accepted:
            api.accept_incomplete(s, inc.id, ds.id, why="test rows only", author="rina")
        f = facts_from_case(s, inc.id)
    assert f.present == frozenset(PRESENT) and f.absent == absent
    if absent:
        assert (f.records_checked, f.files_checked, f.absence_complete) == (20_000, 1, complete)
    actions = load_rules().actions
    from breachscope.rules.actions import recommend

    _, not_needed, undetermined = recommend(f, actions)
    if not absent:
        assert not not_needed and "change_password" in undetermined
    else:
        words = next(n.text["en"] for n in not_needed if n.id == "change_password")
        expected = "all 20,000 records" if complete else "the 20,000 records that could be read"
        assert f"(we checked {expected} in the dataset)" in words


def test_classes_from_scans_reads_three_states() -> None:
    scan = {"classes": {"email": {"status": "present"}, "password": {"status": "absent"},
                        "username": {"status": "not_checked"}}}  # fmt: skip
    present, absent, _ = classes_from_scans([scan])
    assert (present, absent) == ({"email"}, {"password"})
    assert classes_from_scans([scan], [False])[:2] == ({"email"}, set())
