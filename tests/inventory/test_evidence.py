"""Tracking plans and evidence import: declared and observed flows stored with their evidence."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.errors import InputError
from breachscope.inventory import add_vendor, get_vendor, vendor_document
from breachscope.inventory.evidence import import_evidence
from breachscope.inventory.plans import read_plan
from tests.inventory.har_samples import SAMPLE

DATA = Path(__file__).resolve().parent.parent / "data" / "inventory"


# The plan samples under tests/data/inventory were written for these tests. What is confirmed
# against public material (docs/inventory.md, "How sure the plan layouts are"):
# - amplitude-data.csv: the Action column follows Amplitude's ".CSV file schema reference"
#   (https://amplitude.com/docs/data/csv-import-export/file-schema); its other column names and
#   a real export are unconfirmed;
# - mixpanel-lexicon.csv: NOT confirmed: no public Lexicon CSV export or its header was found;
#   the columns are matched by name (Entity Type, Entity/Event Name, Property Name);
# - avo-tracking-plan.json (flat events[].properties[] with sendAs): NOT confirmed;
#   avo-export-api.json: the top follows Avo's public Export API example (test_avo_export_api_shape).
@pytest.mark.parametrize(
    ("file", "kind", "field", "classes"),
    [
        ("segment-protocols.json", "segment-protocols", "traits.email", {"email"}),
        ("segment-protocols.json", "segment-protocols", "context.ip", {"ip_address"}),
        ("segment-protocols.json", "segment-protocols", "properties.message_body", {"chat_content"}),
        (
            "segment-protocols.json",
            "segment-protocols",
            "properties.shipping_address.street",
            {"postal_address"},
        ),
        (
            "segment-protocols.json",
            "segment-protocols",
            "properties.products[].name",
            set(),
        ),  # a product, not a person
        ("segment-protocols.json", "segment-protocols", "traits.birthday", {"date_of_birth", "timestamp"}),
        ("mixpanel-lexicon.csv", "mixpanel-lexicon", "$set.$email", {"email"}),
        ("mixpanel-lexicon.csv", "mixpanel-lexicon", "$set.$name", {"person_name"}),
        ("mixpanel-lexicon.csv", "mixpanel-lexicon", "properties.$city", {"coarse_location"}),
        ("mixpanel-lexicon.csv", "mixpanel-lexicon", "properties.plan", set()),
        ("amplitude-data.csv", "amplitude-data", "user_properties.ip_address", {"ip_address"}),
        ("amplitude-data.csv", "amplitude-data", "event_properties.page", {"url"}),
        ("avo-tracking-plan.json", "avo", "user_properties.email", {"email"}),
        ("avo-tracking-plan.json", "avo", "properties.invitee_email", {"email"}),
        ("avo-tracking-plan.json", "avo", "context.app_version", {"device"}),
    ],
)
def test_tracking_plans(file: str, kind: str, field: str, classes: set[str]) -> None:
    plan = read_plan(DATA / file)
    assert plan.kind == kind and plan.issues == []
    assert plan.fields[field].classes == classes


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"Event,Description\nx,y\n", "x.csv", "not a tracking plan"),
        (b"Property Name\n", "x.csv", None),  # header only: an empty plan, no error
        (b'{"rules": {"events": []}}', "x.json", "no tracking-plan rules"),
        (b'{"rules": ' + b"[" * 3000 + b"]" * 3000 + b"}", "x.json", "nested"),
    ],
)
def test_bad_plans(tmp_path: Path, content: bytes, name: str, message: str | None) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    if message is None:
        assert read_plan(path).fields == {}
        return
    with pytest.raises(InputError, match=message):
        read_plan(path)


def test_har_import_adds_vendors_and_is_idempotent(engine: Engine, clock: FixedClock) -> None:
    with session_scope(engine) as s:
        add_vendor(s, "Mixpanel", {"service": "mixpanel", "purpose": "analytics"}, author="a", clock=clock)
    with session_scope(engine) as s:
        first = import_evidence(s, SAMPLE, author="a", clock=clock)
    names = {v.vendor: v for v in first.vendors}
    assert not names["Mixpanel"].added and names["Segment"].added
    with session_scope(engine) as s:
        again = import_evidence(s, SAMPLE, author="a", clock=clock)
        doc = vendor_document(s, get_vendor(s, "mixpanel"))
        seg = get_vendor(s, "segment")
        assert seg.purpose == "analytics" and "confirm" in seg.notes
    assert not any(v.added for v in again.vendors)
    assert len(doc["evidence"]) == 1  # the same file replaces its earlier rows
    assert doc["classes_sent"]["email"] == ["$set.$email", "properties.$current_url"]
    [ev] = doc["evidence"]
    assert ev["complete"] and ev["summary"]["scripts"][0]["url"].startswith("https://cdn.mxpnl.com/")


def test_plan_import_needs_a_vendor_for_avo(engine: Engine, clock: FixedClock) -> None:
    with session_scope(engine) as s, pytest.raises(InputError, match="--vendor"):
        import_evidence(s, DATA / "avo-tracking-plan.json", author="a", clock=clock)
    with session_scope(engine) as s:
        add_vendor(s, "Amplitude", {"purpose": "analytics"}, author="a", clock=clock)
        res = import_evidence(s, DATA / "avo-tracking-plan.json", vendor="amplitude", author="a", clock=clock)
        assert res.vendors[0].classes["email"] == ["properties.invitee_email", "user_properties.email"]
        flows = vendor_document(s, get_vendor(s, "amplitude"))["flows"]
        assert {f["source"] for f in flows} == {"avo"}
        assert [f["origin"] for f in flows if f["field"] == "user_properties.email"] == ["Signup Completed"]


CLI = Callable[..., tuple[int, str]]


def test_cli_evidence(run: CLI, tmp_path: Path) -> None:
    run("case", "new", "x")
    code, out = run("vendors", "evidence", str(SAMPLE))
    assert code == 0, out
    assert "Mixpanel (NEW: added to the registry, confirm its purpose): receives" in out
    assert (
        "SDK loaded from https://cdn.mxpnl.com/libs/mixpanel-2-latest.min.js on https://shop.example.com/signup"
        in out
    )
    bad = tmp_path / "bad.har"
    doc = json.loads(SAMPLE.read_text())
    doc["log"]["entries"].append({"request": {"method": "GET"}})
    bad.write_text(json.dumps(doc))
    code, out = run("vendors", "evidence", str(bad), "--json", "-")
    assert code == 4
    assert json.loads(out)["evidence"][0]["issues"] == {"bad_entry": 1}


def test_avo_export_api_shape() -> None:
    """The Export API's response: the top (name, events[] with id, name, description, rules as a
    draft-06 JSON Schema) follows Avo's public example
    (https://www.avo.app/docs/reference/public-api/export-tracking-plan); the nesting inside
    ``rules`` is written for this test and is not confirmed (docs/inventory.md). It holds
    "rules", as Segment plans do, yet reads as Avo; the event's own name is not a field."""
    path = DATA / "avo-export-api.json"
    plan = read_plan(path)  # sniffed as a Segment plan ("rules"), recognised as Avo's export
    assert plan.kind == "avo" and plan.events == 1 and not plan.issues
    fields = {f: sorted(p.classes) for f, p in plan.fields.items()}
    assert fields == {
        "properties.signup_method": [],
        "properties.email": ["email"],
        "properties.invitee_email": ["email"],
        "traits.first_name": ["person_name"],
        "traits.city": ["coarse_location"],
    }
