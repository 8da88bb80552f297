"""Routing decides only which detectors a value meets, never what they find: a column whose
candidates are mostly one loose anchor's (random ids: an IBAN's two capitals and two digits)
routes that family alone from its next batch on, with the same masks in the same order."""

from __future__ import annotations

import random
import string

import pyarrow as pa

from breachscope.detectors import DETECTORS
from breachscope.scan.detect import detect
from breachscope.scan.plan import build_routing, plan_column

_ALNUM = string.ascii_letters + string.digits


def _ids() -> pa.Array:
    rnd = random.Random(3)
    ids = ["user-" + "".join(rnd.choice(_ALNUM) for _ in range(24)) for _ in range(3_000)]
    ids[100] = "GB82WEST12345698765432"  # an IBAN
    ids[200] = "login from 10.20.30.40"  # an IP address
    ids[300] = "rina@example.co.id"  # an email
    ids[400] = "born 1990-02-03"  # a birth date
    ids[500] = "3171040505848982"  # a NIK: its family comes before the IBAN's
    return pa.array(ids, pa.string())


def test_a_loose_anchor_is_routed_alone_with_the_same_masks() -> None:
    values, routing = _ids(), build_routing(DETECTORS)
    plan = plan_column("user_id", DETECTORS)
    hints: dict[str, object] = {}
    first = detect(values, plan, routing, hints)
    assert hints["loose"] == frozenset({"iban"})
    again = detect(values, plan, routing, hints)  # the IBAN family routed alone
    assert list(again) == list(first)
    assert all(again[name].equals(first[name]) for name in first)
    assert {"iban", "ipv4", "email", "date_of_birth_text", "nik"} <= set(first)
    assert first["iban"].to_pylist().index(True) == 100
