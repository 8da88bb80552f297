"""``breachscope assess`` end to end on a SQLite case."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from breachscope import taxonomy
from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.cli import cli
from tests.case_helpers import CaseTemplates

NOW = "2025-11-26T09:00:00+00:00"
PRESENT = ["person_name", "email", "coarse_location", "device", "internal_id"]
SCAN = {
    "classes": {
        **{c: {"status": "present"} for c in PRESENT},
        **{c: {"status": "absent"} for c in ("password", "password_hash", "secret", "private_key")},
    },
    "totals": {"values_checked": 1000},
}


@pytest.fixture
def case_url(tmp_path: Path, case_templates: CaseTemplates) -> str:
    url = case_templates.sqlite(tmp_path / "case.db")
    engine = open_case_db(url, create=True)
    with session_scope(engine) as s:
        told = datetime(2025, 11, 25, tzinfo=UTC)
        inc = api.create_incident(
            s, "Leak", vendor_detected_at=datetime(2025, 11, 9, tzinfo=UTC), vendor_notified_us_at=told
        )
        ds = api.attach_dataset(
            s, inc.id, file_name="p.csv", sha256="0" * 64, size_bytes=1, format="csv", scan=SCAN
        )
        people = [("ID", 4), ("DE", 2), ("US-CA", 1)]
        records = [
            api.ExposureRecord(
                person_key_hash=f"{code}{i}",
                person_key_kind="row",
                exposed_classes=PRESENT,
                jurisdiction=code,
            )
            for code, n in people
            for i in range(n)
        ]
        api.store_exposures(s, inc.id, ds.id, records)
    engine.dispose()
    return url


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"COLUMNS": "250"})
    return result.exit_code, result.output


def test_assess_prints_duties_actions_and_writes_exports(case_url: str, tmp_path: Path) -> None:
    code, out = invoke("assess", "--incident", "1", "--db", case_url, "--now", NOW,
                       "--json", str(tmp_path / "a.json"), "--markdown", str(tmp_path / "a.md"))  # fmt: skip
    assert code == 0, out
    assert "id-subjects" in out and "eu-sa" in out and "needs a risk decision" in out
    assert "No need to change your password" in out
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["assessment_id"] == 1 and data["rule_set_version"].startswith("sha256:")
    ids = [d["id"] for d in data["duties"]]
    assert ids.index("id-subjects") < ids.index("eu-individuals")  # fixed deadline before no deadline
    md = (tmp_path / "a.md").read_text()
    assert "## Duties (by due time)" in md and "## Not needed" in md and "`id-subjects`" in md


def test_decide_settles_a_duty(case_url: str, tmp_path: Path) -> None:
    code, out = invoke("assess", "--incident", "1", "--db", case_url, "--now", NOW, "--decide", "eu-sa",
                       "--verdict", "not_required", "--by", "Dana (DPO)", "--why", "contact data only",
                       "--json", str(tmp_path / "a.json"))  # fmt: skip
    assert code == 0, out
    duty = next(d for d in json.loads((tmp_path / "a.json").read_text())["duties"] if d["id"] == "eu-sa")
    assert duty["verdict"] == "not_required" and duty["decision"]["by"] == "Dana (DPO)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--incident", "99"], "no incident with id 99"),
        (["--incident", "1", "--decide", "eu-sa"], "--decide needs --verdict"),
        (
            ["--incident", "1", "--decide", "xx-nope", "--verdict", "required", "--by", "a", "--why", "b"],
            "no rule",
        ),
        (["--incident", "1", "--now", "yesterday"], "not an ISO date-time"),
        ([], "which incident"),
    ],
)
def test_user_errors_are_clean(case_url: str, args: list[str], message: str) -> None:
    code, out = invoke("assess", "--db", case_url, *args)
    assert code != 0 and message in out and "Traceback" not in out


def test_rules_check_and_list() -> None:
    code, out = invoke("assess", "rules", "--check")
    assert code == 0 and "26 rule files" in out
    code, out = invoke("assess", "rules")
    assert code == 0 and "us-ca-residents" in out


def test_rules_check_names_the_bad_field(tmp_path: Path) -> None:
    (tmp_path / "xx.yaml").write_text(
        "jurisdiction: XX\nname: X\ncodes: [XX]\ntimezone: UTC\nlaw: L\nrules:\n  - id: xx-a\n"
        "    confidence: sure\n"
    )
    code, out = invoke("assess", "rules", "--check", "--rules", str(tmp_path))
    assert code == 2 and "xx.yaml: rule 'xx-a': field 'rules[0].confidence': 'sure' is not one of" in out


def test_history_lists_stored_assessments(case_url: str) -> None:
    invoke("assess", "--incident", "1", "--db", case_url, "--now", NOW)
    invoke("assess", "--incident", "1", "--db", case_url, "--now", NOW)
    code, out = invoke("assess", "history", "--incident", "1", "--db", case_url)
    assert code == 0 and "sha256:" in out
    code, out = invoke("assess", "history", "--incident", "1", "--db", case_url, "--show", "1")
    assert code == 0 and "id-subjects" in out


def test_an_incident_without_a_scan_is_a_clean_error_and_stores_nothing(case_url: str) -> None:
    engine = open_case_db(case_url, create=True)
    with session_scope(engine) as s:
        empty = api.create_incident(s, "Nothing attached yet").id
    engine.dispose()
    code, out = invoke("assess", "--incident", str(empty), "--db", case_url, "--now", NOW)
    assert code != 0 and "no scanned dataset" in out and "case attach" in out and "Traceback" not in out
    code, out = invoke("assess", "history", "--incident", str(empty), "--db", case_url)
    assert code == 0 and "sha256:" not in out


@pytest.mark.parametrize(
    ("duty_id", "verdict", "said"),
    [
        ("eu-sa", "not_required", "Decision recorded: eu-sa is now not required"),
        # the data decides Indonesia (no threshold): a risk decision must not flip it
        ("id-subjects", "not_required", "recorded but NOT applied"),
        # no one affected in Korea
        ("kr-pipc", "not_required", "the rule was not applied"),
    ],
)
def test_decide_says_whether_the_decision_settled_the_duty(
    case_url: str, duty_id: str, verdict: str, said: str
) -> None:
    code, out = invoke("assess", "--incident", "1", "--db", case_url, "--now", NOW, "--decide", duty_id,
                       "--verdict", verdict, "--by", "Dana", "--why", "reasons")  # fmt: skip
    assert code == 0 and said in " ".join(out.split()), out


def test_the_vendor_duties_are_listed(case_url: str) -> None:
    code, out = invoke("assess", "--incident", "1", "--db", case_url, "--now", NOW)
    assert code == 0 and "The vendor's duties to you" in out and "eu-processor" in out


@pytest.mark.parametrize("option", ["--json", "--markdown"])
def test_an_unwritable_export_path_is_a_clean_error(case_url: str, tmp_path: Path, option: str) -> None:
    (tmp_path / "a-file").write_text("x")
    code, out = invoke("assess", "--incident", "1", "--db", case_url, "--now", NOW,
                       option, str(tmp_path / "a-file" / "out"))  # fmt: skip
    assert code != 0 and "cannot write" in out and "is stored" in out and "Traceback" not in out


def _assessed_facts(case_url: str, tmp_path: Path) -> dict[str, object]:
    out = tmp_path / "a.json"
    code, text = invoke("assess", "--incident", "1", "--db", case_url, "--now", NOW, "--json", str(out))
    assert code == 0, text
    return dict(json.loads(out.read_text())["facts"])


def test_assess_reads_the_recorded_incident_facts(case_url: str, tmp_path: Path) -> None:
    before = _assessed_facts(case_url, tmp_path)
    assert before["malicious"] is None and before["sectors"] == [] and before["cause"] == "unknown"
    assert set(before["unrecorded"]) == {"encrypted", "breached-party", "role", "cause"}  # type: ignore[arg-type]
    sets = ["--set", "cause=outside-attacker", "--set", "sectors=hipaa", "--set", "encrypted=no"]
    code, out = invoke("case", "facts", "1", "--db", case_url, "--by", "Dana", *sets)
    assert code == 0, out
    after = _assessed_facts(case_url, tmp_path)
    assert (
        after["malicious"] is True and after["sectors"] == ["hipaa"] and after["cause"] == "outside-attacker"
    )
    assert set(after["unrecorded"]) == {"breached-party", "role"}  # type: ignore[arg-type]
    invoke("case", "facts", "1", "--db", case_url, "--by", "Dana", "--set", "cause=unknown",
           "--set", "sectors=none")  # fmt: skip
    reset = _assessed_facts(case_url, tmp_path)
    assert reset["malicious"] is None and reset["sectors"] == []


@pytest.mark.parametrize(
    ("flag", "hint"),
    [
        (["--malicious", "yes"], "--set cause=outside-attacker"),
        (["--malicious", "no"], "--set cause=insider|misdirected-export"),
        (["--encrypted", "yes"], "--set encrypted=yes"),
        (["--key-exposed", "unknown"], "--set key-exposed=unknown"),
        (["--role", "processor"], "--set role=processor"),
        (["--own-breach"], "--set breached-party=us"),
        (["--sector", "hipaa"], "--set sectors=hipaa"),
    ],
)
def test_an_old_fact_flag_says_which_fact_replaced_it(case_url: str, flag: list[str], hint: str) -> None:
    code, out = invoke("assess", "--incident", "1", "--db", case_url, "--now", NOW, *flag)
    assert code == 2 and "no longer an assess option" in out
    assert f"breachscope case facts 1 {hint}" in out and "Traceback" not in out


def test_assess_without_an_awareness_date_says_so_at_the_top(case_url: str, tmp_path: Path) -> None:
    md = tmp_path / "a.md"
    code, out = invoke("assess", "--incident", "1", "--db", case_url, "--now", NOW, "--markdown", str(md))
    assert code == 0, out
    # right after the 4-line summary (issue 11: the summary comes first), before any duty
    lines = out.splitlines()
    assert lines[2].startswith("Next due:") and lines[4].startswith("No awareness date recorded")
    assert (
        "- **no awareness date recorded" in md.read_text() and "- cause (recorded): unknown" in md.read_text()
    )
    assert "- **role not recorded: assessed as you are the controller**" in md.read_text()
    assert "breachscope case edit 1 --aware-at" in out
    invoke("case", "edit", "1", "--db", case_url, "--aware-at", "2025-11-25T10:00+00:00", "--by", "Dana")
    code, out = invoke("assess", "--incident", "1", "--db", case_url, "--now", NOW)
    assert code == 0 and "No awareness date" not in out


def test_duties_follow_the_classes_of_each_jurisdictions_people(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'case.db'}"
    engine = open_case_db(url, create=True)
    present = ("person_name", "email", "password")
    scan = {
        "classes": {
            c.id: {"status": "present" if c.id in present else "absent"} for c in taxonomy.DATA_CLASSES
        }
    }
    with session_scope(engine) as s:
        told = datetime(2025, 11, 25, tzinfo=UTC)
        inc = api.create_incident(s, "Leak", vendor_notified_us_at=told)
        ds = api.attach_dataset(
            s, inc.id, file_name="p.csv", sha256="1" * 64, size_bytes=1, format="csv", scan=scan
        )
        people = [("US-CA", ["person_name", "email", "password"]), ("US-NY", ["person_name", "email"])]
        records = [
            api.ExposureRecord(
                person_key_hash=code, person_key_kind="row", exposed_classes=classes, jurisdiction=code
            )
            for code, classes in people
        ]
        api.store_exposures(s, inc.id, ds.id, records)
    engine.dispose()
    out = tmp_path / "a.json"
    code, text = invoke("assess", "--incident", "1", "--db", url, "--now", NOW, "--json", str(out))
    assert code == 0, text
    data = json.loads(out.read_text())
    verdicts = {d["id"]: d["verdict"] for d in data["duties"]}
    assert verdicts["us-ny-residents"] == "not_required"  # the New Yorker's password was not leaked
    assert verdicts["us-ca-residents-pre2026"] == "required"
    assert data["facts"]["classes_by_code"]["US-CA"] == ["email", "password", "person_name"]


def test_output_is_readable_at_80_columns(case_url: str) -> None:
    """Issue 11: the summary comes first (next due duty, counts by verdict), then one block per duty;
    no line is wider than 80 columns and none is a table squeezed to a few characters a column."""
    result = CliRunner().invoke(cli, ["assess", "--incident", "1", "--db", case_url, "--now", NOW, "--all"],
                                catch_exceptions=False, env={"COLUMNS": "80"})  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(x) for x in lines) <= 80
    assert lines[2].startswith("Next due: ")
    assert lines[3].startswith("Duties: ") and "required" in lines[3] and "need a decision" in lines[3]
    assert "records to keep" in lines[3] or "record to keep" in lines[3]
    block = lines.index(next(x for x in lines if "id-subjects" in x and "REQUIRED" in x))
    assert lines[block + 1].strip().startswith("to: ") and lines[block + 2].strip().startswith("due: ")
    assert "Records to keep" in result.output and "eu-records" in result.output
    assert len(lines) < 250, len(lines)


def test_decide_confirms_first_and_writes_the_timeline(case_url: str) -> None:
    code, out = invoke("assess", "--incident", "1", "--db", case_url, "--now", NOW, "--decide", "eu-sa",
                       "--verdict", "not_required", "--by", "Dana (DPO)",
                       "--why", "contact data only")  # fmt: skip
    assert code == 0 and out.splitlines()[0] == "Decision recorded: eu-sa is now not required."
    engine = open_case_db(case_url)
    with session_scope(engine) as s:
        events = [(e.kind, e.author, e.message) for e in api.timeline(s, 1)]
    engine.dispose()
    assert ("decision", "Dana (DPO)", "Decision on eu-sa: not required - contact data only") in events


@pytest.mark.parametrize(
    ("typed", "suggested"), [("eu_sa", "eu-sa"), ("us-ca-ag-2026", "us-ca-ag"), ("id-subject", "id-subjects")]
)
def test_an_unknown_duty_id_suggests_the_closest(case_url: str, typed: str, suggested: str) -> None:
    code, out = invoke("assess", "--incident", "1", "--db", case_url, "--now", NOW, "--decide", typed,
                       "--verdict", "required", "--by", "a", "--why", "b")  # fmt: skip
    assert code != 0 and f"no rule {typed!r}" in out and "did you mean" in out and suggested in out
