from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.case_helpers import write_directory

PEOPLE = (
    '"$distinct_id","$email","$name","$city","$region","mp_country_code","$os","org_id","user_id"\n'
    '"d1","rina@example.com","Rina","Bandung","West Java","ID","Android","o1","u1"\n'
    '"d2","sam@example.com","Sam","Austin","Texas","US","iOS","o1","u2"\n'
    '"d3","nobody@example.com","No One","Toronto","ON","CA","Linux","","u404"\n'
)


def test_case_lifecycle(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out = run(
        "case", "new", "Mixpanel leak", "--vendor", "Mixpanel", "--aware-at", "2025-11-27T09:00+07:00"
    )
    assert code == 0 and "Opened incident 1" in out
    leak = tmp_path / "people.csv"
    leak.write_text(PEOPLE)
    code, out = run("case", "attach", "1", str(leak))
    assert code == 0, out
    code, out = run("case", "log", "1", "Vendor call", "--kind", "call")
    assert code == 0
    directory = write_directory(
        tmp_path / "dir.csv",
        [
            {"user_id": "u1", "email": "rina@example.com", "org_id": "o1", "role": "admin", "country": "ID"},
            {"user_id": "u2", "email": "sam@example.com", "org_id": "o1", "role": "member"},
        ],
    )
    code, out = run(
        "scope",
        "--incident",
        "1",
        "--directory",
        str(directory),
        "--json",
        str(tmp_path / "s.json"),
        "--csv-dir",
        str(tmp_path / "csv"),
    )
    assert code == 0, out
    assert "US-TX" in out and "CA-ON" in out
    scope = json.loads((tmp_path / "s.json").read_text())
    assert scope["schema"] == "breachscope.scope/1"
    assert scope["summary"]["matched_people"] == 2 and scope["summary"]["unmatched_people"] == 1
    assert (tmp_path / "csv" / "admins.csv").read_text().count("rina@example.com") == 1

    code, out = run("case", "show", "1", "--json")
    shown = json.loads(out)
    assert shown["dates"]["aware_at"] == "2025-11-27T02:00+00:00"
    assert shown["counts"]["exposures"] == 3 and shown["datasets"][0]["records"] == 3
    assert [e["kind"] for e in shown["timeline"]] == ["created", "attach", "call", "scope", "minimise"]
    assert {e["author"] for e in shown["timeline"]} == {"tester"}
    code, out = run("case", "show", "1")
    assert code == 0 and "we became aware" in out

    code, out = run("case", "purge", "1", "--yes", "--reason", "done")
    assert code == 0 and "hash key destroyed" in out
    assert "Check: searched case.db" in out and "none found" in out
    code, out = run("case", "list", "--json")
    [row] = json.loads(out)
    assert row["status"] == "purged" and row["exposures"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["case", "show", "42"], "no incident with id 42"),
        (["case", "new", "x", "--aware-at", "last tuesday"], "not a date/time"),
        (["case", "attach", "1", "/nonexistent/leak.csv"], "no such file"),
        (["scope", "--incident", "1", "--directory", "/nonexistent.csv"], "not found"),
        (["scope", "--incident", "1", "--directory", "x.csv", "--map", "mail"], "FIELD=COLUMN"),
        (
            ["scope", "--incident", "1", "--directory", "x.csv", "--map", "colour=x"],
            "unknown directory field",
        ),
        (["case", "list", "--db", "nonsense"], "not a database URL"),
        (["case", "list", "--db", "sqlite:///typo/case.db"], "no case database at"),
        (["case", "attach", "1", "people.csv", "--db", "sqlite:///other.db"], "breachscope case new"),
        (["case", "list", "--db", "nope://x"], "cannot use the case database nope://x"),
        (["case", "list", "--db", "mysql://u:pw@h/x"], "mysql://u:***@h/x"),  # no driver; password hidden
        (["case", "log", "7", "hello"], "no incident with id 7"),
        (["case", "purge", "7", "--yes"], "no incident with id 7"),
        (["scope", "--incident", "7", "--directory", "x.csv"], "no incident with id 7"),
        (["scope", "--incident", "1", "--directory", "x.csv"], "no leaked people to scope yet"),
    ],
)
def test_user_errors_are_clean(run, tmp_path: Path, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    run("case", "new", "x")
    if "no leaked people" not in message:
        leak = tmp_path / "people.csv"
        leak.write_text(PEOPLE)
        assert run("case", "attach", "1", str(leak))[0] == 0
    code, out = run(*args)
    assert code != 0
    assert message in out
    assert "Traceback" not in out


def test_the_same_file_twice_in_one_attach_shows_what_was_attached(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("case", "new", "x")
    leak = tmp_path / "people.csv"
    leak.write_text(PEOPLE)
    code, out = run("case", "attach", "1", str(leak), str(leak))
    assert code == 1 and "already attached to incident 1 as dataset 1" in out
    # the first copy was attached: the table says so before the error about the second
    before = out.split("Error:")[0]
    assert "attached to incident 1" in before and "people." in before  # (name folded in the table)
    assert json.loads(run("case", "show", "1", "--json")[1])["counts"]["exposures"] == 3


def test_attach_refuses_the_same_file_and_records_an_incomplete_read(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("case", "new", "x")
    leak = tmp_path / "people.csv"
    leak.write_text(PEOPLE)
    assert run("case", "attach", "1", str(leak))[0] == 0
    code, out = run("case", "attach", "1", str(leak))
    assert code == 1 and "already attached to incident 1 as dataset 1" in out and "Traceback" not in out
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(PEOPLE + '"d9","x@example.com","too","many","fields","here","!","!","!","!"\n')
    code, out = run("case", "attach", "1", str(ragged))
    assert code == 0 and "Dataset 2 was not read whole" in out and "case accept-incomplete 1 2" in out
    shown = json.loads(run("case", "show", "1", "--json")[1])
    first, second = shown["datasets"]
    assert first["complete"] and first["records"] == 3
    # the second file holds the same people: none is new, and no count says it holds nobody
    assert (first["new_people"], second["new_people"]) == (3, 0) and "people" not in second
    assert not second["complete"] and second["unread_records"] == 1 and second["incomplete_accepted"] is None
    assert "card_security_code" in second["classes"]["not_checked"]
    assert "password" in first["classes"]["absent"] and "email" in first["classes"]["present"]
    code, out = run("case", "accept-incomplete", "1", "1", "--why", "x")
    assert code == 1 and "read whole" in out
    code, out = run("case", "accept-incomplete", "1", "2", "--why", "the skipped row is a test row")
    assert code == 0 and "accepted by tester" in out
    shown = json.loads(run("case", "show", "1", "--json")[1])
    assert shown["datasets"][1]["incomplete_accepted"]["why"] == "the skipped row is a test row"
    assert shown["timeline"][-1]["kind"] == "accept_incomplete"
    code, out = run("case", "show", "1")
    assert code == 0 and "datasets" in out


def test_case_show_does_not_count_an_unfinished_attach(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A dataset whose batch-by-batch attach has not finished has no record or people count
    yet (both are set when it ends): case show says so instead of printing 0."""
    from breachscope.case import api
    from breachscope.case.db import open_case_db, session_scope

    run("case", "new", "x")
    engine = open_case_db(f"sqlite:///{tmp_path / 'case.db'}")
    with session_scope(engine) as s:
        ds = api.attach_dataset(
            s, 1, file_name="big.csv", sha256="d" * 64, size_bytes=10, format="csv", scan={}
        )
        ds.attaching = True
    engine.dispose()
    code, out = run("case", "show", "1")
    assert code == 0, out
    assert "ATTACH" in out
    row = next(line for line in out.splitlines() if "big.c" in line)
    cells = [c.strip() for c in row.split("│")]
    assert cells[6:8] == ["not", "not"], row  # records, new people: "not counted", not 0
