"""case new --encrypt: the notice values are stored sealed; stages read them in plain."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.purge import purge
from breachscope.case.sealed import PREFIX, Sealer, is_sealed
from breachscope.clock import FixedClock
from breachscope.exposures.attach import attach_file
from breachscope.hashing import new_key
from breachscope.scope.directory import DirectorySource
from breachscope.scope.recipients import recipients
from breachscope.scope.report import scope_report
from breachscope.scope.run import run_scope
from tests.case_helpers import write_directory

LEAK = (
    '"$distinct_id","$email","$name","$city","$region","mp_country_code","user_id"\n'
    '"d1","sealed-rina@example.com","Rina","Bandungsealed","West Java","ID","u1"\n'
    '"d2","\u0441yril-sealed@example.com","Cy","Rigasealed","","LV",""\n'
    '"d3","sealed-nobody@example.com","No One","Torontosealed","ON","CA","u404"\n'
)
PLAIN = (
    b"sealed-rina@example.com",
    b"Bandungsealed",
    "\u0441yril-sealed@example.com".encode(),
    b"Torontosealed",
)


@pytest.mark.parametrize(
    ("column", "incident", "opens"),
    [("email", 1, True), ("city", 1, False), ("email", 2, False)],
)
def test_a_sealed_value_opens_only_in_its_column_and_case(column: str, incident: int, opens: bool) -> None:
    key = new_key()
    sealed = Sealer(key, 1).seal("email", "a@example.com")
    assert sealed is not None and sealed.startswith(PREFIX) and "a@example.com" not in sealed
    assert Sealer(key, incident).open(column, sealed) == ("a@example.com" if opens else None)
    assert Sealer(new_key(), 1).open("email", sealed) is None  # another case's key
    assert Sealer(key, 1).open("email", "plain@example.com") == "plain@example.com"
    assert Sealer(key, 1).seal_all("city", [None, "Oslo"])[0] is None


def test_encrypted_case_end_to_end(db_url: str, tmp_path: Path, clock: FixedClock) -> None:
    engine: Engine = open_case_db(db_url, create=True)
    with session_scope(engine) as s:
        iid = api.create_incident(s, "sealed", encrypt=True, clock=clock).id
    leak = tmp_path / "people.csv"
    leak.write_text(LEAK)
    attach_file(engine, iid, leak, clock=clock)
    with session_scope(engine) as s:
        stored = api.get_exposures(s, iid)
        assert len(stored) == 3
        assert all(is_sealed(e.email) and is_sealed(e.city) for e in stored)
    directory = write_directory(
        tmp_path / "dir.csv",
        [
            {"user_id": "u1", "email": "rina@company.example", "org_id": "o1", "role": "admin"},
            {"user_id": "u11", "email": "cyril-sealed@example.com", "org_id": "o1"},
        ],
    )
    run_scope(engine, iid, DirectorySource(str(directory)), clock=clock)
    with session_scope(engine) as s:
        [rina] = [r for r in recipients(s, iid) if r.user_id == "u1"]
        assert (rina.city_display, rina.region_display) == ("Bandungsealed", "West Java")
        report = scope_report(s, iid)
        assert [r["email_masked"] for r in report.review] == ["\u0441***@***.com"]
    if db_url.startswith("sqlite:///"):
        engine.dispose()
        db = Path(db_url.removeprefix("sqlite:///"))
        data = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*") if not p.name.endswith(".key"))
        assert [v for v in PLAIN if v in data] == []  # no leaked value in plain anywhere in the file
        engine = open_case_db(db_url)
    result = purge(engine, iid, clock=clock)
    assert result.deleted["exposures"] == 3
    engine.dispose()


def test_cli_case_new_encrypt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from breachscope.cli import cli

    url = f"sqlite:///{tmp_path / 'case.db'}"
    result = CliRunner().invoke(cli, ["case", "new", "x", "--encrypt", "--db", url])
    assert result.exit_code == 0, result.output
    engine = open_case_db(url)
    with session_scope(engine) as s:
        assert api.get_incident(s, 1).seal_values and api.value_sealer(s, 1) is not None
    engine.dispose()
