"""``breachscope watch domains`` on the command line: parse, call, print; hostile arguments refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.cli import cli
from breachscope.watch import ResolverSettings
from tests.case_helpers import CaseTemplates


@pytest.fixture
def case_db(tmp_path: Path, case_templates: CaseTemplates) -> str:
    url = case_templates.sqlite(tmp_path / "case.db")
    engine = open_case_db(url, create=True)
    with session_scope(engine) as s:
        api.create_incident(s, "Vendor leak", vendor="Mixpanel")
    engine.dispose()
    return url


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["watch", "domains", *args])
    return result.exit_code, result.output


def test_json_to_stdout_and_the_table(case_db: str, resolver: ResolverSettings, tmp_path: Path) -> None:
    where = f"{resolver.nameserver}:{resolver.port}"
    code, out = _invoke(
        "--db", case_db, "--incident", "1", "--domain", "example.com", "--resolver", where, "--json", "-"
    )
    assert code == 0, out
    data = json.loads(out)
    assert (
        data["counts"]["registered"] == 5
        and data["counts"]["receives_mail"] == 2
        and data["counts"]["new"] == 5
    )
    assert data["resolver"] == where
    code, out = _invoke(
        "--db", case_db, "--incident", "1", "--resolver", where, "--json", str(tmp_path / "w.json")
    )
    assert code == 0, out
    assert "exarnple.com" in out and "5 registered (2 receive mail), 0 new, 0 gone" in out
    assert json.loads((tmp_path / "w.json").read_text())["run"] == 2
    # each registered look-alike is a work item: close one, refuse one that is not recorded
    result = CliRunner().invoke(
        cli, ["watch", "done", "--db", case_db, "--incident", "1", "EXARNPLE.com", "--note", "ticket 42"]
    )
    assert result.exit_code == 0 and "exarnple.com: action done" in result.output
    result = CliRunner().invoke(cli, ["watch", "done", "--db", case_db, "--incident", "1", "exanple.com"])
    assert result.exit_code == 2 and "not a recorded look-alike" in result.output
    engine = open_case_db(case_db)
    with session_scope(engine) as s:
        log = [e.message for e in api.timeline(s, 1)]
    engine.dispose()
    assert "look-alike action done: exarnple.com (ticket 42)" in log
    code, out = _invoke("--db", case_db, "--incident", "1", "--resolver", where, "--json", "-")
    states = {f["domain"]: f["action_state"] for f in json.loads(out)["registered"]}
    assert states["exarnple.com"] == "done" and states["example.net"] == "open"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--domain", "exa\x1b[31mmple.com"], "control"),
        (["--domain", "a" * 296 + ".com"], "300 characters"),
        (["--domain", "example.com", "--resolver", "dns.example"], "not IP or IP:PORT"),
        (["--domain", "example.com", "--incident", "99"], "99"),
        (["--domain", "example.com", "--concurrency", "0"], "0"),
        (["--domain", "example.com", "--timeout", "-1"], "-1"),
    ],
)
def test_hostile_arguments_are_refused_with_a_clear_message(
    case_db: str, args: list[str], message: str
) -> None:
    base = ["--db", case_db, "--resolver", "127.0.0.1:9"]
    if "--incident" not in args:
        base += ["--incident", "1"]
    code, out = _invoke(*base, *args)
    assert code != 0
    assert "Error" in out and message in out and "Traceback" not in out
    assert "\x1b" not in out
