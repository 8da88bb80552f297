"""The vendor audit: over-sharing by purpose, contract gaps (unknown vs none), review age,
blast radius, the task list and the HTML page (escaped, self-contained)."""

# ruff: noqa: E501  (case tables: one case per line)

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from breachscope.case.api import create_incident
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.models import Account
from breachscope.case.tasks import list_tasks
from breachscope.clock import FixedClock
from breachscope.inventory import add_flow, add_vendor
from breachscope.inventory.audit import VendorAudit, audit, audit_tasks
from breachscope.inventory.html import audit_html

FULL = {
    "purpose": "analytics",
    "breach_notice_hours": 48,
    "breach_clause": "DPA s. 7",
    "deletion_clause": "DPA s. 11",
    "dpa_date": "2024-01-01",
    "subprocessors": ["AWS"],
    "last_review": "2025-06-01",
}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One SQLite case for the pure audit rules (each test adds its own vendor; the registry
    itself is tested on both engines in test_registry.py)."""
    engine = open_case_db(f"sqlite:///{tmp_path_factory.mktemp('audit') / 'case.db'}", create=True)
    yield engine
    engine.dispose()


_names = itertools.count()


def _one(
    engine: Engine, clock: FixedClock, facts: dict[str, Any], flows: Sequence[tuple[str, list[str]]] = ()
) -> VendorAudit:
    name = f"Vendor {next(_names)}"
    with session_scope(engine) as s:
        v = add_vendor(s, name, facts, author="t", clock=clock)
        for field, classes in flows:
            add_flow(s, v, field, classes, author="t", clock=clock)
    with session_scope(engine) as s:
        [va] = [v for v in audit(s, clock=clock).vendors if v.name == name]
    return va


@pytest.mark.parametrize(
    ("facts", "gaps"),
    [
        (FULL, []),
        (
            {**FULL, "breach_notice_hours": 96},
            ["the vendor may take 96 h to tell us of a breach, more than 72 h"],
        ),
        (
            {**FULL, "breach_clause": "", "breach_notice_hours": None},
            ["no breach-notice clause in the contract"],
        ),
        ({**FULL, "breach_clause": None, "breach_notice_hours": None}, ["breach-notice clause not recorded"]),
        ({**FULL, "deletion_clause": ""}, ["no deletion or return clause in the contract"]),
        ({**FULL, "deletion_clause": None}, ["deletion clause not recorded"]),
        ({**FULL, "subprocessors": None}, ["sub-processors not recorded"]),
        ({**FULL, "subprocessors": []}, []),  # recorded: none
    ],
)
def test_contract_gaps(shared: Engine, clock: FixedClock, facts: dict[str, Any], gaps: list[str]) -> None:
    va = _one(shared, clock, facts)
    found = [g["gap"] for g in va.contract_gaps]
    assert len(found) == len(gaps), found
    assert all(f.startswith(g) for f, g in zip(sorted(found), sorted(gaps), strict=True)), found


@pytest.mark.parametrize(
    ("purpose", "flows", "over", "reidentifying"),
    [
        ("analytics", [("properties.$email", ["email"]), ("distinct_id", ["internal_id"])], ["email"], ["email"]),
        ("analytics", [("context.ip", ["ip_address"]), ("msg", ["chat_content"])], ["ip_address", "chat_content"], ["ip_address"]),
        ("support", [("user.email", ["email"]), ("msg", ["chat_content"])], [], []),
        ("marketing", [("email", ["email"]), ("name", ["person_name"])], [], []),
        ("payments", [("card", ["payment_card"]), ("ssn", ["government_id"])], ["government_id"], ["government_id"]),
    ],
)  # fmt: skip
def test_over_sharing_by_purpose(shared: Engine, clock: FixedClock, purpose: str, flows: list[tuple[str, list[str]]], over: list[str], reidentifying: list[str]) -> None:  # fmt: skip
    va = _one(shared, clock, {**FULL, "purpose": purpose}, flows)
    assert sorted(o["class"] for o in va.over_sharing) == sorted(over)
    assert sorted(o["class"] for o in va.over_sharing if o["reidentifying"]) == sorted(reidentifying)


def test_unknown_purpose_is_not_judged(shared: Engine, clock: FixedClock) -> None:
    va = _one(shared, clock, {**FULL, "purpose": ""}, [("email", ["email"])])
    assert va.over_sharing == [] and any("purpose not recorded" in f for f in va.flags)


@pytest.mark.parametrize(
    ("last", "overdue", "age"), [("2025-06-01", False, 179), ("2024-01-01", True, 696), (None, True, None)]
)
def test_review_age(
    shared: Engine, clock: FixedClock, last: str | None, overdue: bool, age: int | None
) -> None:
    va = _one(shared, clock, {**FULL, "last_review": last})
    assert (va.review["overdue"], va.review["age_days"]) == (overdue, age)


def test_blast_radius_and_tasks(engine: Engine, clock: FixedClock) -> None:
    with session_scope(engine) as s:
        inc = create_incident(s, "Mixpanel leak", clock=clock)
        for i in range(7):
            s.add(Account(incident_id=inc.id, user_id=f"u{i}"))
        a = add_vendor(s, "Mixpanel", FULL, author="t", clock=clock)
        add_flow(s, a, "$email", ["email"], author="t", clock=clock)
        add_vendor(s, "Intercom", {**FULL, "purpose": "support", "people": 3}, author="t", clock=clock)
        add_vendor(s, "Gone", {"status": "removed"}, author="t", clock=clock)
        inc_id = inc.id
    with session_scope(engine) as s:
        report = audit(s, incident_id=inc_id, clock=clock)
        by = {v.name: v for v in report.vendors}
        assert set(by) == {"Mixpanel", "Intercom"}  # removed vendors are not audited
        assert (
            by["Mixpanel"].blast_radius["people"] == 7
            and "up to" in by["Mixpanel"].blast_radius["people_basis"]
        )
        assert by["Intercom"].blast_radius["people"] == 3  # recorded for the vendor wins
        first = audit_tasks(s, report, inc_id, actor="t", clock=clock)
        again = audit_tasks(s, report, inc_id, actor="t", clock=clock)
        assert [t["change"] for t in first] == ["created", "created"]
        assert [t["change"] for t in again] == ["unchanged", "unchanged"]
        tasks = list_tasks(s, inc_id, source="inventory")
        assert len(tasks) == 2
        [mp] = [t for t in tasks if "Mixpanel" in t.title]
        assert "Over-sharing (re-identifying): email in $email." in mp.detail


def test_an_email_used_as_an_identifier_is_named(shared: Engine, clock: FixedClock) -> None:
    va = _one(shared, clock, FULL, [("user_id", ["email", "internal_id"]), ("properties.$email", ["email"])])
    [o] = va.over_sharing
    assert o["as_identifier"] == ["user_id"] and "used as an identifier (user_id)" in o["why"]


def test_html_escapes_and_loads_nothing(engine: Engine, clock: FixedClock) -> None:
    with session_scope(engine) as s:
        v = add_vendor(s, "<script>alert(1)</script>", FULL, author="t", clock=clock)
        add_flow(s, v, '"><img src=https://evil.example/x>', ["email"], author="t", clock=clock)
        doc = audit(s, clock=clock).to_dict()
    page = audit_html(doc)
    assert "<script>" not in page and "<img" not in page
    assert (
        "&lt;script&gt;" in page and "default-src &#39;none&#39;" not in page and "default-src 'none'" in page
    )
    assert "href=" not in page


CLI = Callable[..., tuple[int, str]]


def test_cli_audit(run: CLI, tmp_path: Path) -> None:
    run("case", "new", "x")
    run(
        "vendors",
        "add",
        "Mixpanel",
        "--purpose",
        "analytics",
        "--breach-hours",
        "96",
        "--breach-clause",
        "DPA 7",
    )
    run("vendors", "flow", "Mixpanel", "$email", "--class", "email")
    code, out = run("vendors", "audit", "--html", str(tmp_path / "a.html"), "--incident", "1", "--tasks")
    assert code == 0, out
    assert "OVER-SHARING (re-identifying): email in $email" in out
    assert "more than 72 h" in out and "task #1 (created)" in out
    assert (tmp_path / "a.html").stat().st_mode & 0o777 == 0o600
    code, out = run("vendors", "audit", "--tasks")
    assert code == 2 and "--tasks needs --incident" in out
