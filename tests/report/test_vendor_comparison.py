"""The report's vendor section (8): the stored incident <-> vendor comparison in English and
Indonesian; no link recorded reads as "no comparison recorded"; field names stay inert."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from breachscope.case.api import create_incident
from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.exposures.attach import attach_file
from breachscope.inventory import add_flow, add_vendor
from breachscope.inventory.compare import link_incident
from breachscope.report.build import report_html
from breachscope.report.model import gather

LEAK = (
    "$distinct_id,$email,$name,$city,notes\n"
    "u1,rina@mail.example,Rina Wijaya,Jakarta,called support\n"
    "u2,budi@mail.example,Budi Santoso,Bandung,\n"
)
HOSTILE_FIELD = "properties.<img src=x onerror=alert(1)>"

SECTION = {
    "en": {
        "title": "8. The vendor: what we sent, compared with the leak",
        "both": "In both: fields we sent that the leak holds",
        "sent_only": "Sent only: not exposed in this dataset, but held by the vendor",
        "geo": "likely derived by the vendor from the IP address every request carries (geo-IP)",
        "not_sent": "not sent by us per the recorded flows: vendor-derived, or not from this vendor",
        "declared": "the vendor&#39;s flows are declared only",
        "none": "No vendor is linked to this incident, so no comparison",
    },
    "id": {
        "title": "8. Vendor: data yang kami kirim dibandingkan dengan kebocoran",
        "both": "Ada di keduanya: kolom yang kami kirim dan ada dalam kebocoran",
        "sent_only": "Hanya dikirim: tidak terpapar dalam dataset ini, tetapi disimpan oleh vendor",
        "geo": "kemungkinan diturunkan oleh vendor dari alamat IP yang menyertai setiap permintaan (geo-IP)",
        "not_sent": "tidak kami kirim menurut aliran data yang tercatat",
        "declared": "aliran data vendor ini hanya dideklarasikan",
        "none": "Tidak ada vendor yang ditautkan ke insiden ini",
    },
}


def _case(engine: Engine, clock: FixedClock, tmp_path: Path, *, link: bool) -> int:
    leak = tmp_path / "mixpanel-people.csv"
    leak.write_text(LEAK)
    with session_scope(engine) as s:
        inc = create_incident(s, "Mixpanel leak", clock=clock).id
    attach_file(engine, inc, leak, clock=clock)
    if link:
        with session_scope(engine) as s:
            v = add_vendor(s, "Mixpanel", {"purpose": "analytics"}, author="t", clock=clock)
            for field, classes in [
                ("$set.$email", ["email"]),
                ("$set.$name", ["person_name"]),
                ("$set.$phone", ["phone"]),
                (HOSTILE_FIELD, []),
            ]:
                add_flow(s, v, field, classes, author="t", clock=clock)
            link_incident(s, "mixpanel", inc, author="t", clock=clock)
    return inc


@pytest.mark.parametrize("lang", ["en", "id"])
def test_linked_vendor_section(engine: Engine, clock: FixedClock, tmp_path: Path, lang: str) -> None:
    data = gather(engine, _case(engine, clock, tmp_path, link=True), clock=clock)
    [v] = data.vendors
    assert (v.vendor, v.in_both, v.sent_only) == (
        "Mixpanel",
        ("email", "name"),
        ("img_src_x_onerror_alert_1", "phone"),
    )
    assert {r.key for r in v.leak_only} == {"city", "distinct_id", "notes"}
    html = report_html(data, lang)
    section = html[html.index('<section id="vendor-comparison">') :]
    words = SECTION[lang]
    for key in ("title", "both", "sent_only", "geo", "not_sent", "declared"):
        assert words[key] in section, key
    assert words["none"] not in section
    assert "<img" not in section  # the field name is inert
    assert "email, name" in section and "phone" in section


@pytest.mark.parametrize("lang", ["en", "id"])
def test_no_link_reads_as_not_recorded(engine: Engine, clock: FixedClock, tmp_path: Path, lang: str) -> None:
    data = gather(engine, _case(engine, clock, tmp_path, link=False), clock=clock)
    assert data.vendors == ()
    html = report_html(data, lang)
    section = html[html.index('<section id="vendor-comparison">') :]
    assert SECTION[lang]["none"] in section and SECTION[lang]["both"] not in section
