"""A person's jurisdictions come from the leak AND the directory, end to end (attach, scope, assess).

The attack this guards against: a leak whose every row says ``mp_country_code=AQ`` made the
directory's countries disappear, and with them every legal duty (23 required duties -> 0,
silently). Now an implausible leaked location is ignored (the directory's country is used),
a disagreement between leak and directory is shown and both jurisdictions count.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from breachscope.cli import cli
from breachscope.identity.jurisdiction import IMPLAUSIBLE_COUNTRIES, compare, count_keys, resolve
from tests.case_helpers import write_directory

#: Ten directory countries, each with its own rule file.
COUNTRIES = ("ID", "DE", "GB", "BR", "AU", "JP", "KR", "SG", "IN", "ZA")
PEOPLE = 20


def _directory(tmp_path: Path) -> Path:
    rows = [
        {
            "user_id": f"u{i}",
            "email": f"user{i}@example.com",
            "name": f"User {i}",
            "org_id": f"o{i % 4}",
            "org_name": f"Org {i % 4}",
            "role": "admin" if i < 4 else "member",
            "country": COUNTRIES[i % len(COUNTRIES)],
        }
        for i in range(PEOPLE)
    ]
    return write_directory(tmp_path / "directory.csv", rows)


def _leak(tmp_path: Path, country: str | None, region: str = "") -> Path:
    path = tmp_path / f"leak-{country}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["$distinct_id", "$email", "$name", "$city", "$region", "mp_country_code", "$os", "user_id"]
        )
        for i in range(PEOPLE):
            own = COUNTRIES[i % len(COUNTRIES)]
            w.writerow(
                [
                    f"d{i}",
                    f"user{i}@example.com",
                    f"User {i}",
                    "Springfield",
                    region,
                    country or own,
                    "iOS",
                    f"u{i}",
                ]
            )
    return path


def _run(tmp_path: Path, leak: Path) -> tuple[dict[str, object], dict[str, object], str]:
    db = f"sqlite:///{tmp_path / (leak.stem + '.db')}"
    env = {"BREACHSCOPE_DB": db, "BREACHSCOPE_AUTHOR": "tester", "COLUMNS": "200"}
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("case", "new", "Leak", "--vendor", "Mixpanel", "--aware-at", "2025-11-27T09:00+07:00")
    run("case", "attach", "1", str(leak))
    scope_json = tmp_path / (leak.stem + "-scope.json")
    scope_out = run(
        "scope", "--incident", "1", "--directory", str(_directory(tmp_path)), "--json", str(scope_json)
    )
    assess_json = tmp_path / (leak.stem + "-assess.json")
    run("assess", "--incident", "1", "--now", "2025-11-28T09:00:00+00:00", "--json", str(assess_json))
    return json.loads(scope_json.read_text()), json.loads(assess_json.read_text()), scope_out


def _required(assessment: dict[str, object]) -> set[str]:
    duties = assessment["duties"]
    assert isinstance(duties, list)
    return {d["id"] for d in duties if d["verdict"] == "required"}


def test_a_leak_saying_antarctica_keeps_every_directory_duty(tmp_path: Path) -> None:
    honest_scope, honest, _ = _run(tmp_path, _leak(tmp_path, None))
    forged_scope, forged, out = _run(tmp_path, _leak(tmp_path, "AQ"))
    assert _required(honest), "the directory's ten countries bring required duties"
    assert _required(forged) == _required(honest)
    juris = forged_scope["summary"]["jurisdictions"]  # type: ignore[index]
    assert set(COUNTRIES) <= set(juris) and "AQ" not in juris
    checks = forged_scope["summary"]["jurisdiction_checks"]  # type: ignore[index]
    assert checks["leak_implausible"] == PEOPLE and checks["agree"] == 0
    assert "leak AQ / directory DE" in checks["differences"]
    # shown in the scope report and per person in the JSON
    assert "implausible leaked location" in out
    users = {u["user_id"]: u for u in forged_scope["users"]}  # type: ignore[union-attr]
    assert users["u1"]["jurisdiction"] == "DE" and users["u1"]["jurisdiction_check"] == "leak_implausible"
    assert users["u1"]["leak_country"] == "AQ" and users["u1"]["jurisdictions"] == ["DE"]
    assert honest_scope["summary"]["jurisdiction_checks"]["agree"] == PEOPLE  # type: ignore[index]


def test_leak_and_directory_disagreeing_both_count(tmp_path: Path) -> None:
    scope, assessment, out = _run(tmp_path, _leak(tmp_path, "US", region="California"))
    juris = scope["summary"]["jurisdictions"]  # type: ignore[index]
    assert juris["US-CA"] == PEOPLE and juris["US"] == PEOPLE
    assert all(juris[c] == PEOPLE // len(COUNTRIES) for c in COUNTRIES)
    checks = scope["summary"]["jurisdiction_checks"]  # type: ignore[index]
    assert checks["differ"] == PEOPLE
    assert "different countries" in out
    evaluated = {d["jurisdiction"] for d in assessment["duties"]}  # type: ignore[union-attr]
    assert {"US-CA", "EU", "ID"} <= evaluated  # the leak's state and the directory's countries
    assert {"id-agency", "za-regulator"} <= _required(assessment)  # directory countries keep their duties
    users = {u["user_id"]: u for u in scope["users"]}  # type: ignore[union-attr]
    assert users["u1"]["jurisdictions"] == ["US-CA", "DE"] and users["u1"]["jurisdiction_check"] == "differ"


@pytest.mark.parametrize(
    ("codes", "keys"),
    [
        (("US-CA", "DE"), ["US", "US-CA", "DE"]),
        (("US-CA", "US"), ["US", "US-CA"]),
        (("DE", "DE"), ["DE"]),
        ((None, "DE"), ["DE"]),
        ((None, None), ["ZZ"]),
        (("ZZ", None), ["ZZ"]),
    ],
)
def test_count_keys(codes: tuple[str | None, ...], keys: list[str]) -> None:
    assert count_keys(*codes) == keys


@pytest.mark.parametrize(
    ("leak", "directory", "check"),
    [
        ("DE", "DE", "agree"),
        ("US", "DE", "differ"),
        ("AQ", "DE", "leak_implausible"),
        ("AQ", None, "leak_implausible"),
        ("US", None, "leak_only"),
        (None, "DE", "directory_only"),
        (None, None, "unknown"),
    ],
)
def test_compare(leak: str | None, directory: str | None, check: str) -> None:
    assert compare(leak, directory) == check


@pytest.mark.parametrize("code", sorted(IMPLAUSIBLE_COUNTRIES))
def test_an_implausible_leaked_country_is_no_jurisdiction(code: str) -> None:
    where = resolve(code, None)
    assert where.code is None and where.country == code
    assert resolve(code, None, fallback_country="Germany").code == "DE"
