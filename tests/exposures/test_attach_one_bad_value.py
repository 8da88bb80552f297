"""One odd value in a JSON column never changes the other people's keys, values or classes.

pyarrow reads a JSON column with one type per block: one fractional user id makes every user id
of the block a float64, one email written as a list makes every email a list. The people of
the block must still be the same people (the same keys) as in a file without the odd value.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.exposures.attach import attach_file

BASE = 1234567890123456


def _people(n: int) -> list[dict[str, object]]:
    return [
        {"user_id": BASE + i, "email": f"user{i}@example.com", "card": 4111111111111111} for i in range(n)
    ]


#: (case id, the odd record put among the same five people again)
ODD = [
    ("a fractional user id", {"user_id": 0.5, "email": "odd@example.com", "card": 4111111111111111}),
    ("a user id past int64", {"user_id": 10**22, "email": "odd@example.com", "card": 4111111111111111}),
    ("an email written as a list", {"user_id": 7, "email": ["odd@example.com", "x@example.com"]}),
    ("a card number with a fraction", {"user_id": 7, "email": "odd@example.com", "card": 0.5}),
]


@pytest.mark.parametrize("odd", [c[1] for c in ODD], ids=[c[0] for c in ODD])
def test_the_same_people_with_one_odd_record_are_the_same_people(
    engine: Engine, clock: FixedClock, tmp_path: Path, odd: dict[str, object]
) -> None:
    with session_scope(engine) as s:
        iid, alone = (api.create_incident(s, name, clock=clock).id for name in ("leak", "odd file alone"))
    clean, odd_file = tmp_path / "clean.jsonl", tmp_path / "odd.jsonl"
    people = _people(5)
    clean.write_text("".join(json.dumps(r) + "\n" for r in people), encoding="utf-8")
    again = [{**r, "note": "again"} for r in people]  # other bytes: not the same file
    again.insert(2, odd)
    odd_file.write_text("".join(json.dumps(r) + "\n" for r in again), encoding="utf-8")
    attach_file(engine, iid, clean, clock=clock)
    second = attach_file(engine, iid, odd_file, clock=clock)
    assert (second.records, second.new_people) == (6, 1)  # only the odd record is someone new
    attach_file(engine, alone, odd_file, clock=clock)
    with session_scope(engine) as s:
        exposures = api.get_exposures(s, alone)
    emails = {f"user{i}@example.com" for i in range(5)}
    known = [e for e in exposures if e.email in emails]  # the notice address as written
    assert len(known) == 5
    assert all("payment_card" in e.exposed_classes for e in known)
