"""Incident facts (who set them, when, history, timeline) and checked date corrections."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import Engine

from breachscope.case import api
from breachscope.case import facts as case_facts
from breachscope.case.dates import edit_dates, problems
from breachscope.case.db import session_scope
from breachscope.cli import cli
from breachscope.clock import FixedClock
from breachscope.errors import InputError

NOW = datetime(2025, 11, 27, 9, 0, tzinfo=UTC)


def _incident(engine: Engine, **dates: datetime) -> int:
    with session_scope(engine) as s:
        return api.create_incident(s, "Leak", vendor="Mixpanel", clock=FixedClock(NOW), **dates).id


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (("cause", "outside-attacker"), ("cause", "outside-attacker")),
        (("Cause", "Outside_Attacker"), ("cause", "outside-attacker")),
        (("our_systems_affected", "no"), ("our-systems-affected", "no")),
        (("vendor-relationship", "stopped-sending"), ("vendor-relationship", "stopped-sending")),
        (("support-phone", " +62 21  555 0100 "), ("support-phone", "+62 21 555 0100")),
        (("support-phone", ""), ("support-phone", "unknown")),
        (("help-page", "Settings > Security notices"), ("help-page", "Settings > Security notices")),
        (("sectors", "HIPAA"), ("sectors", "hipaa")),
        (("sectors", "none"), ("sectors", "none")),
        (("measures", "We rotated every API key."), ("measures", "We rotated every API key.")),
    ],
)
def test_valid_values_are_normalised(given: tuple[str, str], expected: tuple[str, str]) -> None:
    assert case_facts.normalise(*given) == expected


@pytest.mark.parametrize(
    ("key", "value", "hint"),
    [
        ("colour", "red", "valid facts: cause, our-systems-affected"),
        ("cause", "aliens", "valid values: outside-attacker, insider, misdirected-export"),
        ("our-systems-affected", "maybe", "valid values: yes, no, unknown"),
        ("vendor-relationship", "paused", "stopped-sending, removed, continuing, unknown"),
        ("support-phone", "call us", "a phone number"),
        ("support-phone", "12", "a phone number"),
        ("help-page", "see https://example.com/help", "no links"),
        ("help-page", "example.com/security", "no links"),
        ("help-page", "x" * 81, "at most 80 characters"),
        ("measures", "line one\nline two", "one line"),
        ("measures", "write to security@example.com", "no links"),
        ("sectors", "banking", "hipaa (comma-separated), none"),
        ("sectors", "none,hipaa", "hipaa (comma-separated), none"),
    ],
)
def test_an_unknown_key_or_value_is_refused_with_the_valid_ones(key: str, value: str, hint: str) -> None:
    with pytest.raises(InputError) as err:
        case_facts.normalise(key, value)
    assert hint in str(err.value.hint)


def test_every_sector_a_rule_file_names_is_a_valid_sector_fact() -> None:
    data = Path(__file__).parents[2] / "src" / "breachscope" / "rules" / "data"
    named: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("sector"), str):
                named.add(node["sector"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for path in data.glob("*.yaml"):
        walk(yaml.safe_load(path.read_text()))
    assert named and named == set(case_facts.SECTORS)


def test_changes_keep_history_and_land_in_the_timeline(engine: Engine) -> None:
    incident_id = _incident(engine)
    later = NOW + timedelta(hours=2)
    with session_scope(engine) as s:
        first = case_facts.set_facts(
            s,
            incident_id,
            {"cause": "unknown", "our-systems-affected": "no"},
            by="Dana",
            clock=FixedClock(NOW),
        )
        again = case_facts.set_facts(s, incident_id, {"cause": "insider"}, by="Rina", clock=FixedClock(later))
        same = case_facts.set_facts(s, incident_id, {"cause": "insider"}, by="Rina", clock=FixedClock(later))
    assert [(c.key, c.old, c.new) for c in first] == [("our-systems-affected", "unknown", "no")]
    assert [(c.key, c.old, c.new) for c in again] == [("cause", "unknown", "insider")] and same == []
    with session_scope(engine) as s:
        now = case_facts.current(s, incident_id)
        hist = case_facts.history(s, incident_id)
        view = case_facts.incident_facts(s, incident_id)
        events = [(e.kind, e.author, e.message) for e in api.timeline(s, incident_id) if e.kind == "fact"]
    assert (now["cause"].value, now["cause"].set_by, now["cause"].set_at) == ("insider", "Rina", later)
    assert [(h.key, h.value) for h in hist] == [("our-systems-affected", "no"), ("cause", "insider")]
    assert view.get("vendor-relationship") == "unknown" and view.tri("our-systems-affected") is False
    assert events == [
        ("fact", "Dana", "Fact our-systems-affected: unknown -> no"),
        ("fact", "Rina", "Fact cause: unknown -> insider"),
    ]


def test_one_bad_value_records_nothing(engine: Engine) -> None:
    incident_id = _incident(engine)
    with session_scope(engine) as s, pytest.raises(InputError):
        case_facts.set_facts(s, incident_id, {"cause": "insider", "encrypted": "perhaps"}, by="Dana")
    with session_scope(engine) as s:
        assert case_facts.history(s, incident_id) == []


D = {
    "occurred_at": datetime(2025, 11, 8, tzinfo=UTC),
    "vendor_detected_at": datetime(2025, 11, 9, tzinfo=UTC),
    "vendor_notified_us_at": datetime(2025, 11, 25, tzinfo=UTC),
    "dataset_received_at": datetime(2025, 11, 26, tzinfo=UTC),
    "aware_at": datetime(2025, 11, 26, 12, tzinfo=UTC),
}


def _d(day: int) -> datetime:
    return datetime(2025, 11, day, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({}, None),
        ({"aware_at": NOW + timedelta(days=1)}, "we became aware (2025-11-28T09:00+00:00) is in the future"),
        ({"occurred_at": _d(10)}, "the breach occurred (2025-11-10T00:00+00:00) is after vendor detected"),
        ({"vendor_notified_us_at": _d(1)}, "vendor detected the breach (2025-11-09T00:00+00:00) is after"),
        ({"aware_at": _d(20)}, "vendor told us (2025-11-25T00:00+00:00) is after we became aware"),
        ({"dataset_received_at": _d(7)}, "the breach occurred (2025-11-08T00:00+00:00) is after we received"),
        ({"vendor_detected_at": None, "occurred_at": _d(26)}, "is after vendor told us"),
    ],
)  # fmt: skip
def test_date_problems(change: dict[str, datetime | None], problem: str | None) -> None:
    found = problems(D | change, NOW)
    assert (found == []) if problem is None else any(problem in p for p in found), found


def test_a_correction_out_of_order_is_refused_unless_forced_with_a_reason(engine: Engine) -> None:
    incident_id = _incident(engine, **D)
    clock = FixedClock(NOW)
    early = {"aware_at": datetime(2025, 11, 20, tzinfo=UTC)}
    with session_scope(engine) as s, pytest.raises(InputError, match="refused: vendor told us"):
        edit_dates(s, incident_id, early, by="Dana", reason="typo", clock=clock)
    with session_scope(engine) as s, pytest.raises(InputError, match="needs --reason"):
        edit_dates(s, incident_id, early, by="Dana", force=True, clock=clock)
    with session_scope(engine) as s:
        done = edit_dates(s, incident_id, early, by="Dana", reason="vendor letter", force=True, clock=clock)
    assert [(c.field, c.old, c.new) for c in done] == [("aware_at", D["aware_at"], early["aware_at"])]
    with session_scope(engine) as s:
        assert api.get_incident(s, incident_id).aware_at == early["aware_at"]
        last = api.timeline(s, incident_id)[-1]
    assert (last.kind, last.author) == ("dates", "Dana")
    assert "2025-11-26T12:00+00:00 -> 2025-11-20T00:00+00:00" in last.message
    assert "Reason: vendor letter" in last.message and "Forced past: vendor told us" in last.message


def test_filling_an_unset_date_needs_no_reason_but_correcting_one_does(engine: Engine) -> None:
    incident_id = _incident(engine)
    with session_scope(engine) as s:
        done = edit_dates(s, incident_id, {"occurred_at": D["occurred_at"]}, by="Dana", clock=FixedClock(NOW))
    assert len(done) == 1
    with session_scope(engine) as s, pytest.raises(InputError, match="needs --reason"):
        edit_dates(s, incident_id, {"occurred_at": D["vendor_detected_at"]}, by="Dana", clock=FixedClock(NOW))
    with session_scope(engine) as s:
        assert api.get_incident(s, incident_id).occurred_at == D["occurred_at"]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BREACHSCOPE_DB", f"sqlite:///{tmp_path / 'case.db'}")
    monkeypatch.setenv("BREACHSCOPE_AUTHOR", "tester")

    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"COLUMNS": "200"})
        return result.exit_code, result.output

    return invoke


def test_case_facts_cli_shows_and_edits(run) -> None:  # type: ignore[no-untyped-def]
    assert run("case", "new", "Leak", "--vendor", "Mixpanel")[0] == 0
    code, out = run("case", "facts", "1")
    assert code == 0 and "cause" in out and "unknown" in out and "outside-attacker" in out  # valid values
    sets = ["--set", "cause=misdirected-export", "--set", "help-page=Security notices"]
    code, out = run("case", "facts", "1", *sets, "--by", "Dana")
    assert code == 0 and "cause: unknown -> misdirected-export" in out and "Dana" in out
    code, out = run("case", "facts", "1", "--set", "cause=aliens")
    assert code == 2 and "valid values: outside-attacker" in out and "Traceback" not in out
    code, out = run("case", "facts", "1", "--set", "nonsense")
    assert code == 2 and "KEY=VALUE" in out
    code, out = run("case", "facts", "1", "--set", "cause=insider", "--history", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["facts"]["cause"]["value"] == "insider" and data["facts"]["cause"]["set_by"] == "tester"
    assert data["facts"]["our-systems-affected"] == {"value": "unknown", "set_by": None, "set_at": None}
    assert [h["value"] for h in data["history"] if h["key"] == "cause"] == ["misdirected-export", "insider"]
    code, out = run("case", "show", "1", "--json")
    assert json.loads(out)["facts"] == {"cause": "insider", "help-page": "Security notices"}


def test_case_edit_and_new_check_dates(run) -> None:  # type: ignore[no-untyped-def]
    code, out = run("case", "new", "Leak", "--aware-at", "2999-01-01")
    assert code == 2 and "is in the future" in out and "--force" in out
    code, out = run(
        "case", "new", "Leak", "--vendor-notified-us-at", "2025-11-25", "--aware-at", "2025-11-20"
    )
    assert code == 2 and "is after we became aware" in out
    dates = ["--vendor-notified-us-at", "2025-11-25", "--aware-at", "2025-11-20"]
    code, out = run("case", "new", "Leak", *dates, "--force", "--reason", "we found it ourselves first")
    assert code == 0, out
    code, out = run("case", "edit", "1", "--occurred-at", "2025-11-01")
    assert code == 0 and "the breach occurred: not set -> 2025-11-01T00:00+00:00" in out
    code, out = run("case", "edit", "1", "--aware-at", "2025-11-26")
    assert code == 2 and "needs --reason" in out
    code, out = run(
        "case", "edit", "1", "--aware-at", "2025-11-26", "--reason", "first mail was spam-filtered"
    )
    assert code == 0, out
    code, out = run("case", "edit", "1")
    assert code == 2 and "nothing to change" in out
    code, out = run("case", "show", "1", "--json")
    messages = " | ".join(e["message"] for e in json.loads(out)["timeline"] if e["kind"] == "dates")
    assert (
        "Dates forced past: vendor told us" in messages and "Reason: we found it ourselves first" in messages
    )
    assert "Reason: first mail was spam-filtered" in messages and "the breach occurred not set ->" in messages


def test_migration_0010_keeps_the_answers_old_assessments_held(db_url: str) -> None:
    """A case assessed with the old --malicious/--sector flags keeps those answers as facts."""
    from sqlalchemy import text

    from breachscope.case.db import create_case_engine, upgrade

    engine = create_case_engine(db_url, create=True)
    try:
        upgrade(engine, "assess@head")
        old = {"malicious": True, "encrypted": False, "key_exposed": False, "role": "controller",
               "vendor_breach": True, "sectors": ["hipaa"]}  # fmt: skip
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO incidents (id, name, vendor, description, created_at, status)"
                     " VALUES (1, 'Leak', 'Mixpanel', '', :at, 'open')"),
                {"at": NOW},
            )  # fmt: skip
            conn.execute(
                text("INSERT INTO assessments (incident_id, rule_set_version, tool_version, created_at,"
                     " facts_json,"
                     " duties_json, actions_json) VALUES (1, 'r1', 't', :at, :facts, '[]', '[]')"),
                {"at": NOW, "facts": json.dumps(old)},
            )  # fmt: skip
        upgrade(engine)
        with session_scope(engine) as s:
            recorded = case_facts.current(s, 1)
    finally:
        engine.dispose()
    assert {k: f.value for k, f in recorded.items()} == {
        "cause": "outside-attacker",
        "key-exposed": "no",
        "sectors": "hipaa",
    }
    assert recorded["cause"].set_by.startswith("migration 0010 (from assessment")
    assert recorded["cause"].set_at == NOW


def test_recorded_text_is_shown_literally_not_as_markup(run) -> None:  # type: ignore[no-untyped-def]
    run("case", "new", "Leak")
    code, out = run(
        "case", "facts", "1", "--set", "measures=We rotated [bold]all[/bold] keys", "--by", "[red]x[/]"
    )
    assert code == 0, out
    code, out = run("case", "facts", "1")
    assert "[bold]all[/bold]" in out and "[red]x[/]" in out
