"""vendors remove: the offboarding tasks from evidence, letters EN/ID from recorded facts only."""

# ruff: noqa: E501  (case tables: one case per line)

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from breachscope.case.api import create_incident, timeline
from breachscope.case.db import session_scope
from breachscope.case.inventory import Vendor
from breachscope.case.tasks import list_tasks
from breachscope.clock import FixedClock
from breachscope.errors import InputError
from breachscope.inventory import add_vendor, get_vendor, parse_contact
from breachscope.inventory.evidence import import_evidence
from breachscope.inventory.offboard import letter, offboard
from tests.inventory.har_samples import SAMPLE

GDPR = "Article 28(3)(g) of the General Data Protection Regulation"
GDPR_ID = "Pasal 28 ayat (3) huruf (g) General Data Protection Regulation"


@pytest.mark.parametrize(
    ("facts", "present", "absent"),
    [
        ({"deletion_clause": "DPA s. 11", "gdpr": True}, ["(DPA s. 11)", GDPR], []),
        ({"deletion_clause": "DPA s. 11", "gdpr": False}, ["(DPA s. 11)"], [GDPR]),
        ({"deletion_clause": None, "gdpr": None}, ["We ask you to delete"], [GDPR, "deletion clause"]),  # nothing unrecorded is cited
        ({"gdpr": True}, ["Under Article 28(3)(g)"], ["deletion clause of our agreement"]),
        ({"subprocessors": ["Google Cloud", "Snowflake"]}, ["at your sub-processors (Google Cloud, Snowflake)"], ["any sub-processor"]),
        ({"subprocessors": []}, [], ["sub-processor"]),  # recorded: none
        ({"subprocessors": None}, ["at any sub-processor"], []),
        ({"contacts": ["Ana Lopez <privacy@vendor.example> (DPO)"]}, ["Dear Ana Lopez,"], []),
    ],
)  # fmt: skip
def test_letter_states_only_recorded_facts(clock: FixedClock, facts: dict[str, Any], present: list[str], absent: list[str]) -> None:  # fmt: skip
    vendor = Vendor(name="Vendor", contacts=[], deletion_clause=None, gdpr=None, subprocessors=None)
    for key, value in facts.items():
        setattr(vendor, key, [parse_contact(c) for c in value] if key == "contacts" else value)
    kw: dict[str, Any] = {
        "company": "Toko Maju",
        "requester": None,
        "class_ids": ["email"],
        "keys": [],
        "clock": clock,
    }
    en, id_ = letter(vendor, "en", **kw), letter(vendor, "id", **kw)
    for text in present:
        assert text in en
    for text in absent:
        assert text not in en
    assert (GDPR in en) == (GDPR_ID in id_)
    assert "Hormat kami,\nToko Maju" in id_ and "2025-12-27" in en  # reply within 30 days of the clock


def test_offboarding_from_har_evidence(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    with session_scope(engine) as s:
        inc = create_incident(s, "Mixpanel leak", clock=clock).id
        import_evidence(s, SAMPLE, author="t", clock=clock)
        res = offboard(
            s,
            "Mixpanel",
            incident_id=inc,
            company="Toko Maju",
            letters_dir=tmp_path / "out",
            author="t",
            clock=clock,
        )
        again = offboard(
            s,
            "mixpanel",
            incident_id=inc,
            company="Toko Maju",
            letters_dir=tmp_path / "out",
            author="t",
            clock=clock,
        )
        v = get_vendor(s, "mixpanel")
        assert v.status == "removed" and v.removed_at == clock.now()
        tasks = {t.source_ref: t for t in list_tasks(s, inc, source="inventory")}
        assert any("vendor Mixpanel removed: 6 offboarding tasks" in e.message for e in timeline(s, inc))
    assert [t["step"] for t in res.tasks] == [
        "sdk",
        "keys",
        "deletion-request",
        "deletion-evidence",
        "verify",
        "records",
    ]
    assert {t["change"] for t in again.tasks} == {"unchanged"}  # idempotent, one set of tasks
    assert len(tasks) == 6
    sdk = tasks["offboard:mixpanel:sdk"].detail
    assert (
        "https://cdn.mxpnl.com/libs/mixpanel-2-latest.min.js loaded on https://shop.example.com/signup" in sdk
    )
    assert "calls to api-js.mixpanel.com" in sdk
    assert "3f6e****************5a6b" in tasks["offboard:mixpanel:keys"].detail
    assert "whether it applies is not recorded" in tasks["offboard:mixpanel:deletion-request"].detail
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["deletion-request-mixpanel.en.txt", "deletion-request-mixpanel.id.txt"]
    assert all((tmp_path / "out" / f).stat().st_mode & 0o777 == 0o600 for f in files)
    assert "email addresses" in res.letters["en"] and "alamat email" in res.letters["id"]


def test_tasks_need_an_incident(engine: Engine, clock: FixedClock) -> None:
    with session_scope(engine) as s:
        add_vendor(s, "Heap", author="t", clock=clock)
        with pytest.raises(InputError, match="need an incident"):
            offboard(s, "heap", company="x", author="t", clock=clock)


CLI = Callable[..., tuple[int, str]]


def test_cli_remove(run: CLI, tmp_path: Path) -> None:
    run("case", "new", "x")
    run("vendors", "add", "Heap", "--purpose", "analytics")
    run("vendors", "link", "Heap", "--incident", "1")
    code, out = run("vendors", "remove", "heap", "--company", "Toko Maju", "--letters", str(tmp_path / "l"))
    assert code == 0, out
    assert "status removed; tasks on incident 1" in out and "Remove the Heap SDK and scripts" in out
    code, out = run("vendors", "list", "--status", "removed")
    assert "Heap" in out
