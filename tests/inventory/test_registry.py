"""The vendor registry: add/edit/find with unknown kept unknown, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from breachscope.case.db import open_case_db, session_scope
from breachscope.clock import FixedClock
from breachscope.errors import InputError
from breachscope.inventory import (
    add_flow,
    add_vendor,
    edit_vendor,
    get_vendor,
    parse_contact,
    vendor_document,
)
from breachscope.inventory.purposes import parse as parse_purposes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Jane Roe <dpo@vendor.example> (DPO)",
            {"name": "Jane Roe", "email": "dpo@vendor.example", "role": "DPO"},
        ),
        ("<privacy@vendor.example>", {"email": "privacy@vendor.example"}),
        ("Security team", {"name": "Security team"}),
        ("Ops (on call)", {"name": "Ops", "role": "on call"}),
    ],
)
def test_parse_contact(text: str, expected: dict[str, str]) -> None:
    assert parse_contact(text) == expected


@pytest.mark.parametrize("text", ["", "  ", "<not an email>", "a <b@c> (x) (y)"])
def test_parse_contact_rejects(text: str) -> None:
    with pytest.raises(InputError):
        parse_contact(text)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One SQLite case for the validation table (nothing is stored: each case is refused)."""
    engine = open_case_db(f"sqlite:///{tmp_path_factory.mktemp('reg') / 'case.db'}", create=True)
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        ({"purpose": "astrology"}, "unknown purpose"),
        ({"service": "myspace"}, "unknown service"),
        ({"status": "gone"}, "unknown status"),
        ({"dpa_date": "last tuesday"}, "dpa-date: not a date"),
        ({"breach_notice_hours": "soon"}, "breach-notice-hours: not a whole number"),
        ({"breach_notice_hours": -4}, "out of range"),
        ({"notes": "a\x00b"}, "printable"),
    ],
)
def test_bad_facts_are_refused_naming_the_field(
    shared: Engine, clock: FixedClock, facts: dict[str, Any], message: str
) -> None:
    with session_scope(shared) as s, pytest.raises(InputError, match=message):
        add_vendor(s, "Mixpanel", facts, author="t", clock=clock)


def test_add_find_edit(engine: Engine, clock: FixedClock) -> None:
    with session_scope(engine) as s:
        add_vendor(
            s, "  Mixpanel ", {"purpose": "analytics", "breach_notice_hours": "96"}, author="a", clock=clock
        )
    with session_scope(engine) as s:
        v = get_vendor(s, "MIXPANEL")
        assert (v.name, v.purpose, v.breach_notice_hours) == ("Mixpanel", "analytics", 96)
        # not recorded = unknown (NULL), never "none"
        assert v.breach_clause is None and v.deletion_clause is None and v.subprocessors is None
        with pytest.raises(InputError, match="already registered"):
            add_vendor(s, "mixpanel", author="a", clock=clock)
    with session_scope(engine) as s:
        v, changed = edit_vendor(
            s,
            "mixpanel",
            {"deletion_clause": "", "subprocessors": [], "last_review": "2025-01-31", "name": "Mixpanel Inc"},
            author="b",
            clock=clock,
        )
        assert sorted(changed) == ["deletion_clause", "last_review", "name", "subprocessors"]
        _, again = edit_vendor(s, "mixpanel inc", {"deletion_clause": ""}, author="b", clock=clock)
        assert again == []
    with session_scope(engine) as s:
        v = get_vendor(s, "mixpanel inc")
        assert v.deletion_clause == "" and v.subprocessors == [] and v.last_review == date(2025, 1, 31)
        assert v.updated_by == "b"
        with pytest.raises(InputError, match="registered: Mixpanel Inc"):
            get_vendor(s, "mixpanel")


def test_flows_show_classes_with_their_fields(engine: Engine, clock: FixedClock) -> None:
    with session_scope(engine) as s:
        v = add_vendor(s, "Intercom", {"purpose": "support"}, author="a", clock=clock)
        add_flow(s, v, "user.email", ["email"], origin="help widget", author="a", clock=clock)
        add_flow(s, v, "user.name", ["person_name"], author="a", clock=clock)
        with pytest.raises(InputError, match="unknown data class"):
            add_flow(s, v, "x", ["shoe_size"], author="a", clock=clock)
        doc = vendor_document(s, v)
    assert doc["classes_sent"] == {"email": ["user.email"], "person_name": ["user.name"]}
    assert [f["source"] for f in doc["flows"]] == ["manual", "manual"]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"version": 2, "purposes": {}}, "not a purposes file"),
        (
            {"version": 1, "purposes": {"x": {"needs": ["emial"]}}},
            "purpose 'x' field needs: unknown data class 'emial'",
        ),
        ({"version": 1, "purposes": {"x": {"nedds": []}}}, "unknown field nedds"),
        ({"version": 1, "purposes": {}, "review_every_days": 0}, "review_every_days"),
    ],
)
def test_purposes_file_is_checked(doc: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_purposes(doc, "p.yaml")


def test_migration_matches_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from breachscope.case.base import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    ours = [d for d in diff if "inventory_" in repr(d)]
    assert ours == []


CLI = Callable[..., tuple[int, str]]


def test_cli_add_list_show_edit(run: CLI) -> None:
    assert run("case", "new", "Mixpanel leak")[0] == 0
    code, out = run(
        "vendors", "add", "Mixpanel", "--purpose", "analytics", "--breach-hours", "96",
        "--breach-clause", "DPA s. 7.2", "--contact", "Jane Roe <dpo@mixpanel.example> (DPO)",
    )  # fmt: skip
    assert code == 0, out
    assert "breach notice: 96 h (DPA s. 7.2)" in out and "deletion clause: unknown" in out
    code, out = run("vendors", "edit", "mixpanel", "--deletion-clause", "none", "--breach-hours", "unknown")
    assert code == 0 and "deletion clause: no clause" in out and "hours unknown" in out
    code, out = run("vendors", "list")
    assert "Mixpanel" in out and "analytics" in out
    code, out = run("vendors", "show", "nobody")
    assert code == 2 and "no vendor named 'nobody'" in out
    code, out = run("vendors", "edit", "mixpanel")
    assert code == 2 and "nothing to change" in out
