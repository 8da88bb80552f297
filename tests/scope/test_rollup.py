"""Roll-ups and recipients: orgs, admins (even unaffected ones), users, jurisdictions."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, delete, func, select

from breachscope.case.db import session_scope
from breachscope.case.models import AffectedOrg
from breachscope.clock import FixedClock
from breachscope.scope import jurisdiction_counts, recipients
from breachscope.scope.directory import DirectorySource
from breachscope.scope.report import CSV_COLUMNS, scope_report, write_csv_dir, write_json
from breachscope.scope.rollup import org_rollup
from breachscope.scope.run import run_scope
from tests.case_helpers import make_case, write_directory

DIRECTORY = [
    # org A: one admin (did not leak), two members (leaked)
    {
        "user_id": "a-admin",
        "email": "boss@a.example",
        "org_id": "A",
        "org_name": "Org A",
        "role": "admin",
        "language": "id",
        "country": "Indonesia",
    },
    {
        "user_id": "a1",
        "email": "a1@a.example",
        "org_id": "A",
        "org_name": "Org A",
        "role": "member",
        "country": "ID",
    },
    {
        "user_id": "a2",
        "email": "a2@a.example",
        "org_id": "A",
        "org_name": "Org A",
        "role": "member",
        "country": "DE",
    },
    # org B: owner leaked, nobody else
    {
        "user_id": "b-owner",
        "email": "owner@b.example",
        "org_id": "B",
        "org_name": "Org B",
        "role": "OWNER",
        "country": "US",
    },
    # org C: nothing leaked -> its admin is not a recipient
    {"user_id": "c-admin", "email": "admin@c.example", "org_id": "C", "org_name": "Org C", "role": "admin"},
]
LEAKED = [
    {
        "user_id": "a1",
        "$email": "a1@a.example",
        "$city": "Bandung",
        "$region": "West Java",
        "mp_country_code": "ID",
    },
    {"user_id": "a2", "$email": "a2@a.example"},  # no location: directory country DE
    {"user_id": "b-owner", "$email": "owner@b.example", "$region": "Georgia", "mp_country_code": "US"},
    {"$distinct_id": "ghost", "$email": "ghost@nowhere.example", "$region": "CA"},  # unmatched, unknown place
]


def _scoped(engine: Engine, clock: FixedClock, tmp_path: Path) -> int:
    iid = make_case(engine, clock, LEAKED)
    run_scope(engine, iid, DirectorySource(str(write_directory(tmp_path / "d.csv", DIRECTORY))), clock=clock)
    return iid


def test_recipients(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    iid = _scoped(engine, clock, tmp_path)
    with session_scope(engine) as s:
        got = {(r.user_id, r.role, r.own_record_leaked) for r in recipients(s, iid)}
        by_id = {r.user_id: r for r in recipients(s, iid)}
    assert got == {
        ("a-admin", "admin", False),
        ("a1", "user", True),
        ("a2", "user", True),
        ("b-owner", "admin", True),
    }
    admin = by_id["a-admin"]
    assert admin.org_affected_users == 2 and admin.language == "id"
    assert admin.jurisdiction == "ID" and admin.jurisdiction_source == "directory_country"
    assert "email" in admin.org_exposed_classes and admin.exposed_classes == ()
    a1 = by_id["a1"]
    assert (a1.country, a1.region, a1.jurisdiction_source) == ("ID", "ID-JB", "leak_region")
    assert (a1.city_display, a1.region_display, a1.country_display) == ("Bandung", "West Java", "Indonesia")
    assert "email" in a1.exposed_classes and "$email" in a1.exposed_fields
    assert by_id["a2"].jurisdiction == "DE" and by_id["a2"].jurisdiction_source == "directory_country"
    assert by_id["b-owner"].region == "US-GA"


def test_jurisdiction_counts(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    iid = _scoped(engine, clock, tmp_path)
    with session_scope(engine) as s:
        assert jurisdiction_counts(s, iid) == {"DE": 1, "ID": 1, "ID-JB": 1, "US": 1, "US-GA": 1, "ZZ": 1}


def test_report_and_exports(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    iid = _scoped(engine, clock, tmp_path)
    with session_scope(engine) as s:
        report = scope_report(s, iid)
    assert [(o["org_id"], o["leaked_people"], o["admins"]) for o in report.orgs] == [("A", 2, 1), ("B", 1, 1)]
    assert {a["user_id"] for a in report.admins} == {"a-admin", "b-owner"}
    assert {u["user_id"] for u in report.users} == {"a1", "a2", "b-owner"}
    [ghost] = report.unmatched
    # an unmatched person's email is dropped after scope (case/minimise.py): nothing left to mask
    assert ghost["email_masked"] is None and ghost["jurisdiction"] is None
    assert report.summary["unmatched_people"] == 1 and report.summary["affected_orgs"] == 2
    write_json(report, tmp_path / "out" / "scope.json")
    paths = write_csv_dir(report, tmp_path / "csv")
    assert [p.name for p in paths] == ["orgs.csv", "admins.csv", "users.csv", "unmatched.csv", "review.csv"]
    assert "ghost@nowhere.example" not in (tmp_path / "csv" / "unmatched.csv").read_text()
    assert "ghost@nowhere.example" not in (tmp_path / "out" / "scope.json").read_text()
    for name, columns in CSV_COLUMNS.items():  # every export has its header, even an empty one
        rows = getattr(report, name)
        assert all(tuple(r) == columns for r in rows)
        header = (tmp_path / "csv" / f"{name}.csv").read_text().splitlines()[0]
        assert header == ",".join(columns)
    assert report.review == []


def test_rerunning_scope_replaces_the_previous_result(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    iid = _scoped(engine, clock, tmp_path)
    smaller = [row for row in DIRECTORY if row["org_id"] != "A"]
    run_scope(engine, iid, DirectorySource(str(write_directory(tmp_path / "d2.csv", smaller))), clock=clock)
    with session_scope(engine) as s:
        assert {r.user_id for r in recipients(s, iid)} == {"b-owner"}
        # a2's jurisdiction came from the old directory; it is gone with it
        assert jurisdiction_counts(s, iid) == {"ID": 1, "ID-JB": 1, "US": 1, "US-GA": 1, "ZZ": 2}


def test_scope_reports_progress(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    from breachscope.progress import RecordingProgress

    iid = make_case(engine, clock, LEAKED)
    progress = RecordingProgress()
    directory = DirectorySource(str(write_directory(tmp_path / "d.csv", DIRECTORY)))
    run_scope(engine, iid, directory, clock=clock, progress=progress)
    started = [e[1][0] for e in progress.events if e[0] == "start"]  # type: ignore[index]
    assert started[:3] == ["Loading leaked people", "Reading directory", "Matching"]
    assert progress.done >= len(LEAKED)


def test_org_rollup_is_stored_once_and_read_by_report_and_recipients(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    iid = _scoped(engine, clock, tmp_path)
    with session_scope(engine) as s:
        stored = {o.org_id: (o.leaked_people, o.affected_users, o.admins) for o in org_rollup(s, iid)}
        assert stored == {"A": (2, 2, 1), "B": (1, 1, 1)}
        report = scope_report(s, iid)
        admins = {r.user_id: r for r in recipients(s, iid) if r.role == "admin"}
    assert {o["org_id"]: o["leaked_people"] for o in report.orgs} == {"A": 2, "B": 1}
    assert admins["a-admin"].org_affected_users == stored["A"][0]
    assert set(admins["a-admin"].org_exposed_classes) == set(report.orgs[0]["exposed_classes"])


def test_a_case_scoped_before_the_stored_rollup_gets_it_on_first_read(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    iid = _scoped(engine, clock, tmp_path)
    with session_scope(engine) as s:
        before = scope_report(s, iid).orgs
        s.execute(delete(AffectedOrg).where(AffectedOrg.incident_id == iid))  # as an older version left it
    with session_scope(engine) as s:
        assert scope_report(s, iid).orgs == before
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(AffectedOrg)) == 2  # stored again
