"""Fixtures of the canary tests: a case database with canaries issued to vendors (seeded, so
the plaintext is reproducible), and leak files that plant some of them."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from breachscope.canary.service import issue_canaries
from breachscope.case.db import open_case_db
from breachscope.clock import FixedClock
from tests.case_helpers import CaseTemplates

DOMAIN = "canary.example.com"


@pytest.fixture
def engine(tmp_path: Path, case_templates: CaseTemplates) -> Iterator[Engine]:
    """SQLite for most canary tests (the logic is the same on both databases; migrating a fresh
    PostgreSQL database costs ~2 s a test). ``test_postgres.py`` runs the registry and the
    recorded check on both, through ``db_url``."""
    eng = open_case_db(case_templates.sqlite(tmp_path / "case.db"), create=True)
    yield eng
    eng.dispose()


def read_export(path: Path) -> list[dict[str, str]]:
    """The canaries of a generic-layout CSV export (what the test plants)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def issued(engine: Engine, tmp_path: Path, clock: FixedClock) -> Callable[..., list[dict[str, str]]]:
    """``issued("Mixpanel", 3)`` -> the canaries issued (rows of a generic CSV export)."""
    seq = iter(range(1, 1000))

    def issue(vendor: str, count: int = 3, *, token: bool = True) -> list[dict[str, str]]:
        n = next(seq)
        out = tmp_path / f"export-{n}.csv"
        issue_canaries(
            engine,
            vendor,
            count=count,
            domain=DOMAIN,
            with_token=token,
            layout="generic",
            out=out,
            author="tester",
            clock=clock,
            rng=random.Random(n),
        )
        return read_export(out)

    return issue


LEAK_HEADER = ["$distinct_id", "$email", "$name", "$city", "user_id", "notes"]


def leak_rows(n: int) -> list[list[str]]:
    """``n`` ordinary leaked people (none of them a canary)."""
    return [
        [f"d-{i:06d}-x", f"person{i}@mail.example", f"Person {i}", "Jakarta", f"user-{i}", ""]
        for i in range(n)
    ]


def write_leak(path: Path, planted: list[dict[str, str]], n: int = 50, *, embed: bool = False) -> Path:
    """A Mixpanel-style CSV of ``n`` people plus the ``planted`` canaries (with ``embed``, one
    canary's address only inside a free-text note)."""
    rows = leak_rows(n)
    for c in planted:
        rows.append([c["distinct_id"], c["email"], c["name"], "Surabaya", c["user_id"], ""])
    if embed and planted:
        rows.append(["d-x", "", "", "", "", json.dumps({"msg": f"write to {planted[0]['email']} now"})])
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(LEAK_HEADER)
        w.writerows(rows)
    return path
