"""Vendor layouts through the real readers and scan engine: provenance, disagreements,
placeholders, generic fallback, and the ``scan`` command's vendor and per-person output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from breachscope.cli import cli
from breachscope.scan import scan_files


def _columns(path: Path, vendor: str | None = None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    source = scan_files([path], vendor=vendor).to_dict()["sources"][0]
    return source, {c["name"]: c for c in source["columns"]}


def _classes(column: dict[str, Any]) -> dict[str, list[str]]:
    return {c["class"]: c["sources"] for c in column["classes"]}


# (fixture, column, class, provenance that must be among the sources)
SCHEMA_PROVENANCE = [
    ("mixpanel/events.jsonl", "properties.$city", "coarse_location", "schema"),
    ("mixpanel/events.jsonl", "properties.$initial_referring_domain", "url", "schema"),
    ("mixpanel/engage_page.json", "$properties.$email", "email", "schema"),
    ("mixpanel/pipeline_events.csv", "properties.$region", "coarse_location", "schema"),
    ("segment/identify.json", "context.ip", "ip_address", "schema"),
    ("segment/batch_envelopes.jsonl", "traits.email", "email", "schema"),
    ("amplitude/export.zip", "location_lat", "precise_location", "schema"),
    ("posthog/events.parquet", "properties.$geoip_postal_code", "postal_address", "schema"),
    ("ga4/events_20251109.jsonl", "event_params.page_location", "url", "schema"),
    ("heap/users.csv", "initial_ip", "ip_address", "schema"),
    ("intercom/contacts.json", "location.city", "coarse_location", "schema"),
]


@pytest.mark.parametrize(("name", "column", "cls", "origin"), SCHEMA_PROVENANCE)
def test_documented_fields_carry_schema_provenance(
    name: str, column: str, cls: str, origin: str, fixture_path: Callable[[str], Path]
) -> None:
    source, columns = _columns(fixture_path(name))
    assert source["vendor"] is not None
    assert origin in _classes(columns[column])[cls]


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("mixpanel/events_email_ids.jsonl", "properties.distinct_id"),
        ("amplitude/export.zip", "user_id"),
    ],
)
def test_id_fields_holding_emails_are_both_email_and_id(
    name: str, column: str, fixture_path: Callable[[str], Path]
) -> None:
    _, columns = _columns(fixture_path(name))
    col = columns[column]
    assert "email" in _classes(col) and _classes(col)["email"][-1] == "value"
    # an email used as the person's id is both: no disagreement with the schema's internal_id
    assert "internal_id" in _classes(col)
    assert col["disagreements"] == []


def test_mixed_id_column_reports_the_emails_among_its_values(fixture_path: Callable[[str], Path]) -> None:
    _, columns = _columns(fixture_path("mixpanel/events.jsonl"))
    assert "email" in _classes(columns["properties.distinct_id"])


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("mixpanel/events.jsonl", "properties.debug_token"),
        ("amplitude/export.zip", "user_properties.api_key"),
    ],
)
def test_custom_property_holding_api_keys_is_classified_by_its_values(
    name: str, column: str, fixture_path: Callable[[str], Path]
) -> None:
    _, columns = _columns(fixture_path(name))
    sources = _classes(columns[column])["secret"]
    assert "value" in sources and "schema" not in sources  # customer-defined: no schema class


@pytest.mark.parametrize(
    ("name", "column", "placeholders", "non_null"),
    [
        ("mixpanel/events.jsonl", "properties.$initial_referrer", 3, 1),
        ("mixpanel/engage_page.json", "$properties.$initial_referring_domain", 1, 1),
        ("ga4/events_20251109.jsonl", "geo.metro", 2, 0),
        ("ga4/events_20251109.jsonl", "traffic_source.source", 1, 1),
        ("amplitude/export.zip", "dma", 1, 1),
        ("posthog/events.jsonl", "properties.$referrer", 1, 0),
    ],
)
def test_placeholders_are_not_counted_as_data(
    name: str, column: str, placeholders: int, non_null: int, fixture_path: Callable[[str], Path]
) -> None:
    _, columns = _columns(fixture_path(name))
    col = columns[column]
    assert col["placeholders"] == placeholders
    assert col["non_null"] == non_null


def test_unknown_layout_is_scanned_generically(fixture_path: Callable[[str], Path]) -> None:
    source, columns = _columns(fixture_path("generic/unknown.csv"))
    assert source["vendor"] is None
    assert "email" in _classes(columns["contact"])
    assert all("schema" not in s for c in columns.values() for s in _classes(c).values())


def test_forced_vendor_through_the_engine(fixture_path: Callable[[str], Path]) -> None:
    source, _ = _columns(fixture_path("generic/unknown.csv"), vendor="mixpanel")
    assert source["vendor"]["vendor"] == "mixpanel" and "do not fit" in source["vendor"]["reason"]


def test_scan_prints_layout_and_writes_people(tmp_path: Path, fixture_path: Callable[[str], Path]) -> None:
    out = tmp_path / "people.csv"
    result = CliRunner().invoke(
        cli, ["scan", str(fixture_path("mixpanel/engage_page.json")), "--people", str(out)]
    )
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "Layout of engage_page.json: mixpanel/people" in flat
    assert "Fields exposed per person: 2 people" in flat
    text = out.read_text()
    assert text.startswith("person,key_kind,n_fields,fields,classes") and "u-1001" not in text
    assert len(text.splitlines()) == 3


def test_scan_says_when_no_layout_fits(fixture_path: Callable[[str], Path]) -> None:
    result = CliRunner().invoke(cli, ["scan", str(fixture_path("generic/unknown.csv"))])
    assert result.exit_code == 0, result.output
    assert "no vendor layout fits: generic scan" in " ".join(result.output.split())


@pytest.mark.parametrize("name", ["people.xlsx", "missing-folder/people.csv"])
def test_scan_people_path_is_checked_before_scanning(
    name: str, tmp_path: Path, fixture_path: Callable[[str], Path]
) -> None:
    result = CliRunner().invoke(
        cli, ["scan", str(fixture_path("mixpanel/engage_page.json")), "--people", str(tmp_path / name)]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "Scanned" not in result.output
