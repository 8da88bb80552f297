"""Incident <-> vendor: fields sent vs fields in the leaked dataset, stored and shown by case show."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from breachscope.case.api import create_incident
from breachscope.case.db import session_scope
from breachscope.case.summary import incident_document
from breachscope.clock import FixedClock
from breachscope.exposures.attach import attach_file
from breachscope.inventory import add_flow, add_vendor
from breachscope.inventory.compare import field_key, link_incident


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("properties.$email", "email"),
        ("$email", "email"),
        ("traits.firstName", "first_name"),
        ("context.ip", "ip"),
        ("context_ip", "ip"),  # Segment warehouse flattening
        ("ip_address", "ip"),
        ("mp_country_code", "country_code"),
        ("$set.$city", "city"),
        ("user_properties.name", "name"),
        ("user_id", "user_id"),  # not "id": a bare user_ prefix is part of the name
        ("items[].sku", "sku"),
    ],
)
def test_field_key(name: str, key: str) -> None:
    assert field_key(name) == key


LEAK = (
    "$distinct_id,$email,$name,$city,$country_code,notes\n"
    "u1,rina@mail.example,Rina Wijaya,Jakarta,ID,called support about invoice\n"
    "u2,budi@mail.example,Budi Santoso,Bandung,ID,\n"
)


def test_link_compares_and_stores(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    leak = tmp_path / "mixpanel-people.csv"
    leak.write_text(LEAK)
    with session_scope(engine) as s:
        inc = create_incident(s, "Mixpanel leak", clock=clock).id
    attach_file(engine, inc, leak, clock=clock)
    with session_scope(engine) as s:
        v = add_vendor(s, "Mixpanel", {"purpose": "analytics"}, author="t", clock=clock)
        for field, classes in [
            ("$set.$email", ["email"]),
            ("$set.$name", ["person_name"]),
            ("properties.distinct_id", ["internal_id"]),
            ("$set.$phone", ["phone"]),
            ("properties.plan", []),
        ]:
            add_flow(s, v, field, classes, author="t", clock=clock)
        doc = link_incident(s, "mixpanel", inc, author="t", clock=clock)
    assert [r["key"] for r in doc["in_both"]] == ["distinct_id", "email", "name"]
    leak_only = {r["key"]: r for r in doc["leak_only"]}
    assert set(leak_only) == {"city", "country_code", "notes"}
    assert "geo-IP" in leak_only["city"]["why"]
    assert "not from this vendor" in leak_only["notes"]["why"]
    assert [r["key"] for r in doc["sent_only"]] == ["phone", "plan"]
    assert doc["classes"]["sent_only"] == ["phone"]
    assert "coarse_location" in doc["classes"]["leak_only"]
    assert any("declared only" in c for c in doc["caveats"])
    with session_scope(engine) as s:
        shown = incident_document(s, inc)
        again = link_incident(s, "Mixpanel", inc, author="t", clock=clock)  # a re-run refreshes, one link
        assert again == doc
    [link] = shown["vendors"]
    assert link["sent_only"] == ["phone", "plan"] and link["vendor"] == "Mixpanel"
    assert any("compared with vendor Mixpanel" in e["message"] for e in shown["timeline"])
    assert "rina@mail.example" not in json.dumps(shown["vendors"])  # names and keys only


CLI = Callable[..., tuple[int, str]]


def test_cli_link_and_case_show(run: CLI, tmp_path: Path) -> None:
    leak = tmp_path / "leak.csv"
    leak.write_text(LEAK)
    run("case", "new", "x")
    assert run("case", "attach", "1", str(leak))[0] == 0
    run("vendors", "add", "Mixpanel", "--purpose", "analytics")
    run("vendors", "flow", "Mixpanel", "$set.$email", "--class", "email")
    code, out = run("vendors", "link", "Mixpanel", "--incident", "1")
    assert code == 0, out
    assert "in both: email" in out and "leak only: city (coarse_location)" in out
    code, out = run("case", "show", "1")
    assert "vendor Mixpanel (linked" in out and "in the leak, never sent: notes" in out
    code, out = run("vendors", "show", "Mixpanel")
    assert (
        "linked to incident 1" in out
        and "in its leak but never sent: city, country_code, distinct_id, name, notes" in out
    )
    code, out = run("vendors", "link", "Nobody", "--incident", "1")
    assert code == 2
